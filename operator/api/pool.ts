// The VipPool API (vipannouncer.io/v1alpha1, cluster-scoped): the addresses the cluster's
// administrator hands out, to whom, and with which BGP attributes. The controller allocates
// from pools and the speakers refuse anything outside them, so both read pools through the
// helpers here (one definition of "inside a pool" and "selects").
// crds/vippools.vipannouncer.io.yaml is the schema the API server enforces.
import { formatIP, isGlobalUnicast, parseIP, type IPFamily, type ParsedIP } from '../util/ip';
import { communityParts, type CommunityKind } from './communities';
import type { Condition, ObjectMeta } from './types';

export const POOL_KIND = 'VipPool';
export const POOL_PLURAL = 'vippools';
/** Held on a pool while Services hold addresses from it: deleting waits for them. */
export const POOL_FINALIZER = 'vipannouncer.io/allocations';

/** Bounds the CRD enforces (maxItems). */
export const POOL_LIMITS = { addresses: 64, namespaces: 256, communities: 32, largeCommunities: 32 } as const;

/** metav1.LabelSelector */
export interface LabelSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: Array<{ key: string; operator: 'In' | 'NotIn' | 'Exists' | 'DoesNotExist'; values?: string[] }>;
}

export interface PoolAdvertisement {
  communities?: string[];
  largeCommunities?: string[];
  localPref?: number;
  /** Whether a Service's communities / largeCommunities / localPref annotations apply (default false). */
  allowServiceOverrides?: boolean;
  /** Whether those overrides may carry RFC 1997/7999 well-known communities such as BLACKHOLE (default false). */
  allowWellKnownCommunities?: boolean;
  /**
   * The overrides accepted, when allowServiceOverrides is true: standard communities ("ASN:value",
   * either part may be "*"), large communities ("global:local1:local2", "*" parts) and a
   * local-pref range. Absent: none of that kind is accepted (an allowlist, never a denylist).
   */
  allowedCommunities?: string[];
  allowedLargeCommunities?: string[];
  allowedLocalPref?: { min?: number; max?: number };
}

export interface VipPoolSpec {
  /** CIDRs ("192.0.2.0/24") and ranges ("192.0.2.10-192.0.2.20"), IPv4 and IPv6. */
  addresses: string[];
  /** Addresses are handed to Services that request none (default true). */
  autoAssign?: boolean;
  /** Skip IPv4 addresses ending in .0 and .255 (some clients refuse them). */
  avoidBuggyIPs?: boolean;
  serviceAllocation?: {
    /** Lower values are tried first (as MetalLB); pools without one come last. */
    priority?: number;
    namespaces?: string[];
    namespaceSelector?: LabelSelector;
    serviceSelector?: LabelSelector;
  };
  advertisement?: PoolAdvertisement;
}

export interface FamilyCount {
  allocated: number;
  /** Capped at Number.MAX_SAFE_INTEGER (an IPv6 /64 holds more). */
  free: number;
}

export interface VipPoolStatus {
  observedGeneration?: number;
  conditions?: Condition[];
  ipv4?: FamilyCount;
  ipv6?: FamilyCount;
}

export interface VipPool {
  apiVersion: 'vipannouncer.io/v1alpha1';
  kind: typeof POOL_KIND;
  metadata: ObjectMeta & { finalizers?: string[] };
  spec: VipPoolSpec;
  status?: VipPoolStatus;
}

/** Condition types the controller owns on a VipPool. */
export const POOL_CONDITION_TYPES = { ready: 'Ready', deletionBlocked: 'DeletionBlocked' } as const;

// ---------------------------------------------------------------------------------------------
// Address ranges

export interface AddressRange {
  family: IPFamily;
  first: bigint;
  last: bigint;
  /** As written in spec.addresses. */
  text: string;
}

export type RangeParse = { ok: true; range: AddressRange } | { ok: false; reason: string };

