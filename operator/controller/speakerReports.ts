// What the controller keeps about the nodes' VipSpeaker reports and the announcements'
// generations, so that a report's change enqueues only the announcements it concerns.
//
// Counting: a report counts while its phase is not Stopped and it was heard from within
// STALE_AFTER_HEARTBEATS heartbeats (by the controller's clock: the time an event arrived;
// for the initial list, the report's heartbeatTime).
import { announcesFromNode } from '../api/announces';
import { HEARTBEAT_SECONDS, STALE_AFTER_HEARTBEATS, type VipSpeakerStatus } from '../api/vipSpeaker';
import type { CacheReader } from '../kube/controllerDefinition';
import type { ChangeType } from '../kube/informer';
import { objectKey } from '../kube/resources';
import { canonicalPrefix } from '../util/ip';
import { prefixesOf } from './speakerEntries';
import type { CachedAnnouncement, CachedSpeakerReport } from '../kube/cachedKinds';

export const STALE_MS = HEARTBEAT_SECONDS * STALE_AFTER_HEARTBEATS * 1_000;
/** Keys of the liveness checks: node names cannot hold ':' next to no '/', announcement keys always hold a '/'. */
export const LIVENESS_PREFIX = 'vipspeaker:';

/** What changed between two reports, as the announcements it concerns. */
export interface ReportDelta {
  /** Sessions (any field status shows per peer), reachability, phase, eligibility or draining, or the report came or went: every announcement the node originates. */
  all: boolean;
  /** Prefixes whose missing state changed on some session. */
  prefixes: string[];
  /** Announcements named by a changed exception. */
  keys: string[];
  /** The watermark moved from → to. */
  watermark?: [number, number];
}

export function reportDelta(before: VipSpeakerStatus | undefined, after: VipSpeakerStatus | undefined): ReportDelta {
  if (!before || !after) return { all: true, prefixes: [], keys: [] };
  const states = (s: VipSpeakerStatus): string => JSON.stringify([s.phase, s.gobgpReachable, s.eligible, s.draining === true, (s.sessions ?? []).map((x) => [x.address, x.asn, x.state, x.bfd, x.families, (x.missingCount ?? 0) > (x.missing ?? []).length]), (s.exceptionsCount ?? 0) > (s.exceptions ?? []).length]);
  if (states(before) !== states(after)) return { all: true, prefixes: [], keys: [] };
  const missing = (s: VipSpeakerStatus): Set<string> => new Set((s.sessions ?? []).flatMap((x) => (x.missing ?? []).map((p) => `${x.address} ${canonicalPrefix(p) ?? p}`)));
  const prefixes = symmetricDifference(missing(before), missing(after)).map((x) => x.split(' ')[1] ?? x);
  const exceptions = (s: VipSpeakerStatus): Set<string> => new Set((s.exceptions ?? []).map((e) => `${e.announcement} ${e.prefix} ${e.reason}`));
  const keys = symmetricDifference(exceptions(before), exceptions(after)).map((x) => x.split(' ')[0] ?? x);
  const [from, to] = [Number(before.announcementsResourceVersion ?? 0), Number(after.announcementsResourceVersion ?? 0)];
  return { all: false, prefixes: [...new Set(prefixes)], keys: [...new Set(keys)], ...(from !== to ? { watermark: [from, to] as [number, number] } : {}) };
}

function symmetricDifference(a: Set<string>, b: Set<string>): string[] {
  return [...[...a].filter((x) => !b.has(x)), ...[...b].filter((x) => !a.has(x))];
}

/** The revision and time at which each announcement's current generation was first seen. */
export interface GenerationSeen {
  generation: number | undefined;
  /** 0: acted on by every node (a previous controller saw it Advertised). */
  rv: number;
  at: number;
}

/** Whether a stored status says a previous controller saw this generation advertised. */
function advertisedForGeneration(va: CachedAnnouncement): boolean {
  const g = va.metadata.generation;
  return va.status?.observedGeneration === g && (va.status?.conditions ?? []).some((c) => c.type === 'Advertised' && c.status === 'True');
}

