// The installer: every VipAnnouncer (cluster-scoped) becomes the speaker ConfigMap and
// DaemonSet in its namespace. Declared as data for the manager (../kube/manager.ts), which
// runs it while the process holds the Lease. Level-triggered: any event only enqueues a
// VipAnnouncer name, and reconcile(name) reads the caches into a snapshot, plans
// (./planInstaller.ts, pure) and executes the plan here.
//
//   VipAnnouncer ─┐
//   ConfigMap ────┼─ enqueue name ─> reconcile(name): snapshot → planInstaller() → execute:
//   DaemonSet ────┤    apply ConfigMap, then DaemonSet (config hash in the pod template rolls
//   admission ────┘    it), Events, status; an apply failure reports ApplyFailed and rethrows
//   policies, bindings (every name: each status says whether they are enforced)
import type { V1ConfigMap, V1DaemonSet } from '@kubernetes/client-node';
import { type VipAnnouncer } from '../api/types';
import { isNotFound } from '../kube/apply';
import { watch, type Caches, type ControllerDefinition, type ReconcileContext } from '../kube/controllerDefinition';
import type { EventSink } from '../kube/eventSink';
import type { KubeWriter } from '../kube/kubeWriter';
import type { Selector } from '../kube/informer';
import type { Log } from '../util/log';
import { errorMessage } from '../util/log';
import { planApplyFailed, planInstaller, type InstallerAction, type InstallerSnapshot } from './planInstaller';
import { InstallerCached } from './installerCaches';
import { admissionGaps } from '../api/admissionPolicies';
import { CONFIG_HASH_ANNOTATION, namespaceOf, OWNER_LABEL, SPEAKER_NAME } from './render';

export { APPLIED_HASH_ANNOTATION } from './planInstaller';

/** The field manager of the installer's writes: build its KubeWriter with this name. */
export const INSTALLER_FIELD_MANAGER = 'vip-announcer-installer';

import { InstallerResources } from './installerCaches';
export { InstallerResources };

/** Only the speaker objects a VipAnnouncer rendered (they carry its name in this label), in the one namespace it may write to. */
const owned = (namespace: string): Selector => ({ namespace, labelSelector: OWNER_LABEL });

export interface InstallerDeps {
  caches: Caches;
  /** Writes as INSTALLER_FIELD_MANAGER. */
  writer: KubeWriter;
  /** Events as reportingController vipannouncer.io/installer. */
  events: EventSink;
  log: Log;
  /** The only namespace written to: its ConfigMap and DaemonSet are all the installer watches. */
  speakerNamespace: string;
  /** The controller's loadBalancerClasses: the speakers decide from the same Services. */
  loadBalancerClasses?: readonly string[];
  now?: () => Date;
  /** Re-enqueue every VipAnnouncer this often (the config's resyncPeriodMs; 0 = off). */
  requeueAllPeriodMs?: number;
}

export function installerController(deps: InstallerDeps): ControllerDefinition {
  const announcers = () => deps.caches.informer(InstallerCached.vipAnnouncers);
  const byOwner = (...objs: Array<{ metadata?: { labels?: Record<string, string> } } | undefined>): string[] =>
    objs.flatMap((o) => o?.metadata?.labels?.[OWNER_LABEL] ?? []);
  return {
    name: 'installer',
    leaderElected: true,
    concurrency: 2,
    requeueAllPeriodMs: deps.requeueAllPeriodMs,
    watches: [
      // Which announcer is in effect depends on all of them: any change re-checks every one.
      watch({ shape: InstallerCached.vipAnnouncers, toKeys: () => [...announcers().keys()] }),
      watch({ shape: InstallerCached.configMaps, selector: owned(deps.speakerNamespace), toKeys: (_t, obj, old) => byOwner(obj, old) }),
      watch({ shape: InstallerCached.daemonSets, selector: owned(deps.speakerNamespace), toKeys: (_t, obj, old) => byOwner(obj, old) }),
      // Every announcer's status says whether the admission policies are enforced. Optional: a
      // refused LIST (a ClusterRole not updated) makes that Unknown, and stops nothing else.
      watch({ shape: InstallerCached.admissionPolicies, optional: true, toKeys: () => [...announcers().keys()] }),
      watch({ shape: InstallerCached.admissionPolicyBindings, optional: true, toKeys: () => [...announcers().keys()] }),
    ],
    fullSyncKeys: () => announcers().keys(),
    reconcile: async (name, ctx) => {
      const snapshot = { ...installerSnapshot(deps.caches, name, deps.speakerNamespace, deps.now?.() ?? new Date()), ...(deps.loadBalancerClasses ? { loadBalancerClasses: deps.loadBalancerClasses } : {}) };
      await executeInstallerPlan(snapshot, planInstaller(snapshot), { writer: deps.writer, events: deps.events }, ctx);
    },
  };
}