/** "a.b.c.d/len", "x::/len" or "first-last" (same family, first ≤ last). */
export function parseAddressRange(text: string): RangeParse {
  const t = text.trim();
  if (t.includes('/')) return parseCidr(t, text);
  const dash = t.indexOf('-');
  if (dash < 0) return { ok: false, reason: 'neither a CIDR nor a "first-last" range' };
  const a = parseIP(t.slice(0, dash).trim());
  const b = parseIP(t.slice(dash + 1).trim());
  if (!a.ok) return { ok: false, reason: `first address: ${a.reason}` };
  if (!b.ok) return { ok: false, reason: `last address: ${b.reason}` };
  if (a.ip.family !== b.ip.family) return { ok: false, reason: 'first and last are of different families' };
  if (a.ip.value > b.ip.value) return { ok: false, reason: 'first is after last' };
  return { ok: true, range: { family: a.ip.family, first: a.ip.value, last: b.ip.value, text } };
}

function parseCidr(t: string, text: string): RangeParse {
  const [addr, lenText] = t.split('/', 2);
  const ip = parseIP(addr);
  if (!ip.ok) return { ok: false, reason: ip.reason };
  const bits = ip.ip.family === 4 ? 32 : 128;
  const len = /^[0-9]{1,3}$/.test(lenText) ? Number(lenText) : NaN;
  if (!(len >= 0 && len <= bits)) return { ok: false, reason: `prefix length must be 0..${bits}` };
  const host = (1n << BigInt(bits - len)) - 1n;
  if ((ip.ip.value & host) !== 0n) return { ok: false, reason: `host bits set; the network is ${formatIP(ip.ip.value & ~host, ip.ip.family)}/${len}` };
  return { ok: true, range: { family: ip.ip.family, first: ip.ip.value, last: ip.ip.value | host, text } };
}

/** Whether a pool may hand out this address: unicast, and not .0/.255 when buggy IPs are avoided. */
export function usableAddress(value: bigint, family: IPFamily, avoidBuggyIPs: boolean): boolean {
  if (!isGlobalUnicast({ value, family })) return false;
  if (!avoidBuggyIPs || family !== 4) return true;
  const last = value & 0xffn;
  return last !== 0n && last !== 255n;
}

/** Usable addresses of a range, capped at Number.MAX_SAFE_INTEGER (unusable ones are few and counted exactly only in small ranges). */
export function rangeSize(r: AddressRange, avoidBuggyIPs: boolean): number {
  const size = r.last - r.first + 1n;
  if (size > 65_536n) return size > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : Number(size);
  let n = 0;
  for (let v = r.first; v <= r.last; v++) if (usableAddress(v, r.family, avoidBuggyIPs)) n++;
  return n;
}

// ---------------------------------------------------------------------------------------------
// Selectors

export function selectorMatches(sel: LabelSelector | undefined, labels: Readonly<Record<string, string>> | undefined): boolean {
  if (!sel) return true;
  const l = labels ?? {};
  for (const [k, v] of Object.entries(sel.matchLabels ?? {})) if (l[k] !== v) return false;
  return (sel.matchExpressions ?? []).every((e) => {
    const has = Object.prototype.hasOwnProperty.call(l, e.key);
    switch (e.operator) {
      case 'In':
        return has && (e.values ?? []).includes(l[e.key]);
      case 'NotIn':
        return !has || !(e.values ?? []).includes(l[e.key]);
      case 'Exists':
        return has;
      case 'DoesNotExist':
        return !has;
      default:
        return false; // an operator we do not know selects nothing
    }
  });
}

// ---------------------------------------------------------------------------------------------
// A pool, read once for the decisions

export interface CompiledPool {
  name: string;
  ranges: AddressRange[];
  /** spec.addresses entries that are not ranges (the CRD's CEL rules should make this empty). */
  invalid: Array<{ value: string; reason: string }>;
  autoAssign: boolean;
  avoidBuggyIPs: boolean;
  priority?: number;
  namespaces?: string[];
  namespaceSelector?: LabelSelector;
  serviceSelector?: LabelSelector;
  advertisement: PoolAdvertisement;
  /** Being deleted: hands out nothing new, keeps what it has until released. */
  deleting: boolean;
}