export class SpeakerReports {
  private readonly heardAt = new Map<string, number>();
  private readonly counted = new Map<string, boolean>();
  private readonly seen = new Map<string, GenerationSeen>();
  /** Prefix → announcement keys asking for it. */
  private readonly byPrefix = new Map<string, Set<string>>();
  private readonly prefixesByKey = new Map<string, string[]>();
  /** Announcements whose last reconcile waited for a node, with the revision it waits for. */
  readonly awaiting = new Map<string, number>();

  constructor(
    private readonly reports: CacheReader<CachedSpeakerReport>,
    private readonly now: () => number,
  ) {}

  /** The reports that count now. */
  counting(): CachedSpeakerReport[] {
    return this.reports.list().filter((r) => this.counts(r));
  }

  private counts(r: CachedSpeakerReport): boolean {
    return r.status?.phase !== 'Stopped' && this.now() - this.heard(r) < STALE_MS;
  }

  private heard(r: CachedSpeakerReport): number {
    const at = this.heardAt.get(r.metadata.name);
    if (at !== undefined) return at;
    const beat = Date.parse(r.status?.heartbeatTime ?? '');
    return Number.isFinite(beat) ? Math.min(beat, this.now()) : 0;
  }

  generationOf(key: string): GenerationSeen | undefined {
    return this.seen.get(key);
  }

  /** An announcement event: record when its generation was first seen, index its prefixes. */
  observeAnnouncement(type: ChangeType, va: CachedAnnouncement): void {
    const key = objectKey(va);
    if (type === 'DELETED') {
      this.seen.delete(key);
      this.awaiting.delete(key);
      return this.index(key, []);
    }
    this.index(key, prefixesOf(va));
    const g = va.metadata.generation;
    if (this.seen.get(key)?.generation === g) return;
    const first = type === 'ADDED' && !this.seen.has(key) && advertisedForGeneration(va);
    this.seen.set(key, { generation: g, rv: first ? 0 : Number(va.metadata.resourceVersion ?? 0) || 0, at: this.now() });
  }

  private index(key: string, prefixes: string[]): void {
    for (const p of this.prefixesByKey.get(key) ?? []) this.byPrefix.get(p)?.delete(key);
    for (const p of prefixes) {
      const keys = this.byPrefix.get(p) ?? new Set<string>();
      keys.add(key);
      this.byPrefix.set(p, keys);
    }
    if (prefixes.length > 0) this.prefixesByKey.set(key, prefixes);
    else this.prefixesByKey.delete(key);
  }

  /** A report event: the announcements it concerns. */
  reportKeys(type: ChangeType, r: CachedSpeakerReport, old: CachedSpeakerReport | undefined, announcements: CacheReader<CachedAnnouncement>): string[] {
    const node = r.metadata.name;
    if (type === 'DELETED') this.heardAt.delete(node);
    else if (type === 'MODIFIED' || this.heardAt.has(node)) this.heardAt.set(node, this.now());
    const counts = type !== 'DELETED' && this.counts(r);
    const wasCounting = this.counted.get(node) ?? false;
    this.counted.set(node, counts);
    const delta = reportDelta(type === 'ADDED' ? undefined : old?.status, type === 'DELETED' ? undefined : r.status);
    if (delta.all || counts !== wasCounting) return this.originatedBy(node, announcements);
    const keys = new Set<string>(delta.keys);
    for (const p of delta.prefixes) for (const k of this.byPrefix.get(p) ?? []) keys.add(k);
    if (delta.watermark) {
      const [from, to] = delta.watermark;
      for (const [k, rv] of this.awaiting) if (rv > from && rv <= to) keys.add(k);
    }
    return [...keys];
  }

  /** Every announcement that asks the node to originate (eligibility aside: a superset is harmless). */
  originatedBy(node: string, announcements: CacheReader<CachedAnnouncement>): string[] {
    return announcements.list().filter((va) => announcesFromNode(va, { name: node, eligible: true })).map(objectKey);
  }

  /**
   * A liveness check of one node: whether it stopped (or started) counting since last
   * looked at, and when to look again (its heartbeat going stale).
   */
  liveness(node: string): { changed: boolean; recheckInMs?: number } {
    const r = this.reports.get(node);
    const counts = r !== undefined && this.counts(r);
    const changed = (this.counted.get(node) ?? false) !== counts;
    this.counted.set(node, counts);
    if (!r || !counts) return { changed };
    return { changed, recheckInMs: Math.max(50, this.heard(r) + STALE_MS - this.now() + 50) };
  }
}
