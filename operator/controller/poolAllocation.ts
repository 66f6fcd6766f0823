// The announcement controller's decisions over the pools (pure; the table is only read): a
// Service's addresses come from allocate(), a hand-made announcement keeps only addresses a
// pool allows it, and the table is rebuilt from the announcements when a term starts.
import { acceptedByPools, ownAttributesOf, poolContains, poolSelects, withOwnAttributes, type CompiledPool, type OwnAttributes } from '../api/pool';
import { type VipAnnouncementSpec } from '../api/types';
import { allocationModeOf } from '../api/announces';
import { parseIP, type ParsedIP } from '../util/ip';
import type { AllocationTable} from './allocationTable';
import { HANDMADE_PREFIX, holderNamespace, type Holder } from './allocationTable';
import { allocate, claimOf, mayShare, sharingTermsOf, type Allocation } from './allocator';
import type { DesiredAnnouncement } from '../intent/desiredAnnouncement';
import { NO_POOL_MESSAGE, type Problem } from '../intent/problem';
import type { CachedService, CachedAnnouncement } from '../kube/cachedKinds';

export interface PoolView {
  /** Every pool, compiled; empty: nothing is allowed (closed by default). */
  pools: readonly CompiledPool[];
  namespaceLabels(namespace: string): Readonly<Record<string, string>> | undefined;
  table: AllocationTable;
  /** Whether a Service other than `key` requests the address (RequestIndex); absent: none does. */
  requestedByAnother?: (address: string, key: string) => boolean;
}

export type Announce = Extract<DesiredAnnouncement, { kind: 'announce' }>;

/** The owner key of a hand-made announcement in the table (Services use their own key). */
export function handmadeOwner(key: string): string {
  return `${HANDMADE_PREFIX}${key}`;
}


/**
 * What the Service holds and may keep: nothing after a request (a former request is never
 * adopted); else what the table says (it is ahead of the caches); else its announcement's
 * addresses; else (no announcement yet: an upgrade, or a Service that had its address from
 * another implementation) its ingress.
 */
export function keptAddresses(svc: CachedService, va: CachedAnnouncement | undefined, table: AllocationTable): ParsedIP[] {
  const key = `${svc.metadata?.namespace ?? ''}/${svc.metadata?.name ?? ''}`;
  const known = table.holderOf(key);
  if (known?.kind === 'service') return known.requested ? [] : [...table.addressesOf(key)];
  if (va && allocationModeOf(va) === 'Requested') return [];
  const texts = va ? (va.spec.addresses ?? []) : (svc.status?.loadBalancer?.ingress ?? []).map((i) => i.ip ?? '');
  return parsedAll(texts);
}

export function allocateService(svc: CachedService, desired: Announce, va: CachedAnnouncement | undefined, view: PoolView): Allocation {
  const ns = svc.metadata?.namespace ?? '';
  const claim = claimOf(svc, view.namespaceLabels(ns), desired.requested, keptAddresses(svc, va, view.table));
  const requested = view.requestedByAnother;
  return allocate(view.pools, view.table, requested ? { ...claim, reserved: (address) => requested(address, claim.key) } : claim);
}

/** The desired announcement with the allocation's addresses, problems and pool rules. */
export function withAllocation(desired: Announce, allocation: Allocation, pools: readonly CompiledPool[]): Announce {
  const addresses = allocation.addresses.map((ip) => ip.address);
  const problems: Problem[] = [...desired.problems, ...allocation.failures.map((f) => ({ reason: f.reason, source: 'allocation', value: '', message: f.message }))];
  const spec = withPoolRules({ ...desired.spec, addresses }, allocation.addresses, pools, problems);
  return { ...desired, spec, problems, ingressIPs: addresses, mode: allocation.mode };
}

/** Where a Service's own attributes come from (its annotations), and a hand-made spec's (its fields). */
const SERVICE_ATTRIBUTES = { reason: 'InvalidAnnotation', communities: 'vipannouncer.io/communities', largeCommunities: 'vipannouncer.io/largeCommunities', localPref: 'vipannouncer.io/localPref' } as const;
const HANDMADE_ATTRIBUTES = { reason: 'AttributeNotAllowed', communities: 'spec.communities', largeCommunities: 'spec.largeCommunities', localPref: 'spec.localPref' } as const;
type AttributeSources = typeof SERVICE_ATTRIBUTES | typeof HANDMADE_ATTRIBUTES;

/**
 * Own communities, large communities and local-pref apply only as far as every pool the
 * addresses come from accepts them (acceptedAttributes: overrides allowed, and named by the
 * pool's allowlists); the rest is left out and reported. The speakers enforce the same rule.
 */
function poolAcceptedAttributes(spec: VipAnnouncementSpec, addresses: readonly ParsedIP[], pools: readonly CompiledPool[], problems: Problem[], sources: AttributeSources): OwnAttributes {
  const { accepted, refusals } = acceptedByPools(ownAttributesOf(spec), addresses, pools);
  for (const { pool, refused } of refusals) {
    for (const field of ['communities', 'largeCommunities', 'localPref'] as const) {
      const mine = refused.filter((r) => r.field === field);
      if (mine.length === 0) continue;
      const values = mine.map((r) => r.value).join(',');
      problems.push({ reason: sources.reason, source: sources[field], value: values, message: `VipPool ${pool.name} does not accept ${values}: ${[...new Set(mine.map((r) => r.why))].join('; ')}` });
    }
  }
  return accepted;
}

