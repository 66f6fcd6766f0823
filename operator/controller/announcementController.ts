// The announcement controller: every LoadBalancer Service it is responsible for gets one
// VipAnnouncement (same namespace and name, owned by the Service), computed from scratch from
// the caches on every reconcile, so the order in which Service, EndpointSlice, Node and
// VipAnnouncement events arrive cannot change the outcome.
//
//   reconcile(key): read caches → planAnnouncement() → execute the actions in order
import { compilePool } from '../api/pool';
import { CONDITION_TYPES, type Condition, type VipAnnouncementSpec } from '../api/types';
import type { AddressOwnership, ControllerConfig } from '../config/types';
import type { CacheReader, Caches, ControllerDefinition, ReconcileContext, Watch } from '../kube/controllerDefinition';
import { watch } from '../kube/controllerDefinition';
import type { EventSink } from '../kube/eventSink';
import type { KubeWriter } from '../kube/kubeWriter';
import { isInvalid, isNotFound } from '../kube/request';
import { objectKey, Resources, type KubeObject, type ResourceRef } from '../kube/resources';
import { errorMessage } from '../util/log';
import { LatencyTracker, metrics } from '../util/metrics';
import { nodeDraining, nodeEligible } from '../api/announces';
import { AllocationTable } from './allocationTable';
import { isServiceAnnouncement, planAnnouncement, type AnnouncementAction } from './planAnnouncement';
import { rebuildTable, type PoolView } from './poolAllocation';
import { SliceIndex } from '../intent/sliceIndex';
import { RequestIndex } from './requestIndex';
import { LIVENESS_PREFIX, SpeakerReports } from './speakerReports';
import type { Result } from '../kube/workqueue';
import type { ChangeType } from '../kube/informer';
import { Cached, type CachedService, type CachedNode, type CachedAnnouncement } from '../kube/cachedKinds';
import { UnseenWrites } from '../kube/unseenWrites';

export const CONTROLLER_FIELD_MANAGER = 'vip-announcer-controller';
/** How long an announcement waits after a node's report concerned it, for the other nodes' reports. */
const REPORT_COALESCE_MS = 150;

export interface AnnouncementControllerDeps {
  caches: Caches;
  writer: KubeWriter;
  events: EventSink;
  config: Pick<ControllerConfig, 'loadBalancerClasses' | 'resyncPeriodMs' | 'addressOwnership'>;
  /** Every VipAnnouncement as the API server holds it now (a consistent LIST): each term's table starts from it. */
  listAnnouncements: (signal: AbortSignal) => Promise<CachedAnnouncement[]>;
  now?: () => Date;
  /** Times event-to-announcement latency (tests look into it; default a new one). */
  latency?: LatencyTracker;
}

/** Announcements of one controller term: what it refused to resend, and event latencies. */
class TermState {
  constructor(
    readonly latency: LatencyTracker,
    /** This term's writes whose watch events the caches have not shown yet: their keys wait for them. */
    readonly unseen: UnseenWrites,
  ) {}
  /** Key → the spec the API server refused (422) and why; retried only when the spec changes. */
  readonly rejected = new Map<string, { spec: VipAnnouncementSpec; message: string }>();
  /**
   * Who holds which address this term. Built when the term starts from a fresh LIST of the
   * announcements (a standby's cache may lag behind the last leader's writes), then kept ahead
   * of the caches: every plan records its allocation before its first write, so concurrent
   * reconciles see each other's fresh allocations.
   */
  readonly table = new AllocationTable();
  tableBuilt = false;
  /** Keys announced without an ownership check (no pool, Unenforced): the gauge. */
  private readonly unenforced = new Set<string>();
  /** Services that did not get every address they asked for: retried whenever one is freed. */
  readonly waiting = new Set<string>();
  /** Keys of announcements whose Advertised condition is not True (the alertable gauge). */
  private readonly notAdvertised = new Set<string>();
  active = false;

  /** undefined: the announcement is gone. */
  recordAdvertised(key: string, advertised: boolean | undefined): void {
    if (advertised === false) this.notAdvertised.add(key);
    else this.notAdvertised.delete(key);
    metrics.notAdvertised.set(this.notAdvertised.size);
  }

