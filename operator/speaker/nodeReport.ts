// What this node reports in its VipSpeaker: the sessions, and per Established peer the
// prefixes it originates that are missing from that peer's adj-RIB-out; the prefixes it was
// asked for and does not originate; and how far it has acted on the announcements. Pure.
// Only exceptions are listed, so the report stays small however many prefixes are advertised.
import type { NotEligibleReason } from './nodePeers';
import { REPORT_LIMITS, type ReportException, type SessionReport, type VipSpeakerStatus } from '../api/vipSpeaker';
import type { Family } from '../api/families';
import type { PeerState } from '../gobgp/types';
import { canonicalIp, canonicalPrefix, compareIp, comparePrefix } from '../util/ip';
import type { NodePaths } from './pathsForNode';

/** Canonical peer address → canonical prefixes in its adj-RIB-out. */
export type AdjOutIndex = ReadonlyMap<string, ReadonlySet<string>>;

/** Canonicalizes what GoBGP listed once per report. */
export function indexAdjOut(adjOutByPeer: ReadonlyMap<string, readonly string[]>): AdjOutIndex {
  const index = new Map<string, Set<string>>();
  for (const [peer, prefixes] of adjOutByPeer) {
    const address = canonicalIp(peer) ?? peer;
    const set = index.get(address) ?? new Set<string>();
    for (const p of prefixes) set.add(canonicalPrefix(p) ?? p);
    index.set(address, set);
  }
  return index;
}

export interface ReportInput {
  /** What the last table sync made gobgpd originate. */
  current: Pick<NodePaths, 'paths' | 'refused' | 'invalid'>;
  /** The sessions gobgpd listed; undefined: gobgpd did not answer. */
  peers: readonly PeerState[] | undefined;
  /** The configured peers: shown as Unknown while gobgpd does not answer. */
  configured: readonly { address: string; asn: number; families: readonly Family[] }[];
  adjOut: AdjOutIndex;
  /** The acted-on watermark (a resourceVersion) the report claims (settledWatermark.ts). */
  watermark: number;
  /** Whether the table sync that made `current` ran with the node allowed to announce. */
  eligible: boolean;
  /** Why it was not (absent when eligible). */
  notEligibleReason?: NotEligibleReason;
  /** Whether it ran with the node draining (no Cluster-policy prefix). */
  draining?: boolean;
  /** Prefixes not listed as missing: their announcements are past the watermark (settledWatermark.ts). */
  leaveOut?: ReadonlySet<string>;
}

/** Every prefix missing from at least one Established peer's adj-RIB-out (untruncated). */
export function missingPrefixes(sessions: readonly SessionReport[]): Set<string> {
  return new Set(sessions.flatMap((s) => s.missing ?? []));
}

/**
 * The report, without heartbeatTime (the writer stamps it). `all` is sessionReports(input),
 * when the caller has it already.
 */
export function nodeReport(input: ReportInput, all: readonly SessionReport[] = sessionReports(input)): VipSpeakerStatus {
  const sessions = all.map((s) => listed(s, input.leaveOut));
  const missing = missingPrefixes(sessions);
  const exceptions = exceptionsOf(input.current);
  return {
    phase: 'Running',
    gobgpReachable: input.peers !== undefined,
    eligible: input.eligible,
    ...(input.notEligibleReason !== undefined && !input.eligible ? { notEligibleReason: input.notEligibleReason } : {}),
    ...(input.draining ? { draining: true } : {}),
    sessions: sessions.slice(0, REPORT_LIMITS.sessions),
    sessionsTotal: sessions.length,
    sessionsEstablished: sessions.filter((s) => s.state === 'Established').length,
    originated: new Set(input.current.paths.map((p) => p.prefix)).size,
    missing: Math.max(missing.size, ...sessions.map((s) => s.missingCount ?? 0)),
    exceptions: exceptions.slice(0, REPORT_LIMITS.exceptions),
    exceptionsCount: exceptions.length,
    announcementsResourceVersion: String(input.watermark),
  };
}

