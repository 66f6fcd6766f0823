// announcements + this node -> the exact set of paths this node's gobgpd must
// originate. It is recomputed from scratch from what exists (level-triggered),
// so a deleted announcement's paths go whether or not its delete event was seen.
import { comparePrefix, hostPrefix, ipFamily, isIpv4Mapped } from '../util/ip';
import { announcesFromNode, type NodeInfo } from '../api/announces';

export { announcesFromNode, type NodeInfo };
import { unicastFamily, type Family } from '../api/families';
import type { PathSpec } from '../gobgp/types';
import { canonicalCommunity, canonicalLargeCommunity, sortCommunities } from '../api/communities';
import { comparePaths } from './pathAttributes';
import { objectKey } from '../kube/resources';
import type { SpeakerAnnouncement } from '../kube/cachedKinds';

/** Absent family: 0.0.0.0 / ::, which gobgpd replaces with the session's local address. */
export interface NextHops {
  ipv4?: string;
  ipv6?: string;
}

/** Several announcements announce one address from this node with different attributes. */
export interface PathConflict {
  prefix: string;
  /** Announcement keys, sorted. */
  announcements: string[];
  message: string;
}

/** A value of an announcement that cannot be announced; it is left out, the rest still is. */
export interface InvalidValue {
  announcement: string;
  field: 'addresses' | 'communities' | 'largeCommunities';
  value: string;
  reason: string;
}

export interface NodePaths {
  /** One path per prefix, sorted (IPv4 first, then by address). */
  paths: PathSpec[];
  /** Announcement key -> sorted prefixes this node originates for it; only keys with at least one. */
  prefixesByAnnouncement: Map<string, string[]>;
  conflicts: PathConflict[];
  invalid: InvalidValue[];
  /** Prefixes no pool allows (only once VipPools exist); not announced. */
  refused: RefusedPrefix[];
}

/** What one announcement asks of one prefix. */
export interface Contribution {
  key: string;
  communities: string[];
  largeCommunities: string[];
  localPref?: number;
}

/** A prefix an announcement asked for that no pool allows it (see poolFilter.ts). */
export interface RefusedPrefix {
  announcement: string;
  prefix: string;
  reason: string;
}

/**
 * Decides each (announcement, address) once VipPools exist: refused, or allowed with the
 * attributes its pool gives it. Undefined: no pool exists, everything valid is announced.
 */
export interface PrefixPolicy {
  judge(a: SpeakerAnnouncement, address: string, asked: Contribution): { ok: true; contribution: Contribution } | { ok: false; reason: string };
}

interface Collected {
  byPrefix: Map<string, { family: Family; from: Contribution[] }>;
  prefixesByKey: Map<string, Set<string>>;
  invalid: InvalidValue[];
  refused: RefusedPrefix[];
}

export function pathsForNode(announcements: readonly SpeakerAnnouncement[], node: NodeInfo, nextHop: NextHops, policy?: PrefixPolicy): NodePaths {
  const c: Collected = { byPrefix: new Map(), prefixesByKey: new Map(), invalid: [], refused: [] };
  // Sorting by key makes every result independent of the order of the input list.
  const sorted = announcements.map((a) => ({ a, key: objectKey(a) })).sort((x, y) => cmp(x.key, y.key));
  for (const { a } of sorted) if (announcesFromNode(a, node)) collect(a, c, policy);
  const { paths, conflicts } = mergedPaths(c.byPrefix, nextHop);
  const prefixesByAnnouncement = new Map<string, string[]>();
  for (const [key, set] of c.prefixesByKey) if (set.size > 0) prefixesByAnnouncement.set(key, [...set].sort(comparePrefix));
  return { paths, prefixesByAnnouncement, conflicts, invalid: c.invalid, refused: c.refused };
}

