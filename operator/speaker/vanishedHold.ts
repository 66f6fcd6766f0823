// Paths of announcements that vanished from the cache are held for a moment before they are
// withdrawn. A VipAnnouncement deleted while its Service still wants it (by hand, or by a tool
// that re-creates objects) comes back within a fraction of a second: withdrawing in between
// would flap the route at every router. A changed spec, an excluded node or a Service that is
// really gone still withdraws, the last one HOLD_MS later.
import type { PathSpec } from '../gobgp/types';
import type { NodePaths } from './pathsForNode';

/** How long a vanished announcement's paths stay. */
export const VANISHED_HOLD_MS = 3_000;

export interface HoldInput {
  /** What the last table sync made gobgpd originate (undefined: nothing yet). */
  previous: NodePaths | undefined;
  /** Paths wanted now, from the announcements in the cache. */
  desired: readonly PathSpec[];
  /** Keys of the announcements the cache holds now. */
  present: ReadonlySet<string>;
  /** False when the node may not announce at all: nothing is held. */
  eligible: boolean;
  /** Prefix → when it was first held (kept between syncs). */
  heldSince: ReadonlyMap<string, number>;
  now: number;
}

export interface HoldResult {
  /** desired plus the held paths. */
  paths: PathSpec[];
  heldSince: Map<string, number>;
  /** Check again this much later, while anything is held. */
  recheckInMs?: number;
}

export function holdVanished(input: HoldInput): HoldResult {
  const wanted = new Set(input.desired.map((p) => p.prefix));
  const gone = vanishedPrefixes(input);
  const heldSince = new Map<string, number>();
  const held: PathSpec[] = [];
  for (const path of input.previous?.paths ?? []) {
    if (!input.eligible || wanted.has(path.prefix) || !gone.has(path.prefix)) continue;
    const since = input.heldSince.get(path.prefix) ?? input.now;
    if (input.now - since >= VANISHED_HOLD_MS) continue;
    heldSince.set(path.prefix, since);
    held.push(path);
  }
  if (held.length === 0) return { paths: [...input.desired], heldSince };
  const due = Math.min(...[...heldSince.values()].map((t) => t + VANISHED_HOLD_MS - input.now));
  return { paths: [...input.desired, ...held], heldSince, recheckInMs: Math.max(due, 1) };
}

/** Prefixes every announcement of which vanished (a prefix still announced by another stays anyway). */
function vanishedPrefixes(input: HoldInput): Set<string> {
  const out = new Set<string>();
  for (const [key, prefixes] of input.previous?.prefixesByAnnouncement ?? []) {
    if (input.present.has(key)) continue;
    for (const p of prefixes) out.add(p);
  }
  return out;
}
