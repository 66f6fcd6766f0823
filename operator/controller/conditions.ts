// The controller's summary of a VipAnnouncement: what the speakers report, turned
// into metav1.Conditions. Pure; the caller applies the result by server-side apply
// and skips the write when it equals what is stored.
import { CONDITION_TYPES, type Condition, type SpeakerStatus, type VipAnnouncementSpec } from '../api/types';
import { canonicalPrefix, hostPrefix, parseIP } from '../util/ip';
import { allocationProblem, describeProblems, type Problem } from '../intent/problem';
import { kubeTime } from '../api/time';
import { sortedUnique } from '../util/lists';

export { conditionsEqual } from '../api/conditions';

export const ANNOUNCEMENT_REASONS = {
  advertised: 'Advertised',
  partiallyAdvertised: 'PartiallyAdvertised',
  notAdvertised: 'NotAdvertised',
  peersDown: 'PeersDown',
  pending: 'Pending',
  noServingEndpoints: 'NoServingEndpoints',
  noEligibleNodes: 'NoEligibleNodes',
  noAddresses: 'NoAddresses',
  invalidAddress: 'InvalidAddress',
  invalidAnnotation: 'InvalidAnnotation',
  attributeNotAllowed: 'AttributeNotAllowed',
  announcementRejected: 'AnnouncementRejected',
} as const;

/** The most serious problem names Ready's reason: a refused write, then addresses, then annotations. */
function readyReason(problems: readonly Problem[]): string {
  if (problems.some((p) => p.reason === 'AnnouncementRejected')) return ANNOUNCEMENT_REASONS.announcementRejected;
  const refused = allocationProblem(problems);
  if (refused) return refused.reason;
  if (problems.some((p) => p.reason === 'InvalidAddress')) return ANNOUNCEMENT_REASONS.invalidAddress;
  return problems.some((p) => p.reason === 'AttributeNotAllowed') ? ANNOUNCEMENT_REASONS.attributeNotAllowed : ANNOUNCEMENT_REASONS.invalidAnnotation;
}

export interface AnnouncementSummaryInput {
  spec: VipAnnouncementSpec;
  /** Every contributing node's entry (speakerEntries.ts), before the cap. */
  speakers: readonly SpeakerStatus[] | undefined;
  /** Nodes asked to originate that have not acted on this generation yet: never advertising. */
  waitingFor?: readonly string[];
  /**
   * Cluster policy: nodes whose speaker is expected to announce (see eligibleNodeNames);
   * undefined means every speaker that reports. Local policy expects spec.nodes instead.
   */
  eligibleNodes?: readonly string[];
  /** metadata.generation of the VipAnnouncement. */
  generation: number | undefined;
  previousConditions: readonly Condition[] | undefined;
  /** Inputs rejected while computing the spec (desiredAnnouncement); none for a hand-made one. */
  problems?: readonly Problem[];
  now: Date;
}

export interface AnnouncementSummary {
  /** The conditions this controller owns: Advertised, then Ready. */
  conditions: Condition[];
  /** Speakers (any node) with every address in the adj-RIB-out of an Established peer. */
  advertisedBy: number;
  observedGeneration?: number;
}

type Verdict =
  | { kind: 'advertising' }
  | { kind: 'noReport' }
  | { kind: 'notActed' }
  | { kind: 'peersDown' }
  | { kind: 'missing'; prefixes: string[] };

const MAX_LISTED = 10;
const MAX_MESSAGE = 2048;

/**
 * Advertised: True when every node in spec.nodes (Local) or at least one expected node
 * (Cluster) has every address in the adj-RIB-out of an Established peer (any peer per
 * prefix, so IPv4 and IPv6 may go to different sessions). Unknown/Pending until a
 * speaker reports. Ready: Advertised, and no input was rejected; it gives `kubectl wait`
 * and generic health tooling one condition that also catches a bad annotation which
 * does not stop the announcement.
 */
