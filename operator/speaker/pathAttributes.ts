// Canonical forms of path attributes, so that a path computed from a spec and
// the same path read back from gobgpd compare equal. Equal paths must produce
// no GoBGP operation at all: that is what keeps a restarted speaker from
// flapping routes that stay desired.
import { canonicalIp, canonicalPrefix, comparePrefix } from '../util/ip';
import type { PathSpec } from '../gobgp/types';
import { sortCommunities } from '../api/communities';

/** GoBGP keeps one RIB per family and one local path per NLRI in it. */
export function pathKey(p: Pick<PathSpec, 'family' | 'prefix'>): string {
  return `${p.family} ${canonicalPrefix(p.prefix) ?? p.prefix}`;
}

export function normalizePath(p: PathSpec): PathSpec {
  return {
    prefix: canonicalPrefix(p.prefix) ?? p.prefix,
    family: p.family,
    nextHop: canonicalIp(p.nextHop) ?? p.nextHop,
    communities: sortCommunities(p.communities),
    largeCommunities: sortCommunities(p.largeCommunities, 'large'),
    ...(p.localPref !== undefined ? { localPref: p.localPref } : {}),
  };
}

const sameList = (a: readonly string[], b: readonly string[]): boolean =>
  a.length === b.length && a.every((x, i) => x === b[i]);

/** Same NLRI and the same attributes, after canonicalisation (extra fields such as uuid are ignored). */
export function samePath(a: PathSpec, b: PathSpec): boolean {
  const x = normalizePath(a);
  const y = normalizePath(b);
  return (
    x.prefix === y.prefix &&
    x.family === y.family &&
    x.nextHop === y.nextHop &&
    x.localPref === y.localPref &&
    sameList(x.communities, y.communities) &&
    sameList(x.largeCommunities, y.largeCommunities)
  );
}

/** IPv4 before IPv6, then by address; the order every list in these decisions is returned in. */
export function comparePaths(a: Pick<PathSpec, 'prefix'>, b: Pick<PathSpec, 'prefix'>): number {
  return comparePrefix(canonicalPrefix(a.prefix) ?? a.prefix, canonicalPrefix(b.prefix) ?? b.prefix);
}
