// The installer: every VipAnnouncer (cluster-scoped) becomes the speaker ConfigMap and
// DaemonSet in its namespace. Level-triggered like the announcement controller: any event
// only enqueues a VipAnnouncer name, and reconcile(name) re-reads the caches.
//
//   VipAnnouncer ─┐
//   ConfigMap ────┼─ enqueue name ─> reconcile(name): read caches → desiredSpeakerConfig()
//   DaemonSet ────┘    (invalid: condition + Event, nothing written) → apply ConfigMap, then
//                      DaemonSet (config hash in the pod template rolls it) → status
import type { KubeConfig, V1ConfigMap, V1DaemonSet } from '@kubernetes/client-node';
import { API_VERSION, INSTALLER_CONDITION_TYPES, INSTALLER_KIND, type Condition, type VipAnnouncer, type VipAnnouncerStatus } from '../api/types';
import type { ControllerConfig } from '../config/types';
import { isNotFound, ResourceClient } from '../kube/apply';
import { EventRecorder } from '../kube/events';
import type { Informer } from '../kube/informer';
import { OperatorBase } from '../kube/operatorBase';
import type { ResourceRef } from '../kube/resources';
import type { Result } from '../kube/workqueue';
import { conditionsEqual } from '../controller/conditions';
import type { Log } from '../util/log';
import { errorMessage } from '../util/log';
import {
  activeAnnouncer,
  condition,
  CONFIG_HASH_ANNOTATION,
  CONFIG_KEY,
  desiredConfigMap,
  desiredDaemonSet,
  desiredSpeakerConfig,
  namespaceOf,
  objectHash,
  OWNER_LABEL,
  REASONS,
  SPEAKER_NAME,
  speakersRolledOut,
  type RolloutState,
} from './render';

export const INSTALLER_FIELD_MANAGER = 'vip-announcer-installer';
/** On the DaemonSet: hash of what the installer last applied (skips writes that change nothing). */
export const APPLIED_HASH_ANNOTATION = 'vipannouncer.io/applied-hash';

export const InstallerResources = {
  vipAnnouncers: { group: 'vipannouncer.io', version: 'v1alpha1', plural: 'vipannouncers', kind: INSTALLER_KIND, namespaced: false },
  configMaps: { group: '', version: 'v1', plural: 'configmaps', kind: 'ConfigMap', namespaced: true },
  daemonSets: { group: 'apps', version: 'v1', plural: 'daemonsets', kind: 'DaemonSet', namespaced: true },
} as const satisfies Record<string, ResourceRef>;

export interface InstallerOptions {
  kubeConfig: KubeConfig;
  logger: Log;
  config: ControllerConfig;
  identity: string;
}

export class InstallerController extends OperatorBase {
  private readonly events: EventRecorder;
  private readonly announcers: ResourceClient<VipAnnouncer>;
  private readonly configMapClient: ResourceClient<V1ConfigMap>;
  private readonly daemonSetClient: ResourceClient<V1DaemonSet>;
  private vas!: Informer<VipAnnouncer>;
  private configMaps!: Informer<V1ConfigMap>;
  private daemonSets!: Informer<V1DaemonSet>;
  /** DaemonSet key → applied hash and the generation the API server gave it. */
  private readonly applied = new Map<string, { hash: string; generation?: number }>();