export function summarizeAnnouncement(input: AnnouncementSummaryInput): AnnouncementSummary {
  const { spec, problems = [] } = input;
  const speakers = input.speakers ?? [];
  const prefixes = (spec.addresses ?? []).flatMap((a) => (parseIP(a).ok ? (hostPrefix(a) ?? []) : []));
  const waiting = new Set(input.waitingFor ?? []);
  const byNode = new Map(speakers.map((s) => [s.node, s]));
  const verdictOf = (node: string): Verdict => (waiting.has(node) ? { kind: 'notActed' } : speakerVerdict(byNode.get(node), prefixes));
  const advertisingNodes = speakers.filter((s) => verdictOf(s.node).kind === 'advertising').map((s) => s.node);

  const advertised = advertisedCondition(input, prefixes, verdictOf, advertisingNodes);
  const ready: Pick<Condition, 'status' | 'reason' | 'message'> =
    problems.length > 0
      ? {
          status: 'False',
          reason: readyReason(problems),
          message: describeProblems(problems),
        }
      : advertised;

  const conditions = [
    toCondition(CONDITION_TYPES.advertised, advertised, input),
    toCondition(CONDITION_TYPES.ready, ready, input),
  ];
  const summary: AnnouncementSummary = { conditions, advertisedBy: advertisingNodes.length };
  if (input.generation !== undefined) summary.observedGeneration = input.generation;
  return summary;
}

type ConditionFields = Pick<Condition, 'status' | 'reason' | 'message'>;

function advertisedCondition(
  input: AnnouncementSummaryInput,
  prefixes: string[],
  verdictOf: (node: string) => Verdict,
  advertisingNodes: string[],
): ConditionFields {
  const withdrawing = advertisingNodes.length > 0 ? `; still withdrawing from ${list(advertisingNodes)}` : '';
  if (prefixes.length === 0) return nothingToAnnounce(input.problems ?? [], withdrawing);
  const expected = expectedNodes(input, withdrawing);
  if ('status' in expected) return expected;
  return judgeNodes(input, expected.nodes, verdictOf);
}

function nothingToAnnounce(problems: readonly Problem[], withdrawing: string): ConditionFields {
  const refused = allocationProblem(problems);
  if (refused) return { status: 'False', reason: refused.reason, message: `no address to announce: ${describeProblems(problems)}${withdrawing}` };
  const invalid = problems.some((p) => p.reason === 'InvalidAddress');
  return {
    status: 'False',
    reason: invalid ? ANNOUNCEMENT_REASONS.invalidAddress : ANNOUNCEMENT_REASONS.noAddresses,
    message: (invalid ? 'no valid address to announce: ' + describeProblems(problems) : 'no address to announce') + withdrawing,
  };
}

/**
 * The nodes expected to advertise (undefined: whoever reports), or the condition when the
 * spec itself says nobody can: Local without nodes, Cluster without serving endpoints.
 */
function expectedNodes(input: AnnouncementSummaryInput, withdrawing: string): { nodes: string[] | undefined } | ConditionFields {
  const { spec } = input;
  const serving = spec.endpoints?.serving;
  const noServing: ConditionFields = { status: 'False', reason: ANNOUNCEMENT_REASONS.noServingEndpoints, message: `no serving endpoint${withdrawing}` };
  if (spec.externalTrafficPolicy === 'Local') {
    const nodes = sortedUnique(spec.nodes ?? []);
    if (nodes.length > 0) return { nodes };
    if (serving === undefined || serving === 0) return noServing;
    return { status: 'False', reason: ANNOUNCEMENT_REASONS.noEligibleNodes, message: `serving endpoints run only on nodes that are excluded from load balancers or unknown${withdrawing}` };
  }
  if (serving === 0) return noServing;
  if (!input.eligibleNodes) return { nodes: undefined };
  const nodes = sortedUnique(input.eligibleNodes);
  return nodes.length > 0 ? { nodes } : { status: 'False', reason: ANNOUNCEMENT_REASONS.noEligibleNodes, message: `no node is eligible to announce${withdrawing}` };
}

