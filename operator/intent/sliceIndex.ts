// EndpointSlice → Service, kept by the slice watch, so a reconcile reads a Service's slices
// without scanning every slice in the cluster. Sets are removed once empty: the index holds
// only slices that exist.
import type { CacheReader } from '../kube/controllerDefinition';
import type { ChangeType } from '../kube/informer';
import { objectKey } from '../kube/resources';
import { SERVICE_NAME_LABEL } from '../api/labels';
import type { CachedEndpointSlice } from '../kube/cachedKinds';

/** The Service an EndpointSlice belongs to: its controller ownerReference, else its label. */
export function serviceKeyOfSlice(slice: CachedEndpointSlice): string | undefined {
  const ns = slice.metadata?.namespace;
  if (!ns) return undefined;
  const owner = (slice.metadata?.ownerReferences ?? []).find((o) => o.kind === 'Service' && o.apiVersion === 'v1');
  const name = owner?.name ?? slice.metadata?.labels?.[SERVICE_NAME_LABEL];
  return name ? `${ns}/${name}` : undefined;
}

export class SliceIndex {
  private readonly byService = new Map<string, Set<string>>();

  /** Records a slice event; returns the Service keys it concerns (before and after). */
  update(type: ChangeType, slice: CachedEndpointSlice, old: CachedEndpointSlice | undefined): string[] {
    const sliceKey = objectKey(slice);
    const before = old ? serviceKeyOfSlice(old) : undefined;
    const after = serviceKeyOfSlice(slice);
    if (before && before !== after) this.remove(before, sliceKey);
    if (after) {
      if (type === 'DELETED') this.remove(after, sliceKey);
      else this.byService.set(after, (this.byService.get(after) ?? new Set()).add(sliceKey));
    }
    return [...new Set([before, after].filter((k): k is string => k !== undefined))];
  }

  slicesOf(serviceKey: string, cache: CacheReader<CachedEndpointSlice>): CachedEndpointSlice[] {
    const out: CachedEndpointSlice[] = [];
    for (const k of this.byService.get(serviceKey) ?? []) {
      const s = cache.get(k);
      if (s) out.push(s);
    }
    return out;
  }

  /** Services with at least one slice (tests, and a bound on memory). */
  size(): number {
    return this.byService.size;
  }

  private remove(serviceKey: string, sliceKey: string): void {
    const set = this.byService.get(serviceKey);
    if (!set) return;
    set.delete(sliceKey);
    if (set.size === 0) this.byService.delete(serviceKey);
  }
}
