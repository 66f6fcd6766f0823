// The paths this node originates, kept from one table sync to the next so that a change
// touches only its own prefixes. Every decision (serviceAnnouncements → poolPolicy →
// pathsForNode) depends on other keys only through the addresses they share: two Services
// asking for one address, a hand-made announcement against a Service's, the namespaces claiming
// an address, announcements merged into one path per prefix. So a change is decided again over
// its component: the changed keys and, transitively, every key claiming an address one of them
// claims (before or after the change), and the result replaces that component's part of the
// previous one. Pools, namespaces, the Node and the drift check recompute everything (full());
// the property test in nodeTable.test.ts holds update() equal to full() after random changes.
import type { AddressOwnership } from './poolFilter';
import { poolPolicy } from './poolFilter';
import { pathsForNode, type NextHops, type NodeInfo, type NodePaths, type RefusedPrefix } from './pathsForNode';
import { claimedAddresses, claimsOf, serviceAnnouncements, type DraftMemo } from './serviceAnnouncements';
import { comparePaths } from './pathAttributes';
import { comparePrefix, hostPrefix } from '../util/ip';
import type { CacheReader } from '../kube/controllerDefinition';
import type { CachedEndpointSlice, CachedPool, CachedService, SpeakerAnnouncement } from '../kube/cachedKinds';
import type { PathSpec } from '../gobgp/types';

export interface TableSources {
  services: CacheReader<CachedService>;
  announcements: CacheReader<SpeakerAnnouncement>;
  slicesOf: (serviceKey: string) => readonly CachedEndpointSlice[];
  pools: readonly CachedPool[];
  namespaceLabels: (namespace: string) => Readonly<Record<string, string>> | undefined;
  ownership: AddressOwnership;
  loadBalancerClasses: readonly string[];
  node: NodeInfo;
  nextHop: NextHops;
}

export interface TableResult {
  paths: NodePaths;
  /** Prefixes whose path may differ from the previous result; undefined after a full computation. */
  touched: ReadonlySet<string> | undefined;
  /** No pool and Unenforced: every prefix goes out unchecked. */
  unenforced: boolean;
}

/**
 * Refusals the node reports: of a Service's derived announcement only the prefixes its stored
 * announcement lists (a request the controller left out is said on the Service, not by every node).
 */
export function reportedRefusals(refused: readonly RefusedPrefix[], derived: ReadonlyMap<string, unknown>, stored: (key: string) => SpeakerAnnouncement | undefined): RefusedPrefix[] {
  return refused.filter((r) => {
    if (!derived.has(r.announcement)) return true;
    const listed = stored(r.announcement)?.spec.addresses ?? [];
    return listed.some((address) => hostPrefix(address) === r.prefix);
  });
}

/** The whole decision over the given Services and announcements (all of them, or one closed component). */
function decide(src: TableSources, services: readonly CachedService[], announcements: readonly SpeakerAnnouncement[], memo: DraftMemo, scope?: { keys: ReadonlySet<string>; addresses: ReadonlySet<string> }): { paths: NodePaths; unenforced: boolean } {
  const view = serviceAnnouncements({ services, slicesOf: src.slicesOf, announcements, loadBalancerClasses: src.loadBalancerClasses }, memo, scope);
  const policy = poolPolicy(src.pools, src.namespaceLabels, view.announcements, src.ownership, view.derived);
  const paths = pathsForNode(view.announcements, src.node, src.nextHop, policy);
  return { paths: { ...paths, refused: reportedRefusals(paths.refused, view.derived, (key) => src.announcements.get(key)) }, unenforced: policy === undefined };
}

export class NodeTable {
  private current: { paths: NodePaths; unenforced: boolean } | undefined;
  /** Key → the addresses it claimed at the last computation (claimedAddresses). */
  private claimsByKey = new Map<string, readonly string[]>();
  /** Address → the keys claiming it. */
  private keysByAddress = new Map<string, Set<string>>();

  constructor(private readonly memo: DraftMemo) {}

  /** Whether update() can work from a previous result. */
  get known(): boolean {
    return this.current !== undefined;
  }

  /** Nothing previous to build on: the next call must be full(). */
  forget(): void {
    this.current = undefined;
  }

  full(src: TableSources): TableResult {
    const result = decide(src, src.services.list(), src.announcements.list(), this.memo);
    this.claimsByKey = new Map();
    this.keysByAddress = new Map();
    for (const key of new Set([...src.services.keys(), ...src.announcements.keys()])) {
      this.index(key, claimsOf(src.announcements.get(key), this.memo.latest(key)));
    }
    this.current = result;
    return { ...result, touched: undefined };
  }

