// Kubernetes Events (core/v1) about an object, as `kubectl describe` shows them.
//
// - reason is CamelCase (a reason that is not is still recorded, and logged once as a bug),
//   type Normal or Warning, message truncated to 1024 characters;
// - client-side aggregation: the same object + type + reason + message within `dedupeWindowMs`
//   patches the existing Event (count + 1, lastTimestamp) instead of creating a new one;
// - recording never throws into the caller and never blocks it: failures are logged, and
//   flush() waits for the writes in flight (tests, shutdown);
// - at most `maxInFlight` writes at once (default 2) and `perSecond` on average (default 20,
//   burst 50), as client-go's broadcaster and client rate limit do: a burst of Events (a
//   cold start with a thousand Services) trails behind the work that matters instead of
//   competing with it at the API server.

import * as os from 'node:os';
import type { KubeConfig } from '@kubernetes/client-node';
import type { KubeObject } from './resources';
import { Resources, resourcePath } from './resources';
import { isNotFound, kubeRequest } from './request';
import { MERGE_PATCH } from './apply';
import type { Log } from '../util/log';
import { errorFields, nullLogger } from '../util/log';
import { sleep } from '../util/backoff';
import { Limiter } from '../util/parallel';
import { TokenBucket } from '../util/tokenBucket';

export type EventType = 'Normal' | 'Warning';

export interface EventRecorderOptions {
  /** Who reports, e.g. "vipannouncer.io/controller" (source.component and reportingComponent). */
  reportingController: string;
  /** Which instance, e.g. the pod name (default: hostname). */
  reportingInstance?: string;
  logger?: Log;
  /** Aggregation window (default 10 minutes). */
  dedupeWindowMs?: number;
  /** Aggregation entries kept (default 4096, oldest dropped first). */
  maxCacheEntries?: number;
  /** Concurrent writes (default 2). */
  maxInFlight?: number;
  /** Writes per second on average (default 20) and saved up at most (default 50). */
  perSecond?: number;
  burst?: number;
  /** Clock (tests). */
  now?: () => Date;
}

interface Aggregate {
  eventName: string;
  namespace: string;
  count: number;
  lastSeenMs: number;
}

const MAX_MESSAGE = 1024;
const CAMEL_CASE = /^[A-Z][A-Za-z0-9]*$/;

/** core/v1 Event time (metav1.Time, second precision). */
function eventTime(d: Date): string {
  return d.toISOString().replace(/\.\d+Z$/, 'Z');
}

export class EventRecorder {
  private readonly log: Log;
  private readonly controller: string;
  private readonly instance: string;
  private readonly windowMs: number;
  private readonly maxEntries: number;
  private readonly now: () => Date;
  /** Aggregation cache in insertion (≈ age) order. */
  private readonly cache = new Map<string, Aggregate>();
  /** Last write per aggregation key: writes for one key are serialized. */
  private readonly pending = new Map<string, Promise<void>>();
  private readonly warnedReasons = new Set<string>();
  private seq = 0;
  private readonly limiter: Limiter;
  private readonly bucket: TokenBucket;
  /** Set by close(): Events not yet being written are dropped. */
  private closed = false;
  private dropped = 0;

  constructor(
    private readonly kc: KubeConfig,
    opts: EventRecorderOptions,
  ) {
    this.controller = opts.reportingController;
    this.instance = (opts.reportingInstance ?? os.hostname()).slice(0, 128);
    this.log = (opts.logger ?? nullLogger()).child({ component: 'events' });
    this.windowMs = opts.dedupeWindowMs ?? 10 * 60_000;
    this.maxEntries = opts.maxCacheEntries ?? 4096;
    this.now = opts.now ?? (() => new Date());
    this.limiter = new Limiter(opts.maxInFlight ?? 2);
    this.bucket = new TokenBucket(opts.perSecond ?? 20, opts.burst ?? 50, Date.now());
  }

  normal(obj: KubeObject, reason: string, message: string): void {
    this.event(obj, 'Normal', reason, message);
  }

  warning(obj: KubeObject, reason: string, message: string): void {
    this.event(obj, 'Warning', reason, message);
  }

