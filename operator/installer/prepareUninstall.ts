// `vip-announcer prepare-uninstall`: what the Helm chart's pre-delete hook runs before helm
// deletes the controller. `helm uninstall` keeps the namespace, so the signal that
// `kubectl delete -k` gives by deleting it is given here (api/uninstall.ts): the namespace is
// annotated, the VipAnnouncers that install speakers into it are deleted (their DaemonSets go
// with them, and each speaker withdraws its routes as it stops), and the hook waits until no
// speaker Pod is left and the controller has let go of every pool's finalizer, so nothing is
// left holding a route or blocking a later CRD deletion.
import type { KubeConfig } from '@kubernetes/client-node';
import { POOL_FINALIZER } from '../api/pool';
import { UNINSTALL_ANNOTATION } from '../api/uninstall';
import { MERGE_PATCH } from '../kube/apply';
import { isNotFound, kubeRequest } from '../kube/request';
import type { Log } from '../util/log';

const GROUP = '/apis/vipannouncer.io/v1alpha1';
const SPEAKER_SELECTOR = 'app.kubernetes.io/component=speaker,app.kubernetes.io/part-of=vip-announcer';
/** VipAnnouncer spec.namespace when unset (the CRD's default). */
const DEFAULT_SPEAKER_NAMESPACE = 'vip-announcer';

interface Named {
  metadata?: { name?: string; finalizers?: string[] };
  spec?: { namespace?: string };
}

/** What still stands in the way of the uninstall, as a reader would say it. Pure. */
export function uninstallRemaining(view: { speakerPods: readonly Named[]; pools: readonly Named[] }): string[] {
  const pods = view.speakerPods.map((p) => p.metadata?.name ?? '');
  const held = view.pools.filter((p) => (p.metadata?.finalizers ?? []).includes(POOL_FINALIZER)).map((p) => p.metadata?.name ?? '');
  return [...(pods.length > 0 ? [`speaker Pods ${pods.join(', ')}`] : []), ...(held.length > 0 ? [`the finalizer ${POOL_FINALIZER} on VipPools ${held.join(', ')}`] : [])];
}

/** The VipAnnouncers whose speakers run in `namespace`. Pure. */
export function announcersIn(announcers: readonly Named[], namespace: string): string[] {
  return announcers.filter((a) => (a.spec?.namespace ?? DEFAULT_SPEAKER_NAMESPACE) === namespace).map((a) => a.metadata?.name ?? '');
}

export interface PrepareUninstallOptions {
  namespace: string;
  timeoutMs: number;
  log: Log;
  pollMs?: number;
}

/** True once nothing is left; false when the time ran out (what remains is logged). */
export async function prepareUninstall(kc: KubeConfig, opts: PrepareUninstallOptions): Promise<boolean> {
  const { namespace, log } = opts;
  await kubeRequest(kc, { method: 'PATCH', path: `/api/v1/namespaces/${namespace}`, contentType: MERGE_PATCH, body: { metadata: { annotations: { [UNINSTALL_ANNOTATION]: 'true' } } } });
  log.info('namespace annotated for uninstall: speakers withdraw as they stop, the controller releases the pools', { namespace, annotation: UNINSTALL_ANNOTATION });
  const announcers = announcersIn(await items(kc, `${GROUP}/vipannouncers`), namespace);
  for (const name of announcers) {
    await kubeRequest(kc, { method: 'DELETE', path: `${GROUP}/vipannouncers/${name}` }).catch((err: unknown) => {
      if (!isNotFound(err)) throw err;
    });
    log.info('VipAnnouncer deleted: its speakers stop', { name });
  }
  const deadline = Date.now() + opts.timeoutMs;
  for (;;) {
    const remaining = uninstallRemaining({
      speakerPods: await items(kc, `/api/v1/namespaces/${namespace}/pods`, { labelSelector: SPEAKER_SELECTOR }),
      pools: await items(kc, `${GROUP}/vippools`),
    });
    if (remaining.length === 0) {
      log.info('ready for uninstall: no speaker left, no pool held', { namespace });
      return true;
    }
    if (Date.now() >= deadline) {
      log.error('still there when the time ran out; helm uninstall would leave them behind', { namespace, remaining, timeoutMs: opts.timeoutMs });
      return false;
    }
    await new Promise((resolve) => setTimeout(resolve, opts.pollMs ?? 1_000));
  }
}

async function items(kc: KubeConfig, path: string, query?: Record<string, string>): Promise<Named[]> {
  const list = (await kubeRequest(kc, { method: 'GET', path, query })) as { items?: Named[] } | undefined;
  return list?.items ?? [];
}