  constructor(opts: InstallerOptions) {
    const le = opts.config.leaderElection;
    super({
      name: 'installer',
      kubeConfig: opts.kubeConfig,
      logger: opts.logger,
      concurrency: 2,
      resyncPeriodMs: opts.config.resyncPeriodMs,
      leaderElection: le.enabled
        ? {
            namespace: le.leaseNamespace,
            name: `${le.leaseName}-installer`,
            identity: opts.identity,
            leaseDurationMs: le.leaseDurationMs,
            renewDeadlineMs: le.renewDeadlineMs,
            retryPeriodMs: le.retryPeriodMs,
          }
        : undefined,
    });
    this.events = new EventRecorder(opts.kubeConfig, {
      reportingController: 'vipannouncer.io/installer',
      reportingInstance: opts.identity,
      logger: opts.logger,
    });
    this.announcers = new ResourceClient<VipAnnouncer>(opts.kubeConfig, InstallerResources.vipAnnouncers, INSTALLER_FIELD_MANAGER);
    this.configMapClient = new ResourceClient<V1ConfigMap>(opts.kubeConfig, InstallerResources.configMaps, INSTALLER_FIELD_MANAGER);
    this.daemonSetClient = new ResourceClient<V1DaemonSet>(opts.kubeConfig, InstallerResources.daemonSets, INSTALLER_FIELD_MANAGER);
  }

  protected override init(): Promise<void> {
    this.vas = this.informer<VipAnnouncer>(InstallerResources.vipAnnouncers);
    // Which announcer is in effect depends on all of them: any change re-checks every one.
    this.vas.onChange(() => {
      for (const k of this.vas.keys()) this.enqueue(k);
    });
    const byOwner = (obj: { metadata?: { labels?: Record<string, string> } }): void => {
      const owner = obj.metadata?.labels?.[OWNER_LABEL];
      if (owner) this.enqueue(owner);
    };
    this.configMaps = this.informer<V1ConfigMap>(InstallerResources.configMaps, { labelSelector: OWNER_LABEL });
    this.configMaps.onChange((_t, cm, old) => {
      byOwner(cm);
      if (old) byOwner(old);
    });
    this.daemonSets = this.informer<V1DaemonSet>(InstallerResources.daemonSets, { labelSelector: OWNER_LABEL });
    this.daemonSets.onChange((_t, ds, old) => {
      byOwner(ds);
      if (old) byOwner(old);
    });
    return Promise.resolve();
  }

  protected override *keysForFullSync(): Iterable<string> {
    yield* this.vas.keys();
  }

  protected override async reconcile(name: string): Promise<Result> {
    const va = this.vas.get(name);
    if (!va || va.metadata.deletionTimestamp) return; // the garbage collector removes what it owned
    const ns = namespaceOf(va);
    const dsKey = `${ns}/${SPEAKER_NAME}`;
    const currentDs = this.ownedBy(this.daemonSets.get(dsKey), va);

    const active = activeAnnouncer(this.vas.list());
    if (active && active.metadata.name !== name) {
      const msg = `VipAnnouncer ${active.metadata.name} is in effect (the oldest); this one is ignored`;
      await this.report(va, { status: 'False', reason: REASONS.superseded, message: msg }, speakersRolledOut(currentDs), 'Warning');
      return;
    }

    const rendered = desiredSpeakerConfig(va);
    if (!rendered.ok) {
      // Nothing is written: the speakers keep running the last good configuration.
      const msg = `invalid configuration, nothing applied: ${rendered.problems.join('; ')}`;
      await this.report(va, { status: 'False', reason: REASONS.invalidConfiguration, message: msg }, speakersRolledOut(currentDs), 'Warning');
      return;
    }

    let ds: V1DaemonSet | undefined = currentDs;
    try {
      const cm = desiredConfigMap(va, rendered);
      const currentCm = this.configMaps.get(`${ns}/${SPEAKER_NAME}`);
      if (!this.ownedBy(currentCm, va) || currentCm?.data?.[CONFIG_KEY] !== rendered.text || currentCm.metadata?.annotations?.[CONFIG_HASH_ANNOTATION] !== rendered.hash) {
        await this.configMapClient.apply(cm);
        this.log.info('speaker config applied', { key: name, namespace: ns, hash: rendered.hash.slice(0, 12) });
      }
      const desired = desiredDaemonSet(va, rendered.hash);
      const hash = objectHash(desired);
      const last = this.applied.get(dsKey);
      const unchanged =
        currentDs !== undefined &&
        currentDs.metadata?.annotations?.[APPLIED_HASH_ANNOTATION] === hash &&
        last?.hash === hash &&
        last.generation === currentDs.metadata?.generation;
      if (!unchanged) {
        const body: V1DaemonSet = { ...desired, metadata: { ...desired.metadata, annotations: { [APPLIED_HASH_ANNOTATION]: hash } } };
        ds = await this.daemonSetClient.apply(body);
        this.applied.set(dsKey, { hash, generation: ds.metadata?.generation });
        this.log.info('speaker DaemonSet applied', { key: name, namespace: ns, generation: ds.metadata?.generation });
      }
    } catch (err) {
      const msg = `applying the speaker ConfigMap/DaemonSet in namespace ${ns} failed: ${errorMessage(err)}`;
      await this.report(va, { status: 'False', reason: REASONS.applyFailed, message: msg }, speakersRolledOut(currentDs), 'Warning');
      throw err; // retried with backoff
    }

    if (va.status?.configHash !== rendered.hash) {
      this.events.normal(va, REASONS.configurationApplied, `speaker configuration ${rendered.hash.slice(0, 12)} applied to ${ns}/${SPEAKER_NAME}`);
    }
    const rollout = speakersRolledOut(ds);
    const ready = rollout.condition.status === 'True'
      ? { status: 'True' as const, reason: REASONS.ready, message: `configuration ${rendered.hash.slice(0, 12)} runs on ${rollout.desired} speakers` }
      : { status: 'False' as const, reason: rollout.condition.reason, message: rollout.condition.message };
    await this.report(va, ready, rollout, undefined, rendered.hash);
  }

