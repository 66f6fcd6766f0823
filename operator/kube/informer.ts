// A resilient list-then-watch informer (client-go's reflector + store, in small).
//
// - list: a consistent, paginated (limit/continue) LIST; the store is replaced by its result and
//   the differences to the previous store are reported as add / update / delete. On the first
//   list that is "everything is added"; on every later relist the objects that vanished while
//   we were not watching get a synthesized delete (the framework's restarted watch never did).
// - watch: from the list's resourceVersion, with allowWatchBookmarks and a server-side timeout.
//     stream ends cleanly (server timeout)  -> watch again from the last resourceVersion seen
//                                             (three short-lived clean ends in a row -> relist)
//     no HTTP response within 30 s           -> treated as an error
//     no line at all for watchIdleTimeoutMs  -> resume from the last resourceVersion after one
//                                             backoff step (a half-open connection is silent)
//     410 Gone (HTTP or ERROR event)        -> relist
//     any other error, refused connection  -> relist after a capped, jittered backoff
//   The backoff grows only while attempts fail fast (a watch that stayed up for `healthyWatchMs`
//   resets it), so an API server that is down for minutes is polled at most every `backoff.maxMs`
//   and the informer picks up where it left off when it comes back. Nothing here exits the process.
// - relistPeriodMs: relist periodically anyway (repairs anything a missed event left behind).
//
// Handlers run synchronously, after the store has been updated, and should only enqueue keys.

import type { KubeConnection } from './connection';
import type { KubeObject, ResourceRef } from './resources';
import { apiVersionOf, objectKey, resourcePath } from './resources';
import { KubeApiError, asStatus, isGone, kubeRequest, kubeStream } from './request';
import type { Log } from '../util/log';
import { errorFields, errorMessage, nullLogger } from '../util/log';
import type { BackoffOptions } from '../util/backoff';
import { slimMetadata } from './cacheShape';
import { Backoff, sleep } from '../util/backoff';
import { isRecord } from '../util/records';
import { IdleTimer } from '../util/idleTimer';

// ---------------------------------------------------------------------------------------------
// The list/watch transport (swappable in tests).

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK';

export interface ListPage<T> {
  items: T[];
  resourceVersion: string;
  continueToken?: string;
}

export interface ListRequest {
  limit?: number;
  continueToken?: string;
  signal?: AbortSignal;
}

export interface WatchRequest<T> {
  resourceVersion: string;
  timeoutSeconds: number;
  signal: AbortSignal;
  onEvent: (type: WatchEventType, obj: T) => void;
  /** Any sign of life of the stream (the response, any line, decodable or not). */
  onActivity?: () => void;
}

/** How one watch attempt ended. */
export type WatchEnd =
  | { kind: 'closed' }
  | { kind: 'gone'; message: string }
  | { kind: 'error'; error: unknown }
  | { kind: 'aborted' }
  /** Nothing arrived for this long: the connection is presumed dead (ended by the informer). */
  | { kind: 'idle'; silentMs: number };

export interface ListWatcher<T> {
  readonly description: string;
  list(req: ListRequest): Promise<ListPage<T>>;
  watch(req: WatchRequest<T>): Promise<WatchEnd>;
}

export interface Selector {
  /** Only this namespace (default: all namespaces / cluster-scoped). */
  namespace?: string;
  labelSelector?: string;
  fieldSelector?: string;
}

function isKubeObject(v: unknown): v is KubeObject & { metadata: { name: string } } {
  return isRecord(v) && isRecord(v.metadata) && typeof v.metadata.name === 'string';
}

/** List and watch over the API server: an authenticated LIST and a streaming watch (one JSON event per line). */
export class KubeListWatcher<T extends KubeObject> implements ListWatcher<T> {
  readonly description: string;
  private readonly path: string;
  private readonly apiVersion: string;

