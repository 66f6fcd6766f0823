// A keyed work queue in the manner of client-go's workqueue and controller-runtime's reconcile loop.
//
// - Keys, never events: a key waiting in the queue is there once (dirty set), however often it is added.
// - A key is never handled by two workers at once (processing set); a key added while it is being
//   handled is queued again exactly once, after the running handler finishes.
// - Up to `concurrency` different keys are handled at the same time.
// - Two priorities, as controller-runtime's priority queue: keys of a full sync (the initial list,
//   a resync) wait at 'low'; live events, requeues and retries come at 'high' (the default) and go
//   first, so a write's own watch event is not queued behind every key of a cold start. Within
//   one priority keys go first in, first out. A key re-added at a higher priority moves up; at a
//   lower one it stays where it is (still one entry).
// - The handler's outcome decides what happens next, like controller-runtime's Result:
//     resolve {} / undefined  -> done, backoff forgotten
//     resolve {requeueAfter}  -> backoff forgotten, handled again after that many ms
//     throw                   -> retried with per-key exponential backoff (addRateLimited)
// - shutdown() stops taking keys, drops delayed and queued ones (the state is level-triggered and is
//   re-synced at the next start) and waits for handlers in flight.

import type { Log } from '../util/log';
import { errorFields, nullLogger } from '../util/log';
import { backoffDelay } from '../util/backoff';

/** What a handler returns; `undefined` or `{}` means done. */
export type Result = { requeueAfter?: number } | undefined | void;

export type Outcome = 'success' | 'requeue' | 'error';

export type Handler = (key: string) => Promise<Result>;

/** 'low': a full sync's keys; 'high' (the default): everything else. */
export type Priority = 'high' | 'low';

const PRIORITIES: readonly Priority[] = ['high', 'low'];

function higher(a: Priority, b: Priority): Priority {
  return a === 'high' || b === 'high' ? 'high' : 'low';
}

/**
 * The ready keys, one first-in first-out lane per priority. A key moved up leaves a stale entry
 * behind in its old lane; `seq` tells the live entry, and stale ones are skipped when popped.
 */
class ReadyLanes {
  private readonly seqOf = new Map<string, number>();
  private readonly lanes = new Map<Priority, { items: { key: string; seq: number }[]; head: number }>(PRIORITIES.map((p) => [p, { items: [], head: 0 }]));
  private seq = 0;

  get size(): number {
    return this.seqOf.size;
  }

  /** Files `key` at `priority`; a key already filed is filed again there (its old entry goes stale). */
  push(key: string, priority: Priority): void {
    const seq = ++this.seq;
    this.seqOf.set(key, seq);
    this.lanes.get(priority)?.items.push({ key, seq });
  }

  /** The first live key of the highest lane that has one. */
  shift(): string | undefined {
    for (const lane of this.lanes.values()) {
      while (lane.head < lane.items.length) {
        const { key, seq } = lane.items[lane.head++];
        if (lane.head > 1024 && lane.head * 2 > lane.items.length) {
          lane.items = lane.items.slice(lane.head);
          lane.head = 0;
        }
        if (this.seqOf.get(key) !== seq) continue;
        this.seqOf.delete(key);
        return key;
      }
    }
    return undefined;
  }

  clear(): void {
    this.seqOf.clear();
    for (const lane of this.lanes.values()) {
      lane.items = [];
      lane.head = 0;
    }
  }
}

/** Decides how long a failing key waits before it is retried. */
export interface RateLimiter {
  /** Delay for the next retry of `key` (and count one more failure). */
  when(key: string): number;
  /** Clear the key's failure count. */
  forget(key: string): void;
  /** Failures counted for `key` since it was last forgotten. */
  numRequeues(key: string): number;
}

/** base * 2^failures, capped (client-go's ItemExponentialFailureRateLimiter). */
export class ExponentialRateLimiter implements RateLimiter {
  private readonly failures = new Map<string, number>();
  constructor(
    readonly baseMs = 5,
    readonly maxMs = 60_000,
  ) {}

  when(key: string): number {
    const n = this.failures.get(key) ?? 0;
    this.failures.set(key, n + 1);
    return backoffDelay(n, { initialMs: this.baseMs, maxMs: this.maxMs });
  }
  forget(key: string): void {
    this.failures.delete(key);
  }
  numRequeues(key: string): number {
    return this.failures.get(key) ?? 0;
  }
}

export interface WorkQueueOptions {
  /** Used in logs. */
  name?: string;
  /** Number of workers, i.e. keys handled at the same time (default 1). */
  concurrency?: number;
  /** Default: ExponentialRateLimiter(5 ms, 60 s). */
  rateLimiter?: RateLimiter;
  logger?: Log;
  /** Called after every handler run (metrics: reconcile duration and outcome). */
  onHandled?: (key: string, durationMs: number, outcome: Outcome, error?: unknown) => void;
}

interface Delayed {
  at: number;
  timer: NodeJS.Timeout;
  priority: Priority;
}

export class WorkQueue {
  readonly name: string;
  private readonly concurrency: number;
  private readonly rateLimiter: RateLimiter;
  private readonly log: Log;
  private readonly onHandled?: WorkQueueOptions['onHandled'];

  /** Keys ready to be handled, by priority, in order. Never holds a key twice. */
  private readonly ready = new ReadyLanes();
  /** Keys that need handling (queued, or re-added while being processed), at their priority. */
  private readonly dirty = new Map<string, Priority>();
  /** Keys being handled right now. */
  private readonly processing = new Set<string>();
  /** Keys waiting for a delay to pass. */
  private readonly delayed = new Map<string, Delayed>();

  private readonly waiters: (() => void)[] = [];
  private idleWaiters: (() => void)[] = [];
  private shuttingDown = false;
  private running?: Promise<void>;

