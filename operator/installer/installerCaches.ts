// What the installer caches, and as what: VipAnnouncers, and the speakers' ConfigMap and
// DaemonSet it rendered (labels kept: the owner label maps them back to their announcer).
import type { V1ConfigMap, V1DaemonSet } from '@kubernetes/client-node';
import { INSTALLER_KIND, type VipAnnouncer } from '../api/types';
import { cacheShape, type AllLabels, type Trimmed } from '../kube/cacheShape';
import type { ResourceRef } from '../kube/resources';

export const InstallerResources = {
  vipAnnouncers: { group: 'vipannouncer.io', version: 'v1alpha1', plural: 'vipannouncers', kind: INSTALLER_KIND, namespaced: false },
  configMaps: { group: '', version: 'v1', plural: 'configmaps', kind: 'ConfigMap', namespaced: true },
  daemonSets: { group: 'apps', version: 'v1', plural: 'daemonsets', kind: 'DaemonSet', namespaced: true },
} as const satisfies Record<string, ResourceRef>;

export type CachedAnnouncer = Trimmed<VipAnnouncer, AllLabels>;
export type CachedConfigMap = Trimmed<V1ConfigMap, AllLabels>;
export type CachedDaemonSet = Trimmed<V1DaemonSet, AllLabels>;

export const InstallerCached = {
  vipAnnouncers: cacheShape<CachedAnnouncer>(InstallerResources.vipAnnouncers, 'announcer', 'all'),
  configMaps: cacheShape<CachedConfigMap>(InstallerResources.configMaps, 'configmap', 'all'),
  daemonSets: cacheShape<CachedDaemonSet>(InstallerResources.daemonSets, 'daemonset', 'all'),
} as const;