  /** Record an Event about `obj`. Returns at once; never throws. */
  event(obj: KubeObject, type: EventType, reason: string, message: string): void {
    try {
      const name = obj.metadata?.name;
      if (!name) {
        this.log.warn('event about an object without a name dropped', { reason });
        return;
      }
      if (!CAMEL_CASE.test(reason) && !this.warnedReasons.has(reason)) {
        this.warnedReasons.add(reason);
        this.log.warn('event reason is not CamelCase', { reason });
      }
      const msg = message.length > MAX_MESSAGE ? message.slice(0, MAX_MESSAGE - 3) + '...' : message;
      const key = [obj.kind, obj.metadata?.namespace ?? '', name, obj.metadata?.uid ?? '', type, reason, msg].join('\u0000');
      const at = this.now();
      const prev = this.pending.get(key) ?? Promise.resolve();
      const next = prev
        .then(() =>
          this.limiter.run(async () => {
            if (!this.closed) await sleep(this.bucket.reserve(Date.now()));
            if (this.closed) {
              this.dropped++;
              return;
            }
            await this.write(key, obj, name, type, reason, msg, at);
          }),
        )
        .catch((err: unknown) => {
          this.log.warn('recording event failed', { object: name, kind: obj.kind, reason, ...errorFields(err) });
        })
        .finally(() => {
          if (this.pending.get(key) === next) this.pending.delete(key);
        });
      this.pending.set(key, next);
    } catch (err) {
      this.log.warn('recording event failed', { reason, ...errorFields(err) });
    }
  }

  /**
   * Shutdown: Events still queued are dropped (a cold start can queue hundreds behind
   * the rate limit, more than a Pod's grace period could wait for); the writes in flight
   * get up to `timeoutMs`.
   */
  async close(timeoutMs = 5_000): Promise<void> {
    this.closed = true;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([this.flush(), new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMs)))]);
    clearTimeout(timer);
    if (this.dropped > 0) this.log.info('events not recorded at shutdown', { dropped: this.dropped });
  }

  /** Wait for the writes started so far. */
  async flush(): Promise<void> {
    while (this.pending.size > 0) {
      await Promise.all([...this.pending.values()]);
    }
  }

  private async write(key: string, obj: KubeObject, name: string, type: EventType, reason: string, message: string, now: Date): Promise<void> {
    const agg = this.cache.get(key);
    if (agg && now.getTime() - agg.lastSeenMs < this.windowMs) {
      try {
        await kubeRequest(this.kc, {
          method: 'PATCH',
          path: resourcePath(Resources.events, agg.namespace, agg.eventName),
          body: { count: agg.count + 1, lastTimestamp: eventTime(now) },
          contentType: MERGE_PATCH,
          timeoutMs: 30_000,
        });
        agg.count++;
        agg.lastSeenMs = now.getTime();
        // Refresh the entry's age.
        this.cache.delete(key);
        this.cache.set(key, agg);
        return;
      } catch (err) {
        if (!isNotFound(err)) throw err;
        // The Event expired (TTL) or was deleted: start a new one.
        this.cache.delete(key);
      }
    }

    const namespace = obj.metadata?.namespace || 'default';
    const stamp = (BigInt(now.getTime()) * 1_000_000n + BigInt(this.seq++ % 1_000_000)).toString(16);
    const eventName = `${name.slice(0, 253 - stamp.length - 1)}.${stamp}`;
    const involvedObject: Record<string, string> = { name };
    if (obj.apiVersion) involvedObject.apiVersion = obj.apiVersion;
    if (obj.kind) involvedObject.kind = obj.kind;
    if (obj.metadata?.namespace) involvedObject.namespace = obj.metadata.namespace;
    if (obj.metadata?.uid) involvedObject.uid = obj.metadata.uid;
    if (obj.metadata?.resourceVersion) involvedObject.resourceVersion = obj.metadata.resourceVersion;
    const ts = eventTime(now);
    await kubeRequest(this.kc, {
      method: 'POST',
      path: resourcePath(Resources.events, namespace),
      body: {
        apiVersion: 'v1',
        kind: 'Event',
        metadata: { name: eventName, namespace },
        involvedObject,
        reason,
        message,
        type,
        count: 1,
        firstTimestamp: ts,
        lastTimestamp: ts,
        source: { component: this.controller },
        reportingComponent: this.controller,
        reportingInstance: this.instance,
      },
      timeoutMs: 30_000,
    });
    this.cache.set(key, { eventName, namespace, count: 1, lastSeenMs: now.getTime() });
    while (this.cache.size > this.maxEntries) {
      const oldest = this.cache.keys().next();
      if (oldest.done) break;
      this.cache.delete(oldest.value);
    }
  }
}
