// The pool controller: every VipPool gets its finalizer (a delete waits while addresses of it
// are held) and its status (addresses allocated and free per family, Ready, DeletionBlocked),
// computed from the caches on every reconcile.
//
//   reconcile(name): read caches → planPool() → execute the actions in order
import { namespaceUninstalling } from '../api/uninstall';
import { watch, type Caches, type ControllerDefinition } from '../kube/controllerDefinition';
import type { KubeWriter } from '../kube/kubeWriter';
import { isNotFound } from '../kube/request';
import { Resources } from '../kube/resources';
import { metrics } from '../util/metrics';
import { planPool, type PoolAction } from './planPool';
import { Cached } from '../kube/cachedKinds';

/** How long a pool's counts wait for more allocations before its status is written. */
const COUNT_COALESCE_MS = 1_000;

export interface PoolControllerDeps {
  caches: Caches;
  writer: KubeWriter;
  resyncPeriodMs: number;
  now?: () => Date;
  /** The controller's own namespace (env POD_NAMESPACE): its deletion is an uninstall. */
  systemNamespace?: string;
}

export function poolController(deps: PoolControllerDeps): ControllerDefinition {
  const pools = deps.caches.informer(Cached.pools);
  const announcements = deps.caches.informer(Cached.announcements);
  const namespaces = deps.caches.informer(Cached.namespaces);
  const uninstalling = (): boolean => deps.systemNamespace !== undefined && namespaceUninstalling(namespaces.get(deps.systemNamespace));
  return {
    name: 'pool',
    leaderElected: true,
    concurrency: 2,
    requeueAllPeriodMs: deps.resyncPeriodMs,
    watches: [
      watch({ shape: Cached.pools, toKeys: (_t, pool) => [pool.metadata.name] }),
      // Only a spec change (or an announcement coming or going) moves the counts; speakers' reports
      // do not. Counts wait a moment, so a burst of allocations is one status write per pool.
      watch({
        shape: Cached.announcements,
        toKeys: (type, va, old) =>
          type === 'MODIFIED' && va.metadata.generation === old?.metadata.generation && va.metadata.deletionTimestamp === old?.metadata.deletionTimestamp ? [] : [...pools.keys()].map((key) => ({ key, afterMs: COUNT_COALESCE_MS })),
      }),
      // An uninstall: every pool lets go of its finalizer before the controller is gone.
      watch({
        shape: Cached.namespaces,
        toKeys: (_t, ns) => (ns.metadata?.name === deps.systemNamespace && namespaceUninstalling(ns) ? [...pools.keys()] : []),
      }),
    ],
    fullSyncKeys: () => pools.keys(),
    reconcile: async (name, ctx) => {
      const pool = pools.get(name);
      if (!pool) return undefined;
      const namespaceLabels = (ns: string): Readonly<Record<string, string>> | undefined => namespaces.get(ns)?.metadata?.labels;
      const actions = planPool({ pool, pools: pools.list(), announcements: announcements.list(), namespaceLabels, now: deps.now?.() ?? new Date(), uninstalling: uninstalling() });
      for (const action of actions) await executePoolAction(action, deps.writer, ctx.signal);
      return undefined;
    },
  };
}

async function executePoolAction(action: PoolAction, writer: KubeWriter, signal: AbortSignal): Promise<void> {
  try {
    // Server-side apply as the controller: applying without the finalizer releases the one we own.
    if (action.kind === 'applyStatus') {
      await writer.applyStatus(Resources.vipPools, action.body, { signal });
      metrics.statusWrites.inc({ role: 'controller' });
    } else {
      await writer.apply(Resources.vipPools, action.body, { signal });
    }
  } catch (err) {
    if (!isNotFound(err)) throw err;
  }
}
