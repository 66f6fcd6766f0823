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
import type { V1EndpointSlice, V1Namespace, V1Node, V1NodeStatus, V1Service } from '@kubernetes/client-node';
import { EXCLUDE_FROM_LB_LABEL, SERVICE_NAME_LABEL } from '../api/labels';
import type { VipPool } from '../api/pool';
import type { VipAnnouncement } from '../api/types';
import type { VipSpeaker } from '../api/vipSpeaker';
import { cacheShape, type AllLabels, type NoLabels, type OnlyLabels, type Trimmed } from './cacheShape';
import { Resources } from './resources';

/** Labels of an EndpointSlice that decisions read. */
export const SLICE_LABELS_READ = [SERVICE_NAME_LABEL] as const;
/** Labels of a Node that decisions read. */
export const NODE_LABELS_READ = [EXCLUDE_FROM_LB_LABEL] as const;
/** Node status fields no decision reads (kubelet's inventory of images and volumes). */
export const NODE_STATUS_UNUSED = ['images', 'volumesInUse', 'volumesAttached'] as const;

export type CachedService = Trimmed<V1Service, AllLabels>;
export type CachedNamespace = Trimmed<V1Namespace, AllLabels>;
export type CachedEndpointSlice = Trimmed<V1EndpointSlice, OnlyLabels<(typeof SLICE_LABELS_READ)[number]>>;
export type CachedNodeStatus = Omit<V1NodeStatus, (typeof NODE_STATUS_UNUSED)[number]>;
export type CachedNode = Trimmed<Omit<V1Node, 'status'> & { status?: CachedNodeStatus }, OnlyLabels<(typeof NODE_LABELS_READ)[number]>>;
/** An announcement as the controller caches it (it folds the reports into the status). */
export type CachedAnnouncement = Trimmed<VipAnnouncement, AllLabels>;
/** An announcement as a speaker caches it: no status. */
export type SpeakerAnnouncement = Omit<CachedAnnouncement, 'status'>;
export type CachedPool = Trimmed<VipPool, NoLabels>;
export type CachedSpeakerReport = Trimmed<VipSpeaker, NoLabels>;

/** The metadata of a VipSpeaker its readers know (api/vipSpeaker.ts): the rest goes. */
const REPORT_META_KEPT: readonly string[] = ['name', 'uid', 'resourceVersion', 'ownerReferences', 'annotations'] satisfies (keyof NonNullable<CachedSpeakerReport['metadata']>)[];

function keepReportMeta(report: Record<string, unknown>): void {
  const meta = report.metadata;
  if (typeof meta !== 'object' || meta === null) return;
  for (const key of Object.keys(meta)) if (!REPORT_META_KEPT.includes(key)) delete (meta as Record<string, unknown>)[key];
}

function dropNodeInventory(node: Record<string, unknown>): void {
  const status = node.status;
  if (typeof status !== 'object' || status === null) return;
  for (const field of NODE_STATUS_UNUSED) delete (status as Record<string, unknown>)[field];
}

/** The shapes the controllers read their caches through. */
export const Cached = {
  services: cacheShape<CachedService>(Resources.services, 'service', 'all'),
  namespaces: cacheShape<CachedNamespace>(Resources.namespaces, 'namespace', 'all'),
  endpointSlices: cacheShape<CachedEndpointSlice>(Resources.endpointSlices, 'slice', SLICE_LABELS_READ),
  nodes: cacheShape<CachedNode>(Resources.nodes, 'node', NODE_LABELS_READ, dropNodeInventory),
  announcements: cacheShape<CachedAnnouncement>(Resources.vipAnnouncements, 'announcement', 'all'),
  speakerAnnouncements: cacheShape<SpeakerAnnouncement>(Resources.vipAnnouncements, 'announcement-spec', 'all', (va) => delete va.status),
  pools: cacheShape<CachedPool>(Resources.vipPools, 'pool', 'none'),
  speakerReports: cacheShape<CachedSpeakerReport>(Resources.vipSpeakers, 'report', 'none', keepReportMeta),
} as const;
