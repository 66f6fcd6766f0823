// What this node reports for one announcement in status.speakers: the
// prefixes it originates and, per peer, the session state and which of those
// prefixes gobgpd has in the adj-RIB-out towards that peer.
import type { PeerStatus, RefusedPrefixStatus, SpeakerStatus } from '../api/types';
import { canonicalIp, canonicalPrefix, compareIp, comparePrefix } from '../util/ip';
import type { PeerState } from '../gobgp/types';
import { kubeTime } from '../api/time';

/** Canonical peer address → canonical prefixes in its adj-RIB-out. */
export type AdjOutIndex = ReadonlyMap<string, ReadonlySet<string>>;

/** Canonicalizes what GoBGP listed once per status round (not once per announcement). */
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

/**
 * The entry for this node, or null when it originates nothing for the
 * announcement (the caller then removes its entry). `advertised` lists only
 * prefixes of this announcement, and is empty unless the session is
 * Established: an adj-RIB-out towards a peer that is down reaches no router.
 */
export function speakerEntry(
  node: string,
  prefixesOfAnnouncement: readonly string[],
  peers: readonly PeerState[],
  adjOut: AdjOutIndex,
  now: Date,
  refused: readonly RefusedPrefixStatus[] = [],
): SpeakerStatus | null {
  const addresses = uniqueSorted(prefixesOfAnnouncement);
  if (addresses.length === 0 && refused.length === 0) return null;

  const seen = new Set<string>();
  const peerStatus: PeerStatus[] = [];
  for (const p of [...peers].sort((a, b) => compareIp(a.address, b.address))) {
    const address = canonicalIp(p.address) ?? p.address;
    if (seen.has(address)) continue;
    seen.add(address);
    const out: ReadonlySet<string> = p.state === 'Established' ? (adjOut.get(address) ?? new Set<string>()) : new Set<string>();
    peerStatus.push({ address, asn: p.asn, state: p.state, advertised: addresses.filter((a) => out.has(a)), ...(p.bfd ? { bfd: p.bfd } : {}) });
  }
  const entry: SpeakerStatus = { node, addresses, peers: peerStatus, lastUpdateTime: kubeTime(now) };
  if (refused.length > 0) entry.refused = sortedRefused(refused);
  return entry;
}

/**
 * Whether every Established peer already has every address of the entry in its
 * adj-RIB-out. Right after a table change gobgpd is still sending: an entry
 * written then would be written again a moment later.
 */
export function entrySettled(entry: SpeakerStatus | null): boolean {
  if (!entry) return true;
  const want = entry.addresses?.length ?? 0;
  return (entry.peers ?? []).every((p) => p.state !== 'Established' || (p.advertised ?? []).length >= want);
}

/**
 * Whether `next` differs from what is stored, ignoring lastUpdateTime and list
 * order (the stored entry comes back from the API server), so the speaker
 * writes only when something it reports has changed.
 */
export function speakerEntryChanged(
  prev: SpeakerStatus | null | undefined,
  next: SpeakerStatus | null | undefined,
): boolean {
  if (!prev || !next) return !prev !== !next;
  return fingerprint(prev) !== fingerprint(next);
}

function fingerprint(s: SpeakerStatus): string {
  const peers = [...(s.peers ?? [])]
    .map((p) => ({
      address: canonicalIp(p.address) ?? p.address,
      asn: p.asn,
      state: p.state,
      bfd: p.bfd,
      advertised: uniqueSorted(p.advertised ?? []),
    }))
    .sort((a, b) => compareIp(a.address, b.address));
  return JSON.stringify({ node: s.node, addresses: uniqueSorted(s.addresses ?? []), peers, refused: sortedRefused(s.refused ?? []) });
}

function sortedRefused(refused: readonly RefusedPrefixStatus[]): RefusedPrefixStatus[] {
  return [...refused].map((r) => ({ prefix: canonicalPrefix(r.prefix) ?? r.prefix, reason: r.reason })).sort((a, b) => comparePrefix(a.prefix, b.prefix));
}

function uniqueSorted(prefixes: readonly string[]): string[] {
  return [...new Set(prefixes.map((p) => canonicalPrefix(p) ?? p))].sort(comparePrefix);
}
