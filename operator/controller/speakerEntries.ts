// One announcement's status.speakers, derived from the nodes' VipSpeaker reports. Pure.
//
// A node contributes when its report counts (running, heartbeat fresh), the announcement's
// spec asks it to originate (announcesFromNode, as the speaker decides, with the node eligible
// by its Node and by its report's last table sync), and it has acted on
// the announcement's current generation: its watermark is at or past the revision at which
// the controller first saw that generation. A node that has not acted yet is listed in
// waitingFor and never counted as advertising: the status cannot run ahead of the speakers.
import { announcesFromNode } from '../api/announces';
import { FAMILIES, type Family } from '../api/families';
import type { SpeakerStatus } from '../api/types';
import type { SessionReport } from '../api/vipSpeaker';
import { objectKey } from '../kube/resources';
import { canonicalPrefix, comparePrefix, hostPrefix, isIpv4Mapped } from '../util/ip';
import type { CachedAnnouncement, CachedSpeakerReport } from '../kube/cachedKinds';

/** status.speakers holds at most this many entries; speakersOmitted counts the rest. */
export const MAX_SPEAKER_ENTRIES = 16;
/**
 * And at most this much JSON: 16 entries of 64 peers advertising 32 prefixes each would be
 * 1.6 MB, past etcd's object limits; with a handful of peers this never binds.
 */
export const MAX_SPEAKERS_BYTES = 128 * 1024;

export interface SpeakerEntriesInput {
  va: CachedAnnouncement;
  /** The reports that count now. */
  reports: readonly CachedSpeakerReport[];
  /** Whether a node may announce at all (its Node exists and is not excluded). */
  eligible: (node: string) => boolean;
  /** Whether a node's Node says it is draining (cordoned); absent: none is. */
  draining?: (node: string) => boolean;
  /** The revision at which the announcement's generation was first seen; 0: every node has acted on it. */
  sinceRv: number;
}

export interface SpeakerEntries {
  /** Every contributing node's entry, by node name. */
  entries: SpeakerStatus[];
  /** Nodes asked to originate that have not acted on this generation yet. */
  waitingFor: string[];
}

export function speakerEntries(input: SpeakerEntriesInput): SpeakerEntries {
  const key = objectKey(input.va);
  const entries: SpeakerStatus[] = [];
  const waitingFor: string[] = [];
  const reports = [...input.reports].sort((a, b) => cmp(a.metadata.name, b.metadata.name));
  for (const r of reports) {
    const node = r.metadata.name;
    // Both the Node and the node's own last table sync must allow it: a node just included has
    // not originated anything yet, one just excluded has been dropped already.
    const eligible = input.eligible(node) && r.status?.eligible !== false;
    // Likewise a node just uncordoned counts for Cluster policy once its own sync says so.
    const draining = (input.draining?.(node) ?? false) || r.status?.draining === true;
    if (!announcesFromNode(input.va, { name: node, eligible, draining })) continue;
    if (watermarkOf(r) < input.sinceRv) {
      waitingFor.push(node);
      continue;
    }
    const entry = entryOf(input.va, key, r);
    if (entry) entries.push(entry);
  }
  return { entries, waitingFor };
}

function watermarkOf(r: CachedSpeakerReport): number {
  const n = Number(r.status?.announcementsResourceVersion ?? 0);
  return Number.isFinite(n) ? n : 0;
}

/** The prefixes an announcement asks for, as the speaker originates them (invalid ones aside). */
export function prefixesOf(va: CachedAnnouncement): string[] {
  const prefixes = (va.spec.addresses ?? []).flatMap((a) => (isIpv4Mapped(a) ? [] : (hostPrefix(a) ?? [])));
  return [...new Set(prefixes)].sort(comparePrefix);
}

