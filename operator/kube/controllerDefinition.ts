// A controller declared as data, as controller-runtime's builder declares one with
// For/Owns/Watches: what it watches, how an event of each watch maps to keys, which keys a
// full sync enqueues, and how one key is reconciled. The manager (./manager.ts) turns each
// definition into informers it shares with every other controller and one keyed work queue.
import type { Log } from '../util/log';
import type { CacheShape } from './cacheShape';
import type { ChangeType, Selector } from './informer';
import type { KubeObject } from './resources';
import type { RateLimiter, Result } from './workqueue';

/** A key to reconcile, now or after a delay (coalesces bursts, e.g. speakers' reports). */
export type KeyRequest = string | { key: string; afterMs: number };

export interface Watch<T extends KubeObject = KubeObject> {
  /** The resource, and what its cache keeps of each object (the type `toKeys` gets). */
  shape: CacheShape<T>;
  /** Label and field selectors; one informer is shared per (resource, shape, selector). */
  selector?: Selector;
  /** The keys an event of this watch concerns. `old` is the previous object on MODIFIED. */
  toKeys(type: ChangeType, obj: T, old: T | undefined): Iterable<KeyRequest>;
  /**
   * Its cache does not hold back the controllers' start: an input only a status reports on,
   * whose LIST a cluster may refuse (RBAC not updated, an API not served). Readers ask
   * `hasSynced()` before trusting it. A watch of the same cache without it makes it required.
   */
  optional?: boolean;
}

/** What a reconcile gets besides its key. */
export interface ReconcileContext {
  /** Carries controller, key and a reconcile id. */
  log: Log;
  /** Aborts when the controller stops (shutdown or lost leadership): pass it to every write. */
  signal: AbortSignal;
  /** Queue a key of this controller (another key, or this one later). */
  enqueue(request: KeyRequest): void;
}

export interface ControllerDefinition {
  /** Names the queue, the metrics' `controller` label and the logger. */
  name: string;
  /** Runs only while this process holds the manager's Lease (default false: always). */
  leaderElected?: boolean;
  /** Keys reconciled at the same time (default 4). */
  concurrency?: number;
  rateLimiter?: RateLimiter;
  /** Re-enqueue every fullSyncKeys() this often, as a safety net (0 = off). */
  requeueAllPeriodMs?: number;
  watches: Watch[];
  /** Every key worth reconciling; enqueued once the caches are synced and on each period. */
  fullSyncKeys(): Iterable<string>;
  reconcile(key: string, ctx: ReconcileContext): Promise<Result>;
  /**
   * Awaited at the start of each term, before the first reconcile (e.g. rebuild per-term state
   * from a fresh read of the API server); a failure is logged and retried with backoff until it
   * succeeds or the term ends.
   */
  onStart?(signal: AbortSignal): Promise<void>;
  /** Called when the controller's workers stop (drop per-term state, close recorders). */
  onStop?(): void | Promise<void>;
}

/** Typed helper: a watch for one kind, its objects typed by the watch's shape. */
export function watch<T extends KubeObject>(w: Watch<T>): Watch {
  return w;
}

/**
 * Read access to the manager's shared caches: one informer per (resource, shape, selector).
 * A reader gets the shape's type (./cachedKinds.ts), never more than the cache keeps.
 */
export interface Caches {
  informer<T extends KubeObject>(shape: CacheShape<T>, selector?: Selector): CacheReader<T>;
}

/** What a controller reads from a cache (an Informer satisfies it; tests use a Map). */
export interface CacheReader<T> {
  get(key: string): T | undefined;
  list(): T[];
  keys(): Iterable<string>;
  /** Listed at least once (what an optional watch's reader checks). */
  hasSynced(): boolean;
}