function collect(a: SpeakerAnnouncement, c: Collected, policy: PrefixPolicy | undefined): void {
  const key = objectKey(a);
  const asked: Contribution = {
    key,
    communities: validOnly(key, 'communities', a.spec.communities ?? [], canonicalCommunity, c.invalid),
    largeCommunities: validOnly(key, 'largeCommunities', a.spec.largeCommunities ?? [], canonicalLargeCommunity, c.invalid),
    ...(a.spec.localPref !== undefined ? { localPref: a.spec.localPref } : {}),
  };
  for (const address of a.spec.addresses ?? []) {
    const prefix = hostPrefix(address);
    if (prefix === undefined || isIpv4Mapped(address)) {
      const reason = prefix === undefined ? 'not an IP address' : 'IPv4-mapped IPv6 addresses are not announced';
      c.invalid.push({ announcement: key, field: 'addresses', value: address, reason });
      continue;
    }
    let keyPrefixes = c.prefixesByKey.get(key);
    if (keyPrefixes?.has(prefix)) continue; // the same address listed twice in one spec
    const judged = policy ? policy.judge(a, address, asked) : ({ ok: true, contribution: asked } as const);
    if (!judged.ok) {
      c.refused.push({ announcement: key, prefix, reason: judged.reason });
      continue;
    }
    if (!keyPrefixes) c.prefixesByKey.set(key, (keyPrefixes = new Set()));
    keyPrefixes.add(prefix);
    const entry = c.byPrefix.get(prefix);
    if (entry) entry.from.push(judged.contribution);
    else c.byPrefix.set(prefix, { family: unicastFamily(ipFamily(address) === 4 ? 4 : 6), from: [judged.contribution] });
  }
}

function mergedPaths(byPrefix: Collected['byPrefix'], nextHop: NextHops): { paths: PathSpec[]; conflicts: PathConflict[] } {
  const paths: PathSpec[] = [];
  const conflicts: PathConflict[] = [];
  for (const [prefix, { family, from }] of byPrefix) {
    const merged = merge(from);
    paths.push({
      prefix,
      family,
      nextHop: family === 'ipv4-unicast' ? (nextHop.ipv4 ?? '0.0.0.0') : (nextHop.ipv6 ?? '::'),
      communities: merged.communities,
      largeCommunities: merged.largeCommunities,
      ...(merged.localPref !== undefined ? { localPref: merged.localPref } : {}),
    });
    if (!merged.conflict) continue;
    const keys = from.map((x) => x.key);
    conflicts.push({
      prefix,
      announcements: keys,
      message:
        `${keys.join(', ')} announce ${prefix} with different attributes; ` +
        `announced once with the union of their communities and the highest local-pref` +
        (merged.localPref !== undefined ? ` (${merged.localPref})` : ''),
    });
  }
  paths.sort(comparePaths);
  conflicts.sort((a, b) => comparePrefix(a.prefix, b.prefix));
  return { paths, conflicts };
}

/**
 * One address is one route, however many announcements ask for it. The merge
 * is order-independent: communities and large communities are united (every
 * owner's tags reach the router) and the highest local-pref wins (no owner's
 * route is made less preferred than it asked for; absent counts as "no
 * opinion"). Differing attributes are reported as a conflict to surface.
 */
function merge(from: Contribution[]): {
  communities: string[];
  largeCommunities: string[];
  localPref?: number;
  conflict: boolean;
} {
  const communities = sortCommunities(from.flatMap((c) => c.communities));
  const largeCommunities = sortCommunities(
    from.flatMap((c) => c.largeCommunities),
    'large',
  );
  const prefs = from.map((c) => c.localPref).filter((p): p is number => p !== undefined);
  const localPref = prefs.length > 0 ? Math.max(...prefs) : undefined;
  const first = from[0];
  const conflict =
    first !== undefined &&
    from.some(
      (c) =>
        c.localPref !== first.localPref ||
        c.communities.join(',') !== first.communities.join(',') ||
        c.largeCommunities.join(',') !== first.largeCommunities.join(','),
    );
  return { communities, largeCommunities, ...(localPref !== undefined ? { localPref } : {}), conflict };
}

function validOnly(
  key: string,
  field: 'communities' | 'largeCommunities',
  values: readonly string[],
  canonical: (s: string) => string | undefined,
  invalid: InvalidValue[],
): string[] {
  const ok: string[] = [];
  for (const v of values) {
    const c = canonical(v);
    if (c === undefined) invalid.push({ announcement: key, field, value: v, reason: `not a valid ${field === 'communities' ? 'community' : 'large community'}` });
    else ok.push(c);
  }
  return sortCommunities(ok, field === 'largeCommunities' ? 'large' : 'standard');
}

const cmp = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