  constructor(
    private readonly kc: KubeConnection,
    private readonly resource: ResourceRef,
    private readonly selector: Selector = {},
    private readonly connectTimeoutMs = 30_000,
    /** Keeps what the cache keeps of each object (default: only managedFields and foreign annotations dropped). */
    private readonly trim: (obj: KubeObject) => KubeObject = (obj) => slimMetadata(obj, 'all'),
  ) {
    this.path = resourcePath(resource, resource.namespaced ? selector.namespace : undefined);
    this.apiVersion = apiVersionOf(resource);
    const sel = [selector.labelSelector, selector.fieldSelector].filter(Boolean).join(',');
    this.description = sel ? `${this.path}?${sel}` : this.path;
  }

  async list(req: ListRequest): Promise<ListPage<T>> {
    const body = await kubeRequest(this.kc, {
      method: 'GET',
      path: this.path,
      query: { limit: req.limit, continue: req.continueToken, ...this.selectorQuery() },
      signal: req.signal,
      timeoutMs: 60_000,
    });
    if (!isRecord(body) || !Array.isArray(body.items) || !isRecord(body.metadata)) {
      throw new KubeApiError(0, 'BadList', `GET ${this.path}: response is not a list`, 'GET', this.path);
    }
    const meta = body.metadata;
    const items: T[] = [];
    for (const item of body.items) {
      if (isKubeObject(item)) items.push(this.withTypeMeta('ADDED', item) as T);
    }
    return {
      items,
      resourceVersion: typeof meta.resourceVersion === 'string' ? meta.resourceVersion : '',
      continueToken: typeof meta.continue === 'string' && meta.continue ? meta.continue : undefined,
    };
  }

  watch(req: WatchRequest<T>): Promise<WatchEnd> {
    const abort = new AbortController();
    return new Promise<WatchEnd>((resolve) => {
      let finished = false;
      const finish = (end: WatchEnd): void => {
        if (finished) return;
        finished = true;
        clearTimeout(connectTimer);
        clearTimeout(lifetimeTimer);
        req.signal.removeEventListener('abort', onAbort);
        abort.abort();
        resolve(end);
      };
      const onAbort = (): void => finish({ kind: 'aborted' });
      // No HTTP response in time (e.g. packets to a dead server are dropped): give up this attempt.
      const connectTimer = setTimeout(
        () => finish({ kind: 'error', error: new Error(`watch ${this.path}: no response within ${this.connectTimeoutMs} ms`) }),
        this.connectTimeoutMs,
      );
      // The server ends the watch after timeoutSeconds; if it has not, the connection is dead.
      const lifetimeTimer = setTimeout(() => finish({ kind: 'closed' }), (req.timeoutSeconds + 30) * 1000);
      if (req.signal.aborted) return finish({ kind: 'aborted' });
      req.signal.addEventListener('abort', onAbort, { once: true });
      const onLine = (line: string): void => {
        if (finished) return;
        req.onActivity?.();
        const decoded = decodeWatchLine(line, this.path);
        if (decoded && 'end' in decoded) finish(decoded.end);
        else if (decoded) req.onEvent(decoded.phase, this.withTypeMeta(decoded.phase, decoded.object) as T);
      };
      kubeStream(this.kc, {
        path: this.path,
        query: { resourceVersion: req.resourceVersion, allowWatchBookmarks: true, timeoutSeconds: req.timeoutSeconds, watch: true, ...this.selectorQuery() },
        signal: abort.signal,
        onResponse: () => {
          clearTimeout(connectTimer);
          req.onActivity?.();
        },
        onLine,
      }).then(
        () => finish({ kind: 'closed' }),
        (err: unknown) => finish(streamFailure(err, this.path)),
      );
    });
  }

  private selectorQuery(): Record<string, string | undefined> {
    return { labelSelector: this.selector.labelSelector, fieldSelector: this.selector.fieldSelector };
  }

