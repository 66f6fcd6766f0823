// Service annotations under vipannouncer.io/: parsed, validated and normalised.
// A bad entry is dropped and reported; the good entries of the same annotation
// still apply, so one typo never takes down the rest.
import { communityParts, compareCommunities, type CommunityKind } from '../api/communities';
import { ANNOTATIONS, SPEC_LIMITS } from '../api/types';
import { compareIPs, parseAnnounceableIP, type ParsedIP } from '../util/ip';
import type { Problem } from './problem';
import type { CachedAnnotations, VipAnnotationKey } from '../kube/cacheShape';

/**
 * RFC 1997 / 3765 / 7999 well-known communities, accepted by name (case-insensitive,
 * '_' or '-') and written to the spec as numbers, so the CRD and GoBGP see one form.
 */
export const WELL_KNOWN_COMMUNITIES: Readonly<Record<string, string>> = {
  'no-export': '65535:65281',
  'no-advertise': '65535:65282',
  'no-export-subconfed': '65535:65283',
  'no-peer': '65535:65284',
  blackhole: '65535:666',
};

const UINT32_MAX = 0xffffffff;

export interface ServiceAnnotationValues {
  /**
   * Valid addresses from loadBalancerIPs, canonical, sorted (IPv4 first), unique.
   * Undefined when the annotation is absent or blank.
   */
  loadBalancerIPs?: ParsedIP[];
  /** "a:b", numeric, sorted, unique; undefined when absent or nothing valid. */
  communities?: string[];
  /** "a:b:c", numeric, sorted, unique; undefined when absent or nothing valid. */
  largeCommunities?: string[];
  localPref?: number;
}

export interface ParsedServiceAnnotations {
  values: ServiceAnnotationValues;
  problems: Problem[];
}

/** Reads only keys under vipannouncer.io/: the caches keep no other annotation. */
export function parseServiceAnnotations(
  annotations: CachedAnnotations | undefined,
): ParsedServiceAnnotations {
  const problems: Problem[] = [];
  const values: ServiceAnnotationValues = {};
  const get = (key: VipAnnotationKey): string | undefined => {
    const v = annotations?.[key];
    return v === undefined || v.trim() === '' ? undefined : v;
  };

  const ipsText = get(ANNOTATIONS.loadBalancerIPs);
  if (ipsText !== undefined) {
    values.loadBalancerIPs = parseAddressList(ipsText, ANNOTATIONS.loadBalancerIPs, 'InvalidAddress', problems);
  }

  const communitiesText = get(ANNOTATIONS.communities);
  if (communitiesText !== undefined) {
    const list = parseTuples(communitiesText, ANNOTATIONS.communities, problems, {
      kind: 'standard',
      what: 'a community "ASN:value" with each part 0..65535, or one of ' +
        Object.keys(WELL_KNOWN_COMMUNITIES).join(', '),
      alias: (entry) => WELL_KNOWN_COMMUNITIES[entry.toLowerCase().replace(/_/g, '-')],
      limit: SPEC_LIMITS.communities,
    });
    if (list.length > 0) values.communities = list;
  }

  const largeText = get(ANNOTATIONS.largeCommunities);
  if (largeText !== undefined) {
    const list = parseTuples(largeText, ANNOTATIONS.largeCommunities, problems, {
      kind: 'large',
      what: 'a large community "global:local1:local2" with each part 0..4294967295',
      alias: () => undefined,
      limit: SPEC_LIMITS.largeCommunities,
    });
    if (list.length > 0) values.largeCommunities = list;
  }

  const prefText = get(ANNOTATIONS.localPref);
  const localPref = prefText === undefined ? undefined : parseLocalPref(prefText, problems);
  if (localPref !== undefined) values.localPref = localPref;

  return { values, problems };
}

/** An unsigned 32-bit local preference, or undefined with the problem recorded. */
function parseLocalPref(text: string, problems: Problem[]): number | undefined {
  const t = text.trim();
  const n = /^[0-9]{1,10}$/.test(t) ? Number(t) : NaN;
  if (Number.isInteger(n) && n <= UINT32_MAX) return n;
  problems.push({
    reason: 'InvalidAnnotation',
    source: ANNOTATIONS.localPref,
    value: text,
    message: `"${text}" is not a local preference (an integer 0..4294967295)`,
  });
  return undefined;
}

/** Comma-separated addresses: valid ones canonical, sorted, unique; the rest reported. */
export function parseAddressList(
  text: string,
  source: string,
  reason: Problem['reason'],
  problems: Problem[],
): ParsedIP[] {
  const byAddress = new Map<string, ParsedIP>();
  for (const entry of splitList(text)) {
    const parsed = parseAnnounceableIP(entry);
    if (parsed.ok) byAddress.set(parsed.ip.address, parsed.ip);
    else problems.push({ reason, source, value: entry, message: `"${entry}": ${parsed.reason}` });
  }
  return [...byAddress.values()].sort(compareIPs);
}

interface TupleRule {
  kind: CommunityKind;
  what: string;
  alias: (entry: string) => string | undefined;
  limit: number;
}

function parseTuples(text: string, source: string, problems: Problem[], rule: TupleRule): string[] {
  const seen = new Set<string>();
  for (const entry of splitList(text)) {
    const nums = communityParts(rule.alias(entry) ?? entry, rule.kind);
    if (nums === undefined) {
      problems.push({
        reason: 'InvalidAnnotation',
        source,
        value: entry,
        message: `"${entry}" is not ${rule.what}`,
      });
      continue;
    }
    seen.add(nums.join(':'));
  }
  const sorted = [...seen].sort(compareCommunities);
  if (sorted.length > rule.limit) {
    problems.push({
      reason: 'InvalidAnnotation',
      source,
      value: sorted.slice(rule.limit).join(','),
      message: `at most ${rule.limit} entries are allowed; ${sorted.length - rule.limit} left out`,
    });
    return sorted.slice(0, rule.limit);
  }
  return sorted;
}

/** Comma-separated, whitespace around entries ignored, empty entries (trailing comma) skipped. */
function splitList(text: string): string[] {
  return text.split(',').map((s) => s.trim()).filter((s) => s !== '');
}
