// One reconcile of the announcement controller as data: what the caches hold for one key →
// the writes to make, in order. Pure; announcementController.ts executes the plan.
//
//   Service wants an announcement, spec differs → apply the spec, then the Service ingress
//       once the spec is written (the executor stops at a refused spec); the write's own watch
//       event brings the key back, ahead of a full sync's keys, for problems and summary
//   spec as wanted → Service ingress, the Service's problems, the summary conditions
//   Service gone or not ours → delete our announcement (uid precondition), clear our ingress
//   hand-made announcement → its summary only
import { condition } from '../api/conditions';
import { allocationModeOf, isServiceAnnouncement } from '../api/announces';

export { isServiceAnnouncement };
import { ALLOCATION_ANNOTATION, API_VERSION, CONDITION_TYPES, KIND, type AllocationMode, type Condition, type VipAnnouncement, type VipAnnouncementSpec } from '../api/types';
import { conditionsEqual, summarizeAnnouncement } from './conditions';
import { clusterNodeNames, desiredAnnouncement, drainingNodeNames, eligibleNodeNames, specsEqual, type ControllerSelection } from '../intent/desiredAnnouncement';
import type { Problem } from '../intent/problem';
import type { KubeObject } from '../kube/resources';
import type { ParsedIP } from '../util/ip';
import type { Holder } from './allocationTable';
import { sharingTermsOf } from './allocator';
import { allocateService, handmadeOwner, judgeHandmade, keptAddresses, withAllocation, type Announce, type PoolView } from './poolAllocation';
import { sameList } from '../util/lists';
import { MANAGED_BY, MANAGED_BY_LABEL } from '../api/labels';
import { capEntries, speakerEntries, speakersEqual } from './speakerEntries';
import type { GenerationSeen } from './speakerReports';
import type { CachedService, CachedEndpointSlice, CachedNode, CachedAnnouncement, CachedSpeakerReport } from '../kube/cachedKinds';


export interface AnnouncementSnapshot {
  /** The reconciled key ("namespace/name"): what to release when both objects are gone. */
  key?: string;
  service?: CachedService;
  endpointSlices: readonly CachedEndpointSlice[];
  nodes: readonly CachedNode[];
  announcement?: CachedAnnouncement;
  config: ControllerSelection;
  /** The API server refused this exact spec before (422): its message. Not sent again. */
  rejected?: { spec: VipAnnouncementSpec; message: string };
  /**
   * Addresses are allocated from pools and hand-made ones judged (no pool at all: nothing is
   * allowed). Undefined only while no pool exists and addressOwnership is Unenforced.
   */
  pools?: PoolView;
  /** No pool and Unenforced: announced without an ownership check, said by the AddressOwnership condition. */
  unenforced?: boolean;
  /** The nodes' reports that count, and when this announcement's generation was first seen. */
  speakers?: SpeakerView;
  now: Date;
}

export interface SpeakerView {
  reports: readonly CachedSpeakerReport[];
  /** Undefined: never seen by this controller's watch (then every node counts as having acted). */
  generation?: GenerationSeen;
}

/**
 * How long a summary waits for a node that has not acted on a new generation before it is
 * written anyway (saying whom it waits for): a cold start writes each status once, not a
 * Pending first and Advertised a moment later.
 */
export const ACT_HOLD_MS = 2_000;

export type AnnouncementAction =
  | { kind: 'applySpec'; body: VipAnnouncement; op: 'create' | 'update'; message: string }
  | { kind: 'delete'; namespace: string | undefined; name: string; uid?: string; reason: string }
  | { kind: 'setIngress'; ips: string[] }
  | { kind: 'serviceProblems'; problems: Problem[] }
  | { kind: 'warning'; reason: string; message: string }
  | { kind: 'applySummary'; body: KubeObject & { status: object } }
  /** Look again later (a node has not acted on the generation yet). */
  | { kind: 'requeue'; afterMs: number }
  /** Some node has not acted on the revision `rv` yet: its next report enqueues this key. */
  | { kind: 'awaiting'; rv: number }
  /** Record in the allocation table; always first in a plan, so it happens before any write. */
  | { kind: 'reserve'; holder: Holder; addresses: ParsedIP[]; waiting?: boolean }
  | { kind: 'release'; owner: string }
  /** The problems of a hand-made announcement, as Events on it. */
  | { kind: 'announcementProblems'; problems: Problem[] };

export function ingressIPsOf(svc: CachedService): string[] {
  return (svc.status?.loadBalancer?.ingress ?? []).map((i) => i.ip ?? '').filter(Boolean);
}