function entryOf(va: CachedAnnouncement, key: string, r: CachedSpeakerReport): SpeakerStatus | undefined {
  const st = r.status ?? {};
  const exceptions = (st.exceptions ?? []).filter((e) => e.announcement === key);
  const excluded = new Set(exceptions.map((e) => canonicalPrefix(e.prefix) ?? e.prefix));
  const asked = prefixesOf(va);
  const addresses = asked.filter((p) => !excluded.has(p));
  // Only refusals of what the announcement (as the controller judged it) asks count: an address
  // the controller already left out for want of a pool is its condition's news, not the nodes'.
  const refused = exceptions
    .filter((e) => e.reason !== 'Invalid')
    .map((e) => ({ prefix: canonicalPrefix(e.prefix) ?? e.prefix, reason: e.reason }))
    .filter((e) => asked.includes(e.prefix));
  if (addresses.length === 0 && refused.length === 0) return undefined;
  // Refusals past the report's cap are not listed: nothing of this node can be vouched for.
  const unlisted = (st.exceptionsCount ?? 0) > (st.exceptions?.length ?? 0);
  const peers = (st.sessions ?? []).map((s) => ({
    address: s.address,
    asn: s.asn,
    state: s.state,
    advertised: unlisted ? [] : advertisedTo(s, addresses),
    ...(s.bfd ? { bfd: s.bfd } : {}),
  }));
  const entry: SpeakerStatus = { node: r.metadata.name, addresses, peers };
  if (refused.length > 0) entry.refused = refused;
  return entry;
}

/** Established, of a family the peer carries, and not reported missing. */
function advertisedTo(s: SessionReport, addresses: readonly string[]): string[] {
  if (s.state !== 'Established') return [];
  const missing = s.missing ?? [];
  // A truncated list cannot tell which are missing: none is vouched for.
  if ((s.missingCount ?? 0) > missing.length) return [];
  const gone = new Set(missing.map((p) => canonicalPrefix(p) ?? p));
  const families: readonly Family[] = s.families ?? FAMILIES;
  return addresses.filter((p) => families.includes(familyOf(p)) && !gone.has(p));
}

function familyOf(prefix: string): Family {
  return prefix.includes(':') ? 'ipv6-unicast' : 'ipv4-unicast';
}

/** Whether every address of the entry is in the adj-RIB-out of some Established peer. */
export function entryAdvertises(e: SpeakerStatus): boolean {
  const out = new Set((e.peers ?? []).flatMap((p) => (p.state === 'Established' ? (p.advertised ?? []) : [])));
  return (e.addresses ?? []).length > 0 && (e.addresses ?? []).every((a) => out.has(a));
}

/** The entries written: those not advertising first (what needs a look), then by node; at most MAX_SPEAKER_ENTRIES. */
export function capEntries(entries: readonly SpeakerStatus[], max = MAX_SPEAKER_ENTRIES, maxBytes = MAX_SPEAKERS_BYTES): { shown: SpeakerStatus[]; omitted: number } {
  const ordered = [...entries].sort((a, b) => Number(entryAdvertises(a)) - Number(entryAdvertises(b)) || cmp(a.node, b.node));
  const shown: SpeakerStatus[] = [];
  let bytes = 0;
  for (const e of ordered.slice(0, max)) {
    bytes += JSON.stringify(e).length;
    if (bytes > maxBytes) break;
    shown.push(e);
  }
  return { shown, omitted: ordered.length - shown.length };
}

/** Whether stored entries (as the API server returns them) say what `next` says. */
export function speakersEqual(stored: readonly SpeakerStatus[], next: readonly SpeakerStatus[]): boolean {
  const canon = (list: readonly SpeakerStatus[]): string =>
    JSON.stringify(
      list.map((e) => ({
        node: e.node,
        addresses: e.addresses ?? [],
        refused: (e.refused ?? []).map((r) => [r.prefix, r.reason]),
        peers: (e.peers ?? []).map((p) => [p.address, p.asn, p.state, p.bfd ?? '', p.advertised ?? []]),
      })),
    );
  return canon(stored) === canon(next);
}

const cmp = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
