// BGP communities as the project writes them: standard "ASN:value" (RFC 1997,
// two 16-bit parts) and large "global:local1:local2" (RFC 8092, three 32-bit
// parts). The controller parses annotations with these rules, the speaker
// canonicalises the spec with them, and the GoBGP codec encodes with them, so
// a value one role accepts is never refused by the next.

import { memoized } from '../util/memo';

export type CommunityKind = 'standard' | 'large';

const SHAPE: Record<CommunityKind, { pattern: RegExp; max: number }> = {
  standard: { pattern: /^[0-9]{1,10}:[0-9]{1,10}$/, max: 0xffff },
  large: { pattern: /^[0-9]{1,10}:[0-9]{1,10}:[0-9]{1,10}$/, max: 0xffffffff },
};

/** The numeric parts; undefined when malformed (blanks included) or a part is out of range. */
export function communityParts(text: string, kind: CommunityKind): number[] | undefined {
  const { pattern, max } = SHAPE[kind];
  if (!pattern.test(text)) return undefined;
  const parts = text.split(':').map(Number);
  return parts.every((n) => n <= max) ? parts : undefined;
}

/** "ASN:value" without leading zeros; undefined when malformed. */
export function canonicalCommunity(text: string): string | undefined {
  return communityParts(text, 'standard')?.join(':');
}

/** "global:local1:local2" without leading zeros; undefined when malformed. */
export function canonicalLargeCommunity(text: string): string | undefined {
  return communityParts(text, 'large')?.join(':');
}

/** Numeric, part by part: "65000:20" before "65000:100" (the order routers print); text breaks ties. */
export function compareCommunities(a: string, b: string): number {
  const x = a.split(':').map(Number);
  const y = b.split(':').map(Number);
  for (let i = 0; i < Math.max(x.length, y.length); i++) {
    const d = (x[i] ?? -1) - (y[i] ?? -1);
    if (d !== 0 && !Number.isNaN(d)) return d;
  }
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Canonical, de-duplicated, sorted; malformed entries are kept verbatim so they still compare by text. */
export function sortCommunities(list: readonly string[], kind: CommunityKind = 'standard'): string[] {
  // Every path of a table passes here at each sync; most carry none or one.
  if (list.length === 0) return [];
  if (list.length === 1) return [canonicalOrSame(list[0] ?? '', kind)];
  return [...new Set(list.map((c) => canonicalOrSame(c, kind)))].sort(compareCommunities);
}

/** A cluster uses a handful of distinct communities: their canonical forms are remembered. */
const canonicalOrSameOf: Record<CommunityKind, (text: string) => string> = {
  standard: memoized((text) => canonicalCommunity(text) ?? text, 10_000),
  large: memoized((text) => canonicalLargeCommunity(text) ?? text, 10_000),
};

function canonicalOrSame(text: string, kind: CommunityKind): string {
  return canonicalOrSameOf[kind](text);
}