  /** After a reconcile: the latency, Advertised and Unenforced bookkeeping of its key. */
  recordOutcome(key: string, va: CachedAnnouncement | undefined, actions: readonly AnnouncementAction[], unenforced: boolean): void {
    if (!actions.some((a) => a.kind === 'applySpec')) this.latency.forget(key);
    this.recordAdvertised(key, advertisedNow(va, actions));
    if (unenforced && va !== undefined) this.unenforced.add(key);
    else this.unenforced.delete(key);
    metrics.unenforced.set(this.unenforced.size);
  }

  /** Latency is measured from the first event only while this replica leads. */
  readonly touched = (key: string | undefined): string[] => {
    if (!key) return [];
    if (this.active) this.latency.touch(key);
    return [key];
  };

  /** The table as `announcements` (a fresh LIST) records it. */
  rebuild(announcements: readonly CachedAnnouncement[], services: CacheReader<CachedService>): void {
    rebuildTable(this.table, announcements, (key) => services.get(key), isServiceAnnouncement);
    this.tableBuilt = true;
  }

  clear(): void {
    this.active = false;
    this.tableBuilt = false;
    this.table.clear();
    this.waiting.clear();
    this.rejected.clear();
    this.unseen.clear();
    this.latency.clear();
    this.notAdvertised.clear();
    this.unenforced.clear();
    metrics.unenforced.set(0);
    metrics.rejectedWrites.set({ controller: 'announcement' }, 0);
    metrics.notAdvertised.set(0);
  }
}

/** Whether the announcement is Advertised, after this reconcile's summary (if any) is written. */
function advertisedNow(va: CachedAnnouncement | undefined, actions: readonly AnnouncementAction[]): boolean | undefined {
  if (!va || actions.some((a) => a.kind === 'delete')) return undefined;
  const summary = actions.find((a) => a.kind === 'applySummary');
  const status = (summary?.kind === 'applySummary' ? summary.body.status : va.status) as { conditions?: Condition[] } | undefined;
  return status?.conditions?.find((c) => c.type === CONDITION_TYPES.advertised)?.status === 'True';
}

export function announcementController(deps: AnnouncementControllerDeps): ControllerDefinition {
  const services = deps.caches.informer(Cached.services);
  const slices = deps.caches.informer(Cached.endpointSlices);
  const nodes = deps.caches.informer(Cached.nodes);
  const announcements = deps.caches.informer(Cached.announcements);
  const reports = new SpeakerReports(deps.caches.informer(Cached.speakerReports), () => (deps.now?.() ?? new Date()).getTime());
  const index = new SliceIndex();
  const requests = new RequestIndex({ loadBalancerClasses: deps.config.loadBalancerClasses });
  const term = newTerm(deps.latency, services, announcements);
  const poolView = poolViewOf(deps.caches, services, announcements, term, deps.config.addressOwnership, requests);
  const touched = term.touched;

  return {
    name: 'announcement',
    leaderElected: true,
    concurrency: 16,
    requeueAllPeriodMs: deps.config.resyncPeriodMs,
    watches: [...announcementWatches({ services, announcements }, index, requests, touched, reports, term.unseen), speakerWatch(reports, announcements)],
    fullSyncKeys: () => {
      term.active = true;
      return [...allKeys(services, announcements), ...deps.caches.informer(Cached.speakerReports).keys()].map((k) => (k.includes('/') ? k : `${LIVENESS_PREFIX}${k}`));
    },
    reconcile: async (key, ctx) => {
      if (key.startsWith(LIVENESS_PREFIX)) return checkLiveness(key.slice(LIVENESS_PREFIX.length), reports, announcements, ctx);
      if (term.unseen.waitMs(key) > 0) return { requeueAfter: term.unseen.waitMs(key) };
      const pools = poolView();
      const actions = planAnnouncement({
        key,
        service: services.get(key),
        endpointSlices: index.slicesOf(key, slices),
        nodes: nodes.list(),
        announcement: announcements.get(key),
        config: { loadBalancerClasses: deps.config.loadBalancerClasses },
        rejected: term.rejected.get(key),
        pools,
        unenforced: pools === undefined,
        speakers: { reports: reports.counting(), generation: reports.generationOf(key) },
        now: deps.now?.() ?? new Date(),
      });
      // Synchronously with reading the reports: a report arriving during the writes below
      // finds the key awaiting it.
      recordAwaiting(reports, key, actions);
      await executeAnnouncementPlan(actions, { ...deps, key, ctx, service: services.get(key), announcement: announcements.get(key), term });
      term.recordOutcome(key, announcements.get(key), actions, pools === undefined);
    },
    // Before the term's first write: the table from what the API server holds now.
    onStart: async (signal) => term.rebuild(await deps.listAnnouncements(signal), services),
    onStop: () => term.clear(),
  };
}

