// What the caches keep of each object: everything a decision may read, nothing the API server
// adds for its own bookkeeping and nothing tenants can grow without bound. managedFields alone is
// often larger than the rest of an object, and a Node's image list can be hundreds of kilobytes;
// neither is read by any controller. Annotations (up to 256 KiB an object, any user with `edit`
// writes them on Services) are read only under vipannouncer.io/; EndpointSlices carry copies of
// their Service's labels, of which only kubernetes.io/service-name is read.
import { SERVICE_NAME_LABEL } from '../api/labels';
import { ANNOTATION_PREFIX } from '../api/types';
import type { KubeObject } from './resources';

type Slimmable = KubeObject & { metadata?: { managedFields?: unknown; annotations?: Record<string, string>; labels?: Record<string, string> }; status?: unknown };

/** Node status fields no decision reads (kubelet's inventory of images and volumes). */
const NODE_STATUS_UNUSED = ['images', 'volumesInUse', 'volumesAttached'] as const;

/** Labels of an EndpointSlice that decisions read (the rest are its Service's, copied). */
const SLICE_LABELS_READ: readonly string[] = [SERVICE_NAME_LABEL];

function keepKeys(map: Record<string, string> | undefined, keep: (key: string) => boolean): Record<string, string> | undefined {
  if (!map) return undefined;
  const kept = Object.entries(map).filter(([k]) => keep(k));
  return kept.length > 0 ? Object.fromEntries(kept) : undefined;
}

/** Drops, in place, the parts of `obj` no controller reads; returns it. */
export function slimForCache<T extends Slimmable>(obj: T): T {
  const meta = obj.metadata;
  if (meta) {
    if ('managedFields' in meta) delete meta.managedFields;
    if (meta.annotations) {
      const annotations = keepKeys(meta.annotations, (k) => k.startsWith(ANNOTATION_PREFIX));
      if (annotations) meta.annotations = annotations;
      else delete meta.annotations;
    }
    if (obj.kind === 'EndpointSlice' && meta.labels) {
      const labels = keepKeys(meta.labels, (k) => SLICE_LABELS_READ.includes(k));
      if (labels) meta.labels = labels;
      else delete meta.labels;
    }
  }
  if (obj.kind === 'Node' && typeof obj.status === 'object' && obj.status !== null) {
    const status = obj.status as Record<string, unknown>;
    for (const field of NODE_STATUS_UNUSED) delete status[field];
  }
  return obj;
}