  /**
   * Objects of built-in kinds come without apiVersion/kind: fill them in for the handlers, and
   * keep only what decisions read (`trim`, page by page as they arrive).
   */
  private withTypeMeta<O extends { apiVersion?: unknown; kind?: unknown }>(phase: WatchEventType, obj: O): O {
    if (phase === 'BOOKMARK') return obj;
    if (obj.apiVersion === undefined) obj.apiVersion = this.apiVersion;
    if (obj.kind === undefined) obj.kind = this.resource.kind;
    return this.trim(obj as unknown as KubeObject) as unknown as O;
  }
}

/** One line of a watch stream: an event to hand on, the end of the watch, or nothing (skipped). */
export function decodeWatchLine(line: string, path: string): { phase: WatchEventType; object: Record<string, unknown> } | { end: WatchEnd } | undefined {
  let ev: unknown;
  try {
    ev = JSON.parse(line);
  } catch (err) {
    return { end: { kind: 'error', error: new KubeApiError(0, 'BadWatchEvent', `watch ${path}: unparsable event: ${errorMessage(err)}`, 'GET', path) } };
  }
  if (!isRecord(ev)) return undefined;
  const { type: phase, object: obj } = ev;
  if (phase === 'ERROR') {
    const st = asStatus(obj);
    if (st?.code === 410) return { end: { kind: 'gone', message: st.message ?? 'resourceVersion too old' } };
    const error = new KubeApiError(st?.code ?? 0, st?.reason ?? 'WatchError', `watch ${path}: ${st?.message ?? JSON.stringify(obj)}`, 'GET', path, st);
    return { end: { kind: 'error', error } };
  }
  if (phase !== 'ADDED' && phase !== 'MODIFIED' && phase !== 'DELETED' && phase !== 'BOOKMARK') return undefined;
  if (!isRecord(obj) || !isRecord(obj.metadata)) return undefined;
  if (phase !== 'BOOKMARK' && !isKubeObject(obj)) return undefined;
  return { phase, object: obj };
}

/** How a failed watch request ends the watch: 410 means relist, the rest retry. */
function streamFailure(err: unknown, path: string): WatchEnd {
  if (isGone(err)) return { kind: 'gone', message: 'HTTP 410 Gone' };
  if (!(err instanceof KubeApiError)) return { kind: 'error', error: err };
  const detail = err.status?.message ?? err.message;
  return { kind: 'error', error: new KubeApiError(err.statusCode, err.reason, `watch ${path}: ${err.reason}: ${detail}`, 'GET', path, err.status, { cause: err }) };
}

// ---------------------------------------------------------------------------------------------
// Relist diffing (pure).

export interface RelistDiff<T> {
  adds: T[];
  updates: { obj: T; old: T }[];
  deletes: T[];
}

/** True when `obj` differs from `old`: by resourceVersion when both have one, else by content. */
export function objectChanged(old: KubeObject, obj: KubeObject): boolean {
  const a = old.metadata?.resourceVersion;
  const b = obj.metadata?.resourceVersion;
  if (a && b) return a !== b;
  return JSON.stringify(old) !== JSON.stringify(obj);
}

/**
 * Compare the store before a relist with the fresh list: what appeared, what changed, what vanished.
 * Keys are objectKey() ("namespace/name" or "name"); a key twice in `newList` counts once (last wins).
 */
export function diffRelist<T extends KubeObject>(oldStore: ReadonlyMap<string, T>, newList: readonly T[]): RelistDiff<T> {
  const fresh = new Map<string, T>();
  for (const obj of newList) fresh.set(objectKey(obj), obj);
  const diff: RelistDiff<T> = { adds: [], updates: [], deletes: [] };
  for (const [key, obj] of fresh) {
    const old = oldStore.get(key);
    if (old === undefined) diff.adds.push(obj);
    else if (objectChanged(old, obj)) diff.updates.push({ obj, old });
  }
  for (const [key, old] of oldStore) {
    if (!fresh.has(key)) diff.deletes.push(old);
  }
  return diff;
}

// ---------------------------------------------------------------------------------------------
// The informer.

export type ChangeType = 'ADDED' | 'MODIFIED' | 'DELETED';