export function compilePool(pool: VipPool): CompiledPool {
  const ranges: AddressRange[] = [];
  const invalid: CompiledPool['invalid'] = [];
  for (const text of pool.spec.addresses ?? []) {
    const r = parseAddressRange(text);
    if (r.ok) ranges.push(r.range);
    else invalid.push({ value: text, reason: r.reason });
  }
  const alloc = pool.spec.serviceAllocation ?? {};
  return {
    name: pool.metadata.name,
    ranges,
    invalid,
    autoAssign: pool.spec.autoAssign ?? true,
    avoidBuggyIPs: pool.spec.avoidBuggyIPs ?? false,
    ...(alloc.priority !== undefined ? { priority: alloc.priority } : {}),
    ...(alloc.namespaces ? { namespaces: alloc.namespaces } : {}),
    ...(alloc.namespaceSelector ? { namespaceSelector: alloc.namespaceSelector } : {}),
    ...(alloc.serviceSelector ? { serviceSelector: alloc.serviceSelector } : {}),
    advertisement: pool.spec.advertisement ?? {},
    deleting: pool.metadata.deletionTimestamp !== undefined,
  };
}

/** Whether the address lies in the pool and the pool may hand it out. */
export function poolContains(pool: CompiledPool, ip: Pick<ParsedIP, 'family' | 'value'>): boolean {
  if (!usableAddress(ip.value, ip.family, pool.avoidBuggyIPs)) return false;
  return pool.ranges.some((r) => r.family === ip.family && r.first <= ip.value && ip.value <= r.last);
}

/** Who asks: a Service (its labels) or a hand-made announcement (its own labels). */
export interface PoolSubject {
  namespace: string;
  namespaceLabels: Readonly<Record<string, string>> | undefined;
  labels: Readonly<Record<string, string>> | undefined;
}

/** Every given part of serviceAllocation must match; absent parts match everything. */
export function poolSelects(pool: CompiledPool, s: PoolSubject): boolean {
  if (pool.namespaces && !pool.namespaces.includes(s.namespace)) return false;
  if (!selectorMatches(pool.namespaceSelector, s.namespaceLabels)) return false;
  return selectorMatches(pool.serviceSelector, s.labels);
}

/** Lower priority values first, pools without one last, then by name: the order allocation tries them. */
export function comparePools(a: CompiledPool, b: CompiledPool): number {
  const pa = a.priority ?? Number.POSITIVE_INFINITY;
  const pb = b.priority ?? Number.POSITIVE_INFINITY;
  if (pa !== pb) return pa < pb ? -1 : 1;
  return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
}

/** The first pool (in allocation order) that holds this address, if any. */
export function poolOf(pools: readonly CompiledPool[], ip: Pick<ParsedIP, 'family' | 'value'>): CompiledPool | undefined {
  return [...pools].sort(comparePools).find((p) => poolContains(p, ip));
}

// ---------------------------------------------------------------------------------------------
// A Service's (or announcement's) own BGP attributes under a pool: one rule for the controller,
// which reports what it leaves out, and the speakers, which leave it out again.

export interface OwnAttributes {
  communities: readonly string[];
  largeCommunities: readonly string[];
  localPref?: number;
}

export interface AttributeRefusal {
  field: 'communities' | 'largeCommunities' | 'localPref';
  value: string;
  why: string;
}

/** RFC 1997 / 7999 well-known communities (BLACKHOLE, NO_EXPORT...): 65535:x. */
export function isWellKnownCommunity(c: string): boolean {
  return c.startsWith('65535:');
}

/** "64512:*" matches 64512:x; "*" parts match anything, numeric parts must be equal. */
export function communityPatternMatches(pattern: string, value: string, kind: CommunityKind): boolean {
  const want = pattern.split(':');
  const got = communityParts(value, kind);
  if (!got || want.length !== got.length) return false;
  return want.every((w, i) => w === '*' || (/^[0-9]{1,10}$/.test(w) && Number(w) === got[i]));
}

/**
 * What of the asked attributes a pool accepts: nothing unless it allows overrides, then only
 * what its allowlists name (well-known communities also need allowWellKnownCommunities).
 */
