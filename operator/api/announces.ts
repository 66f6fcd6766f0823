// Whether an announcement's spec asks a node to originate its addresses. Shared: the speaker
// decides its table with it, the controller decides which nodes' reports an announcement's
// status is made of, and both must agree.
import type { V1Node } from '@kubernetes/client-node';
import { EXCLUDE_FROM_LB_LABEL, TO_BE_DELETED_TAINT } from './labels';
import { ALLOCATION_ANNOTATION, type AllocationMode, type VipAnnouncement } from './types';

export interface NodeInfo {
  name: string;
  /**
   * Whether this node may attract Service traffic at all (not excluded, not
   * being drained...). It gates both policies: an excluded node must not
   * announce even a Local Service that still has an endpoint on it.
   */
  eligible: boolean;
  /**
   * Cordoned (kubectl drain's first step) or about to be removed by the cluster autoscaler: it
   * stops attracting Cluster-policy traffic, which every other node can take, before its Pods
   * are evicted; Local-policy routes follow their endpoints as the evictions move them.
   */
  draining?: boolean;
}

/** Whether a Node may announce at all: it exists and does not carry the exclusion label. */
export function nodeEligible(node: { metadata?: { labels?: { readonly [EXCLUDE_FROM_LB_LABEL]?: string } } } | undefined): boolean {
  return node !== undefined && !(EXCLUDE_FROM_LB_LABEL in (node.metadata?.labels ?? {}));
}

/** Whether a Node is being drained: cordoned, or tainted for removal by the cluster autoscaler. */
export function nodeDraining(node: Pick<V1Node, 'spec'> | undefined): boolean {
  return node?.spec?.unschedulable === true || (node?.spec?.taints ?? []).some((t) => t.key === TO_BE_DELETED_TAINT);
}

/** Whether the announcement's spec says this node announces its addresses (its status is not read: speakers do not cache it). */
export function announcesFromNode(a: Pick<VipAnnouncement, 'metadata' | 'spec'>, node: NodeInfo): boolean {
  // A terminating announcement announces nothing: withdraw before the object is gone.
  if (a.metadata.deletionTimestamp) return false;
  if (!node.eligible) return false;
  switch (a.spec.externalTrafficPolicy) {
    case 'Local':
      return (a.spec.nodes ?? []).includes(node.name);
    case 'Cluster':
      // No endpoint counts (a hand-made announcement, no Service behind it): not gated.
      if (node.draining === true) return false;
      return a.spec.endpoints === undefined || a.spec.endpoints.serving > 0;
    default:
      return false; // an unknown policy must not attract traffic
  }
}

/** Whether an announcement was made by the controller for a Service (vs. by hand). */
export function isServiceAnnouncement(va: Pick<VipAnnouncement, 'metadata' | 'spec'>): boolean {
  return (va.metadata.ownerReferences ?? []).some((o) => o.kind === 'Service' && o.controller === true) || va.spec.serviceRef !== undefined;
}

/** How the controller chose the addresses of its announcement (ALLOCATION_ANNOTATION), when it says. */
export function allocationModeOf(va: Pick<VipAnnouncement, 'metadata'> | undefined): AllocationMode | undefined {
  const v = va?.metadata.annotations?.[ALLOCATION_ANNOTATION];
  return v === 'Requested' || v === 'Automatic' || v === 'Adopted' ? v : undefined;
}