export interface InformerHandlers<T> {
  onAdd?: (obj: T) => void;
  onUpdate?: (obj: T, old: T) => void;
  /** `obj` is the last state known (from the DELETED event, or from the cache for a relist-detected delete). */
  onDelete?: (obj: T) => void;
}

/**
 * Objects per LIST page. A page is held whole (the response, then the parsed objects) before
 * the cache's shape trims it, and a tenant's Service may carry 256 KiB of annotations: 100 of them
 * bound that transient to some 25 MiB of annotations per page, where client-go's 500 would reach
 * 125 MiB, a third of the controller's shipped memory limit. More pages cost little: a LIST runs
 * at start and on relists, not per event.
 */
export const LIST_PAGE_SIZE = 100;

export interface InformerOptions<T> extends Selector {
  logger?: Log;
  /** LIST page size (default LIST_PAGE_SIZE). */
  pageSize?: number;
  /** Relist this often even when the watch is healthy; 0 = never (default). */
  relistPeriodMs?: number;
  /** Server-side watch timeout; default a random 300..599 s per watch (spreads reconnects). */
  watchTimeoutSeconds?: number;
  /** Retry pacing after failures (default 500 ms doubling to 30 s, 20 % jitter). */
  backoff?: BackoffOptions;
  /** A watch that stayed up this long counts as healthy and resets the backoff (default 30 s). */
  healthyWatchMs?: number;
  /**
   * A watch that delivers no line for this long is ended and resumed from the last
   * resourceVersion (default 90 s; 0 = never). The API server's watch cache sends every
   * watcher that asked for bookmarks one about once a minute (and one just before the watch's
   * deadline), so a live stream is never silent that long, while a half-open connection would
   * otherwise stay silent until timeoutSeconds (up to ten minutes). A false alarm (a server
   * without a watch cache sends no bookmarks) costs only a resumed watch, not a relist.
   */
  watchIdleTimeoutMs?: number;
  /** Replace the API transport (tests). */
  listWatcher?: ListWatcher<T>;
  /** What the API transport keeps of each object (a CacheShape's trim); see KubeListWatcher. */
  trim?: (obj: KubeObject) => T;
}

/** See InformerOptions.watchIdleTimeoutMs. */
export const DEFAULT_WATCH_IDLE_TIMEOUT_MS = 90_000;

export class Informer<T extends KubeObject> {
  readonly resource: ResourceRef;
  private readonly lw: ListWatcher<T>;
  private readonly log: Log;
  private readonly pageSize: number;
  private readonly relistPeriodMs: number;
  private readonly watchTimeoutSeconds?: number;
  private readonly healthyWatchMs: number;
  private readonly watchIdleTimeoutMs: number;
  private readonly backoff: Backoff;

  private store = new Map<string, T>();
  private resourceVersion = '';
  private synced = false;
  private syncWaiters: (() => void)[] = [];
  private handlers: InformerHandlers<T>[] = [];

  private readonly stopCtl = new AbortController();
  private watchCtl?: AbortController;
  private relistRequested = false;
  private resyncTimer?: NodeJS.Timeout;
  private loopDone?: Promise<void>;

  /** Number of completed LISTs (full relists), for metrics and tests. */
  listCount = 0;

  constructor(kc: KubeConnection | undefined, resource: ResourceRef, opts: InformerOptions<T> = {}) {
    this.resource = resource;
    if (opts.listWatcher) this.lw = opts.listWatcher;
    else if (kc) this.lw = new KubeListWatcher<T>(kc, resource, opts, undefined, opts.trim);
    else throw new Error('Informer needs a KubeConnection or a listWatcher');
    this.log = (opts.logger ?? nullLogger()).child({ informer: this.lw.description });
    this.pageSize = opts.pageSize ?? LIST_PAGE_SIZE;
    this.relistPeriodMs = opts.relistPeriodMs ?? 0;
    this.watchTimeoutSeconds = opts.watchTimeoutSeconds;
    this.healthyWatchMs = opts.healthyWatchMs ?? 30_000;
    this.watchIdleTimeoutMs = opts.watchIdleTimeoutMs ?? DEFAULT_WATCH_IDLE_TIMEOUT_MS;
    this.backoff = new Backoff(opts.backoff ?? { initialMs: 500, maxMs: 30_000, jitter: 0.2 });
  }

