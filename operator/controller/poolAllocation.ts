// The announcement controller's decisions once pools exist (pure; the table is only read):
// a Service's addresses come from allocate(), a hand-made announcement keeps only addresses a
// pool allows it, and the table is rebuilt from the caches when a term starts.
import type { V1Service } from '@kubernetes/client-node';
import { poolContains, poolOf, poolSelects, type CompiledPool } from '../api/pool';
import { type AllocationMode, type VipAnnouncement, type VipAnnouncementSpec } from '../api/types';
import { parseIP, type ParsedIP } from '../util/ip';
import type { AllocationTable} from './allocationTable';
import { type Holder } from './allocationTable';
import { allocate, claimOf, mayShare, sharingTermsOf, type Allocation } from './allocator';
import type { DesiredAnnouncement } from './desiredAnnouncement';
import type { Problem } from './problem';

export interface PoolView {
  /** Every pool, compiled; non-empty (no pool: the controller runs without allocation). */
  pools: readonly CompiledPool[];
  namespaceLabels(namespace: string): Readonly<Record<string, string>> | undefined;
  table: AllocationTable;
}

export type Announce = Extract<DesiredAnnouncement, { kind: 'announce' }>;

/** The owner key of a hand-made announcement in the table (Services use their own key). */
export function handmadeOwner(key: string): string {
  return `handmade:${key}`;
}

export function allocationModeOf(va: VipAnnouncement | undefined): AllocationMode | undefined {
  const v = va?.metadata.annotations?.['vipannouncer.io/allocation'];
  return v === 'Requested' || v === 'Automatic' || v === 'Adopted' ? v : undefined;
}

/**
 * What the Service holds and may keep: nothing after a request (a former request is never
 * adopted); else what the table says (it is ahead of the caches); else its announcement's
 * addresses; else (no announcement yet: an upgrade, or a Service that had its address from
 * another implementation) its ingress.
 */
export function keptAddresses(svc: V1Service, va: VipAnnouncement | undefined, table: AllocationTable): ParsedIP[] {
  const key = `${svc.metadata?.namespace ?? ''}/${svc.metadata?.name ?? ''}`;
  const known = table.holderOf(key);
  if (known?.kind === 'service') return known.requested ? [] : [...table.addressesOf(key)];
  if (va && allocationModeOf(va) === 'Requested') return [];
  const texts = va ? (va.spec.addresses ?? []) : (svc.status?.loadBalancer?.ingress ?? []).map((i) => i.ip ?? '');
  return parsedAll(texts);
}

export function allocateService(svc: V1Service, desired: Announce, va: VipAnnouncement | undefined, view: PoolView): Allocation {
  const ns = svc.metadata?.namespace ?? '';
  const claim = claimOf(svc, view.namespaceLabels(ns), desired.requested, keptAddresses(svc, va, view.table));
  return allocate(view.pools, view.table, claim);
}

/** The desired announcement with the allocation's addresses, problems and pool rules. */
export function withAllocation(desired: Announce, allocation: Allocation, pools: readonly CompiledPool[]): Announce {
  const addresses = allocation.addresses.map((ip) => ip.address);
  const problems: Problem[] = [...desired.problems, ...allocation.failures.map((f) => ({ reason: f.reason, source: 'allocation', value: '', message: f.message }))];
  const spec = withPoolRules({ ...desired.spec, addresses }, allocation.addresses, pools, problems);
  return { ...desired, spec, problems, ingressIPs: addresses, mode: allocation.mode };
}

const ATTRIBUTE_SOURCES = { communities: 'vipannouncer.io/communities', largeCommunities: 'vipannouncer.io/largeCommunities', localPref: 'vipannouncer.io/localPref' } as const;

/**
 * A Service's own communities and local-pref apply only where every pool it has addresses
 * from allows overrides, and well-known communities (65535:x) only where they allow those
 * too; the rest is left out and reported. The speakers enforce the same rule.
 */