export function planAnnouncement(s: AnnouncementSnapshot): AnnouncementAction[] {
  const { service: svc, announcement: va } = s;
  const computed = svc ? desiredAnnouncement({ service: svc, endpointSlices: s.endpointSlices, nodes: s.nodes, config: s.config, previousMode: allocationModeOf(va) }) : undefined;
  const key = s.key ?? keyOf(svc?.metadata ?? va?.metadata);
  const release: AnnouncementAction[] = s.pools && key ? [{ kind: 'release', owner: key }] : [];
  if (!computed || computed.kind === 'ignore') {
    if (!va) return release;
    if (isServiceAnnouncement(va)) return [...release, ...planWithdraw(va, svc, computed?.kind === 'ignore' ? computed.reason : 'ServiceDeleted')];
    return [...release, ...planHandmade(s, va)];
  }
  if (!svc) return [];
  if (va && !isServiceAnnouncement(va)) {
    // A hand-made announcement already holds this name: never take it over silently.
    const message = `VipAnnouncement ${va.metadata.namespace}/${va.metadata.name} exists and is not owned by this Service; leaving it alone`;
    return [...release, { kind: 'warning', reason: 'AnnouncementConflict', message }, ...planHandmade(s, va)];
  }
  if (!s.pools) return planService(s, svc, va, computed);
  const allocation = allocateService(svc, computed, va, s.pools);
  const holder: Holder = { owner: key, kind: 'service', sharing: sharingTermsOf(svc), requested: allocation.mode === 'Requested' };
  const reserve: AnnouncementAction = { kind: 'reserve', holder, addresses: allocation.addresses, waiting: allocation.failures.length > 0 };
  return [reserve, ...movedWarning(computed, keptAddresses(svc, va, s.pools.table), allocation.addresses), ...planService(s, svc, va, withAllocation(computed, allocation, s.pools.pools))];
}

/** An allocation a pool edit left outside every pool that selects the Service: said once, when it moves. */
function movedWarning(computed: Announce, kept: readonly ParsedIP[], now: readonly ParsedIP[]): AnnouncementAction[] {
  if (computed.requested !== undefined) return [];
  const dropped = kept.filter((ip) => !now.some((n) => n.address === ip.address)).map((ip) => ip.address);
  if (dropped.length === 0) return [];
  const to = now.map((ip) => ip.address).join(', ') || 'no address yet';
  return [{ kind: 'warning', reason: 'AddressReleased', message: `${dropped.join(', ')} is in no VipPool that selects this Service any more; now ${to}` }];
}

function planService(s: AnnouncementSnapshot, svc: CachedService, va: CachedAnnouncement | undefined, desired: Announce): AnnouncementAction[] {
  const problems = [...desired.problems];
  const stale = !va || !specsEqual(va.spec, desired.spec) || !ownedBy(va, svc) || allocationModeOf(va) !== desired.mode;
  const refused = s.rejected !== undefined && specsEqual(s.rejected.spec, desired.spec);
  // While a refused spec stands, the ingress keeps listing what is really announced.
  const ingress: AnnouncementAction[] = !refused && !sameList(ingressIPsOf(svc), desired.ingressIPs) ? [{ kind: 'setIngress', ips: desired.ingressIPs }] : [];
  if (stale && !refused) {
    return [{ kind: 'applySpec', body: announcementFor(svc, desired.spec, desired.mode), op: va ? 'update' : 'create', message: describeApply(va?.spec, desired.spec) }, ...ingress];
  }
  if (refused && s.rejected) problems.push({ reason: 'AnnouncementRejected', source: 'VipAnnouncement', value: '', message: s.rejected.message });
  const actions: AnnouncementAction[] = [{ kind: 'serviceProblems', problems }, ...ingress];
  return va ? [...actions, ...planSummary(s, va, problems, clusterNodeNames(s.nodes))] : actions;
}

/** A hand-made announcement: its summary; with pools, only the addresses a pool allows it count. */
function planHandmade(s: AnnouncementSnapshot, va: CachedAnnouncement): AnnouncementAction[] {
  if (!s.pools) return planSummary(s, va, [], undefined);
  const verdict = judgeHandmade(va, s.pools);
  const judged: VipAnnouncement = { ...va, spec: { ...va.spec, addresses: verdict.allowed.map((ip) => ip.address) } };
  return [
    { kind: 'reserve', holder: { owner: handmadeOwner(keyOf(va.metadata)), kind: 'manual' }, addresses: verdict.allowed },
    { kind: 'announcementProblems', problems: verdict.problems },
    ...planSummary(s, judged, verdict.problems, undefined),
  ];
}

function keyOf(meta: { namespace?: string; name?: string } | undefined): string {
  return meta?.name ? `${meta.namespace ?? ''}/${meta.name}` : '';
}

function planWithdraw(va: CachedAnnouncement, svc: CachedService | undefined, reason: string): AnnouncementAction[] {
  const actions: AnnouncementAction[] = [{ kind: 'delete', namespace: va.metadata.namespace, name: va.metadata.name, uid: va.metadata.uid, reason }];
  if (!svc) return actions;
  // Another class's controller owns the ingress now; clear only what we wrote.
  const had = va.spec.addresses ?? [];
  if (had.length > 0 && sameList(ingressIPsOf(svc), had)) actions.push({ kind: 'setIngress', ips: [] });
  return [...actions, { kind: 'serviceProblems', problems: [] }];
}

