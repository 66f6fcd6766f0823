// Each kind the controllers cache, as the cache keeps it: the type a reader gets and the shape
// that trims a served object to it (./cacheShape.ts). Labels stay only where a selector or a
// decision reads them:
//   Service          all: a pool's serviceSelector selects Services by them
//   Namespace        all: a pool's namespaceSelector
//   VipAnnouncement  all: a pool's serviceSelector selects hand-made announcements by them
//   EndpointSlice    kubernetes.io/service-name (the slice's Service without an ownerReference);
//                    the rest are its Service's labels, copied by the EndpointSlice controller
//   Node             the exclusion label (node.kubernetes.io/exclude-from-external-load-balancers)
//   VipPool, VipSpeaker  none (a VipSpeaker keeps only the metadata api/vipSpeaker.ts declares)
// The speaker never reads an announcement's status (the controller's summary of the speakers'
// reports, per node and peer: most of the object), so its cache holds metadata and spec alone.
// A Service keeps only the spec and status fields the controller's decisions read (tenants write
// the rest: externalIPs, sessionAffinityConfig, port names and targetPorts, status.conditions).
import type { V1EndpointSlice, V1LoadBalancerIngress, V1Namespace, V1Node, V1NodeStatus, V1Service, V1ServicePort, V1ServiceSpec } from '@kubernetes/client-node';
import { EXCLUDE_FROM_LB_LABEL, SERVICE_NAME_LABEL } from '../api/labels';
import type { VipPool } from '../api/pool';
import type { VipAnnouncement } from '../api/types';
import type { VipSpeaker } from '../api/vipSpeaker';
import { cacheShape, keepOnly, type AllLabels, type CacheShape, type NoLabels, type OnlyLabels, type Trimmed } from './cacheShape';
import { Resources, type KubeObject } from './resources';

/** Labels of an EndpointSlice that decisions read. */
export const SLICE_LABELS_READ = [SERVICE_NAME_LABEL] as const;
/** Labels of a Node that decisions read. */
export const NODE_LABELS_READ = [EXCLUDE_FROM_LB_LABEL] as const;
/** Node status fields no decision reads (kubelet's inventory of images and volumes). */
export const NODE_STATUS_UNUSED = ['images', 'volumesInUse', 'volumesAttached'] as const;

/**
 * Service spec fields that decisions read: whether it is ours (type, loadBalancerClass), what it
 * asks for (loadBalancerIP, ipFamilies, ipFamilyPolicy), where it is announced from
 * (externalTrafficPolicy), and whom it may share an address with (selector, ports).
 */
export const SERVICE_SPEC_READ = ['type', 'loadBalancerClass', 'loadBalancerIP', 'ipFamilies', 'ipFamilyPolicy', 'externalTrafficPolicy', 'selector', 'ports'] as const;
/** Of each port, what address sharing compares ("TCP/80"). */
export const SERVICE_PORT_READ = ['port', 'protocol'] as const;
/** Service status fields that decisions read: the ingress, adopted or compared with what we write. */
export const SERVICE_STATUS_READ = ['loadBalancer'] as const;
/** Of each ingress entry, its address alone. */
export const SERVICE_INGRESS_READ = ['ip'] as const;

export type CachedServiceSpec = Omit<Pick<V1ServiceSpec, (typeof SERVICE_SPEC_READ)[number]>, 'ports'> & { ports?: Pick<V1ServicePort, (typeof SERVICE_PORT_READ)[number]>[] };
export type CachedServiceStatus = { [K in (typeof SERVICE_STATUS_READ)[number]]?: { ingress?: Pick<V1LoadBalancerIngress, (typeof SERVICE_INGRESS_READ)[number]>[] } };
export type CachedService = Trimmed<Omit<V1Service, 'spec' | 'status'> & { spec?: CachedServiceSpec; status?: CachedServiceStatus }, AllLabels>;
export type CachedNamespace = Trimmed<V1Namespace, AllLabels>;
export type CachedEndpointSlice = Trimmed<V1EndpointSlice, OnlyLabels<(typeof SLICE_LABELS_READ)[number]>>;
export type CachedNodeStatus = Omit<V1NodeStatus, (typeof NODE_STATUS_UNUSED)[number]>;
export type CachedNode = Trimmed<Omit<V1Node, 'status'> & { status?: CachedNodeStatus }, OnlyLabels<(typeof NODE_LABELS_READ)[number]>>;
/**
 * A speaker's own Node: every label and annotation, since peers' nodeSelectors and the
 * VipAnnouncer's asnFrom / routerIdFrom may name any (one object, so cheap).
 */
