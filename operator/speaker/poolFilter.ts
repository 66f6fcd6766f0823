// The speaker's own check, once VipPools exist: it originates a prefix only inside a pool
// that selects the announcement's namespace, with that pool's BGP attributes. So a
// compromised controller or a hand edit of an announcement's spec cannot make the network
// carry an address the administrator did not hand out, nor tag it as BLACKHOLE.
//
// A hand-made announcement (no serviceRef) must also match the pool's serviceSelector with its
// own labels, and never gets an address a Service's announcement carries.
import { comparePools, compilePool, poolContains, selectorMatches, type CompiledPool, type VipPool } from '../api/pool';
import type { VipAnnouncement } from '../api/types';
import { parseIP } from '../util/ip';
import { sortCommunities } from '../api/communities';
import type { Contribution, PrefixPolicy } from './pathsForNode';

export const REFUSED = {
  notInPool: 'NotInPool',
  notSelected: 'PoolDoesNotSelect',
  heldByService: 'HeldByService',
} as const;

/** undefined while no pool exists: the speaker then announces what it is asked (the upgrade path). */
export function poolPolicy(
  pools: readonly VipPool[],
  namespaceLabels: (namespace: string) => Readonly<Record<string, string>> | undefined,
  announcements: readonly VipAnnouncement[],
): PrefixPolicy | undefined {
  if (pools.length === 0) return undefined;
  const compiled = pools.map(compilePool).sort(comparePools);
  const serviceHeld = new Set(announcements.filter((a) => a.spec.serviceRef !== undefined).flatMap((a) => (a.spec.addresses ?? []).map(canonical)));
  return {
    judge: (a, address, asked) => {
      const ip = parseIP(address);
      if (!ip.ok) return { ok: false, reason: REFUSED.notInPool };
      const containing = compiled.filter((p) => poolContains(p, ip.ip));
      if (containing.length === 0) return { ok: false, reason: REFUSED.notInPool };
      const handmade = a.spec.serviceRef === undefined;
      if (handmade && serviceHeld.has(ip.ip.address)) return { ok: false, reason: REFUSED.heldByService };
      const pool = containing.find((p) => selects(p, a, namespaceLabels, handmade));
      if (!pool) return { ok: false, reason: REFUSED.notSelected };
      return { ok: true, contribution: withPoolAttributes(pool, asked) };
    },
  };
}

function selects(pool: CompiledPool, a: VipAnnouncement, namespaceLabels: (namespace: string) => Readonly<Record<string, string>> | undefined, handmade: boolean): boolean {
  const ns = a.metadata.namespace ?? '';
  if (pool.namespaces && !pool.namespaces.includes(ns)) return false;
  if (!selectorMatches(pool.namespaceSelector, namespaceLabels(ns))) return false;
  // A Service's labels are not visible here; its announcement's serviceRef vouches for them.
  return !handmade || selectorMatches(pool.serviceSelector, a.metadata.labels);
}

/**
 * The pool's communities, plus the announcement's own where the pool allows overrides
 * (well-known ones only where it allows those too); its local-pref replaces the pool's only then.
 */
export function withPoolAttributes(pool: CompiledPool, asked: Contribution): Contribution {
  const adv = pool.advertisement;
  const own = adv.allowServiceOverrides === true;
  const ownCommunities = own ? asked.communities.filter((c) => adv.allowWellKnownCommunities === true || !c.startsWith('65535:')) : [];
  const localPref = own && asked.localPref !== undefined ? asked.localPref : adv.localPref;
  return {
    key: asked.key,
    communities: sortCommunities([...(adv.communities ?? []), ...ownCommunities]),
    largeCommunities: sortCommunities([...(adv.largeCommunities ?? []), ...(own ? asked.largeCommunities : [])], 'large'),
    ...(localPref !== undefined ? { localPref } : {}),
  };
}

function canonical(address: string): string {
  const p = parseIP(address);
  return p.ok ? p.ip.address : address;
}
