// Which addresses a Service gets: a decision over the pools, what is held, and the Service's
// claim. It only reads the table; the caller records the result (table.assign) before it
// awaits anything.
//
//   requested addresses → each honoured only inside a pool that selects the Service, and only
//       when nobody holds it (or every holder may share it)
//   no request → per family the Service needs: what it holds already while a selecting pool
//       still covers it; else an address a Service with the same sharing key holds; else the
//       lowest free address of the first selecting autoAssign pool (priority order)
import { comparePools, poolContains, poolSelects, type CompiledPool, type PoolSubject } from '../api/pool';
import { ANNOTATIONS } from '../api/types';
import { formatIP, type IPFamily, type ParsedIP } from '../util/ip';
import { NO_POOL_MESSAGE } from '../intent/problem';
import { HANDMADE_PREFIX, holderNamespace, type AllocationTable, type Holder, type SharingTerms } from './allocationTable';
import type { CachedService } from '../kube/cachedKinds';

export type AllocationReason = 'NoVipPool' | 'AddressNotAllowed' | 'PoolExhausted' | 'AddressInUse' | 'NoPoolSelects';
export type FamilyPolicy = 'SingleStack' | 'PreferDualStack' | 'RequireDualStack';

export interface AllocationClaim {
  /** "namespace/name" of the Service. */
  key: string;
  subject: PoolSubject;
  /** spec.ipFamilies as the API server resolved it (primary first); empty means IPv4. */
  families: ReadonlyArray<'IPv4' | 'IPv6'>;
  policy: FamilyPolicy;
  /** vipannouncer.io/loadBalancerIPs ∪ spec.loadBalancerIP, valid ones only; undefined: none requested. */
  requested?: readonly ParsedIP[];
  /** vipannouncer.io/pool: only this pool (autoAssign or not). */
  pool?: string;
  sharing: SharingTerms;
  /** What the Service holds from an earlier automatic allocation (never a former request). */
  kept: readonly ParsedIP[];
  /** Free addresses another Service requests: never handed out automatically. */
  reserved?: (address: string) => boolean;
}

export interface AllocationFailure {
  reason: AllocationReason;
  message: string;
}

export interface Allocation {
  /** Sorted, IPv4 first. */
  addresses: ParsedIP[];
  failures: AllocationFailure[];
  mode: 'Requested' | 'Automatic';
}

export function allocate(pools: readonly CompiledPool[], table: AllocationTable, claim: AllocationClaim): Allocation {
  // Closed by default: with no pool nothing is anyone's, neither a request nor a kept address.
  if (pools.length === 0) return { addresses: [], failures: [{ reason: 'NoVipPool', message: NO_POOL_MESSAGE }], mode: claim.requested !== undefined ? 'Requested' : 'Automatic' };
  const selecting = pools.filter((p) => poolSelects(p, claim.subject) && (claim.pool === undefined || p.name === claim.pool)).sort(comparePools);
  if (claim.requested !== undefined) return honourRequests(selecting, table, claim, claim.requested);
  return assignFamilies(selecting, table, claim);
}

function honourRequests(selecting: CompiledPool[], table: AllocationTable, claim: AllocationClaim, requested: readonly ParsedIP[]): Allocation {
  const addresses: ParsedIP[] = [];
  const failures: AllocationFailure[] = [];
  const held = new Set(table.addressesOf(claim.key).map((ip) => ip.address));
  for (const ip of requested) {
    const pool = selecting.find((p) => poolContains(p, ip) && (!p.deleting || held.has(ip.address)));
    const blocker = pool && blockingHolder(table.holdersOf(ip.address), claim, true);
    if (!pool) failures.push({ reason: 'AddressNotAllowed', message: `${ip.address} is in no VipPool that selects this Service${poolNamed(claim)}` });
    else if (blocker) failures.push({ reason: 'AddressInUse', message: `${ip.address} is held by ${describeHolder(blocker)}` });
    else addresses.push(ip);
  }
  return { addresses, failures, mode: 'Requested' };
}

function assignFamilies(selecting: CompiledPool[], table: AllocationTable, claim: AllocationClaim): Allocation {
  const addresses: ParsedIP[] = [];
  const failures: AllocationFailure[] = [];
  for (const { family, required } of wantedFamilies(claim)) {
    const ip = keptAddress(selecting, table, claim, family) ?? sharedAddress(selecting, table, claim, family) ?? freeAddress(selecting, table, claim, family);
    if (ip) addresses.push(ip);
    else if (required) failures.push(familyFailure(selecting, claim, family));
  }
  // RequireDualStack: one family alone would be a Service that is only half reachable.
  if (failures.length > 0 && claim.policy === 'RequireDualStack') return { addresses: [], failures, mode: 'Automatic' };
  return { addresses, failures, mode: 'Automatic' };
}

/** The families to allocate, primary first; only the primary is required unless RequireDualStack. */
export function wantedFamilies(claim: Pick<AllocationClaim, 'families' | 'policy'>): Array<{ family: IPFamily; required: boolean }> {
  const names = claim.families.length > 0 ? claim.families : (['IPv4'] as const);
  const chosen = claim.policy === 'SingleStack' ? names.slice(0, 1) : names;
  return chosen.map((n, i) => ({ family: n === 'IPv4' ? 4 : 6, required: i === 0 || claim.policy === 'RequireDualStack' }));
}

