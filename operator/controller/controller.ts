// The controller role: every LoadBalancer Service it is responsible for gets one
// VipAnnouncement (same namespace and name, owned by the Service), computed from
// scratch from the caches on every reconcile, so the order in which Service,
// EndpointSlice and Node events arrive cannot change the outcome.
//
//   Service ─┐
//   EndpointSlice ─┼─ enqueue "namespace/name" ─> reconcile(key):
//   Node ─┤           read caches → desiredAnnouncement() → apply difference →
//   VipAnnouncement ─┘  Service ingress → summarizeAnnouncement() → status
import type { KubeConfig, V1EndpointSlice, V1Node, V1Service } from '@kubernetes/client-node';
import { API_VERSION, KIND, type Condition, type VipAnnouncement, type VipAnnouncementSpec } from '../api/types';
import type { ControllerConfig } from '../config/types';
import { isConflict, isNotFound, mergePatchStatus, ResourceClient } from '../kube/apply';
import { EventRecorder } from '../kube/events';
import type { Informer } from '../kube/informer';
import { OperatorBase } from '../kube/operatorBase';
import { objectKey, Resources } from '../kube/resources';
import type { Result } from '../kube/workqueue';
import type { Log } from '../util/log';
import { LatencyTracker, metrics } from '../util/metrics';
import { conditionsEqual, summarizeAnnouncement } from './conditions';
import { desiredAnnouncement, SERVICE_NAME_LABEL, specsEqual, EXCLUDE_FROM_LB_LABEL } from './desiredAnnouncement';
import { describeProblems } from './problem';

export const CONTROLLER_FIELD_MANAGER = 'vip-announcer-controller';
/** How long a speaker's status report waits for the other speakers' before the summary is written. */
const STATUS_COALESCE_MS = 250;
export const MANAGED_BY_LABEL = 'app.kubernetes.io/managed-by';
export const MANAGED_BY = 'vip-announcer';

export interface ControllerOptions {
  kubeConfig: KubeConfig;
  logger: Log;
  config: ControllerConfig;
  /** Unique per process: the Lease holder identity and Event reporting instance. */
  identity: string;
  concurrency?: number;
}

/** The Service an EndpointSlice belongs to: its controller ownerReference, else its label. */
export function serviceKeyOfSlice(slice: V1EndpointSlice): string | undefined {
  const ns = slice.metadata?.namespace;
  if (!ns) return undefined;
  const owner = (slice.metadata?.ownerReferences ?? []).find((o) => o.kind === 'Service' && o.apiVersion === 'v1');
  const name = owner?.name ?? slice.metadata?.labels?.[SERVICE_NAME_LABEL];
  return name ? `${ns}/${name}` : undefined;
}

/** Whether an owned VipAnnouncement was made by this controller for a Service (vs. by hand). */
export function isServiceAnnouncement(va: VipAnnouncement): boolean {
  return (va.metadata.ownerReferences ?? []).some((o) => o.kind === 'Service' && o.controller === true) || va.spec.serviceRef !== undefined;
}

function ingressIPsOf(svc: V1Service): string[] {
  return (svc.status?.loadBalancer?.ingress ?? []).map((i) => i.ip ?? '').filter(Boolean);
}