/** A term's state; a key whose last writes the Service and announcement caches do not show yet waits for their events. */
function newTerm(latency: LatencyTracker | undefined, services: CacheReader<CachedService>, announcements: CacheReader<CachedAnnouncement>): TermState {
  const cached = (resource: string, key: string): string | undefined => (resource === Resources.services.plural ? services : announcements).get(key)?.metadata?.resourceVersion;
  return new TermState(latency ?? new LatencyTracker(), new UnseenWrites(cached));
}

function allKeys(services: CacheReader<CachedService>, announcements: CacheReader<CachedAnnouncement>): Set<string> {
  return new Set([...services.keys(), ...announcements.keys()]);
}

interface WatchedCaches {
  services: CacheReader<CachedService>;
  announcements: CacheReader<CachedAnnouncement>;
}

/**
 * The pools as the plan reads them. No pool: an empty view (nothing is allowed: closed by
 * default), or undefined when addressOwnership is Unenforced (nothing is checked).
 */
function poolViewOf(caches: Caches, services: CacheReader<CachedService>, announcements: CacheReader<CachedAnnouncement>, term: TermState, ownership: AddressOwnership, requests: RequestIndex): () => PoolView | undefined {
  const pools = caches.informer(Cached.pools);
  const namespaces = caches.informer(Cached.namespaces);
  return () => {
    const list = pools.list();
    if (list.length === 0 && ownership === 'Unenforced') {
      // Nothing is allocated meanwhile; the next pool starts from what the caches hold then.
      term.tableBuilt = false;
      return undefined;
    }
    // Unenforced, the first pool arrived during the term: start from this leader's caches.
    if (!term.tableBuilt) term.rebuild(announcements.list(), services);
    return { pools: list.map(compilePool), namespaceLabels: (ns) => namespaces.get(ns)?.metadata?.labels, table: term.table, requestedByAnother: (address, key) => requests.requestedByAnother(address, key) };
  };
}

function recordAwaiting(reports: SpeakerReports, key: string, actions: readonly AnnouncementAction[]): void {
  const awaiting = actions.find((a) => a.kind === 'awaiting');
  if (awaiting?.kind === 'awaiting') reports.awaiting.set(key, awaiting.rv);
  else reports.awaiting.delete(key);
}

/** A node's report: the announcements whose status it changes, and the node's liveness check. */
function speakerWatch(reports: SpeakerReports, announcements: CacheReader<CachedAnnouncement>): Watch {
  return watch({
    shape: Cached.speakerReports,
    // A moment's wait lets the reports of several nodes about one announcement make one write.
    toKeys: (type, r, old) => [`${LIVENESS_PREFIX}${r.metadata.name}`, ...reports.reportKeys(type, r, old, announcements).map((key) => ({ key, afterMs: REPORT_COALESCE_MS }))],
  });
}

/** A node whose heartbeat went stale stops counting for every announcement it originates. */
function checkLiveness(node: string, reports: SpeakerReports, announcements: CacheReader<CachedAnnouncement>, ctx: ReconcileContext): Result {
  const { changed, recheckInMs } = reports.liveness(node);
  if (changed) {
    ctx.log.info('speaker report counts no more or again', { node });
    for (const key of reports.originatedBy(node, announcements)) ctx.enqueue(key);
  }
  return recheckInMs !== undefined ? { requeueAfter: recheckInMs } : undefined;
}