/** The gaps in the admission policies; null while their caches could not be listed. */
function admissionSnapshot(caches: Caches, namespace: string): readonly string[] | null {
  const policies = caches.informer(InstallerCached.admissionPolicies);
  const bindings = caches.informer(InstallerCached.admissionPolicyBindings);
  if (!policies.hasSynced() || !bindings.hasSynced()) return null;
  return admissionGaps(
    policies.list().map((p) => ({ name: p.metadata.name ?? '', ...(p.serviceAccountNamespaces ? { serviceAccountNamespaces: p.serviceAccountNamespaces } : {}) })),
    bindings.list().map((b) => ({ name: b.metadata.name ?? '', ...b.spec })),
    namespace,
  );
}

/** What planInstaller needs, read from the caches. */
export function installerSnapshot(caches: Caches, name: string, speakerNamespace: string, now: Date): InstallerSnapshot {
  const vas = caches.informer(InstallerCached.vipAnnouncers);
  const announcer = vas.get(name);
  const key = announcer ? `${namespaceOf(announcer)}/${SPEAKER_NAME}` : undefined;
  return {
    announcer,
    announcers: vas.list(),
    configMap: key ? caches.informer(InstallerCached.configMaps, owned(speakerNamespace)).get(key) : undefined,
    daemonSet: key ? caches.informer(InstallerCached.daemonSets, owned(speakerNamespace)).get(key) : undefined,
    speakerNamespace,
    admissionGaps: admissionSnapshot(caches, speakerNamespace),
    now,
  };
}

export interface InstallerSinks {
  writer: KubeWriter;
  events: EventSink;
}

/**
 * Runs the actions in order. When applying the ConfigMap or DaemonSet fails, reports
 * ApplyFailed (status, Warning Event when new) and rethrows, so the queue retries with backoff.
 */
export async function executeInstallerPlan(
  snapshot: InstallerSnapshot,
  actions: readonly InstallerAction[],
  sinks: InstallerSinks,
  ctx: Pick<ReconcileContext, 'log' | 'signal'>,
): Promise<void> {
  const announcer = snapshot.announcer;
  if (!announcer) return;
  for (const action of actions) {
    try {
      await execute(action, announcer, sinks, ctx);
    } catch (err) {
      if (action.kind !== 'applyConfigMap' && action.kind !== 'applyDaemonSet') throw err;
      for (const a of planApplyFailed(snapshot, errorMessage(err))) await execute(a, announcer, sinks, ctx);
      throw err;
    }
  }
}

async function execute(action: InstallerAction, announcer: VipAnnouncer, sinks: InstallerSinks, ctx: Pick<ReconcileContext, 'log' | 'signal'>): Promise<void> {
  const { writer, events } = sinks;
  const signal = ctx.signal;
  switch (action.kind) {
    case 'applyConfigMap': {
      await writer.apply<V1ConfigMap>(InstallerResources.configMaps, action.body, { signal });
      const hash = action.body.metadata?.annotations?.[CONFIG_HASH_ANNOTATION] ?? '';
      ctx.log.info('speaker config applied', { namespace: action.body.metadata?.namespace, hash: hash.slice(0, 12) });
      return;
    }
    case 'applyDaemonSet': {
      const ds = await writer.apply<V1DaemonSet>(InstallerResources.daemonSets, action.body, { signal });
      ctx.log.info('speaker DaemonSet applied', { namespace: action.body.metadata?.namespace, generation: ds.metadata?.generation });
      return;
    }
    case 'applyStatus':
      try {
        await writer.applyStatus(InstallerResources.vipAnnouncers, action.body, { signal });
      } catch (err) {
        if (!isNotFound(err)) throw err; // deleted meanwhile: nothing to report on
      }
      return;
    case 'event':
      if (action.type === 'Warning') events.warning(announcer, action.reason, action.message);
      else events.normal(announcer, action.reason, action.message);
      return;
  }
}