function withPoolRules(spec: VipAnnouncementSpec, addresses: readonly ParsedIP[], pools: readonly CompiledPool[], problems: Problem[]): VipAnnouncementSpec {
  const used = addresses.map((ip) => poolOf(pools, ip)).filter((p): p is CompiledPool => p !== undefined);
  const out: VipAnnouncementSpec = { ...spec };
  const closed = used.find((p) => !p.advertisement.allowServiceOverrides);
  for (const field of ['communities', 'largeCommunities', 'localPref'] as const) {
    if (out[field] === undefined || !closed) continue;
    delete out[field];
    problems.push({ reason: 'InvalidAnnotation', source: ATTRIBUTE_SOURCES[field], value: '', message: `VipPool ${closed.name} does not allow a Service's own BGP attributes (advertisement.allowServiceOverrides)` });
  }
  const strict = used.find((p) => !p.advertisement.allowWellKnownCommunities);
  const wellKnown = (out.communities ?? []).filter(isWellKnownCommunity);
  if (strict && wellKnown.length > 0) {
    const rest = (out.communities ?? []).filter((c) => !isWellKnownCommunity(c));
    if (rest.length > 0) out.communities = rest;
    else delete out.communities;
    problems.push({ reason: 'InvalidAnnotation', source: ATTRIBUTE_SOURCES.communities, value: wellKnown.join(','), message: `VipPool ${strict.name} does not allow well-known communities (advertisement.allowWellKnownCommunities)` });
  }
  return out;
}

export function isWellKnownCommunity(c: string): boolean {
  return c.startsWith('65535:');
}

export interface HandmadeVerdict {
  allowed: ParsedIP[];
  problems: Problem[];
}

/** A hand-made announcement keeps an address only inside a pool that selects it, and only while no Service holds it. */
export function judgeHandmade(va: VipAnnouncement, view: PoolView): HandmadeVerdict {
  const ns = va.metadata.namespace ?? '';
  const subject = { namespace: ns, namespaceLabels: view.namespaceLabels(ns), labels: va.metadata.labels };
  const allowed: ParsedIP[] = [];
  const problems: Problem[] = [];
  for (const ip of parsedAll(va.spec.addresses ?? [])) {
    const inPool = view.pools.some((p) => poolSelects(p, subject) && poolContains(p, ip));
    const service = view.table.holdersOf(ip.address).find((h) => h.kind === 'service');
    if (inPool && !service) allowed.push(ip);
    else {
      const why = service ? `is held by Service ${service.owner}` : `is in no VipPool that selects namespace ${ns}`;
      problems.push({ reason: 'AddressNotAllowed', source: 'spec.addresses', value: ip.address, message: `${ip.address} ${why}` });
    }
  }
  return { allowed, problems };
}

/**
 * The table as the cluster records it: every announcement's addresses, Services' first (the
 * oldest announcement keeps an address two Services were given before pools existed; the
 * other gets AddressInUse when reconciled), then hand-made ones.
 */
export function rebuildTable(table: AllocationTable, announcements: readonly VipAnnouncement[], serviceOf: (key: string) => V1Service | undefined, isService: (va: VipAnnouncement) => boolean): void {
  table.clear();
  const ordered = [...announcements].sort((a, b) => Number(isService(b)) - Number(isService(a)) || cmp(a.metadata.creationTimestamp ?? '', b.metadata.creationTimestamp ?? '') || cmp(keyOf(a), keyOf(b)));
  for (const va of ordered) {
    const key = keyOf(va);
    const svc = isService(va) ? serviceOf(key) : undefined;
    const holder: Holder = isService(va)
      ? { owner: key, kind: 'service', requested: allocationModeOf(va) === 'Requested', ...(svc ? { sharing: sharingTermsOf(svc) } : {}) }
      : { owner: handmadeOwner(key), kind: 'manual' };
    const free = parsedAll(va.spec.addresses ?? []).filter((ip) => holder.kind === 'manual' || !table.holdersOf(ip.address).some((h) => h.kind === 'service' && !sharable(h, holder)));
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

function keyOf(va: VipAnnouncement): string {
  return `${va.metadata.namespace ?? ''}/${va.metadata.name}`;
}

const cmp = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