  /** The object if it carries the controller ownerReference of this VipAnnouncer incarnation. */
  private ownedBy<T extends { metadata?: { ownerReferences?: Array<{ uid: string; controller?: boolean }> } }>(obj: T | undefined, va: VipAnnouncer): T | undefined {
    return obj && (obj.metadata?.ownerReferences ?? []).some((o) => o.uid === va.metadata.uid && o.controller === true) ? obj : undefined;
  }

  /** Writes status (when it changed) and, for a Ready=False problem that is new, a Warning Event. */
  private async report(
    va: VipAnnouncer,
    ready: Pick<Condition, 'status' | 'reason' | 'message'>,
    rollout: RolloutState,
    eventType?: 'Warning',
    configHash = va.status?.configHash,
  ): Promise<void> {
    const now = new Date();
    const gen = va.metadata.generation;
    const previous = va.status?.conditions;
    const conditions = [
      condition(INSTALLER_CONDITION_TYPES.ready, ready, gen, previous, now),
      condition(INSTALLER_CONDITION_TYPES.speakersRolledOut, rollout.condition, gen, previous, now),
    ];
    const prevReady = previous?.find((c) => c.type === INSTALLER_CONDITION_TYPES.ready);
    if (eventType && (prevReady?.reason !== ready.reason || prevReady.message !== ready.message)) {
      this.events.warning(va, ready.reason, ready.message);
    }
    const status: VipAnnouncerStatus = {
      ...(gen !== undefined ? { observedGeneration: gen } : {}),
      conditions,
      ...(configHash ? { configHash } : {}),
      desiredSpeakers: rollout.desired,
      readySpeakers: rollout.ready,
      updatedSpeakers: rollout.updated,
    };
    const old = va.status ?? {};
    const unchanged =
      conditionsEqual(old.conditions, conditions) &&
      old.observedGeneration === status.observedGeneration &&
      old.configHash === status.configHash &&
      old.desiredSpeakers === status.desiredSpeakers &&
      old.readySpeakers === status.readySpeakers &&
      old.updatedSpeakers === status.updatedSpeakers;
    if (unchanged) return;
    try {
      await this.announcers.applyStatus({ apiVersion: API_VERSION, kind: INSTALLER_KIND, metadata: { name: va.metadata.name }, status });
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
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

/**
 * Runs the installer next to the announcement controller in one process (main.ts): its own
 * Lease (<leaseName>-installer), stopped on SIGTERM/SIGINT like the rest of the process.
 */
