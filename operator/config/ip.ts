// IP address helpers shared by the config validation and the speaker's pure
// decisions. Canonical text follows Go's net.IP.String() (RFC 5952: lowercase,
// longest run of zero groups compressed), because that is how gobgpd prints
// prefixes back to us; comparing canonical strings then never sees a spurious
// difference between "2001:DB8:0::10" in a spec and "2001:db8::10" in the RIB.
import { isIPv4, isIPv6 } from 'node:net';

import { formatIPv6 } from '../util/ip';

export type IpFamily = 4 | 6;

/** 4 or 6 for a plain IP literal; undefined otherwise (zone ids such as "fe80::1%eth0" are refused). */
export function ipFamily(text: string): IpFamily | undefined {
  if (isIPv4(text)) return 4;
  if (!text.includes('%') && isIPv6(text)) return 6;
  return undefined;
}

/** The address as 4 or 16 bytes, or undefined when it is not an IP literal. */
export function ipBytes(text: string): number[] | undefined {
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
export function canonicalIp(text: string): string | undefined {
  const b = ipBytes(text);
  if (b === undefined) return undefined;
  if (b.length === 4) return b.join('.');
  const groups: number[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(((b[i] ?? 0) << 8) | (b[i + 1] ?? 0));
  return formatIPv6(groups);
}

/** Orders IPv4 before IPv6, then numerically; non-IP text sorts last, by string. */
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

/** "203.0.113.10/32" or "2001:db8::10/128" for an address; undefined when it is not one. */
export function hostPrefix(address: string): string | undefined {
  const ip = canonicalIp(address);
  if (ip === undefined) return undefined;
  return `${ip}/${ipFamily(ip) === 4 ? 32 : 128}`;
}

/** Canonical "ip/len"; the input unchanged when it does not parse, so it still compares by text. */
export function canonicalPrefix(prefix: string): string {
  const slash = prefix.indexOf('/');
  if (slash < 0) return prefix;
  const ip = canonicalIp(prefix.slice(0, slash));
  const lenText = prefix.slice(slash + 1);
  if (ip === undefined || !/^\d{1,3}$/.test(lenText)) return prefix;
  const len = Number(lenText);
  if (len > (ipFamily(ip) === 4 ? 32 : 128)) return prefix;
  return `${ip}/${len}`;
}

/** Orders prefixes by address (IPv4 first), then by length. */
export function comparePrefix(a: string, b: string): number {
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