/** Which keys each event concerns: For(Service), Owns(VipAnnouncement), Watches(EndpointSlice, Node, VipPool, Namespace, VipSpeaker). */
function announcementWatches(caches: WatchedCaches, index: SliceIndex, requests: RequestIndex, touched: (key: string | undefined) => string[], reports: SpeakerReports, unseen: UnseenWrites): Watch[] {
  const { services } = caches;
  return [
    watch({
      shape: Cached.services,
      toKeys: (type, svc) => {
        requests.update(type, svc);
        unseen.observed(objectKey(svc), Resources.services.plural, svc.metadata?.resourceVersion);
        return touched(objectKey(svc));
      },
    }),
    watch({
      shape: Cached.endpointSlices,
      toKeys: (type, slice, old) => index.update(type, slice, old).flatMap(touched),
    }),
    watch({
      shape: Cached.nodes,
      // Every announcement, hand-made ones too: their status counts only eligible nodes.
      toKeys: (type, node, old) => (eligibilityChanged(type, node, old) ? allKeys(services, caches.announcements) : []),
    }),
    watch({
      shape: Cached.announcements,
      // Our own status writes come back here: nothing to do for them.
      toKeys: (type, va, old) => {
        reports.observeAnnouncement(type, va);
        unseen.observed(objectKey(va), Resources.vipAnnouncements.plural, va.metadata.resourceVersion);
        return type === 'MODIFIED' && old && planned(va) === planned(old) ? [] : [objectKey(va)];
      },
    }),
    ...poolWatches(caches),
  ];
}

/**
 * A pool edit can move any allocation (a shrink, a selector); a namespace's labels decide
 * which pools select its Services and hand-made announcements. Only those changes matter.
 */
function poolWatches({ services, announcements }: WatchedCaches): Watch[] {
  const inNamespace = (ns: string): string[] => [...allKeys(services, announcements)].filter((k) => k.startsWith(`${ns}/`));
  return [
    watch({
      shape: Cached.pools,
      toKeys: (type, pool, old) => (type === 'MODIFIED' && pool.metadata.generation === old?.metadata.generation && pool.metadata.deletionTimestamp === old?.metadata.deletionTimestamp ? [] : allKeys(services, announcements)),
    }),
    watch({
      shape: Cached.namespaces,
      toKeys: (type, ns, old) => (type === 'MODIFIED' && JSON.stringify(ns.metadata?.labels ?? {}) === JSON.stringify(old?.metadata?.labels ?? {}) ? [] : inNamespace(ns.metadata?.name ?? '')),
    }),
  ];
}

/** What of an announcement a plan reads besides its status. */
function planned(va: CachedAnnouncement): string {
  const m = va.metadata;
  return JSON.stringify([m.generation, m.uid, m.deletionTimestamp, m.labels, m.annotations, m.ownerReferences]);
}

/**
 * Whether a Node event can change which nodes may announce: a Node came or went, or its
 * exclusion label did. Heartbeats and other edits would otherwise requeue everything.
 */
export function eligibilityChanged(type: ChangeType, node: CachedNode, old: CachedNode | undefined): boolean {
  return type !== 'MODIFIED' || nodeEligible(node) !== nodeEligible(old) || nodeDraining(node) !== nodeDraining(old);
}

interface ExecutionScope {
  key: string;
  announcement?: CachedAnnouncement;
  ctx: ReconcileContext;
  service: CachedService | undefined;
  writer: KubeWriter;
  events: EventSink;
  term: TermState;
}

/**
 * Runs a plan's actions in order through the writer and the event sink. A spec the API server
 * refuses ends the plan: what follows it (the ingress) assumed the spec written.
 */
export async function executeAnnouncementPlan(actions: readonly AnnouncementAction[], scope: ExecutionScope): Promise<void> {
  for (const action of actions) if ((await execute(action, scope)) === 'refused') return;
}

