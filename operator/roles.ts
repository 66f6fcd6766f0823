// Which controllers each role adds to the process's manager, and the clients they write
// through. The only place that knows both the manager and the roles' concrete adapters.
import type { KubeConfig, V1Namespace } from '@kubernetes/client-node';
import type { NamespaceLookup } from './api/uninstall';
import type { ControllerConfig, SpeakerConfig } from './config';
import { announcementController, CONTROLLER_FIELD_MANAGER } from './controller/announcementController';
import { poolController } from './controller/poolController';
import { createRouter } from './gobgp/autoRouter';
import { installerController, INSTALLER_FIELD_MANAGER } from './installer/installerController';
import { EventRecorder } from './kube/events';
import { KubeListWatcher, listFresh } from './kube/informer';
import { Resources } from './kube/resources';
import { Cached } from './kube/cachedKinds';
import { apiKubeWriter } from './kube/kubeWriter';
import { isKubeApiError, kubeRequest } from './kube/request';
import type { Manager } from './kube/manager';
import { speakerFieldManager } from './speaker/nodeIdentity';
import { clearDoneFile, writeDoneFile } from './speaker/doneFile';
import { speakerRole } from './speaker/speakerController';
import { speakerDonePath } from './util/gobgpTarget';
import type { Log } from './util/log';

export interface RoleContext {
  manager: Manager;
  kubeConfig: KubeConfig;
  log: Log;
  /** Unique per process: Event reporting instance. */
  identity: string;
}

/** The announcement and pool controllers and the installer; all lead in the manager's one Lease. */
export function addControllerRole(ctx: RoleContext, config: ControllerConfig): void {
  const { manager, kubeConfig, log, identity } = ctx;
  const recorder = (controller: string): EventRecorder =>
    new EventRecorder(kubeConfig, { reportingController: `vipannouncer.io/${controller}`, reportingInstance: identity, logger: log });
  const announcementEvents = recorder('controller');
  const installerEvents = recorder('installer');
  manager.add(
    announcementController({
      caches: manager,
      writer: apiKubeWriter(kubeConfig, CONTROLLER_FIELD_MANAGER),
      events: announcementEvents,
      config,
      // Trimmed as the announcement cache is: the term's table reads the same shape.
      listAnnouncements: (signal) => listFresh(new KubeListWatcher(kubeConfig, Resources.vipAnnouncements, {}, undefined, Cached.announcements.trim), signal),
    }),
  );
  manager.add(poolController({ caches: manager, writer: apiKubeWriter(kubeConfig, CONTROLLER_FIELD_MANAGER), resyncPeriodMs: config.resyncPeriodMs, systemNamespace: process.env.POD_NAMESPACE }));
  manager.add(
    installerController({ caches: manager, writer: apiKubeWriter(kubeConfig, INSTALLER_FIELD_MANAGER), events: installerEvents, log, speakerNamespace: config.speakerNamespace, loadBalancerClasses: config.loadBalancerClasses, requeueAllPeriodMs: config.resyncPeriodMs }),
  );
  // A lost Lease must not leave an Event backlog writing on behalf of a term that ended.
  manager.onLeadershipLost(() => {
    announcementEvents.drop();
    installerEvents.drop();
  });
  manager.onStop(async () => {
    await Promise.all([announcementEvents.close(), installerEvents.close()]);
  });
}

/** The speaker of one node, driving its gobgpd. */
export function addSpeakerRole(ctx: RoleContext, config: SpeakerConfig): void {
  const { manager, kubeConfig, log } = ctx;
  const router = createRouter(config.gobgp.target, config.gobgp.api, { timeoutMs: config.gobgp.timeoutMs }, (api) =>
    log.info('gobgpd serves this gRPC API', { node: config.nodeName, api, target: config.gobgp.target }),
  );
  const speaker = speakerRole({
    caches: manager,
    router,
    writer: apiKubeWriter(kubeConfig, speakerFieldManager(config.nodeName)),
    config,
    log: log.child({ node: config.nodeName }),
    podNamespace: process.env.POD_NAMESPACE,
    readNamespace: (name, signal) => readNamespace(kubeConfig, name, signal),
  });
  manager.add(speaker.controller);
  manager.addReadyCheck('gobgpd not answering', () => speaker.gobgpReachable());
  // The done file is written whatever shutdown did, so gobgpd's preStop hook never waits for nothing.
  const donePath = speakerDonePath(config.gobgp.target);
  clearDoneFile(donePath, log);
  manager.onStop(async () => {
    try {
      await speaker.shutdown();
    } finally {
      writeDoneFile(donePath, log);
    }
  });
}

/** The namespace by a LIST with a field selector (the speaker may list namespaces, not get them). */
async function readNamespace(kc: KubeConfig, name: string, signal: AbortSignal): Promise<NamespaceLookup> {
  try {
    const list = (await kubeRequest(kc, { method: 'GET', path: '/api/v1/namespaces', query: { fieldSelector: `metadata.name=${name}` }, signal, timeoutMs: 2_000 })) as { items?: V1Namespace[] } | undefined;
    const found = list?.items?.[0];
    return found ? { kind: 'found', namespace: found } : { kind: 'gone' };
  } catch (err) {
    return isKubeApiError(err) && (err.statusCode === 401 || err.statusCode === 403) ? { kind: 'forbidden' } : { kind: 'unknown' };
  }
}
