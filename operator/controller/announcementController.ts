// The announcement controller: every LoadBalancer Service it is responsible for gets one
// VipAnnouncement (same namespace and name, owned by the Service), computed from scratch from
// the caches on every reconcile, so the order in which Service, EndpointSlice, Node and
// VipAnnouncement events arrive cannot change the outcome.
//
//   reconcile(key): read caches → planAnnouncement() → execute the actions in order
import type { V1EndpointSlice, V1Node, V1Service } from '@kubernetes/client-node';
import { CONDITION_TYPES, type Condition, type VipAnnouncement, type VipAnnouncementSpec } from '../api/types';
import type { ControllerConfig } from '../config/types';
import type { CacheReader, Caches, ControllerDefinition, ReconcileContext, Watch } from '../kube/controllerDefinition';
import { watch } from '../kube/controllerDefinition';
import type { EventSink } from '../kube/eventSink';
import type { KubeWriter } from '../kube/kubeWriter';
import { isInvalid, isNotFound } from '../kube/request';
import { objectKey, Resources } from '../kube/resources';
import { errorMessage } from '../util/log';
import { LatencyTracker, metrics } from '../util/metrics';
import { EXCLUDE_FROM_LB_LABEL } from '../api/labels';
import { planAnnouncement, type AnnouncementAction } from './planAnnouncement';
import { SliceIndex } from './sliceIndex';

export const CONTROLLER_FIELD_MANAGER = 'vip-announcer-controller';
/** How long a speaker's status report waits for the other speakers' before the summary is written. */
const STATUS_COALESCE_MS = 250;

export interface AnnouncementControllerDeps {
  caches: Caches;
  writer: KubeWriter;
  events: EventSink;
  config: Pick<ControllerConfig, 'loadBalancerClasses' | 'resyncPeriodMs'>;
  now?: () => Date;
  /** Times event-to-announcement latency (tests look into it; default a new one). */
  latency?: LatencyTracker;
}

/** Announcements of one controller term: what it refused to resend, and event latencies. */
class TermState {
  constructor(readonly latency: LatencyTracker) {}
  /** Key → the spec the API server refused (422) and why; retried only when the spec changes. */
  readonly rejected = new Map<string, { spec: VipAnnouncementSpec; message: string }>();
  /** Keys of announcements whose Advertised condition is not True (the alertable gauge). */
  private readonly notAdvertised = new Set<string>();
  active = false;

  /** undefined: the announcement is gone. */
  recordAdvertised(key: string, advertised: boolean | undefined): void {
    if (advertised === false) this.notAdvertised.add(key);
    else this.notAdvertised.delete(key);
    metrics.notAdvertised.set(this.notAdvertised.size);
  }

  clear(): void {
    this.active = false;
    this.rejected.clear();
    this.latency.clear();
    this.notAdvertised.clear();
    metrics.rejectedWrites.set({ controller: 'announcement' }, 0);
    metrics.notAdvertised.set(0);
  }
}

/** Whether the announcement is Advertised, after this reconcile's summary (if any) is written. */
function advertisedNow(va: VipAnnouncement | undefined, actions: readonly AnnouncementAction[]): boolean | undefined {
  if (!va || actions.some((a) => a.kind === 'delete')) return undefined;
  const summary = actions.find((a) => a.kind === 'applySummary');
  const status = (summary?.kind === 'applySummary' ? summary.body.status : va.status) as { conditions?: Condition[] } | undefined;
  return status?.conditions?.find((c) => c.type === CONDITION_TYPES.advertised)?.status === 'True';
}

export function announcementController(deps: AnnouncementControllerDeps): ControllerDefinition {
  const services = deps.caches.informer<V1Service>(Resources.services);
  const slices = deps.caches.informer<V1EndpointSlice>(Resources.endpointSlices);
  const nodes = deps.caches.informer<V1Node>(Resources.nodes);
  const announcements = deps.caches.informer<VipAnnouncement>(Resources.vipAnnouncements);
  const index = new SliceIndex();
  const term = new TermState(deps.latency ?? new LatencyTracker());
  // Latency is measured from the first event only while this replica leads.
  const touched = (key: string | undefined): string[] => {
    if (!key) return [];
    if (term.active) term.latency.touch(key);
    return [key];
  };

  return {
    name: 'announcement',
    leaderElected: true,
    concurrency: 16,
    requeueAllPeriodMs: deps.config.resyncPeriodMs,
    watches: announcementWatches(services, index, touched),
    fullSyncKeys: () => {
      term.active = true;
      return new Set([...services.keys(), ...announcements.keys()]);
    },
    reconcile: async (key, ctx) => {
      const actions = planAnnouncement({
        service: services.get(key),
        endpointSlices: index.slicesOf(key, slices),
        nodes: nodes.list(),
        announcement: announcements.get(key),
        config: { loadBalancerClasses: deps.config.loadBalancerClasses },
        rejected: term.rejected.get(key),
        now: deps.now?.() ?? new Date(),
      });
      await executeAnnouncementPlan(actions, { ...deps, key, ctx, service: services.get(key), term });
      if (!actions.some((a) => a.kind === 'applySpec')) term.latency.forget(key);
      term.recordAdvertised(key, advertisedNow(announcements.get(key), actions));
    },
    onStop: () => term.clear(),
  };
}