async function execute(action: AnnouncementAction, scope: ExecutionScope): Promise<'refused' | void> {
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
      return wrote(
        scope,
        Resources.services,
        svc && writer.mergePatchStatus(Resources.services, svc.metadata?.namespace, svc.metadata?.name ?? '', { loadBalancer: { ingress: action.ips.map((ip) => ({ ip, ipMode: 'VIP' })) } }, ctx),
      );
    case 'serviceProblems':
      if (svc) events.problems(svc, action.problems.map((p) => ({ reason: p.reason, message: `${p.source}: ${p.message}` })));
      return;
    case 'warning':
      if (svc) events.warning(svc, action.reason, action.message);
      return;
    case 'reserve':
    case 'release':
      return record(action, scope);
    case 'announcementProblems':
      if (scope.announcement) events.problems(scope.announcement, action.problems.map((p) => ({ reason: p.reason, message: p.message })));
      return;
    case 'applySummary':
      await wrote(scope, Resources.vipAnnouncements, writer.applyStatus(Resources.vipAnnouncements, action.body, ctx));
      metrics.statusWrites.inc({ role: 'controller' });
      return;
    case 'requeue':
      ctx.enqueue({ key: scope.key, afterMs: action.afterMs });
      return;
    case 'awaiting':
      return;
  }
}

/**
 * Updates the allocation table (synchronously: the plan's first action, before any write), and
 * when an address was freed, retries every Service still waiting for one.
 */
function record(action: Extract<AnnouncementAction, { kind: 'reserve' | 'release' }>, scope: ExecutionScope): void {
  const { table, waiting } = scope.term;
  const owner = action.kind === 'reserve' ? action.holder.owner : action.owner;
  const kept = new Set(action.kind === 'reserve' ? action.addresses.map((ip) => ip.address) : []);
  const freed = table.addressesOf(owner).some((ip) => !kept.has(ip.address));
  if (action.kind === 'reserve') table.assign(action.holder, action.addresses);
  else table.release(owner);
  if (action.kind === 'reserve' && action.waiting) waiting.add(owner);
  else waiting.delete(owner);
  if (freed) for (const key of waiting) if (key !== owner) scope.ctx.enqueue(key);
}

async function applySpec(action: Extract<AnnouncementAction, { kind: 'applySpec' }>, scope: ExecutionScope): Promise<'refused' | void> {
  const { key, ctx, term } = scope;
  try {
    const written = await scope.writer.apply(Resources.vipAnnouncements, action.body, ctx);
    term.unseen.wrote(key, Resources.vipAnnouncements.plural, written?.metadata?.resourceVersion);
  } catch (err) {
    if (!isInvalid(err)) throw err;
    // Retrying the same refused body cannot help: remember it, report it on the Service and
    // in the summary, and try again only once the desired spec changes.
    term.rejected.set(key, { spec: action.body.spec, message: errorMessage(err) });
    metrics.rejectedWrites.set({ controller: 'announcement' }, term.rejected.size);
    ctx.log.warn('the API server refused the announcement; not retried until it changes', { error: errorMessage(err) });
    ctx.enqueue(key);
    return 'refused';
  }
  if (term.rejected.delete(key)) metrics.rejectedWrites.set({ controller: 'announcement' }, term.rejected.size);
  const seconds = term.latency.done(key);
  if (seconds !== undefined) metrics.eventToAnnouncement.observe({ role: 'controller' }, seconds);
  metrics.announcementWrites.inc({ op: action.op });
  if (scope.service) scope.events.normal(scope.service, action.op === 'create' ? 'AnnouncementCreated' : 'AnnouncementUpdated', action.message);
}

/** A write of the key's object: its version is remembered until the cache shows it; 404 ignored. */
async function wrote(scope: ExecutionScope, resource: ResourceRef, write: Promise<KubeObject | undefined> | undefined): Promise<void> {
  try {
    const written = await write;
    scope.term.unseen.wrote(scope.key, resource.plural, written?.metadata?.resourceVersion);
  } catch (err) {
    if (!isNotFound(err)) throw err;
  }
}