/** The summary conditions, advertisedBy and speakers, when they differ from what is stored. */
function planSummary(s: AnnouncementSnapshot, va: CachedAnnouncement, problems: readonly Problem[], eligibleNodes: readonly string[] | undefined): AnnouncementAction[] {
  const seen = s.speakers?.generation;
  const eligible = new Set(eligibleNodeNames(s.nodes));
  const draining = new Set(drainingNodeNames(s.nodes));
  const derived = speakerEntries({ va, reports: s.speakers?.reports ?? [], eligible: (n) => eligible.has(n), draining: (n) => draining.has(n), sinceRv: seen?.rv ?? 0 });
  const waiting: AnnouncementAction[] = derived.waitingFor.length > 0 && seen ? [{ kind: 'awaiting', rv: seen.rv }] : [];
  const holdLeft = seen ? seen.at + ACT_HOLD_MS - s.now.getTime() : 0;
  if (waiting.length > 0 && holdLeft > 0) return [...waiting, { kind: 'requeue', afterMs: holdLeft }];
  const previous: Condition[] = va.status?.conditions ?? [];
  const summary = summarizeAnnouncement({
    spec: va.spec,
    speakers: derived.entries,
    waitingFor: derived.waitingFor,
    eligibleNodes: va.spec.externalTrafficPolicy === 'Local' ? undefined : eligibleNodes,
    generation: va.metadata.generation,
    previousConditions: previous,
    problems,
    now: s.now,
  });
  if (s.unenforced) summary.conditions.push(unenforcedCondition(previous, va.metadata.generation, s.now));
  const { shown, omitted } = capEntries(derived.entries);
  const unchanged =
    conditionsEqual(previous, summary.conditions) &&
    va.status?.advertisedBy === summary.advertisedBy &&
    va.status?.observedGeneration === summary.observedGeneration &&
    speakersEqual(va.status?.speakers ?? [], shown) &&
    (va.status?.speakersOmitted ?? 0) === omitted;
  if (unchanged) return waiting;
  const status = {
    conditions: summary.conditions,
    advertisedBy: summary.advertisedBy,
    ...(summary.observedGeneration !== undefined ? { observedGeneration: summary.observedGeneration } : {}),
    speakers: shown,
    speakersOmitted: omitted,
  };
  return [...waiting, { kind: 'applySummary', body: { apiVersion: API_VERSION, kind: KIND, metadata: { name: va.metadata.name, namespace: va.metadata.namespace }, status } }];
}

/** The migration's opt-out, on every announcement it lets through unchecked. */
function unenforcedCondition(previous: readonly Condition[], generation: number | undefined, now: Date): Condition {
  return condition(
    CONDITION_TYPES.addressOwnership,
    { status: 'False', reason: 'Unenforced', message: 'no VipPool exists and addressOwnership is Unenforced: announced without an address-ownership check (migration only; create pools to end it)' },
    generation,
    previous,
    now,
  );
}

function ownedBy(va: CachedAnnouncement, svc: CachedService): boolean {
  return (va.metadata.ownerReferences ?? []).some((o) => o.uid === svc.metadata?.uid && o.controller === true && o.blockOwnerDeletion === true);
}

function announcementFor(svc: CachedService, spec: VipAnnouncementSpec, mode: AllocationMode): VipAnnouncement {
  const meta = svc.metadata ?? {};
  return {
    apiVersion: API_VERSION,
    kind: KIND,
    metadata: {
      name: meta.name ?? '',
      namespace: meta.namespace ?? '',
      labels: { [MANAGED_BY_LABEL]: MANAGED_BY },
      annotations: { [ALLOCATION_ANNOTATION]: mode },
      ownerReferences: [{ apiVersion: 'v1', kind: 'Service', name: meta.name ?? '', uid: meta.uid ?? '', controller: true, blockOwnerDeletion: true }],
    },
    spec,
  };
}

function describeWhere(spec: VipAnnouncementSpec): string {
  if (spec.externalTrafficPolicy === 'Local') return `Local from ${(spec.nodes ?? []).join(', ') || 'no node'}`;
  return `Cluster, ${spec.endpoints?.serving ?? 0} serving endpoints`;
}

/** The Event message of a spec write: what is announced, or what changed. */
export function describeApply(a: VipAnnouncementSpec | undefined, b: VipAnnouncementSpec): string {
  if (!a) return `announcing ${(b.addresses ?? []).join(', ') || 'no address'} (${describeWhere(b)})`;
  const parts: string[] = [];
  const [aa, ba] = [a.addresses ?? [], b.addresses ?? []];
  if (!sameList(aa, ba)) parts.push(`addresses ${aa.join(',') || '-'} → ${ba.join(',') || '-'}`);
  if (describeWhere(a) !== describeWhere(b)) parts.push(`${describeWhere(a)} → ${describeWhere(b)}`);
  if (!sameList(a.communities ?? [], b.communities ?? [])) parts.push('communities changed');
  if (!sameList(a.largeCommunities ?? [], b.largeCommunities ?? [])) parts.push('large communities changed');
  if (a.localPref !== b.localPref) parts.push(`local-pref ${a.localPref ?? '-'} → ${b.localPref ?? '-'}`);
  return parts.join('; ') || 'announcement updated';
}