function keptAddress(selecting: CompiledPool[], table: AllocationTable, claim: AllocationClaim, family: IPFamily): ParsedIP | undefined {
  // A pool being deleted still covers what it handed out (its finalizer waits for release).
  return claim.kept.find((ip) => ip.family === family && selecting.some((p) => poolContains(p, ip)) && !blockingHolder(table.holdersOf(ip.address), claim, false));
}

function sharedAddress(selecting: CompiledPool[], table: AllocationTable, claim: AllocationClaim, family: IPFamily): ParsedIP | undefined {
  if (claim.sharing.key === undefined) return undefined;
  for (const pool of selecting) {
    if (pool.deleting) continue;
    for (const [address, holders] of table.entries()) {
      if (!holders.some((h) => h.sharing?.key === claim.sharing.key) || blockingHolder(holders, claim, false)) continue;
      const ip = table.addressesOf(holders[0].owner).find((x) => x.address === address);
      if (ip && ip.family === family && poolContains(pool, ip)) return ip;
    }
  }
  return undefined;
}

function freeAddress(selecting: CompiledPool[], table: AllocationTable, claim: AllocationClaim, family: IPFamily): ParsedIP | undefined {
  for (const pool of selecting) {
    if (pool.deleting || !(pool.autoAssign || pool.name === claim.pool)) continue;
    for (const range of pool.ranges) {
      if (range.family !== family) continue;
      const value = table.lowestFree(range, pool.avoidBuggyIPs, claim.reserved);
      if (value !== undefined) return { address: formatIP(value, family), family, value };
    }
  }
  return undefined;
}

function familyFailure(selecting: CompiledPool[], claim: AllocationClaim, family: IPFamily): AllocationFailure {
  const offering = selecting.filter((p) => !p.deleting && (p.autoAssign || p.name === claim.pool) && p.ranges.some((r) => r.family === family));
  if (offering.length === 0) {
    return { reason: 'NoPoolSelects', message: `no VipPool with autoAssign and IPv${family} addresses selects this Service${poolNamed(claim)}` };
  }
  return { reason: 'PoolExhausted', message: `no free IPv${family} address in ${offering.map((p) => p.name).join(', ')}` };
}

/**
 * The first holder that keeps the claim off an address: another Service it may not share
 * with, or a hand-made announcement. One owner whatever the source: a hand-made holder blocks
 * every request from another namespace; in its own namespace a request beats it (the
 * namespace's own Service wins, and the hand-made one is then refused).
 */
function blockingHolder(holders: readonly Holder[], claim: AllocationClaim, requesting: boolean): Holder | undefined {
  return holders.find((h) => {
    if (h.owner === claim.key) return false;
    if (h.kind === 'manual') return !requesting || holderNamespace(h) !== claim.subject.namespace;
    return !h.sharing || !mayShare(h.sharing, claim.sharing);
  });
}

/**
 * MetalLB's rules: the same allow-shared-ip key, the same externalTrafficPolicy, no port and
 * protocol in common, and with Local the same selector. Stricter: the same namespace, since
 * a key is no secret and must not let another tenant join an address.
 */
export function mayShare(a: SharingTerms, b: SharingTerms): boolean {
  if (a.key === undefined || a.key !== b.key || a.namespace !== b.namespace || a.trafficPolicy !== b.trafficPolicy) return false;
  if (a.trafficPolicy === 'Local' && a.selector !== b.selector) return false;
  return !a.ports.some((p) => b.ports.includes(p));
}

function describeHolder(h: Holder): string {
  return h.kind === 'service' ? `Service ${h.owner}` : `VipAnnouncement ${h.owner.slice(HANDMADE_PREFIX.length)}`;
}

function poolNamed(claim: AllocationClaim): string {
  return claim.pool === undefined ? '' : ` (vipannouncer.io/pool: ${claim.pool})`;
}

/** The sharing terms of a Service, from its spec and the allow-shared-ip annotation. */
export function sharingTermsOf(svc: CachedService): SharingTerms {
  const spec = svc.spec ?? {};
  const key = svc.metadata?.annotations?.[ANNOTATIONS.allowSharedIP]?.trim();
  const selector = Object.entries(spec.selector ?? {})
    .map(([k, v]) => `${k}=${v}`)
    .sort()
    .join(',');
  return {
    ...(key ? { key } : {}),
    namespace: svc.metadata?.namespace ?? '',
    trafficPolicy: spec.externalTrafficPolicy === 'Local' ? 'Local' : 'Cluster',
    selector,
    ports: (spec.ports ?? []).map((p) => `${p.protocol ?? 'TCP'}/${p.port}`),
  };
}

/** A Service's claim; `requested` and `kept` come from desiredAnnouncement and the stored announcement. */
export function claimOf(svc: CachedService, namespaceLabels: Readonly<Record<string, string>> | undefined, requested: readonly ParsedIP[] | undefined, kept: readonly ParsedIP[]): AllocationClaim {
  const meta = svc.metadata ?? {};
  const pool = meta.annotations?.[ANNOTATIONS.pool]?.trim();
  const policy = svc.spec?.ipFamilyPolicy;
  return {
    key: `${meta.namespace ?? ''}/${meta.name ?? ''}`,
    subject: { namespace: meta.namespace ?? '', namespaceLabels, labels: meta.labels },
    families: (svc.spec?.ipFamilies ?? []).filter((f): f is 'IPv4' | 'IPv6' => f === 'IPv4' || f === 'IPv6'),
    policy: policy === 'PreferDualStack' || policy === 'RequireDualStack' ? policy : 'SingleStack',
    ...(requested !== undefined ? { requested } : {}),
    ...(pool ? { pool } : {}),
    sharing: sharingTermsOf(svc),
    kept,
  };
}