  // --- handlers -------------------------------------------------------------------------------

  /** Register handlers; returns a function that unregisters them. */
  addHandlers(h: InformerHandlers<T>): () => void {
    this.handlers.push(h);
    return () => {
      this.handlers = this.handlers.filter((x) => x !== h);
    };
  }
  onAdd(fn: (obj: T) => void): () => void {
    return this.addHandlers({ onAdd: fn });
  }
  onUpdate(fn: (obj: T, old: T) => void): () => void {
    return this.addHandlers({ onUpdate: fn });
  }
  onDelete(fn: (obj: T) => void): () => void {
    return this.addHandlers({ onDelete: fn });
  }
  /** One callback for all three; `old` is set for MODIFIED. */
  onChange(fn: (type: ChangeType, obj: T, old?: T) => void): () => void {
    return this.addHandlers({
      onAdd: (obj) => fn('ADDED', obj),
      onUpdate: (obj, old) => fn('MODIFIED', obj, old),
      onDelete: (obj) => fn('DELETED', obj),
    });
  }

  // --- cache ----------------------------------------------------------------------------------

  /** The cached object with key "namespace/name" (or "name" when cluster-scoped). Treat as read-only. */
  get(key: string): T | undefined {
    return this.store.get(key);
  }
  /** All cached objects. Treat as read-only. */
  list(): T[] {
    return [...this.store.values()];
  }
  keys(): string[] {
    return [...this.store.keys()];
  }
  size(): number {
    return this.store.size;
  }
  /** True once the first complete LIST is in the cache (stays true through later relists). */
  hasSynced(): boolean {
    return this.synced;
  }
  /** The resourceVersion the informer is current to. */
  lastResourceVersion(): string {
    return this.resourceVersion;
  }

  /** Resolves true once synced, or false when `signal` aborts or the informer stops first. */
  whenSynced(signal?: AbortSignal): Promise<boolean> {
    if (this.synced) return Promise.resolve(true);
    if (signal?.aborted || this.stopCtl.signal.aborted) return Promise.resolve(false);
    return new Promise<boolean>((resolve) => {
      const onAbort = (): void => resolve(false);
      signal?.addEventListener('abort', onAbort, { once: true });
      this.stopCtl.signal.addEventListener('abort', onAbort, { once: true });
      this.syncWaiters.push(() => {
        signal?.removeEventListener('abort', onAbort);
        this.stopCtl.signal.removeEventListener('abort', onAbort);
        resolve(true);
      });
    });
  }

  // --- lifecycle ------------------------------------------------------------------------------

  /** Start listing and watching in the background. Idempotent. */
  start(): void {
    if (this.loopDone || this.stopCtl.signal.aborted) return;
    this.loopDone = this.loop().catch((err: unknown) => {
      // The loop handles every error itself; this is a bug guard, never an exit.
      this.log.error('informer loop crashed', errorFields(err));
    });
  }

  /** Stop watching; resolves when the loop has ended. The cache keeps its last content. */
  async stop(): Promise<void> {
    this.stopCtl.abort();
    this.watchCtl?.abort();
    clearTimeout(this.resyncTimer);
    await this.loopDone;
  }

  /** Ask for a full relist now (ends the current watch). */
  relist(): void {
    this.relistRequested = true;
    this.watchCtl?.abort();
  }

  // --- internals ------------------------------------------------------------------------------

  private get stopped(): boolean {
    return this.stopCtl.signal.aborted;
  }

