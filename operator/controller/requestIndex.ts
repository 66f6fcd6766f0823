// Address → the Services that request it, kept by the Service watch: automatic allocation
// skips a requested address even before its Service was reconciled, so which Service gets an
// address never depends on the order of reconciles (and the speakers, which announce a request
// before any announcement exists, never announce it for the wrong Service).
import type { ChangeType } from '../kube/informer';
import { objectKey } from '../kube/resources';
import { requestedAddressesOf, type ControllerSelection } from '../intent/desiredAnnouncement';
import type { CachedService } from '../kube/cachedKinds';

export class RequestIndex {
  private readonly byService = new Map<string, string[]>();
  private readonly byAddress = new Map<string, Set<string>>();

  constructor(private readonly selection: ControllerSelection) {}

  update(type: ChangeType, svc: CachedService): void {
    const key = objectKey(svc);
    for (const address of this.byService.get(key) ?? []) {
      const set = this.byAddress.get(address);
      set?.delete(key);
      if (set?.size === 0) this.byAddress.delete(address);
    }
    this.byService.delete(key);
    const requested = type === 'DELETED' ? [] : requestedAddressesOf(svc, this.selection);
    if (requested.length === 0) return;
    this.byService.set(key, requested);
    for (const address of requested) this.byAddress.set(address, (this.byAddress.get(address) ?? new Set()).add(key));
  }

  /** Whether a Service other than `key` requests this (canonical) address. */
  requestedByAnother(address: string, key: string): boolean {
    const set = this.byAddress.get(address);
    return set !== undefined && (set.size > 1 || !set.has(key));
  }
}