/** Which keys each event concerns: For(Service), Owns(VipAnnouncement), Watches(EndpointSlice, Node). */
function announcementWatches(services: CacheReader<V1Service>, index: SliceIndex, touched: (key: string | undefined) => string[]): Watch[] {
  return [
    watch<V1Service>({ resource: Resources.services, toKeys: (_t, svc) => touched(objectKey(svc)) }),
    watch<V1EndpointSlice>({
      resource: Resources.endpointSlices,
      toKeys: (type, slice, old) => index.update(type, slice, old).flatMap(touched),
    }),
    watch<V1Node>({
      resource: Resources.nodes,
      // Only what decides eligibility matters; heartbeats would otherwise requeue everything.
      toKeys: (type, node, old) => (type === 'MODIFIED' && excluded(node) === excluded(old) ? [] : services.keys()),
    }),
    watch<VipAnnouncement>({
      resource: Resources.vipAnnouncements,
      // A status-only change (a speaker's report) waits a moment, so the reports of all
      // speakers about one announcement are summarized in one write.
      toKeys: (type, va, old) =>
        type === 'MODIFIED' && va.metadata.generation === old?.metadata.generation ? [{ key: objectKey(va), afterMs: STATUS_COALESCE_MS }] : [objectKey(va)],
    }),
  ];
}

function excluded(n: V1Node | undefined): boolean {
  return EXCLUDE_FROM_LB_LABEL in (n?.metadata?.labels ?? {});
}

interface ExecutionScope {
  key: string;
  ctx: ReconcileContext;
  service: V1Service | undefined;
  writer: KubeWriter;
  events: EventSink;
  term: TermState;
}

/** Runs a plan's actions in order through the writer and the event sink. */
export async function executeAnnouncementPlan(actions: readonly AnnouncementAction[], scope: ExecutionScope): Promise<void> {
  for (const action of actions) await execute(action, scope);
}

async function execute(action: AnnouncementAction, scope: ExecutionScope): Promise<void> {
  const { writer, events, service: svc, ctx } = scope;
  switch (action.kind) {
    case 'applySpec':
      return applySpec(action, scope);
    case 'delete': {
      const outcome = await writer.delete(Resources.vipAnnouncements, action.namespace, action.name, action.uid, ctx);
      // Only a delete that happened is logged and counted (404: already gone; 409: a newer one).
      if (outcome === 'deleted') {
        metrics.announcementWrites.inc({ op: 'delete' });
        ctx.log.info('announcement withdrawn', { reason: action.reason });
        if (svc) events.normal(svc, 'AnnouncementWithdrawn', `no longer announced (${action.reason})`);
      }
      scope.term.rejected.delete(scope.key);
      return;
    }
    case 'setIngress':
      return ignoreNotFound(
        svc && writer.mergePatchStatus(Resources.services, svc.metadata?.namespace, svc.metadata?.name ?? '', { loadBalancer: { ingress: action.ips.map((ip) => ({ ip, ipMode: 'VIP' })) } }, ctx),
      );
    case 'serviceProblems':
      if (svc) events.problems(svc, action.problems.map((p) => ({ reason: p.reason, message: `${p.source}: ${p.message}` })));
      return;
    case 'warning':
      if (svc) events.warning(svc, action.reason, action.message);
      return;
    case 'applySummary':
      await ignoreNotFound(writer.applyStatus(Resources.vipAnnouncements, action.body, ctx));
      metrics.statusWrites.inc({ role: 'controller' });
      return;
  }
}

async function applySpec(action: Extract<AnnouncementAction, { kind: 'applySpec' }>, scope: ExecutionScope): Promise<void> {
  const { key, ctx, term } = scope;
  try {
    await scope.writer.apply(Resources.vipAnnouncements, action.body, ctx);
  } catch (err) {
    if (!isInvalid(err)) throw err;
    // Retrying the same refused body cannot help: remember it, report it on the Service and
    // in the summary, and try again only once the desired spec changes.
    term.rejected.set(key, { spec: action.body.spec, message: errorMessage(err) });
    metrics.rejectedWrites.set({ controller: 'announcement' }, term.rejected.size);
    ctx.log.warn('the API server refused the announcement; not retried until it changes', { error: errorMessage(err) });
    ctx.enqueue(key);
    return;
  }
  if (term.rejected.delete(key)) metrics.rejectedWrites.set({ controller: 'announcement' }, term.rejected.size);
  const seconds = term.latency.done(key);
  if (seconds !== undefined) metrics.eventToAnnouncement.observe({ role: 'controller' }, seconds);
  metrics.announcementWrites.inc({ op: action.op });
  if (scope.service) scope.events.normal(scope.service, action.op === 'create' ? 'AnnouncementCreated' : 'AnnouncementUpdated', action.message);
}

async function ignoreNotFound(p: Promise<unknown> | undefined): Promise<void> {
  try {
    await p;
  } catch (err) {
    if (!isNotFound(err)) throw err;
  }
}

