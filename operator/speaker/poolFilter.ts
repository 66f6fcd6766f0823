// The speaker's own check: it originates a prefix only inside a pool that selects the
// announcement's namespace, with that pool's BGP attributes; with no pool, nothing (closed
// by default, unless addressOwnership is Unenforced for a migration). So a
// compromised controller or a hand edit of an announcement's spec cannot make the network
// carry an address the administrator did not hand out, nor tag it as BLACKHOLE.
//
// A hand-made announcement (no serviceRef) must also match the pool's serviceSelector with its
// own labels, and never gets an address a Service's announcement carries. An address that
// announcements of two namespaces claim is announced for neither.
import { acceptedAttributes, acceptedByPools, comparePools, compilePool, poolContains, poolSelects, selectorMatches, type CompiledPool } from '../api/pool';
import { objectKey } from '../kube/resources';
import type { ServiceSubject } from './serviceAnnouncements';
import { parseIP } from '../util/ip';
import { sortCommunities } from '../api/communities';
import type { Contribution, PrefixPolicy } from './pathsForNode';
import type { SpeakerAnnouncement, CachedPool } from '../kube/cachedKinds';

export const REFUSED = {
  notInPool: 'NotInPool',
  notSelected: 'PoolDoesNotSelect',
  heldByService: 'HeldByService',
  /** Closed by default: no VipPool exists, so nothing is anyone's to announce. */
  noPool: 'NoVipPool',
  /** Announcements of two namespaces claim the address: neither is announced until one yields. */
  contested: 'ClaimedByAnotherNamespace',
} as const;

/** Enforced (the default): no pool, no announcement. Unenforced: no pool, everything valid is announced (migration only). */
export type AddressOwnership = 'Enforced' | 'Unenforced';

type Verdict = { ok: true; pool: CompiledPool } | { ok: false; reason: string };

/**
 * The pools' verdict on every (announcement, address); undefined only while no pool exists and
 * ownership is Unenforced (the speaker then announces what it is asked, as before pools).
 */
export function poolPolicy(
  pools: readonly CachedPool[],
  namespaceLabels: (namespace: string) => Readonly<Record<string, string>> | undefined,
  announcements: readonly SpeakerAnnouncement[],
  ownership: AddressOwnership = 'Enforced',
  fromServices: ReadonlyMap<string, ServiceSubject> = new Map(),
): PrefixPolicy | undefined {
  if (pools.length === 0) {
    if (ownership === 'Unenforced') return undefined;
    return { judge: () => ({ ok: false, reason: REFUSED.noPool }) };
  }
  const compiled = pools.map(compilePool).sort(comparePools);
  const serviceHeld = serviceHeldAddresses(compiled, announcements, namespaceLabels, fromServices);
  const base = (a: SpeakerAnnouncement, address: string): Verdict => {
    const ip = parseIP(address);
    if (!ip.ok) return { ok: false, reason: REFUSED.notInPool };
    const containing = compiled.filter((p) => poolContains(p, ip.ip));
    if (containing.length === 0) return { ok: false, reason: REFUSED.notInPool };
    const handmade = a.spec.serviceRef === undefined;
    if (handmade && serviceHeld.has(ip.ip.address)) return { ok: false, reason: REFUSED.heldByService };
    const service = fromServices.get(objectKey(a));
    const pool = service ? containing.find((p) => allocatable(p, a, service, namespaceLabels, ip.ip.address)) : containing.find((p) => selects(p, a, namespaceLabels, handmade));
    return pool ? { ok: true, pool } : { ok: false, reason: REFUSED.notSelected };
  };
  const claimants = claimingNamespaces(announcements, base);
  const ownAccepted = new Map<string, Contribution>();
  return {
    judge: (a, address, asked) => {
      const verdict = base(a, address);
      if (!verdict.ok) return verdict;
      if (claimants.get(canonical(address)) === SEVERAL) return { ok: false, reason: REFUSED.contested };
      const key = objectKey(a);
      if (!fromServices.has(key)) return { ok: true, contribution: withPoolAttributes(verdict.pool, asked) };
      // As the controller writes a Service's spec: own attributes only as far as the pools of all
      // its allowed addresses accept them.
      let own = ownAccepted.get(key);
      if (!own) ownAccepted.set(key, (own = acceptedOwn(asked, a.spec.addresses ?? [], compiled, (x) => base(a, x).ok)));
      return { ok: true, contribution: withPoolAttributes(verdict.pool, own) };
    },
  };
}

function acceptedOwn(asked: Contribution, addresses: readonly string[], pools: readonly CompiledPool[], allowed: (address: string) => boolean): Contribution {
  if (asked.communities.length === 0 && asked.largeCommunities.length === 0 && asked.localPref === undefined) return asked;
  const ips = addresses.filter(allowed).flatMap((x) => {
    const p = parseIP(x);
    return p.ok ? [p.ip] : [];
  });
  const { accepted } = acceptedByPools(asked, ips, pools);
  return { key: asked.key, communities: [...accepted.communities], largeCommunities: [...accepted.largeCommunities], ...(accepted.localPref !== undefined ? { localPref: accepted.localPref } : {}) };
}

