// Who holds which address, as the controller knows it this term: rebuilt from the caches
// (VipAnnouncement specs, which the controller writes before it acts on an allocation) when a
// term starts, then updated synchronously by every reconcile before its writes. Reconciles of
// different Services run concurrently but never between an allocation's read and its record
// (no await in between), so two of them can never take one address, even while the caches
// still lag behind the writes.
import { usableAddress, type AddressRange } from '../api/pool';
import { formatIP, type ParsedIP } from '../util/ip';

/** What decides whether two Services may share an address (MetalLB's rules, and one namespace). */
export interface SharingTerms {
  /** vipannouncer.io/allow-shared-ip; no key: never shared. */
  key?: string;
  namespace: string;
  trafficPolicy: 'Local' | 'Cluster';
  /** The Service's selector, canonical ("a=1,b=2"): Local Services share only with the same one. */
  selector: string;
  /** "TCP/80": Services that share an address must not both use one port and protocol. */
  ports: string[];
}

export interface Holder {
  /** Service key "namespace/name", or the key of a hand-made VipAnnouncement. */
  owner: string;
  kind: 'service' | 'manual';
  sharing?: SharingTerms;
  /** The addresses were requested: released when the request goes, never kept as an allocation. */
  requested?: boolean;
}

/** The namespace of a holder: owners are "namespace/name" or "handmade:namespace/name". */
export function holderNamespace(h: Pick<Holder, 'owner'>): string {
  const key = h.owner.startsWith(HANDMADE_PREFIX) ? h.owner.slice(HANDMADE_PREFIX.length) : h.owner;
  return key.slice(0, Math.max(0, key.indexOf('/')));
}

/** The owner key of a hand-made announcement in the table (Services use their own key). */
export const HANDMADE_PREFIX = 'handmade:';

interface Cursor {
  range: AddressRange;
  avoidBuggyIPs: boolean;
  /** Every usable address of the range below this one is held (none is merely reserved by a request). */
  at: bigint;
}

export class AllocationTable {
  private readonly byAddress = new Map<string, Holder[]>();
  private readonly byOwner = new Map<string, { holder: Holder; addresses: ParsedIP[] }>();
  private readonly cursors = new Map<string, Cursor>();

  holdersOf(address: string): readonly Holder[] {
    return this.byAddress.get(address) ?? [];
  }

  addressesOf(owner: string): readonly ParsedIP[] {
    return this.byOwner.get(owner)?.addresses ?? [];
  }

  /** The owner's last record (also one that holds nothing), if the table knows it. */
  holderOf(owner: string): Holder | undefined {
    return this.byOwner.get(owner)?.holder;
  }

  /** Every held address with its holders. */
  entries(): IterableIterator<[string, Holder[]]> {
    return this.byAddress.entries();
  }

  /** Replaces what `holder.owner` holds with `addresses` (none: known, and holding nothing). */
  assign(holder: Holder, addresses: readonly ParsedIP[]): void {
    this.release(holder.owner);
    this.byOwner.set(holder.owner, { holder, addresses: [...addresses] });
    for (const ip of addresses) {
      const list = this.byAddress.get(ip.address);
      if (list) list.push(holder);
      else this.byAddress.set(ip.address, [holder]);
    }
  }

  release(owner: string): void {
    const had = this.byOwner.get(owner);
    if (!had) return;
    this.byOwner.delete(owner);
    for (const ip of had.addresses) {
      const rest = (this.byAddress.get(ip.address) ?? []).filter((h) => h.owner !== owner);
      if (rest.length > 0) {
        this.byAddress.set(ip.address, rest);
        continue;
      }
      this.byAddress.delete(ip.address);
      for (const c of this.cursors.values()) {
        if (c.range.family === ip.family && c.range.first <= ip.value && ip.value < c.at) c.at = ip.value;
      }
    }
  }

  clear(): void {
    this.byAddress.clear();
    this.byOwner.clear();
    this.cursors.clear();
  }

  /**
   * The lowest usable address of the range that nobody holds. A cursor per range remembers
   * where the held prefix of the range ends, so handing out n addresses costs O(n), not O(n²).
   */
  lowestFree(range: AddressRange, avoidBuggyIPs: boolean, reserved: (address: string) => boolean = () => false): bigint | undefined {
    const id = `${range.family}|${range.first}|${range.last}|${avoidBuggyIPs}`;
    let cursor = this.cursors.get(id);
    if (!cursor) this.cursors.set(id, (cursor = { range, avoidBuggyIPs, at: range.first }));
    // A reserved address is free, only not for this claim: the cursor stays below it.
    let firstReserved: bigint | undefined;
    for (let v = cursor.at; v <= range.last; v++) {
      if (!usableAddress(v, range.family, avoidBuggyIPs) || this.byAddress.has(formatIP(v, range.family))) continue;
      if (reserved(formatIP(v, range.family))) {
        firstReserved ??= v;
        continue;
      }
      cursor.at = firstReserved ?? v;
      return v;
    }
    cursor.at = firstReserved ?? range.last + 1n;
    return undefined;
  }
}
