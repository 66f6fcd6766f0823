// Kubernetes Events (core/v1) about an object, as `kubectl describe` shows them.
//
// - reason is CamelCase (a reason that is not is still recorded, and logged once as a bug),
//   type Normal or Warning, message truncated to 1024 characters;
// - problems() sends a Warning per (object, reason) only when that reason's messages changed,
//   so reconcilers may report their problems on every pass (see ./problemMemory.ts);
// - client-side aggregation: the same object + type + reason + message within `dedupeWindowMs`
//   patches the existing Event (count, lastTimestamp) instead of creating a new one;
// - recording never throws into the caller and never blocks it: Events wait in a bounded
//   queue (./eventQueue.ts; drops are counted in vipannouncer_events_dropped_total), failures
//   are logged, flush() waits for the queue to drain (tests);
// - at most `maxInFlight` writes at once (default 2) and `perSecond` on average (default 20,
//   burst 50), as client-go's broadcaster and client rate limit do: a burst of Events (a
//   cold start with a thousand Services) trails behind the work that matters instead of
//   competing with it at the API server;
// - drop() (leadership lost) empties the queue and aborts the writes in flight; close()
//   (shutdown) does the same after giving the writes in flight a grace period.

import * as os from 'node:os';
import type { KubeConnection } from './connection';
import type { KubeObject } from './resources';
import { Resources, objectKey, resourcePath } from './resources';
import { isAlreadyExists, isKubeApiError, isNotFound, kubeRequest, type KubeRequestOptions } from './request';
import { MERGE_PATCH } from './apply';
import type { EventSink, Problem } from './eventSink';
import { EventQueue, type DropCause, type EventType, type InvolvedObject, type QueuedEvent } from './eventQueue';
import { ProblemMemory, summarizeMessages } from './problemMemory';
import type { Log } from '../util/log';
import { errorFields, nullLogger } from '../util/log';
import { sleep } from '../util/backoff';
import { metrics } from '../util/metrics';
import { TokenBucket } from '../util/tokenBucket';
import { kubeTime } from '../api/time';

export type { EventType } from './eventQueue';

/** How Events reach the API server (a fake in unit tests). */
export type EventSend = (req: KubeRequestOptions) => Promise<unknown>;

export type LostCause = DropCause | 'failed';

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
  /** Events queued at most per object (default 5) and in all (default 1000); the oldest are dropped. */
  maxQueuedPerObject?: number;
  maxQueued?: number;
  /** Objects whose problems are remembered (default 10,000) and reasons per object (default 32). */
  maxProblemObjects?: number;
  maxProblemReasons?: number;
  /** Clock (tests). */
  now?: () => Date;
  /** Default: requests to the API server of the KubeConnection. */
  send?: EventSend;
}

export interface EventRecorderStats {
  queued: number;
  inFlight: number;
  lost: Record<LostCause, number>;
}

interface Aggregate {
  eventName: string;
  namespace: string;
  count: number;
  lastSeenMs: number;
}

const MAX_MESSAGE = 1024;
const CAMEL_CASE = /^[A-Z][A-Za-z0-9]*$/;
const WRITE_TIMEOUT_MS = 30_000;
/** Transient failures of a create are retried this many times, RETRY_DELAY_MS, then twice that, apart. */
const CREATE_RETRIES = 2;
const RETRY_DELAY_MS = 500;

function transient(err: unknown): boolean {
  return isKubeApiError(err) && (err.statusCode === 0 || err.statusCode === 429 || err.statusCode >= 500);
}

function truncate(message: string): string {
  return message.length > MAX_MESSAGE ? message.slice(0, MAX_MESSAGE - 3) + '...' : message;
}

/** Which object an Event is about, for the caps and problems(): its uid, else its kind and key. */
function objectId(obj: KubeObject): string {
  return obj.metadata?.uid || `${obj.kind ?? ''}/${objectKey(obj)}`;
}

function involvedObjectOf(obj: KubeObject, name: string): InvolvedObject {
  const ref: InvolvedObject = { name };
  if (obj.apiVersion) ref.apiVersion = obj.apiVersion;
  if (obj.kind) ref.kind = obj.kind;
  if (obj.metadata?.namespace) ref.namespace = obj.metadata.namespace;
  if (obj.metadata?.uid) ref.uid = obj.metadata.uid;
  if (obj.metadata?.resourceVersion) ref.resourceVersion = obj.metadata.resourceVersion;
  return ref;
}

export class EventRecorder implements EventSink {
  private readonly log: Log;
  private readonly controller: string;
  private readonly instance: string;
  private readonly windowMs: number;
  private readonly maxEntries: number;
  private readonly maxInFlight: number;
  private readonly now: () => Date;
  private readonly send: EventSend;
  /** Aggregation cache in insertion (≈ age) order. */
  private readonly cache = new Map<string, Aggregate>();
  private readonly queue: EventQueue;
  private readonly memory: ProblemMemory;
  /** Keys being written: one write per key at a time, so aggregation counts stay right. */
  private readonly writing = new Set<string>();
  private readonly workers = new Set<Promise<void>>();
  private readonly warnedReasons = new Set<string>();
  private readonly bucket: TokenBucket;
  private readonly lost: Record<LostCause, number> = { object_cap: 0, queue_cap: 0, discarded: 0, failed: 0 };
  /** Aborts the writes in flight (drop(), close()); replaced after each abort. */
  private abort = new AbortController();
  /** Wakes the workers waiting for the rate limit (drop(), close()): the queue was emptied. */
  private wake = new AbortController();
  private seq = 0;
  /** Set by close(): nothing is queued or written any more. */
  private closed = false;
  /** Events dropped because the queue was full since it last drained (logged once per burst). */
  private overflow = 0;

