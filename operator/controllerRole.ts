// The controller role: the announcement and pool controllers and the installer, on the
// operator's manager (leader-elected in its one Lease).
import { announcementController, CONTROLLER_FIELD_MANAGER } from './controller/announcementController';
import { poolController } from './controller/poolController';
import type { ControllerConfig } from './config';
import { installerController, INSTALLER_FIELD_MANAGER } from './installer/installerController';
import { Cached } from './kube/cachedKinds';
import { EventRecorder } from './kube/events';
import { KubeListWatcher, listFresh } from './kube/informer';
import { apiKubeWriter } from './kube/kubeWriter';
import type { RoleContext } from './kube/processManager';
import { Resources } from './kube/resources';

/** The announcement and pool controllers and the installer; all lead in the manager's one Lease. */
export function addControllerRole(ctx: RoleContext, config: ControllerConfig): void {
  const { manager, connection, log, identity } = ctx;
  const recorder = (controller: string): EventRecorder =>
    new EventRecorder(connection, { reportingController: `vipannouncer.io/${controller}`, reportingInstance: identity, logger: log });
  const announcementEvents = recorder('controller');
  const installerEvents = recorder('installer');
  manager.add(
    announcementController({
      caches: manager,
      writer: apiKubeWriter(connection, CONTROLLER_FIELD_MANAGER),
      events: announcementEvents,
      config,
      // Trimmed as the announcement cache is: the term's table reads the same shape.
      listAnnouncements: (signal) => listFresh(new KubeListWatcher(connection, Resources.vipAnnouncements, {}, undefined, Cached.announcements.trim), signal),
    }),
  );
  manager.add(poolController({ caches: manager, writer: apiKubeWriter(connection, CONTROLLER_FIELD_MANAGER), resyncPeriodMs: config.resyncPeriodMs, systemNamespace: process.env.POD_NAMESPACE }));
  manager.add(
    installerController({ caches: manager, writer: apiKubeWriter(connection, INSTALLER_FIELD_MANAGER), events: installerEvents, log, speakerNamespace: config.speakerNamespace, loadBalancerClasses: config.loadBalancerClasses, requeueAllPeriodMs: config.resyncPeriodMs }),
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
