// The uninstall signal, read alike by the speakers (withdraw on shutdown instead of keeping the
// routes for graceful restart) and the pool controller (let go of the pools' finalizers, as
// nothing would remove them later). `kubectl delete -k config/default` gives it by deleting the
// namespace; `helm uninstall` keeps the namespace, so the chart's pre-delete hook
// (`vip-announcer prepare-uninstall`) annotates it instead.
import type { V1Namespace } from '@kubernetes/client-node';

export const UNINSTALL_ANNOTATION = 'vipannouncer.io/uninstall';

/** Whether the product's namespace says it is being uninstalled: deleted, or annotated so. */
export function namespaceUninstalling(ns: Pick<V1Namespace, 'metadata'> | undefined): boolean {
  return Boolean(ns?.metadata?.deletionTimestamp) || ns?.metadata?.annotations?.[UNINSTALL_ANNOTATION] === 'true';
}

/** A live read of the product's namespace at shutdown (the speaker's permissions: list). */
export type NamespaceLookup = { kind: 'found'; namespace: Pick<V1Namespace, 'metadata'> } | { kind: 'gone' } | { kind: 'forbidden' } | { kind: 'unknown' };

/**
 * Whether a live read says the product is being uninstalled. The namespace gone, or this
 * identity's permissions revoked (uninstalling deletes the ClusterRoles; a rollout never
 * does): yes. An error or no answer: no, so an API outage during a rollout keeps the routes.
 */
export function uninstallingByLookup(lookup: NamespaceLookup): boolean {
  if (lookup.kind === 'found') return namespaceUninstalling(lookup.namespace);
  return lookup.kind === 'gone' || lookup.kind === 'forbidden';
}
