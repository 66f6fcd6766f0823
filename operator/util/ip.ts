// IP address parsing that agrees with the CRD's CEL rules (isIP, ip.isCanonical,
// ip().isGlobalUnicast(), which follow Go's net/netip): an address the controller
// accepts is one the API server accepts, so a computed spec is never rejected.
import { isIP } from 'node:net';

export type IPFamily = 4 | 6;

export interface ParsedIP {
  /** Canonical text: dotted quad, or RFC 5952 (lower case, longest zero run compressed). */
  address: string;
  family: IPFamily;
  /** Numeric value, for ordering. */
  value: bigint;
}

export type IPParseResult = { ok: true; ip: ParsedIP } | { ok: false; reason: string };

/** Parses any IPv4/IPv6 literal the API server's ip() accepts (no zone, no IPv4-mapped IPv6). */
export function parseIP(text: string): IPParseResult {
  const family = isIP(text);
  if (family === 0) return { ok: false, reason: 'not an IPv4 or IPv6 address' };
  if (family === 4) {
    // node:net already rejects leading zeros, as netip does.
    const value = text.split('.').reduce((acc, octet) => (acc << 8n) | BigInt(Number(octet)), 0n);
    return { ok: true, ip: { address: text, family: 4, value } };
  }
  if (text.includes('%')) return { ok: false, reason: 'an IPv6 zone is not allowed' };
  const groups = expandIPv6(text);
  if (groups.slice(0, 5).every((g) => g === 0) && groups[5] === 0xffff) {
    return { ok: false, reason: 'an IPv4-mapped IPv6 address is not allowed; write the IPv4 address' };
  }
  const value = groups.reduce((acc, g) => (acc << 16n) | BigInt(g), 0n);
  return { ok: true, ip: { address: formatIPv6(groups), family: 6, value } };
}

/** parseIP plus the CRD's unicast rule: an address a router can be sent as a /32 or /128 route. */
export function parseAnnounceableIP(text: string): IPParseResult {
  const parsed = parseIP(text);
  if (!parsed.ok) return parsed;
  if (!isGlobalUnicast(parsed.ip)) {
    return { ok: false, reason: 'not a unicast address (unspecified, loopback, link-local, multicast or broadcast)' };
  }
  return parsed;
}

/** IPv4 before IPv6, then numeric. */
export function compareIPs(a: ParsedIP, b: ParsedIP): number {
  if (a.family !== b.family) return a.family - b.family;
  return a.value < b.value ? -1 : a.value > b.value ? 1 : 0;
}

/** The host route announced for an address: /32 or /128. */
export function hostPrefix(ip: ParsedIP): string {
  return `${ip.address}/${ip.family === 4 ? 32 : 128}`;
}

/** "addr/len" in canonical form, or undefined when it is not a prefix. */
export function canonicalPrefix(text: string): string | undefined {
  const slash = text.indexOf('/');
  if (slash < 0) return undefined;
  const parsed = parseIP(text.slice(0, slash));
  const lenText = text.slice(slash + 1);
  if (!parsed.ok || !/^[0-9]{1,3}$/.test(lenText)) return undefined;
  const len = Number(lenText);
  if (len > (parsed.ip.family === 4 ? 32 : 128)) return undefined;
  return `${parsed.ip.address}/${len}`;
}

/** The address with this numeric value, in canonical text. */
export function formatIP(value: bigint, family: IPFamily): string {
  if (family === 4) return [24n, 16n, 8n, 0n].map((s) => Number((value >> s) & 0xffn)).join('.');
  return formatIPv6([112n, 96n, 80n, 64n, 48n, 32n, 16n, 0n].map((s) => Number((value >> s) & 0xffffn)));
}

/** Same definition as Go's netip.Addr.IsGlobalUnicast (private ranges are "global" there too). */
export function isGlobalUnicast(ip: Pick<ParsedIP, 'family' | 'value'>): boolean {
  const v = ip.value;
  if (ip.family === 4) {
    const first = Number(v >> 24n);
    const second = Number((v >> 16n) & 0xffn);
    if (v === 0n || v === 0xffffffffn) return false;
    if (first === 127) return false; // loopback
    if (first >= 224 && first <= 239) return false; // multicast
    if (first === 169 && second === 254) return false; // link-local
    return true;
  }
  if (v === 0n || v === 1n) return false; // unspecified, loopback
  const top16 = Number(v >> 112n);
  if (top16 >> 8 === 0xff) return false; // multicast ff00::/8
  if ((top16 & 0xffc0) === 0xfe80) return false; // link-local fe80::/10
  return true;
}

// Input is already known valid (node:net.isIP returned 6).
function expandIPv6(text: string): number[] {
  const toGroups = (part: string): number[] => {
    if (part === '') return [];
    const out: number[] = [];
    for (const piece of part.split(':')) {
      if (piece.includes('.')) {
        const [a, b, c, d] = piece.split('.').map(Number);
        out.push((a << 8) | b, (c << 8) | d);
      } else {
        out.push(parseInt(piece, 16));
      }
    }
    return out;
  };
  const gap = text.indexOf('::');
  if (gap < 0) return toGroups(text);
  const head = toGroups(text.slice(0, gap));
  const tail = toGroups(text.slice(gap + 2));
  return [...head, ...new Array<number>(8 - head.length - tail.length).fill(0), ...tail];
}

// RFC 5952 as Go prints it: first longest run of two or more zero groups becomes "::".
export function formatIPv6(groups: number[]): string {
  let bestStart = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestStart < 0) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLen).join(':')}`;
}