  constructor(kc: KubeConnection, opts: EventRecorderOptions) {
    this.controller = opts.reportingController;
    this.instance = (opts.reportingInstance ?? os.hostname()).slice(0, 128);
    this.log = (opts.logger ?? nullLogger()).child({ component: 'events' });
    this.windowMs = opts.dedupeWindowMs ?? 10 * 60_000;
    this.maxEntries = opts.maxCacheEntries ?? 4096;
    this.maxInFlight = Math.max(1, opts.maxInFlight ?? 2);
    this.now = opts.now ?? (() => new Date());
    this.send = opts.send ?? ((req) => kubeRequest(kc, req));
    this.bucket = new TokenBucket(opts.perSecond ?? 20, opts.burst ?? 50, Date.now());
    this.queue = new EventQueue(opts.maxQueuedPerObject ?? 5, opts.maxQueued ?? 1000, (e, cause) => this.onLost(e, cause));
    this.memory = new ProblemMemory(opts.maxProblemObjects ?? 10_000, opts.maxProblemReasons ?? 32);
  }

  normal(obj: KubeObject, reason: string, message: string): void {
    this.event(obj, 'Normal', reason, message);
  }

  warning(obj: KubeObject, reason: string, message: string): void {
    this.event(obj, 'Warning', reason, message);
  }

  /** See EventSink.problems: one Warning per reason whose messages changed since the last call. */
  problems(obj: KubeObject, problems: readonly Problem[]): void {
    try {
      const id = objectId(obj);
      if (problems.length === 0) {
        this.memory.forget(id);
        return;
      }
      for (const c of this.memory.update(id, problems)) {
        this.enqueue(obj, 'Warning', c.reason, summarizeMessages(c.messages, MAX_MESSAGE), c.fingerprint);
      }
    } catch (err) {
      this.log.warn('recording problems failed', { ...errorFields(err) });
    }
  }

  /** Record an Event about `obj`. Returns at once; never throws. */
  event(obj: KubeObject, type: EventType, reason: string, message: string): void {
    try {
      this.enqueue(obj, type, reason, truncate(message));
    } catch (err) {
      this.log.warn('recording event failed', { reason, ...errorFields(err) });
    }
  }

  /** Counters for tests and logs. */
  stats(): EventRecorderStats {
    return { queued: this.queue.length, inFlight: this.writing.size, lost: { ...this.lost } };
  }

  /**
   * Leadership lost: the queued Events are dropped and the writes in flight aborted (the
   * next leader reports what is still true). What problems() remembered is forgotten too,
   * so that regaining leadership reports the problems again. Recording goes on afterwards.
   */
  drop(): void {
    const n = this.queue.clear('discarded');
    this.abortInFlight();
    this.memory.clear();
    if (n > 0) this.log.info('queued events dropped', { dropped: n });
  }