export function acceptedAttributes(adv: PoolAdvertisement, asked: OwnAttributes): { accepted: OwnAttributes; refused: AttributeRefusal[] } {
  const refused: AttributeRefusal[] = [];
  if (adv.allowServiceOverrides !== true) {
    for (const c of asked.communities) refused.push({ field: 'communities', value: c, why: 'overrides are not allowed (advertisement.allowServiceOverrides)' });
    for (const c of asked.largeCommunities) refused.push({ field: 'largeCommunities', value: c, why: 'overrides are not allowed (advertisement.allowServiceOverrides)' });
    if (asked.localPref !== undefined) refused.push({ field: 'localPref', value: String(asked.localPref), why: 'overrides are not allowed (advertisement.allowServiceOverrides)' });
    return { accepted: { communities: [], largeCommunities: [] }, refused };
  }
  const communities = asked.communities.filter((c) => {
    if (isWellKnownCommunity(c) && adv.allowWellKnownCommunities !== true) {
      refused.push({ field: 'communities', value: c, why: 'well-known communities are not allowed (advertisement.allowWellKnownCommunities)' });
      return false;
    }
    if ((adv.allowedCommunities ?? []).some((p) => communityPatternMatches(p, c, 'standard'))) return true;
    refused.push({ field: 'communities', value: c, why: 'not in advertisement.allowedCommunities' });
    return false;
  });
  const largeCommunities = asked.largeCommunities.filter((c) => {
    if ((adv.allowedLargeCommunities ?? []).some((p) => communityPatternMatches(p, c, 'large'))) return true;
    refused.push({ field: 'largeCommunities', value: c, why: 'not in advertisement.allowedLargeCommunities' });
    return false;
  });
  const range = adv.allowedLocalPref;
  let localPref: number | undefined;
  if (asked.localPref !== undefined) {
    if (range && asked.localPref >= (range.min ?? 0) && asked.localPref <= (range.max ?? 4294967295)) localPref = asked.localPref;
    else refused.push({ field: 'localPref', value: String(asked.localPref), why: range ? `outside advertisement.allowedLocalPref ${range.min ?? 0}-${range.max ?? 4294967295}` : 'no advertisement.allowedLocalPref' });
  }
  return { accepted: { communities, largeCommunities, ...(localPref !== undefined ? { localPref } : {}) }, refused };
}

/**
 * Own attributes as far as every pool the addresses come from (poolOf) accepts them, each pool
 * in turn, with what each refused: the controller writes the result into a Service's
 * announcement, and a speaker deciding from the Service applies the same before its per-pool check.
 */
export function acceptedByPools(own: OwnAttributes, addresses: readonly Pick<ParsedIP, 'family' | 'value'>[], pools: readonly CompiledPool[]): { accepted: OwnAttributes; refusals: Array<{ pool: CompiledPool; refused: AttributeRefusal[] }> } {
  const used = [...new Set(addresses.map((ip) => poolOf(pools, ip)).filter((p): p is CompiledPool => p !== undefined))];
  let accepted = own;
  const refusals: Array<{ pool: CompiledPool; refused: AttributeRefusal[] }> = [];
  for (const pool of used) {
    const r = acceptedAttributes(pool.advertisement, accepted);
    if (r.refused.length > 0) refusals.push({ pool, refused: r.refused });
    accepted = r.accepted;
  }
  return { accepted, refusals };
}

/** `spec` with exactly these own attributes (absent when empty, as the controller writes a spec). */
export function withOwnAttributes<S extends { communities?: string[]; largeCommunities?: string[]; localPref?: number }>(spec: S, own: OwnAttributes): S {
  const out: S = { ...spec };
  delete out.communities;
  delete out.largeCommunities;
  delete out.localPref;
  if (own.communities.length > 0) out.communities = [...own.communities];
  if (own.largeCommunities.length > 0) out.largeCommunities = [...own.largeCommunities];
  if (own.localPref !== undefined) out.localPref = own.localPref;
  return out;
}

/** The own attributes a spec asks for. */
export function ownAttributesOf(spec: { communities?: readonly string[]; largeCommunities?: readonly string[]; localPref?: number }): OwnAttributes {
  return { communities: spec.communities ?? [], largeCommunities: spec.largeCommunities ?? [], ...(spec.localPref !== undefined ? { localPref: spec.localPref } : {}) };
}