  /** After changes of the Services (and their slices) and announcements of `changed` keys only. */
  update(src: TableSources, changed: ReadonlySet<string>): TableResult {
    const previous = this.current;
    if (!previous) return this.full(src);
    if (changed.size === 0) return { ...previous, touched: new Set() };
    const { keys, addresses } = this.component(src, changed);
    const services: CachedService[] = [];
    const announcements: SpeakerAnnouncement[] = [];
    for (const key of keys) {
      const svc = src.services.get(key);
      if (svc) services.push(svc);
      const a = src.announcements.get(key);
      if (a) announcements.push(a);
    }
    const part = decide(src, services, announcements, this.memo, { keys, addresses });
    for (const key of keys) this.index(key, claimsOf(src.announcements.get(key), this.memo.latest(key)));
    const paths = replaced(previous.paths, keys, part.paths);
    this.current = { paths: paths.paths, unenforced: part.unenforced };
    return { paths: paths.paths, touched: paths.touched, unenforced: part.unenforced };
  }

  /** The changed keys and every key linked to one by a claimed address, before or after the change. */
  private component(src: TableSources, changed: ReadonlySet<string>): { keys: Set<string>; addresses: Set<string> } {
    // What the changed keys claim now; every other key claims what the index says.
    const now = new Map<string, readonly string[]>();
    const claimingNow = new Map<string, Set<string>>();
    for (const key of changed) {
      const claims = claimedAddresses(key, src.services.get(key), src.slicesOf(key), src.announcements.get(key), src.loadBalancerClasses, this.memo);
      now.set(key, claims);
      for (const a of claims) claimingNow.set(a, (claimingNow.get(a) ?? new Set()).add(key));
    }
    const keys = new Set<string>();
    const addresses = new Set<string>();
    const queue = [...changed];
    for (let key = queue.pop(); key !== undefined; key = queue.pop()) {
      if (keys.has(key)) continue;
      keys.add(key);
      for (const address of [...(this.claimsByKey.get(key) ?? []), ...(now.get(key) ?? [])]) {
        if (addresses.has(address)) continue;
        addresses.add(address);
        for (const other of this.keysByAddress.get(address) ?? []) if (!keys.has(other)) queue.push(other);
        for (const other of claimingNow.get(address) ?? []) if (!keys.has(other)) queue.push(other);
      }
    }
    return { keys, addresses };
  }

  private index(key: string, claims: readonly string[]): void {
    for (const a of this.claimsByKey.get(key) ?? []) {
      const set = this.keysByAddress.get(a);
      set?.delete(key);
      if (set?.size === 0) this.keysByAddress.delete(a);
    }
    if (claims.length === 0) {
      this.claimsByKey.delete(key);
      return;
    }
    this.claimsByKey.set(key, claims);
    for (const a of claims) this.keysByAddress.set(a, (this.keysByAddress.get(a) ?? new Set()).add(key));
  }
}

/**
 * The previous result with the component's part replaced: no key outside `keys` contributes to a
 * prefix of the component (they share no address), so its prefixes are the component's alone.
 */
function replaced(previous: NodePaths, keys: ReadonlySet<string>, part: NodePaths): { paths: NodePaths; touched: Set<string> } {
  const touched = new Set<string>();
  for (const key of keys) for (const p of previous.prefixesByAnnouncement.get(key) ?? []) touched.add(p);
  for (const p of part.paths) touched.add(p.prefix);
  const paths = previous.paths.filter((p) => !touched.has(p.prefix));
  for (const p of part.paths) insertSorted(paths, p);
  const prefixesByAnnouncement = new Map(previous.prefixesByAnnouncement);
  for (const key of keys) prefixesByAnnouncement.delete(key);
  for (const [key, list] of part.prefixesByAnnouncement) prefixesByAnnouncement.set(key, list);
  const outside = <T extends { announcement: string }>(xs: readonly T[]): T[] => xs.filter((x) => !keys.has(x.announcement));
  const conflicts = [...previous.conflicts.filter((c) => !c.announcements.some((k) => keys.has(k))), ...part.conflicts].sort((a, b) => comparePrefix(a.prefix, b.prefix));
  return {
    paths: { paths, prefixesByAnnouncement, conflicts, invalid: [...outside(previous.invalid), ...part.invalid], refused: [...outside(previous.refused), ...part.refused] },
    touched,
  };
}

/** Binary insertion keeps `paths` sorted (comparePaths) without sorting all of it again. */
function insertSorted(paths: PathSpec[], p: PathSpec): void {
  let lo = 0;
  let hi = paths.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    const at = paths[mid];
    if (at !== undefined && comparePaths(at, p) < 0) lo = mid + 1;
    else hi = mid;
  }
  paths.splice(lo, 0, p);
}