  /**
   * Shutdown: Events still queued are dropped (a cold start can queue hundreds behind
   * the rate limit, more than a Pod's grace period could wait for); the writes in flight
   * get up to `timeoutMs`, then are aborted.
   */
  async close(timeoutMs = 5_000): Promise<void> {
    this.closed = true;
    const n = this.queue.clear('discarded');
    this.wake.abort();
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([this.flush(), new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMs)))]);
    clearTimeout(timer);
    this.abortInFlight();
    if (n > 0) this.log.info('events not recorded at shutdown', { dropped: n });
  }

  /** Wait until the queue is drained and no write is in flight. */
  async flush(): Promise<void> {
    while (this.workers.size > 0) await Promise.all([...this.workers]);
  }

  private enqueue(obj: KubeObject, type: EventType, reason: string, message: string, fingerprint?: string): void {
    if (this.closed) return;
    const name = obj.metadata?.name;
    if (!name) {
      this.log.warn('event about an object without a name dropped', { reason });
      return;
    }
    if (!CAMEL_CASE.test(reason) && !this.warnedReasons.has(reason)) {
      this.warnedReasons.add(reason);
      this.log.warn('event reason is not CamelCase', { reason });
    }
    const involvedObject = involvedObjectOf(obj, name);
    const key = [obj.kind, involvedObject.namespace ?? '', name, involvedObject.uid ?? '', type, reason, message].join('\u0000');
    const at = this.now();
    this.queue.push({ key, objectId: objectId(obj), involvedObject, type, reason, message, firstAt: at, lastAt: at, repeats: 1, fingerprint });
    this.startWorkers();
  }

  private startWorkers(): void {
    while (this.workers.size < this.maxInFlight && this.workers.size < this.queue.length) {
      const w: Promise<void> = this.work().finally(() => {
        this.workers.delete(w);
        if (this.queue.length === 0) this.endOverflow();
      });
      this.workers.add(w);
    }
  }

  /** Takes Events off the queue, at the rate limit, until none is left that it may write. */
  private async work(): Promise<void> {
    while (!this.closed && this.queue.length > 0) {
      // Woken early: drop() or close() just emptied the queue.
      if (!(await sleep(this.bucket.reserve(Date.now()), this.wake.signal))) continue;
      const e = this.queue.take((key) => this.writing.has(key));
      if (!e) return;
      const signal = this.abort.signal;
      this.writing.add(e.key);
      try {
        await this.write(e, signal);
      } catch (err) {
        this.onLost(e, signal.aborted ? 'discarded' : 'failed');
        if (!signal.aborted) this.log.warn('recording event failed', { object: e.involvedObject.name, kind: e.involvedObject.kind, reason: e.reason, ...errorFields(err) });
      } finally {
        this.writing.delete(e.key);
      }
    }
  }

  private onLost(e: QueuedEvent, cause: LostCause): void {
    this.lost[cause]++;
    metrics.eventsDropped.inc({ cause });
    // Not delivered: problems() must send it again the next time it is told about them.
    if (e.fingerprint) this.memory.forgetReason(e.objectId, e.reason, e.fingerprint);
    if (cause !== 'queue_cap') return;
    if (this.overflow++ === 0) this.log.warn('event queue full: dropping the oldest events until it drains');
  }

  private endOverflow(): void {
    if (this.overflow === 0) return;
    this.log.info('event queue drained', { droppedWhileFull: this.overflow });
    this.overflow = 0;
  }

  private abortInFlight(): void {
    this.wake.abort();
    this.wake = new AbortController();
    this.abort.abort();
    this.abort = new AbortController();
  }

  private async write(e: QueuedEvent, signal: AbortSignal): Promise<void> {
    const agg = this.cache.get(e.key);
    if (agg && e.lastAt.getTime() - agg.lastSeenMs < this.windowMs) {
      try {
        await this.send({
          method: 'PATCH',
          path: resourcePath(Resources.events, agg.namespace, agg.eventName),
          body: { count: agg.count + e.repeats, lastTimestamp: kubeTime(e.lastAt) },
          contentType: MERGE_PATCH,
          timeoutMs: WRITE_TIMEOUT_MS,
          signal,
        });
        agg.count += e.repeats;
        agg.lastSeenMs = e.lastAt.getTime();
        // Refresh the entry's age.
        this.cache.delete(e.key);
        this.cache.set(e.key, agg);
        return;
      } catch (err) {
        if (!isNotFound(err)) throw err;
        // The Event expired (TTL) or was deleted: start a new one.
        this.cache.delete(e.key);
      }
    }
    await this.create(e, signal);
  }

  private async create(e: QueuedEvent, signal: AbortSignal): Promise<void> {
    const namespace = e.involvedObject.namespace || 'default';
    const stamp = (BigInt(e.firstAt.getTime()) * 1_000_000n + BigInt(this.seq++ % 1_000_000)).toString(16);
    const eventName = `${e.involvedObject.name.slice(0, 253 - stamp.length - 1)}.${stamp}`;
    await this.createWithRetries(signal, {
      method: 'POST',
      path: resourcePath(Resources.events, namespace),
      body: {
        apiVersion: 'v1',
        kind: 'Event',
        metadata: { name: eventName, namespace },
        involvedObject: e.involvedObject,
        reason: e.reason,
        message: e.message,
        type: e.type,
        count: e.repeats,
        firstTimestamp: kubeTime(e.firstAt),
        lastTimestamp: kubeTime(e.lastAt),
        source: { component: this.controller },
        reportingComponent: this.controller,
        reportingInstance: this.instance,
      },
      timeoutMs: WRITE_TIMEOUT_MS,
      signal,
    });
    this.cache.set(e.key, { eventName, namespace, count: e.repeats, lastSeenMs: e.lastAt.getTime() });
    this.trimCache();
  }

  /**
   * A create that met a transient failure (the connection dropped, as a keep-alive socket does
   * across an API server restart; 429; 5xx) is sent again, twice at most, as client-go's
   * broadcaster retries. The name is fixed, so AlreadyExists after a retry means the earlier
   * attempt landed.
   */
  private async createWithRetries(signal: AbortSignal, req: KubeRequestOptions): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      try {
        await this.send(req);
        return;
      } catch (err) {
        if (attempt > 0 && isAlreadyExists(err)) return;
        if (attempt >= CREATE_RETRIES || !transient(err) || !(await sleep(RETRY_DELAY_MS * 2 ** attempt, signal))) throw err;
      }
    }
  }

  private trimCache(): void {
    while (this.cache.size > this.maxEntries) {
      const oldest = this.cache.keys().next();
      if (oldest.done) break;
      this.cache.delete(oldest.value);
    }
  }
}
