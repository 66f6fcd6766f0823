// The one IP address module. Canonical text follows Go (net/netip, RFC 5952:
// lower case, first longest run of zero groups compressed), because both the
// API server's CEL rules (isIP, ip.isCanonical, ip().isGlobalUnicast()) and
// gobgpd speak Go: an address the controller accepts is one the API server
// accepts, and a prefix the speaker compares never differs from gobgpd's RIB
// only in spelling. Text that is not an address yields undefined (or a reason),
// never an exception.
import { isIP, isIPv4, isIPv6 } from 'node:net';
import { memoized } from './memo';

export type IPFamily = 4 | 6;

export interface ParsedIP {
  /** Canonical text: dotted quad, or RFC 5952 (lower case, longest zero run compressed). */
  address: string;
  family: IPFamily;
  /** Numeric value, for ordering. */
  value: bigint;
}

export type IPParseResult = { ok: true; ip: ParsedIP } | { ok: false; reason: string };

/** 4 or 6 for a plain IP literal; undefined otherwise (zone ids such as "fe80::1%eth0" are refused). */
export function ipFamily(text: string): IPFamily | undefined {
  if (isIPv4(text)) return 4;
  if (!text.includes('%') && isIPv6(text)) return 6;
  return undefined;
}

/** The address as 4 or 16 bytes, or undefined when it is not an IP literal. */
export const ipBytes: (text: string) => readonly number[] | undefined = memoized((text) => {
  const bytes = parseBytes(text);
  return bytes === undefined ? undefined : Object.freeze(bytes);
});

function parseBytes(text: string): number[] | undefined {
  const family = ipFamily(text);
  if (family === 4) return text.split('.').map(Number);
  if (family !== 6) return undefined;
  let body = text.toLowerCase();
  const tail: number[] = [];
  // An embedded dotted quad ("::ffff:1.2.3.4") stands for the last two groups.
  const lastColon = body.lastIndexOf(':');
  const last = body.slice(lastColon + 1);
  if (last.includes('.')) {
    tail.push(...last.split('.').map(Number));
    body = body.slice(0, lastColon + 1) + '0:0';
  }
  const [head, rest] = body.includes('::') ? body.split('::') : [body, undefined];
  const groupsOf = (s: string): number[] => (s === '' ? [] : s.split(':').map((g) => parseInt(g, 16)));
  const left = groupsOf(head ?? '');
  const right = rest === undefined ? [] : groupsOf(rest);
  const groups = [...left, ...new Array<number>(8 - left.length - right.length).fill(0), ...right];
  const bytes = groups.flatMap((g) => [g >> 8, g & 0xff]);
  if (tail.length === 4) bytes.splice(12, 4, ...tail);
  return bytes;
}

/** True for ::ffff:a.b.c.d, which Go prints as IPv4 and no router expects as a /128. */
export function isIpv4Mapped(text: string): boolean {
  const b = ipBytes(text);
  return b !== undefined && b.length === 16 && b.slice(0, 10).every((x) => x === 0) && b[10] === 0xff && b[11] === 0xff;
}

/** The IPv4 address an IPv4-mapped IPv6 address stands for; any other text unchanged. */
export function unmappedIp(text: string): string {
  const b = ipBytes(text);
  return b !== undefined && isIpv4Mapped(text) ? b.slice(12).join('.') : text;
}

/** Canonical text of an IP literal; undefined when the text is not one. */
export const canonicalIp: (text: string) => string | undefined = memoized(canonicalOf);

