// Paths of announcements that vanished from the cache are held for a moment before they are
// withdrawn. A VipAnnouncement deleted while its Service still wants it (by hand, or by a tool
// that re-creates objects) comes back within a fraction of a second: withdrawing in between
// would flap the route at every router. A changed spec, an excluded node or a Service that is
// really gone still withdraws, the last one HOLD_MS later.
//
// The hold is carried from sync to sync (`held`), not re-derived from the previous sync's
// desired paths: those no longer name the vanished announcement, so any other table sync
// inside the hold (another announcement's change, a pool or Node event) would withdraw it.
import type { PathSpec } from '../gobgp/types';
import type { NodePaths } from './pathsForNode';

/** How long a vanished announcement's paths stay. */
export const VANISHED_HOLD_MS = 3_000;

/** A path kept after every announcement asking for it vanished. */
export interface HeldPath {
  path: PathSpec;
  /** The vanished announcements that asked for it; one coming back ends the hold. */
  keys: readonly string[];
  /** When it was first held. */
  since: number;
}

export interface HoldInput {
  /** What the last table sync made gobgpd originate for the announcements it saw (undefined: nothing yet). */
  previous: Pick<NodePaths, 'paths' | 'prefixesByAnnouncement'> | undefined;
  /** Paths wanted now, from the announcements in the cache. */
  desired: readonly PathSpec[];
  /** Whether the cache holds the announcement (or its Service) of this key now. */
  present: { has(key: string): boolean };
  /**
   * The keys that may have vanished since the previous sync (those an event changed); absent:
   * any key of the previous sync. A key vanishes only by an event, so a sync after a few
   * changes looks at those, not at every announcement.
   */
  changed?: ReadonlySet<string>;
  /** False when the node may not announce at all: nothing is held. */
  eligible: boolean;
  /** Prefix → what the last sync held (kept between syncs). */
  held: ReadonlyMap<string, HeldPath>;
  now: number;
}

export interface HoldResult {
  /** desired plus the held paths. */
  paths: PathSpec[];
  held: Map<string, HeldPath>;
  /** Check again this much later, while anything is held. */
  recheckInMs?: number;
}

export function holdVanished(input: HoldInput): HoldResult {
  const held = new Map<string, HeldPath>();
  const found = candidates(input);
  if (found.length === 0) return { paths: [...input.desired], held };
  const wanted = new Set(input.desired.map((p) => p.prefix));
  for (const candidate of found) {
    const prefix = candidate.path.prefix;
    if (!input.eligible || wanted.has(prefix)) continue;
    // Back with a spec that no longer asks for it: a real withdrawal, not a re-creation.
    if (candidate.keys.some((k) => input.present.has(k))) continue;
    if (input.now - candidate.since >= VANISHED_HOLD_MS) continue;
    held.set(prefix, candidate);
  }
  if (held.size === 0) return { paths: [...input.desired], held };
  const due = Math.min(...[...held.values()].map((h) => h.since + VANISHED_HOLD_MS - input.now));
  return { paths: [...input.desired, ...[...held.values()].map((h) => h.path)], held, recheckInMs: Math.max(due, 1) };
}

/** What was held already, and the previous paths whose announcements just vanished. */
function candidates(input: HoldInput): HeldPath[] {
  const out = new Map<string, HeldPath>(input.held);
  const vanished = new Map<string, string[]>();
  const previous = input.previous?.prefixesByAnnouncement;
  const keys = input.changed ?? previous?.keys() ?? [];
  for (const key of keys) {
    if (input.present.has(key)) continue;
    for (const p of previous?.get(key) ?? []) vanished.set(p, [...(vanished.get(p) ?? []), key]);
  }
  if (vanished.size === 0) return [...out.values()];
  for (const path of input.previous?.paths ?? []) {
    const keys = vanished.get(path.prefix);
    // A prefix still asked for by another announcement stays anyway (it is in desired).
    if (!keys || out.has(path.prefix)) continue;
    out.set(path.prefix, { path, keys, since: input.now });
  }
  return [...out.values()];
}