/**
 * Addresses hand-made announcements may not have: those of Service announcements, and a
 * Service's request that a pool allows it (the allocator's rule: it beats a hand-made
 * announcement of its own namespace, one of another namespace blocks it), even while the request
 * waits for the controller (contested: serviceAnnouncements.ts).
 */
function serviceHeldAddresses(compiled: readonly CompiledPool[], announcements: readonly SpeakerAnnouncement[], namespaceLabels: (namespace: string) => Readonly<Record<string, string>> | undefined, fromServices: ReadonlyMap<string, ServiceSubject>): Set<string> {
  const held = new Set(announcements.filter((a) => a.spec.serviceRef !== undefined).flatMap((a) => (a.spec.addresses ?? []).map(canonical)));
  if (fromServices.size === 0) return held;
  const handmadeNamespaces = new Map<string, Set<string>>();
  for (const a of announcements) {
    if (a.spec.serviceRef !== undefined) continue;
    for (const address of a.spec.addresses ?? []) {
      const ip = parseIP(address);
      if (!ip.ok || !compiled.some((p) => poolContains(p, ip.ip) && selects(p, a, namespaceLabels, true))) continue;
      handmadeNamespaces.set(ip.ip.address, (handmadeNamespaces.get(ip.ip.address) ?? new Set()).add(a.metadata.namespace ?? ''));
    }
  }
  for (const a of announcements) {
    const service = fromServices.get(objectKey(a));
    if (!service) continue;
    const ns = a.metadata.namespace ?? '';
    for (const address of service.requested) {
      const ip = parseIP(address);
      if (!ip.ok || [...(handmadeNamespaces.get(ip.ip.address) ?? [])].some((other) => other !== ns)) continue;
      if (compiled.some((p) => poolContains(p, ip.ip) && allocatable(p, a, service, namespaceLabels, ip.ip.address))) held.add(ip.ip.address);
    }
  }
  return held;
}

/** Announcements of more than one namespace claim the address. */
export const SEVERAL = Symbol('several');

/**
 * Address → the namespace whose announcements a pool would let announce it, or SEVERAL. One owner per
 * address: the controller never lets two namespaces share one, so two claimants mean a
 * forged or stale spec, and the speakers announce neither (only passing claims count, so a
 * namespace no pool selects cannot knock another one's route out).
 */
export function claimingNamespaces(announcements: readonly SpeakerAnnouncement[], judge: (a: SpeakerAnnouncement, address: string) => { ok: boolean }): Map<string, string | typeof SEVERAL> {
  // One entry per address, a namespace or SEVERAL: no Set per address on every table sync.
  const out = new Map<string, string | typeof SEVERAL>();
  for (const a of announcements) {
    for (const address of a.spec.addresses ?? []) {
      if (!judge(a, address).ok) continue;
      const key = canonical(address);
      const ns = a.metadata.namespace ?? '';
      const had = out.get(key);
      out.set(key, had === undefined || had === ns ? ns : SEVERAL);
    }
  }
  return out;
}

function selects(pool: CompiledPool, a: SpeakerAnnouncement, namespaceLabels: (namespace: string) => Readonly<Record<string, string>> | undefined, handmade: boolean): boolean {
  const ns = a.metadata.namespace ?? '';
  if (pool.namespaces && !pool.namespaces.includes(ns)) return false;
  if (!selectorMatches(pool.namespaceSelector, namespaceLabels(ns))) return false;
  // A Service's labels are not visible here; its announcement's serviceRef vouches for them.
  return !handmade || selectorMatches(pool.serviceSelector, a.metadata.labels);
}

/**
 * For an announcement derived from its Service (no controller vouches for it yet), the
 * allocator's own rule: a pool that selects the Service by its labels too, the one it names
 * (vipannouncer.io/pool) if any, and not being deleted unless the address is held already.
 */
function allocatable(pool: CompiledPool, a: SpeakerAnnouncement, service: ServiceSubject, namespaceLabels: (namespace: string) => Readonly<Record<string, string>> | undefined, address: string): boolean {
  const namespace = a.metadata.namespace ?? '';
  if (!poolSelects(pool, { namespace, namespaceLabels: namespaceLabels(namespace), labels: service.labels })) return false;
  if (service.pool !== undefined && pool.name !== service.pool) return false;
  return !pool.deleting || service.held.has(address);
}

/**
 * The pool's communities, plus the announcement's own as far as the pool accepts them
 * (acceptedAttributes: overrides allowed and named by its allowlists); its local-pref
 * replaces the pool's only then.
 */
export function withPoolAttributes(pool: CompiledPool, asked: Contribution): Contribution {
  const adv = pool.advertisement;
  const { accepted } = acceptedAttributes(adv, asked);
  const localPref = accepted.localPref ?? adv.localPref;
  return {
    key: asked.key,
    communities: sortCommunities([...(adv.communities ?? []), ...accepted.communities]),
    largeCommunities: sortCommunities([...(adv.largeCommunities ?? []), ...accepted.largeCommunities], 'large'),
    ...(localPref !== undefined ? { localPref } : {}),
  };
}

function canonical(address: string): string {
  const p = parseIP(address);
  return p.ok ? p.ip.address : address;
}
