// What the installer caches, and as what: VipAnnouncers, the speakers' ConfigMap and
// DaemonSet it rendered (labels kept: the owner label maps them back to their announcer), and
// the admission policies and their bindings, by name only (api/admissionPolicies.ts).
import type { V1ConfigMap, V1DaemonSet, V1ObjectMeta } from '@kubernetes/client-node';
import { INSTALLER_KIND, type VipAnnouncer } from '../api/types';
import { cacheShape, keepOnly, type AllLabels, type CachedMeta, type NoLabels, type Trimmed } from '../kube/cacheShape';
import type { ResourceRef } from '../kube/resources';

export const InstallerResources = {
  vipAnnouncers: { group: 'vipannouncer.io', version: 'v1alpha1', plural: 'vipannouncers', kind: INSTALLER_KIND, namespaced: false },
  configMaps: { group: '', version: 'v1', plural: 'configmaps', kind: 'ConfigMap', namespaced: true },
  daemonSets: { group: 'apps', version: 'v1', plural: 'daemonsets', kind: 'DaemonSet', namespaced: true },
  admissionPolicies: { group: 'admissionregistration.k8s.io', version: 'v1', plural: 'validatingadmissionpolicies', kind: 'ValidatingAdmissionPolicy', namespaced: false },
  admissionPolicyBindings: { group: 'admissionregistration.k8s.io', version: 'v1', plural: 'validatingadmissionpolicybindings', kind: 'ValidatingAdmissionPolicyBinding', namespaced: false },
} as const satisfies Record<string, ResourceRef>;

export type CachedAnnouncer = Trimmed<VipAnnouncer, AllLabels>;
export type CachedConfigMap = Trimmed<V1ConfigMap, AllLabels>;
export type CachedDaemonSet = Trimmed<V1DaemonSet, AllLabels>;

type PolicyMeta = { metadata: CachedMeta<Pick<V1ObjectMeta, 'name' | 'uid' | 'resourceVersion' | 'deletionTimestamp'>, NoLabels> };
/**
 * A policy: its name, and the namespaces of the ServiceAccount user names its expressions
 * name (system:serviceaccount:NS:...), drawn from its spec as it is cached (the spec goes):
 * a policy written for another namespace enforces nothing for this install.
 */
export type CachedAdmissionPolicy = PolicyMeta & { serviceAccountNamespaces?: string[] };
/** A binding: which policy, with which actions. */
export type CachedPolicyBinding = PolicyMeta & { spec?: { policyName?: string; validationActions?: string[] } };

const POLICY_META_KEPT: readonly string[] = ['name', 'uid', 'resourceVersion', 'deletionTimestamp'];

const SERVICE_ACCOUNT_USER = /system:serviceaccount:([a-z0-9]([-a-z0-9]*[a-z0-9])?):/g;

function keepPolicyMeta(obj: Record<string, unknown>): void {
  keepOnly(obj.metadata, POLICY_META_KEPT);
  delete obj.spec;
  delete obj.status;
}

function keepPolicyNames(obj: Record<string, unknown>): void {
  const text = JSON.stringify(obj.spec ?? {});
  keepPolicyMeta(obj);
  obj.serviceAccountNamespaces = [...new Set([...text.matchAll(SERVICE_ACCOUNT_USER)].map((m) => m[1]))].sort();
}

function keepBindingTarget(obj: Record<string, unknown>): void {
  const spec = obj.spec as { policyName?: unknown; validationActions?: unknown } | undefined;
  keepPolicyMeta(obj);
  if (spec) obj.spec = { policyName: spec.policyName, validationActions: spec.validationActions };
}

export const InstallerCached = {
  vipAnnouncers: cacheShape<CachedAnnouncer>(InstallerResources.vipAnnouncers, 'announcer', 'all'),
  configMaps: cacheShape<CachedConfigMap>(InstallerResources.configMaps, 'configmap', 'all'),
  daemonSets: cacheShape<CachedDaemonSet>(InstallerResources.daemonSets, 'daemonset', 'all'),
  admissionPolicies: cacheShape<CachedAdmissionPolicy>(InstallerResources.admissionPolicies, 'admission-policy', 'none', keepPolicyNames),
  admissionPolicyBindings: cacheShape<CachedPolicyBinding>(InstallerResources.admissionPolicyBindings, 'admission-binding', 'none', keepBindingTarget),
} as const;
