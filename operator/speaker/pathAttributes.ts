// Canonical forms of path attributes, so that a path computed from a spec and
// the same path read back from gobgpd compare equal. Equal paths must produce
// no GoBGP operation at all: that is what keeps a restarted speaker from
// flapping routes that stay desired.
import { canonicalIp, canonicalPrefix, comparePrefix } from '../util/ip';
import type { PathSpec } from '../gobgp/types';

const STANDARD = /^(\d+):(\d+)$/;
const LARGE = /^(\d+):(\d+):(\d+)$/;

/** "ASN:value", each part 0..65535, without leading zeros; undefined when malformed. */
export function canonicalCommunity(text: string): string | undefined {
  const m = STANDARD.exec(text.trim());
  if (!m) return undefined;
  const parts = [Number(m[1]), Number(m[2])];
  return parts.every((n) => n <= 0xffff) ? parts.join(':') : undefined;
}

/** "global:local1:local2", each part 0..4294967295; undefined when malformed. */
export function canonicalLargeCommunity(text: string): string | undefined {
  const m = LARGE.exec(text.trim());
  if (!m) return undefined;
  const parts = [Number(m[1]), Number(m[2]), Number(m[3])];
  return parts.every((n) => n <= 0xffffffff) ? parts.join(':') : undefined;
}

/** Numeric, part by part: "65000:20" before "65000:100" (the order routers print). */
export function compareCommunity(a: string, b: string): number {
  const x = a.split(':').map(Number);
  const y = b.split(':').map(Number);
  for (let i = 0; i < Math.max(x.length, y.length); i++) {
    const d = (x[i] ?? -1) - (y[i] ?? -1);
    if (d !== 0 && !Number.isNaN(d)) return d;
  }
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Canonical, de-duplicated, sorted; malformed entries are kept verbatim so they still compare by text. */
export function sortCommunities(list: readonly string[], large = false): string[] {
  const canon = (c: string) => (large ? canonicalLargeCommunity(c) : canonicalCommunity(c)) ?? c;
  return [...new Set(list.map(canon))].sort(compareCommunity);
}

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
    largeCommunities: sortCommunities(p.largeCommunities, true),
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