/** Per session, every originated prefix missing from its adj-RIB-out, untruncated and sorted. */
export function sessionReports(input: Omit<ReportInput, 'watermark' | 'leaveOut' | 'eligible'>): SessionReport[] {
  const families = new Map(input.configured.map((p) => [canonicalIp(p.address) ?? p.address, [...p.families].sort()]));
  const listed: readonly PeerState[] = input.peers ?? input.configured.map((p): PeerState => ({ address: p.address, asn: p.asn, state: 'Unknown' }));
  const seen = new Set<string>();
  const sessions: SessionReport[] = [];
  for (const p of [...listed].sort((a, b) => compareIp(a.address, b.address))) {
    const address = canonicalIp(p.address) ?? p.address;
    if (seen.has(address)) continue;
    seen.add(address);
    const out = input.adjOut.get(address) ?? new Set<string>();
    // A session that is not Established reaches no router: its state says it all.
    const fams = families.get(address) ?? [];
    const expected = [...new Set(input.current.paths.filter((x) => fams.includes(x.family)).map((x) => x.prefix))].sort(comparePrefix);
    const missing = p.state === 'Established' ? expected.filter((x) => !out.has(x)) : [];
    const bfd = p.bfd ? { bfd: p.bfd } : {};
    sessions.push({ address, asn: p.asn, state: p.state, ...bfd, families: fams, missing, missingCount: missing.length });
  }
  return sessions;
}

/** A session as reported: `leaveOut` taken out, the list truncated to the cap beside its count. */
function listed(s: SessionReport, leaveOut: ReadonlySet<string> = new Set()): SessionReport {
  const missing = (s.missing ?? []).filter((x) => !leaveOut.has(x));
  return { ...s, missing: missing.slice(0, REPORT_LIMITS.missingPerSession), missingCount: missing.length };
}

function exceptionsOf(current: ReportInput['current']): ReportException[] {
  const refused = current.refused.map((r) => ({ announcement: r.announcement, prefix: r.prefix, reason: r.reason }));
  const invalid = current.invalid.filter((v) => v.field === 'addresses').map((v) => ({ announcement: v.announcement, prefix: v.value, reason: 'Invalid' }));
  const key = (e: ReportException): string => `${e.announcement} ${e.prefix}`;
  return [...refused, ...invalid].sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
}

/** Whether two reports say something different (the heartbeat aside). */
export function reportChanged(a: VipSpeakerStatus | undefined, b: VipSpeakerStatus | undefined): boolean {
  return JSON.stringify({ ...a, heartbeatTime: undefined }) !== JSON.stringify({ ...b, heartbeatTime: undefined });
}

/**
 * Whether the change is worth writing at once: anything but the watermark, or the watermark
 * passing a revision the controller waits for (`awaited`: spec changes of announcements this
 * node originates).
 */
export function reportUrgent(before: VipSpeakerStatus | undefined, next: VipSpeakerStatus, awaited: Iterable<number>): boolean {
  return !onlyWatermarkMoved(before, next) || awaitedPassed(before, next, awaited, 1) > 0;
}

/** Nothing but the watermark (announcementsResourceVersion) differs. */
export function onlyWatermarkMoved(before: VipSpeakerStatus | undefined, next: VipSpeakerStatus): boolean {
  return !reportChanged({ ...before, announcementsResourceVersion: undefined }, { ...next, announcementsResourceVersion: undefined });
}

/** How many awaited revisions the watermark passed from `before` to `next`, counted up to `atMost` + 1. */
export function awaitedPassed(before: VipSpeakerStatus | undefined, next: VipSpeakerStatus, awaited: Iterable<number>, atMost: number): number {
  const [from, to] = [Number(before?.announcementsResourceVersion ?? 0), Number(next.announcementsResourceVersion ?? 0)];
  let passed = 0;
  for (const rv of awaited) if (rv > from && rv <= to && ++passed > atMost) break;
  return passed;
}