  private async loop(): Promise<void> {
    let needList = true;
    const closes = { short: 0 };
    while (!this.stopped) {
      if (needList || this.relistRequested) {
        this.relistRequested = false;
        needList = !(await this.tryList());
        if (needList) continue;
      }
      if (this.relistRequested) continue; // asked for while we were listing
      const started = Date.now();
      const end = await this.watchOnce();
      if (this.stopped) break;
      const healthy = Date.now() - started >= this.healthyWatchMs;
      if (healthy) this.backoff.reset();
      needList = this.needsRelistAfter(end, healthy, closes);
      // Short-lived watches are paced by the backoff; a healthy one resumes at once (410/close) or
      // after the first backoff step (error or silence, so a restarting server is not hammered).
      if (end.kind !== 'aborted' && (!healthy || end.kind === 'error' || end.kind === 'idle')) await sleep(this.backoff.next(), this.stopCtl.signal);
    }
  }

  /** One full list; false (after the backoff) when it failed. */
  private async tryList(): Promise<boolean> {
    try {
      await this.listAndReplace();
      return true;
    } catch (err) {
      if (this.stopped) return false;
      const delay = this.backoff.next();
      this.log.warn('list failed, retrying', { ...errorFields(err), retryInMs: delay, failures: this.backoff.failures });
      await sleep(delay, this.stopCtl.signal);
      return false;
    }
  }

  /** Whether a watch that ended so must be followed by a relist rather than a resume. */
  private needsRelistAfter(end: WatchEnd, healthy: boolean, closes: { short: number }): boolean {
    switch (end.kind) {
      case 'aborted': // relist() or the resync timer
        return true;
      case 'closed':
        // A server that keeps ending watches at once (e.g. while shutting down) gets a relist
        // after a few tries, so a resume loop can never hide a gap.
        closes.short = healthy ? 0 : closes.short + 1;
        if (closes.short < 3) {
          this.log.debug('watch closed, resuming', { resourceVersion: this.resourceVersion });
          return false;
        }
        this.log.info('watch keeps closing right away, relisting', { resourceVersion: this.resourceVersion });
        closes.short = 0;
        return true;
      case 'idle':
        // The events missed meanwhile are replayed by a watch from the last resourceVersion
        // (or it is 410 Gone, which relists then).
        this.log.warn('watch silent, resuming from the last resourceVersion', { silentMs: end.silentMs, resourceVersion: this.resourceVersion });
        return false;
      case 'gone':
        this.log.info('watch expired (410 Gone), relisting', { resourceVersion: this.resourceVersion, message: end.message });
        return true;
      case 'error':
        this.log.warn('watch failed, relisting', { ...errorFields(end.error), resourceVersion: this.resourceVersion });
        return true;
    }
  }


  /** One watch from the last resourceVersion; a transport that throws counts as a failed watch, not a dead loop. */
  private async watchOnce(): Promise<WatchEnd> {
    const ctl = new AbortController();
    this.watchCtl = ctl;
    let silentMs = 0;
    const idle = new IdleTimer(this.watchIdleTimeoutMs, (ms) => {
      silentMs = ms;
      ctl.abort();
    });
    try {
      const end = await this.lw.watch({
        resourceVersion: this.resourceVersion,
        timeoutSeconds: this.watchTimeoutSeconds ?? 300 + Math.floor(Math.random() * 300),
        signal: ctl.signal,
        onEvent: (type, obj) => {
          idle.touch();
          this.applyWatchEvent(type, obj);
        },
        onActivity: () => idle.touch(),
      });
      return idle.fired ? { kind: 'idle', silentMs } : end;
    } catch (err) {
      return idle.fired ? { kind: 'idle', silentMs } : { kind: 'error', error: err };
    } finally {
      idle.stop();
      this.watchCtl = undefined;
    }
  }

  /** A complete, paginated LIST. A continue token that expired (410) restarts the list once. */
  private async listAll(): Promise<{ items: T[]; resourceVersion: string }> {
    for (let attempt = 0; ; attempt++) {
      const items: T[] = [];
      let continueToken: string | undefined;
      let resourceVersion = '';
      try {
        do {
          const page = await this.lw.list({ limit: this.pageSize, continueToken, signal: this.stopCtl.signal });
          items.push(...page.items);
          resourceVersion = page.resourceVersion;
          continueToken = page.continueToken;
        } while (continueToken);
        return { items, resourceVersion };
      } catch (err) {
        if (continueToken && isGone(err) && attempt === 0) {
          this.log.info('list continue token expired, restarting the list');
          continue;
        }
        throw err;
      }
    }
  }

