// What the caches keep of each object: everything a decision may read, nothing the API server
// adds for its own bookkeeping. managedFields alone is often larger than the rest of an object,
// and a Node's image list can be hundreds of kilobytes; neither is read by any controller.
import type { KubeObject } from './resources';

type Slimmable = KubeObject & { metadata?: { managedFields?: unknown }; status?: unknown };

/** Node status fields no decision reads (kubelet's inventory of images and volumes). */
const NODE_STATUS_UNUSED = ['images', 'volumesInUse', 'volumesAttached'] as const;

/** Drops, in place, the parts of `obj` no controller reads; returns it. */
export function slimForCache<T extends Slimmable>(obj: T): T {
  if (obj.metadata && 'managedFields' in obj.metadata) delete obj.metadata.managedFields;
  if (obj.kind === 'Node' && typeof obj.status === 'object' && obj.status !== null) {
    const status = obj.status as Record<string, unknown>;
    for (const field of NODE_STATUS_UNUSED) delete status[field];
  }
  return obj;
}