export type CachedOwnNode = Omit<V1Node, 'status'> & { status?: CachedNodeStatus };
/** An announcement as the controller caches it (it folds the reports into the status). */
export type CachedAnnouncement = Trimmed<VipAnnouncement, AllLabels>;
/** An announcement as a speaker caches it: no status. */
export type SpeakerAnnouncement = Omit<CachedAnnouncement, 'status'>;
export type CachedPool = Trimmed<VipPool, NoLabels>;
export type CachedSpeakerReport = Trimmed<VipSpeaker, NoLabels>;

/** The metadata of a VipSpeaker its readers know (api/vipSpeaker.ts): the rest goes. */
const REPORT_META_KEPT: readonly string[] = ['name', 'uid', 'resourceVersion', 'ownerReferences', 'annotations'] satisfies (keyof NonNullable<CachedSpeakerReport['metadata']>)[];

/** `keepOnly` on each element of `list`, when it is an array. */
function keepOnlyEach(list: unknown, kept: readonly string[]): void {
  if (Array.isArray(list)) for (const item of list) keepOnly(item, kept);
}

function keepReportMeta(report: Record<string, unknown>): void {
  keepOnly(report.metadata, REPORT_META_KEPT);
}

function keepServiceReads(svc: Record<string, unknown>): void {
  const { spec, status } = svc as { spec?: { ports?: unknown }; status?: { loadBalancer?: { ingress?: unknown } } };
  keepOnly(spec, SERVICE_SPEC_READ);
  keepOnlyEach(spec?.ports, SERVICE_PORT_READ);
  keepOnly(status, SERVICE_STATUS_READ);
  keepOnly(status?.loadBalancer, ['ingress']);
  keepOnlyEach(status?.loadBalancer?.ingress, SERVICE_INGRESS_READ);
}

function dropNodeInventory(node: Record<string, unknown>): void {
  const status = node.status;
  if (typeof status !== 'object' || status === null) return;
  for (const field of NODE_STATUS_UNUSED) delete (status as Record<string, unknown>)[field];
}

function keepOwnNode(node: KubeObject): CachedOwnNode {
  if (node.metadata && 'managedFields' in node.metadata) delete (node.metadata as Record<string, unknown>).managedFields;
  dropNodeInventory(node as Record<string, unknown>);
  return node;
}

/** The shapes the controllers read their caches through. */
export const Cached = {
  services: cacheShape<CachedService>(Resources.services, 'service', 'all', keepServiceReads),
  namespaces: cacheShape<CachedNamespace>(Resources.namespaces, 'namespace', 'all'),
  endpointSlices: cacheShape<CachedEndpointSlice>(Resources.endpointSlices, 'slice', SLICE_LABELS_READ),
  nodes: cacheShape<CachedNode>(Resources.nodes, 'node', NODE_LABELS_READ, dropNodeInventory),
  ownNode: { resource: Resources.nodes, name: 'own-node', trim: (node: KubeObject): CachedOwnNode => keepOwnNode(node) } satisfies CacheShape<CachedOwnNode>,
  announcements: cacheShape<CachedAnnouncement>(Resources.vipAnnouncements, 'announcement', 'all'),
  speakerAnnouncements: cacheShape<SpeakerAnnouncement>(Resources.vipAnnouncements, 'announcement-spec', 'all', (va) => delete va.status),
  pools: cacheShape<CachedPool>(Resources.vipPools, 'pool', 'none'),
  speakerReports: cacheShape<CachedSpeakerReport>(Resources.vipSpeakers, 'report', 'none', keepReportMeta),
} as const;