  private async listAndReplace(): Promise<void> {
    const { items, resourceVersion } = await this.listAll();
    if (this.stopped) return;
    const diff = diffRelist(this.store, items);
    const next = new Map<string, T>();
    for (const obj of items) next.set(objectKey(obj), obj);
    this.store = next;
    this.resourceVersion = resourceVersion;
    this.listCount++;
    const wasSynced = this.synced;
    this.synced = true;
    const fields = {
      resourceVersion,
      objects: next.size,
      added: diff.adds.length,
      updated: diff.updates.length,
      deleted: diff.deletes.length,
    };
    if (!wasSynced) this.log.info('initial list done', fields);
    else if (diff.adds.length + diff.updates.length + diff.deletes.length > 0) this.log.info('relist found changes', fields);
    else this.log.debug('relist found no changes', fields);

    for (const obj of diff.deletes) this.dispatch('onDelete', obj);
    for (const obj of diff.adds) this.dispatch('onAdd', obj);
    for (const { obj, old } of diff.updates) this.dispatch('onUpdate', obj, old);

    if (!wasSynced) {
      for (const w of this.syncWaiters.splice(0)) w();
    }
    clearTimeout(this.resyncTimer);
    if (this.relistPeriodMs > 0 && !this.stopped) {
      this.resyncTimer = setTimeout(() => {
        this.log.debug('periodic relist');
        this.relist();
      }, this.relistPeriodMs);
    }
  }

  private applyWatchEvent(type: WatchEventType, obj: T): void {
    const rv = obj.metadata?.resourceVersion;
    if (rv) this.resourceVersion = rv;
    if (type === 'BOOKMARK') return;
    const key = objectKey(obj);
    const old = this.store.get(key);
    if (type === 'DELETED') {
      this.store.delete(key);
      this.dispatch('onDelete', obj);
      return;
    }
    if (old && rv && old.metadata?.resourceVersion === rv) return; // already have exactly this
    this.store.set(key, obj);
    if (old) this.dispatch('onUpdate', obj, old);
    else this.dispatch('onAdd', obj);
  }

  private dispatch(kind: 'onAdd' | 'onDelete', obj: T): void;
  private dispatch(kind: 'onUpdate', obj: T, old: T): void;
  private dispatch(kind: keyof InformerHandlers<T>, obj: T, old?: T): void {
    for (const h of this.handlers) {
      try {
        if (kind === 'onUpdate') {
          if (old) h.onUpdate?.(obj, old);
        } else {
          h[kind]?.(obj);
        }
      } catch (err) {
        this.log.error('informer handler threw', { key: objectKey(obj), handler: kind, ...errorFields(err) });
      }
    }
  }
}

/** Resolves true when every informer has synced, false if `signal` aborts (or one stops) first. */
export async function waitForCacheSync(informers: readonly { whenSynced(signal?: AbortSignal): Promise<boolean> }[], signal?: AbortSignal): Promise<boolean> {
  const results = await Promise.all(informers.map((i) => i.whenSynced(signal)));
  return results.every(Boolean);
}

/**
 * Every object of the resource as the API server holds it now: a LIST without resourceVersion
 * is a consistent read from etcd, never a cache that may lag behind another process's writes.
 */
export async function listFresh<T extends KubeObject>(lw: Pick<ListWatcher<T>, 'list'>, signal?: AbortSignal): Promise<T[]> {
  const out: T[] = [];
  let continueToken: string | undefined;
  do {
    const page = await lw.list({ limit: 500, continueToken, signal });
    out.push(...page.items);
    continueToken = page.continueToken;
  } while (continueToken !== undefined);
  return out;
}
