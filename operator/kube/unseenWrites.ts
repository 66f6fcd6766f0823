// Read your own writes: a reconcile that wrote an object (the announcement, then the Service's
// ingress) is followed at once by its own watch events, and with a priority queue the key comes
// back before the caches of every watch have shown all of them (the Service's event may arrive
// before the announcement's). A plan from such caches would write again what was just written.
// So each write's resourceVersion is remembered until the cache shows that version (or a newer
// one) of the object; until then the key is not planned. A write the cache already shows when
// its answer comes (its event came first, or the write changed nothing and sends none) is not
// remembered. A write whose event never comes (a
// delete found only by a relist, a watch that stays down) is forgotten after `ttlMs`, so a key is
// never held for longer than that (client-go's controller expectations, in small).
//
// resourceVersions are compared as numbers, as this project does elsewhere; one that is not a
// number is not remembered (the key is planned as before, at worst writing once more).

export class UnseenWrites {
  /** key → resource → the version written and when. */
  private readonly byKey = new Map<string, Map<string, { rv: bigint; at: number }>>();

  constructor(
    /** The resourceVersion of `resource` `key` in the cache now. */
    private readonly cached: (resource: string, key: string) => string | undefined,
    private readonly ttlMs = 5_000,
    private readonly now: () => number = () => Date.now(),
  ) {}

  /** We wrote `resource` of `key` and the API server answered with `resourceVersion`. */
  wrote(key: string, resource: string, resourceVersion: string | undefined): void {
    const rv = parseVersion(resourceVersion);
    const inCache = parseVersion(this.cached(resource, key));
    if (rv === undefined || (inCache !== undefined && inCache >= rv)) return;
    let writes = this.byKey.get(key);
    if (!writes) this.byKey.set(key, (writes = new Map<string, { rv: bigint; at: number }>()));
    writes.set(resource, { rv, at: this.now() });
  }

  /** A watch event put this version of `resource` of `key` into the cache. */
  observed(key: string, resource: string, resourceVersion: string | undefined): void {
    const writes = this.byKey.get(key);
    const written = writes?.get(resource);
    const rv = parseVersion(resourceVersion);
    if (!writes || !written || rv === undefined || rv < written.rv) return;
    writes.delete(resource);
    if (writes.size === 0) this.byKey.delete(key);
  }

  /** Milliseconds until the caches can be trusted for `key`: 0 when no write of it is unseen. */
  waitMs(key: string): number {
    const writes = this.byKey.get(key);
    if (!writes) return 0;
    let wait = 0;
    for (const [resource, { at }] of writes) {
      const left = at + this.ttlMs - this.now();
      if (left <= 0) writes.delete(resource);
      else wait = Math.max(wait, left);
    }
    if (writes.size === 0) this.byKey.delete(key);
    return wait;
  }

  forget(key: string): void {
    this.byKey.delete(key);
  }

  clear(): void {
    this.byKey.clear();
  }

  get size(): number {
    return this.byKey.size;
  }
}

function parseVersion(rv: string | undefined): bigint | undefined {
  return rv !== undefined && /^[0-9]+$/.test(rv) ? BigInt(rv) : undefined;
}