function sameList(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

export class AnnouncementController extends OperatorBase {
  private readonly cfg: ControllerConfig;
  private readonly events: EventRecorder;
  private readonly announcements: ResourceClient<VipAnnouncement>;
  private readonly latency = new LatencyTracker();
  private services!: Informer<V1Service>;
  private slices!: Informer<V1EndpointSlice>;
  private nodes!: Informer<V1Node>;
  private vas!: Informer<VipAnnouncement>;
  /** Service key → keys of its EndpointSlices (kept by the slice informer's handlers). */
  private readonly slicesByService = new Map<string, Set<string>>();

  constructor(opts: ControllerOptions) {
    const le = opts.config.leaderElection;
    super({
      name: 'controller',
      kubeConfig: opts.kubeConfig,
      logger: opts.logger,
      concurrency: opts.concurrency ?? 16,
      resyncPeriodMs: opts.config.resyncPeriodMs,
      leaderElection: le.enabled
        ? {
            namespace: le.leaseNamespace,
            name: le.leaseName,
            identity: opts.identity,
            leaseDurationMs: le.leaseDurationMs,
            renewDeadlineMs: le.renewDeadlineMs,
            retryPeriodMs: le.retryPeriodMs,
          }
        : undefined,
      onHandled: (_key, ms, outcome) => {
        metrics.reconcileDuration.observe({ role: 'controller', outcome }, ms / 1000);
        metrics.queueDepth.set({ role: 'controller' }, this.queueDepth());
      },
    });
    this.cfg = opts.config;
    this.events = new EventRecorder(opts.kubeConfig, {
      reportingController: 'vipannouncer.io/controller',
      reportingInstance: opts.identity,
      logger: opts.logger,
    });
    this.announcements = new ResourceClient<VipAnnouncement>(opts.kubeConfig, Resources.vipAnnouncements, CONTROLLER_FIELD_MANAGER);
  }

  protected override init(): Promise<void> {
    const touch = (key: string | undefined): void => {
      if (!key) return;
      this.latency.touch(key);
      this.enqueue(key);
    };
    this.services = this.informer<V1Service>(Resources.services);
    this.services.onChange((_t, svc) => touch(objectKey(svc)));

    this.slices = this.informer<V1EndpointSlice>(Resources.endpointSlices);
    this.slices.onChange((type, slice, old) => {
      const sliceKey = objectKey(slice);
      const before = old ? serviceKeyOfSlice(old) : undefined;
      const after = serviceKeyOfSlice(slice);
      if (before && before !== after) this.slicesByService.get(before)?.delete(sliceKey);
      if (after) {
        if (type === 'DELETED') this.slicesByService.get(after)?.delete(sliceKey);
        else this.slicesByService.set(after, (this.slicesByService.get(after) ?? new Set()).add(sliceKey));
      }
      touch(before);
      touch(after);
    });

    this.nodes = this.informer<V1Node>(Resources.nodes);
    // Only what decides eligibility matters; heartbeats would otherwise requeue everything.
    this.nodes.onChange((type, node, old) => {
      const excluded = (n: V1Node | undefined): boolean => EXCLUDE_FROM_LB_LABEL in (n?.metadata?.labels ?? {});
      if (type === 'MODIFIED' && excluded(node) === excluded(old)) return;
      for (const svc of this.services.list()) touch(objectKey(svc));
    });

    this.vas = this.informer<VipAnnouncement>(Resources.vipAnnouncements);
    // Speakers' status reports and hand-made announcements both come through here.
    // A status-only change (a speaker's report) waits a moment, so the reports of
    // all speakers about one announcement are summarized in one write.
    this.vas.onChange((type, va, old) => {
      const statusOnly = type === 'MODIFIED' && va.metadata.generation === old?.metadata.generation;
      if (statusOnly) this.enqueueAfter(objectKey(va), STATUS_COALESCE_MS);
      else this.enqueue(objectKey(va));
    });
    return Promise.resolve();
  }

  protected override *keysForFullSync(): Iterable<string> {
    const keys = new Set<string>([...this.services.keys(), ...this.vas.keys()]);
    yield* keys;
  }

  protected override async reconcile(key: string): Promise<Result> {
    const svc = this.services.get(key);
    const va = this.vas.get(key);
    const desired = svc
      ? desiredAnnouncement({
          service: svc,
          endpointSlices: this.slicesOf(key),
          nodes: this.nodes.list(),
          config: { loadBalancerClasses: this.cfg.loadBalancerClasses },
        })
      : undefined;

    if (!desired || desired.kind === 'ignore') {
      this.latency.forget(key);
      if (!va) return;
      if (isServiceAnnouncement(va)) {
        await this.withdraw(key, va, svc, desired?.kind === 'ignore' ? desired.reason : 'ServiceDeleted');
        return;
      }
      // Hand-made: no Service to follow; keep its summary conditions current.
      await this.updateSummary(va, []);
      return;
    }
    if (!svc) return;

    if (va && !isServiceAnnouncement(va)) {
      // A hand-made announcement already holds this name: never take it over silently.
      this.events.warning(svc, 'AnnouncementConflict', `VipAnnouncement ${key} exists and is not owned by this Service; leaving it alone`);
      await this.updateSummary(va, []);
      return;
    }
    if (!va || !specsEqual(va.spec, desired.spec) || !this.ownedBy(va, svc)) {
      await this.applyAnnouncement(svc, desired.spec);
      const seconds = this.latency.done(key);
      if (seconds !== undefined) metrics.eventToAnnouncement.observe({ role: 'controller' }, seconds);
      if (!va) {
        metrics.announcementWrites.inc({ op: 'create' });
        this.events.normal(svc, 'AnnouncementCreated', `announcing ${(desired.spec.addresses ?? []).join(', ') || 'no address'} (${describeWhere(desired.spec)})`);
      } else {
        metrics.announcementWrites.inc({ op: 'update' });
        this.events.normal(svc, 'AnnouncementUpdated', describeChange(va.spec, desired.spec));
      }
      // What the speakers act on goes first. The write's own watch event brings
      // this key back for the Service's ingress and the summary, so after a
      // restart every announcement is out before the bookkeeping of any.
      return;
    } else {
      this.latency.forget(key);
    }
    for (const p of desired.problems) this.events.warning(svc, p.reason, `${p.source}: ${p.message}`);

    if (!sameList(ingressIPsOf(svc), desired.ingressIPs)) await this.setIngress(svc, desired.ingressIPs);
    await this.updateSummary(va, desired.problems);
  }

  private slicesOf(serviceKey: string): V1EndpointSlice[] {
    const out: V1EndpointSlice[] = [];
    for (const k of this.slicesByService.get(serviceKey) ?? []) {
      const s = this.slices.get(k);
      if (s) out.push(s);
    }
    return out;
  }

  private ownedBy(va: VipAnnouncement, svc: V1Service): boolean {
    return (va.metadata.ownerReferences ?? []).some((o) => o.uid === svc.metadata?.uid && o.controller === true && o.blockOwnerDeletion === true);
  }

  private async applyAnnouncement(svc: V1Service, spec: VipAnnouncementSpec): Promise<VipAnnouncement> {
    const meta = svc.metadata ?? {};
    return this.announcements.apply({
      apiVersion: API_VERSION,
      kind: KIND,
      metadata: {
        name: meta.name,
        namespace: meta.namespace,
        labels: { [MANAGED_BY_LABEL]: MANAGED_BY },
        ownerReferences: [
          { apiVersion: 'v1', kind: 'Service', name: meta.name ?? '', uid: meta.uid ?? '', controller: true, blockOwnerDeletion: true },
        ],
      },
      spec,
    } as VipAnnouncement);
  }

  private async withdraw(key: string, va: VipAnnouncement, svc: V1Service | undefined, reason: string): Promise<void> {
    try {
      // The uid precondition makes sure a newer announcement of the same name is never deleted.
      await this.announcements.delete(va.metadata.namespace, va.metadata.name, { uid: va.metadata.uid });
    } catch (err) {
      if (!isNotFound(err) && !isConflict(err)) throw err;
    }
    metrics.announcementWrites.inc({ op: 'delete' });
    this.log.info('announcement withdrawn', { key, reason });
    if (svc) {
      this.events.normal(svc, 'AnnouncementWithdrawn', `no longer announced (${reason})`);
      // Another class's controller owns the ingress now; clear only what we wrote.
      const had = va.spec.addresses ?? [];
      if (sameList(ingressIPsOf(svc), had) && had.length > 0) await this.setIngress(svc, []);
    }
  }

  private async setIngress(svc: V1Service, ips: string[]): Promise<void> {
    try {
      await mergePatchStatus(this.kubeConfig, Resources.services, svc.metadata?.namespace, svc.metadata?.name ?? '', {
        loadBalancer: { ingress: ips.map((ip) => ({ ip, ipMode: 'VIP' })) },
      }, { fieldManager: CONTROLLER_FIELD_MANAGER });
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }

  /** Aggregates the speakers' reports into the conditions and advertisedBy it owns. */
  private async updateSummary(va: VipAnnouncement, problems: Parameters<typeof summarizeAnnouncement>[0]['problems']): Promise<void> {
    const previous: Condition[] = va.status?.conditions ?? [];
    const summary = summarizeAnnouncement({
      spec: va.spec,
      speakers: va.status?.speakers,
      generation: va.metadata.generation,
      previousConditions: previous,
      problems,
      now: new Date(),
    });
    const unchanged =
      conditionsEqual(previous, summary.conditions) &&
      va.status?.advertisedBy === summary.advertisedBy &&
      va.status?.observedGeneration === summary.observedGeneration;
    if (unchanged) return;
    try {
      await this.announcements.applyStatus({
        apiVersion: API_VERSION,
        kind: KIND,
        metadata: { name: va.metadata.name, namespace: va.metadata.namespace },
        status: {
          conditions: summary.conditions,
          advertisedBy: summary.advertisedBy,
          ...(summary.observedGeneration !== undefined ? { observedGeneration: summary.observedGeneration } : {}),
        },
      });
      metrics.statusWrites.inc({ role: 'controller' });
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
    if (problems && problems.length > 0) this.log.debug('announcement has rejected inputs', { key: objectKey(va), problems: describeProblems(problems) });
  }

  /** Queued Events belong to the lost term: drop them (the EventRecorder's drop(), once it has one). */
  protected override leadershipLost(): void {
    void this.events.close(0);
  }

  override async shutdown(): Promise<void> {
    await super.shutdown();
    await this.events.close();
  }
}

function describeWhere(spec: VipAnnouncementSpec): string {
  if (spec.externalTrafficPolicy === 'Local') return `Local from ${(spec.nodes ?? []).join(', ') || 'no node'}`;
  return `Cluster, ${spec.endpoints?.serving ?? 0} serving endpoints`;
}

function describeChange(a: VipAnnouncementSpec, b: VipAnnouncementSpec): string {
  const parts: string[] = [];
  const [aa, ba] = [a.addresses ?? [], b.addresses ?? []];
  if (!sameList(aa, ba)) parts.push(`addresses ${aa.join(',') || '-'} → ${ba.join(',') || '-'}`);
  if (describeWhere(a) !== describeWhere(b)) parts.push(`${describeWhere(a)} → ${describeWhere(b)}`);
  if (!sameList(a.communities ?? [], b.communities ?? [])) parts.push('communities changed');
  if (!sameList(a.largeCommunities ?? [], b.largeCommunities ?? [])) parts.push('large communities changed');
  if (a.localPref !== b.localPref) parts.push(`local-pref ${a.localPref ?? '-'} → ${b.localPref ?? '-'}`);
  return parts.join('; ') || 'announcement updated';
}