  constructor(opts: WorkQueueOptions = {}) {
    this.name = opts.name ?? 'queue';
    this.concurrency = Math.max(1, Math.floor(opts.concurrency ?? 1));
    this.rateLimiter = opts.rateLimiter ?? new ExponentialRateLimiter();
    this.log = (opts.logger ?? nullLogger()).child({ queue: this.name });
    this.onHandled = opts.onHandled;
  }

  /**
   * Queue `key` unless it is already waiting (then it takes the higher of the two priorities);
   * if it is being handled, handle it once more afterwards, at that priority.
   */
  add(key: string, priority: Priority = 'high'): void {
    if (this.shuttingDown) return;
    const was = this.dirty.get(key);
    if (was !== undefined && higher(was, priority) === was) return;
    this.dirty.set(key, priority);
    if (this.processing.has(key)) return;
    this.ready.push(key, priority);
    if (was === undefined) this.waiters.shift()?.();
  }

  /**
   * add(key, priority) after `ms`. A key already waiting keeps the earlier of the two deadlines
   * and the higher of the two priorities.
   */
  addAfter(key: string, ms: number, priority: Priority = 'high'): void {
    if (this.shuttingDown) return;
    if (!(ms > 0)) {
      this.add(key, priority);
      return;
    }
    const at = Date.now() + ms;
    const existing = this.delayed.get(key);
    if (existing) {
      existing.priority = higher(existing.priority, priority);
      if (existing.at <= at) return;
      clearTimeout(existing.timer);
    }
    const entry: Delayed = {
      at,
      priority: existing?.priority ?? priority,
      timer: setTimeout(() => {
        this.delayed.delete(key);
        this.add(key, entry.priority);
      }, ms),
    };
    this.delayed.set(key, entry);
  }

  /** addAfter(key, backoff): the delay doubles with every call until forget(key). A retry is live work: 'high'. */
  private addRateLimited(key: string): void {
    if (this.shuttingDown) return;
    this.addAfter(key, this.rateLimiter.when(key), 'high');
  }

  /** Reset the key's backoff. */
  forget(key: string): void {
    this.rateLimiter.forget(key);
  }

  numRequeues(key: string): number {
    return this.rateLimiter.numRequeues(key);
  }

  /** Keys ready to be handled (the queue-depth metric). */
  len(): number {
    return this.ready.size;
  }

  /** Keys waiting for a delay (requeueAfter or backoff). */
  delayedLen(): number {
    return this.delayed.size;
  }

  /**
   * Start `concurrency` workers calling `handler`. Resolves when the queue has shut down and every
   * worker has finished. Call once.
   */
  run(handler: Handler): Promise<void> {
    if (this.running) throw new Error(`work queue ${this.name} is already running`);
    const workers: Promise<void>[] = [];
    for (let i = 0; i < this.concurrency; i++) workers.push(this.worker(handler));
    this.running = Promise.all(workers).then(() => undefined);
    return this.running;
  }

  /** Stop handing out keys, drop delayed and queued keys, and wait for handlers in flight. */
  async shutdown(): Promise<void> {
    if (!this.shuttingDown) {
      this.shuttingDown = true;
      for (const d of this.delayed.values()) clearTimeout(d.timer);
      this.delayed.clear();
      this.ready.clear();
      this.dirty.clear();
      for (const w of this.waiters.splice(0)) w();
    }
    await this.running;
    this.notifyIdle();
  }

  /**
   * Resolves when nothing is queued, delayed or being handled (tests, graceful handover).
   * Never resolves while a key keeps requeueing itself.
   */
  whenIdle(): Promise<void> {
    if (this.isIdle()) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private isIdle(): boolean {
    return this.len() === 0 && this.processing.size === 0 && this.delayed.size === 0;
  }

  private notifyIdle(): void {
    if (this.idleWaiters.length === 0 || !(this.isIdle() || this.shuttingDown)) return;
    const ws = this.idleWaiters;
    this.idleWaiters = [];
    for (const w of ws) w();
  }

  /** The next key to handle, or undefined once shutting down. */
  private async get(): Promise<string | undefined> {
    while (this.len() === 0 && !this.shuttingDown) {
      await new Promise<void>((resolve) => this.waiters.push(resolve));
    }
    if (this.shuttingDown) return undefined;
    const key = this.ready.shift();
    if (key === undefined) return this.get();
    this.processing.add(key);
    this.dirty.delete(key);
    return key;
  }

  private done(key: string): void {
    this.processing.delete(key);
    const again = this.dirty.get(key);
    if (again !== undefined && !this.shuttingDown) {
      this.ready.push(key, again);
      this.waiters.shift()?.();
    }
    this.notifyIdle();
  }

  private async worker(handler: Handler): Promise<void> {
    for (;;) {
      const key = await this.get();
      if (key === undefined) return;
      const started = performance.now();
      let outcome: Outcome;
      let error: unknown;
      try {
        const result = await handler(key);
        const after = result?.requeueAfter;
        this.forget(key);
        if (after !== undefined && after > 0) {
          this.addAfter(key, after, 'high');
          outcome = 'requeue';
        } else {
          outcome = 'success';
        }
      } catch (err) {
        error = err;
        outcome = 'error';
        this.addRateLimited(key);
        this.log.warn('handler failed, retrying with backoff', {
          key,
          retries: this.numRequeues(key),
          ...errorFields(err),
        });
      }
      const durationMs = performance.now() - started;
      this.done(key);
      if (this.onHandled) {
        try {
          this.onHandled(key, durationMs, outcome, error);
        } catch (err) {
          this.log.warn('onHandled hook failed', errorFields(err));
        }
      }
    }
  }
}