function canonicalOf(text: string): string | undefined {
  const b = ipBytes(text);
  if (b === undefined) return undefined;
  if (b.length === 4) return b.join('.');
  const groups: number[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(((b[i] ?? 0) << 8) | (b[i + 1] ?? 0));
  return formatIPv6(groups);
}

/** Parses any IPv4/IPv6 literal the API server's ip() accepts (no zone, no IPv4-mapped IPv6). */
/** Memoized (util/memo.ts): the speakers parse every announcement's addresses on each table sync. The result is shared: never mutate it. */
export const parseIP: (text: string) => IPParseResult = memoized(parseIPOf);

function parseIPOf(text: string): IPParseResult {
  if (isIP(text) === 6 && text.includes('%')) return { ok: false, reason: 'an IPv6 zone is not allowed' };
  const bytes = ipBytes(text);
  const address = canonicalIp(text);
  if (bytes === undefined || address === undefined) return { ok: false, reason: 'not an IPv4 or IPv6 address' };
  if (isIpv4Mapped(text)) {
    return { ok: false, reason: 'an IPv4-mapped IPv6 address is not allowed; write the IPv4 address' };
  }
  const value = bytes.reduce((acc, b) => (acc << 8n) | BigInt(b), 0n);
  return { ok: true, ip: { address, family: bytes.length === 4 ? 4 : 6, value } };
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

/** compareIPs on text: IPv4 before IPv6, then numerically; non-IP text sorts last, by string. */
export function compareIp(a: string, b: string): number {
  const x = ipBytes(a);
  const y = ipBytes(b);
  if (x === undefined || y === undefined) {
    if (x !== undefined) return -1;
    if (y !== undefined) return 1;
    return a < b ? -1 : a > b ? 1 : 0;
  }
  if (x.length !== y.length) return x.length - y.length;
  for (let i = 0; i < x.length; i++) {
    const d = (x[i] ?? 0) - (y[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

/** The host route announced for an address, "203.0.113.10/32" or "2001:db8::10/128"; undefined when it is not one. */
export function hostPrefix(address: string): string | undefined {
  const ip = canonicalIp(address);
  if (ip === undefined) return undefined;
  return `${ip}/${ipFamily(ip) === 4 ? 32 : 128}`;
}

/** Canonical "ip/len"; undefined when the text is not a prefix (callers that compare by text fall back to it). */
export const canonicalPrefix: (text: string) => string | undefined = memoized(canonicalPrefixOf);

function canonicalPrefixOf(text: string): string | undefined {
  const slash = text.indexOf('/');
  if (slash < 0) return undefined;
  const ip = canonicalIp(text.slice(0, slash));
  const lenText = text.slice(slash + 1);
  if (ip === undefined || !/^\d{1,3}$/.test(lenText)) return undefined;
  const len = Number(lenText);
  if (len > (ipFamily(ip) === 4 ? 32 : 128)) return undefined;
  return `${ip}/${len}`;
}

/** Orders prefixes by address (IPv4 first), then by length. */
export function comparePrefix(a: string, b: string): number {
  const x = prefixSortKey(a);
  const y = prefixSortKey(b);
  if (x !== null && y !== null) return x < y ? -1 : x > y ? 1 : 0;
  return comparePrefixText(a, b);
}

/**
 * A string whose plain order is comparePrefix's for an address with an optional numeric
 * length: family, the bytes in fixed-width hex, the length zero-padded, then the text itself.
 * Null for anything else (compared the slow way).
 */
const prefixSortKey = memoized((text: string): string | null => {
  const slash = text.indexOf('/');
  const len = slash < 0 ? '' : text.slice(slash + 1);
  const bytes = ipBytes(slash < 0 ? text : text.slice(0, slash));
  if (bytes === undefined || (len !== '' && !/^\d{1,3}$/.test(len))) return null;
  const hex = bytes.map((b) => b.toString(16).padStart(2, '0')).join('');
  return `${bytes.length === 4 ? 4 : 6}${hex}/${len === '' ? '' : len.padStart(3, '0')} ${text}`;
});

function comparePrefixText(a: string, b: string): number {
  const [ia = '', la = ''] = a.split('/');
  const [ib = '', lb = ''] = b.split('/');
  return compareIp(ia, ib) || Number(la) - Number(lb) || (a < b ? -1 : a > b ? 1 : 0);
}

/** host:port with a numeric port; IPv6 hosts in brackets. */
export function splitHostPort(text: string): { host: string; port: number } | undefined {
  const m = /^(?:\[([^\]]+)\]|([^:[\]]*)):(\d{1,5})$/.exec(text);
  if (!m) return undefined;
  const port = Number(m[3]);
  if (port < 1 || port > 65535) return undefined;
  const host = m[1] ?? m[2] ?? '';
  // Brackets only around IPv6, and an IPv6 host must be bracketed (the regex ensures the latter).
  if (m[1] !== undefined && ipFamily(host) !== 6) return undefined;
  return { host, port };
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

// RFC 5952 as Go prints it: first longest run of two or more zero groups becomes "::".
function formatIPv6(groups: number[]): string {
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