/** Local: every expected node must advertise; Cluster: one is enough. */
function judgeNodes(input: AnnouncementSummaryInput, expected: string[] | undefined, verdictOf: (node: string) => Verdict): ConditionFields {
  const local = input.spec.externalTrafficPolicy === 'Local';
  const candidates = expected ?? sortedUnique([...(input.speakers ?? []).map((s) => s.node), ...(input.waitingFor ?? [])]);
  const verdicts = candidates.map((node) => ({ node, verdict: verdictOf(node) }));
  const good = verdicts.filter((v) => v.verdict.kind === 'advertising').map((v) => v.node);
  const bad = verdicts.filter((v) => v.verdict.kind !== 'advertising');
  const noun = local ? 'node' : expected ? 'eligible node' : 'reporting node';
  const of = `${good.length} of ${candidates.length} ${noun}${candidates.length === 1 ? '' : 's'}`;
  const details = bad.length > 0 ? `; ${list(bad.map((b) => `${b.node}: ${describeVerdict(b.verdict)}`))}` : '';

  if (good.length > 0 && (!local || bad.length === 0)) return { status: 'True', reason: ANNOUNCEMENT_REASONS.advertised, message: `advertised by ${of}` };
  if (good.length > 0) return { status: 'False', reason: ANNOUNCEMENT_REASONS.partiallyAdvertised, message: `advertised by ${of}${details}` };
  const reported = verdicts.filter((v) => v.verdict.kind !== 'noReport' && v.verdict.kind !== 'notActed');
  if (reported.length === 0) return pending(candidates, verdicts, input.generation);
  if (reported.every((v) => v.verdict.kind === 'peersDown')) return { status: 'False', reason: ANNOUNCEMENT_REASONS.peersDown, message: `no Established BGP peer${details}` };
  return { status: 'False', reason: ANNOUNCEMENT_REASONS.notAdvertised, message: `not in the adj-RIB-out of any Established peer${details}` };
}

function pending(candidates: string[], verdicts: { node: string; verdict: Verdict }[], generation: number | undefined): ConditionFields {
  const acting = verdicts.filter((v) => v.verdict.kind === 'notActed').map((v) => v.node);
  const silent = verdicts.filter((v) => v.verdict.kind === 'noReport').map((v) => v.node);
  const parts = [
    ...(acting.length > 0 ? [`waiting for ${list(acting)} to act on generation ${generation ?? '?'}`] : []),
    ...(silent.length > 0 ? [`waiting for a report from ${list(silent)}`] : []),
  ];
  return { status: 'Unknown', reason: ANNOUNCEMENT_REASONS.pending, message: candidates.length === 0 ? 'no speaker has reported yet' : parts.join('; ') };
}

function speakerVerdict(speaker: SpeakerStatus | undefined, prefixes: string[]): Verdict {
  if (!speaker) return { kind: 'noReport' };
  const established = (speaker.peers ?? []).filter((p) => p.state === 'Established');
  if (established.length === 0) return { kind: 'peersDown' };
  const out = new Set(established.flatMap((p) => (p.advertised ?? []).map((x) => canonicalPrefix(x) ?? x)));
  const missing = prefixes.filter((p) => !out.has(p));
  if (prefixes.length === 0 || missing.length > 0) return { kind: 'missing', prefixes: missing };
  return { kind: 'advertising' };
}

function describeVerdict(v: Verdict): string {
  switch (v.kind) {
    case 'advertising':
      return 'advertising';
    case 'noReport':
      return 'no report yet';
    case 'notActed':
      return 'has not acted on this generation yet';
    case 'peersDown':
      return 'no Established peer';
    case 'missing':
      return `${v.prefixes.join(' ')} not advertised`;
  }
}

// metav1.Condition semantics: lastTransitionTime moves only when status changes.
function toCondition(
  type: string,
  c: Pick<Condition, 'status' | 'reason' | 'message'>,
  input: AnnouncementSummaryInput,
): Condition {
  const previous = input.previousConditions?.find((p) => p.type === type);
  const condition: Condition = {
    type,
    status: c.status,
    reason: c.reason,
    message: truncate(c.message),
    lastTransitionTime:
      previous && previous.status === c.status ? previous.lastTransitionTime : kubeTime(input.now),
  };
  if (input.generation !== undefined) condition.observedGeneration = input.generation;
  return condition;
}

function list(items: string[]): string {
  const shown = items.slice(0, MAX_LISTED).join(', ');
  return items.length > MAX_LISTED ? `${shown} and ${items.length - MAX_LISTED} more` : shown;
}

function truncate(s: string): string {
  return s.length > MAX_MESSAGE ? `${s.slice(0, MAX_MESSAGE - 1)}…` : s;
}