/** A Service's spec with only the attributes its pools accept (poolAcceptedAttributes). */
function withPoolRules(spec: VipAnnouncementSpec, addresses: readonly ParsedIP[], pools: readonly CompiledPool[], problems: Problem[]): VipAnnouncementSpec {
  return withOwnAttributes(spec, poolAcceptedAttributes(spec, addresses, pools, problems, SERVICE_ATTRIBUTES));
}

export interface HandmadeVerdict {
  allowed: ParsedIP[];
  problems: Problem[];
}

/**
 * A hand-made announcement keeps an address only inside a pool that selects it, and only while
 * no Service and no other namespace's announcement holds it (one owner, whatever the source).
 * No pool at all: nothing (closed by default).
 */
export function judgeHandmade(va: CachedAnnouncement, view: PoolView): HandmadeVerdict {
  const ns = va.metadata.namespace ?? '';
  const owner = handmadeOwner(keyOf(va));
  const subject = { namespace: ns, namespaceLabels: view.namespaceLabels(ns), labels: va.metadata.labels };
  const allowed: ParsedIP[] = [];
  const problems: Problem[] = [];
  for (const ip of parsedAll(va.spec.addresses ?? [])) {
    const inPool = view.pools.some((p) => poolSelects(p, subject) && poolContains(p, ip));
    const holders = view.table.holdersOf(ip.address);
    const service = holders.find((h) => h.kind === 'service');
    const foreign = holders.find((h) => h.owner !== owner && holderNamespace(h) !== ns);
    if (view.pools.length === 0) problems.push({ reason: 'NoVipPool', source: 'spec.addresses', value: ip.address, message: `${ip.address}: ${NO_POOL_MESSAGE}` });
    else if (!inPool) problems.push({ reason: 'AddressNotAllowed', source: 'spec.addresses', value: ip.address, message: `${ip.address} is in no VipPool that selects namespace ${ns}` });
    else if (service) problems.push({ reason: 'AddressNotAllowed', source: 'spec.addresses', value: ip.address, message: `${ip.address} is held by Service ${service.owner}` });
    else if (foreign) problems.push({ reason: 'AddressInUse', source: 'spec.addresses', value: ip.address, message: `${ip.address} is held by VipAnnouncement ${foreign.owner.slice(HANDMADE_PREFIX.length)}` });
    else allowed.push(ip);
  }
  // The speakers leave out what the pools do not accept; the announcement says so. Its pool is
  // the first one that holds the address and selects it, as the speakers pick it.
  poolAcceptedAttributes(va.spec, allowed, view.pools.filter((p) => poolSelects(p, subject)), problems, HANDMADE_ATTRIBUTES);
  return { allowed, problems };
}

/**
 * The table as the cluster records it: every announcement's addresses, Services' first (the
 * oldest announcement keeps an address two Services were given before pools existed; the
 * other gets AddressInUse when reconciled), then hand-made ones, oldest first, each keeping only
 * what no Service and no other namespace holds.
 */
export function rebuildTable(table: AllocationTable, announcements: readonly CachedAnnouncement[], serviceOf: (key: string) => CachedService | undefined, isService: (va: CachedAnnouncement) => boolean): void {
  table.clear();
  const ordered = [...announcements].sort((a, b) => Number(isService(b)) - Number(isService(a)) || cmp(a.metadata.creationTimestamp ?? '', b.metadata.creationTimestamp ?? '') || cmp(keyOf(a), keyOf(b)));
  for (const va of ordered) {
    const key = keyOf(va);
    const svc = isService(va) ? serviceOf(key) : undefined;
    const holder: Holder = isService(va)
      ? { owner: key, kind: 'service', requested: allocationModeOf(va) === 'Requested', ...(svc ? { sharing: sharingTermsOf(svc) } : {}) }
      : { owner: handmadeOwner(key), kind: 'manual' };
    const free = parsedAll(va.spec.addresses ?? []).filter((ip) =>
      holder.kind === 'manual'
        ? !table.holdersOf(ip.address).some((h) => h.kind === 'service' || holderNamespace(h) !== va.metadata.namespace)
        : !table.holdersOf(ip.address).some((h) => h.kind === 'service' && !sharable(h, holder)),
    );
    table.assign(holder, free);
  }
}

function sharable(a: Holder, b: Holder): boolean {
  return a.sharing !== undefined && b.sharing !== undefined && mayShare(a.sharing, b.sharing);
}

function parsedAll(texts: readonly string[]): ParsedIP[] {
  return texts.flatMap((t) => {
    const p = parseIP(t);
    return p.ok ? [p.ip] : [];
  });
}

function keyOf(va: CachedAnnouncement): string {
  return `${va.metadata.namespace ?? ''}/${va.metadata.name}`;
}

const cmp = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
