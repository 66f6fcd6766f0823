// Runs one ControllerDefinition: its watches' events become keys in one keyed work queue, and
// workers reconcile them while a term lasts (the process's life, or one term of leadership).
// Every reconcile gets a logger carrying controller, key and a reconcile id, and is measured
// (duration and outcome, queue depth) under the controller's name.
// A full sync's keys (the term's first, and each periodic one) wait at low priority; keys of
// watch events and of reconciles (ctx.enqueue) go before them: at a cold start with N keys, a
// write's own watch event is handled next, not after the N-th key.
import { randomBytes } from 'node:crypto';
import { Backoff, sleep } from '../util/backoff';
import type { Log } from '../util/log';
import { errorFields } from '../util/log';
import { metrics } from '../util/metrics';
import type { ControllerDefinition, KeyRequest, ReconcileContext } from './controllerDefinition';
import type { ChangeType } from './informer';
import type { KubeObject } from './resources';
import { WorkQueue, type Outcome, type Priority } from './workqueue';

/** Where a watch's events come from: an informer's onChange. */
export interface EventSource {
  onChange(fn: (type: ChangeType, obj: KubeObject, old?: KubeObject) => void): () => void;
}

export class ControllerRunner {
  readonly name: string;
  private readonly log: Log;
  private queue?: WorkQueue;
  private signal?: AbortSignal;

  constructor(
    readonly def: ControllerDefinition,
    sources: readonly EventSource[],
    logger: Log,
  ) {
    this.name = def.name;
    this.log = logger.child({ controller: def.name });
    def.watches.forEach((w, i) => {
      sources[i].onChange((type, obj, old) => {
        for (const r of this.keysOf(() => w.toKeys(type, obj, old))) this.enqueue(r);
      });
    });
  }

  /** Keys waiting (the queue-depth metric); 0 while not running. */
  depth(): number {
    return this.queue?.len() ?? 0;
  }

  running(): boolean {
    return this.queue !== undefined;
  }

  /**
   * Queue a key ('high': a live event or a reconcile's request; 'low': a full sync); dropped
   * while no term runs, since every term starts with a full sync.
   */
  enqueue(request: KeyRequest, priority: Priority = 'high'): void {
    const q = this.queue;
    if (!q) return;
    if (typeof request === 'string') q.add(request, priority);
    else q.addAfter(request.key, request.afterMs, priority);
  }

  /** Work until `signal` aborts, then wait for reconciles in flight. */
  async run(signal: AbortSignal): Promise<void> {
    if (signal.aborted || !(await this.prepare(signal))) return;
    const q = new WorkQueue({
      name: this.name,
      concurrency: this.def.concurrency ?? 4,
      rateLimiter: this.def.rateLimiter,
      logger: this.log,
      onHandled: (_key, ms, outcome) => this.observe(ms, outcome),
    });
    this.queue = q;
    this.signal = signal;
    const workers = q.run((key) => this.def.reconcile(key, this.contextFor(key)));
    this.log.info('workers started');
    this.fullSync();
    const period = this.def.requeueAllPeriodMs ?? 0;
    const timer = period > 0 ? setInterval(() => this.fullSync(), period) : undefined;
    await new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
    clearInterval(timer);
    this.queue = undefined;
    await q.shutdown();
    await workers;
    metrics.queueDepth.set({ controller: this.name }, 0);
    await this.def.onStop?.();
    this.log.info('workers stopped');
  }

  /** The definition's onStart, retried until it succeeds; false: the term ended first. */
  private async prepare(signal: AbortSignal): Promise<boolean> {
    if (!this.def.onStart) return true;
    const backoff = new Backoff({ initialMs: 200, maxMs: 10_000, jitter: 0.2 });
    while (!signal.aborted) {
      try {
        await this.def.onStart(signal);
        return true;
      } catch (err) {
        if (signal.aborted) break;
        this.log.warn('term start failed; retrying before any reconcile', errorFields(err));
        await sleep(backoff.next(), signal);
      }
    }
    await this.def.onStop?.();
    return false;
  }

  /** Queue every key of the definition's fullSyncKeys(), behind every live event. */
  fullSync(): void {
    let n = 0;
    for (const key of this.keysOf(() => this.def.fullSyncKeys())) {
      this.enqueue(key, 'low');
      n++;
    }
    this.log.debug('full sync enqueued', { keys: n });
  }

  private contextFor(key: string): ReconcileContext {
    return {
      log: this.log.child({ key, reconcileID: randomBytes(4).toString('hex') }),
      signal: this.signal ?? AbortSignal.abort(),
      enqueue: (r) => this.enqueue(r),
    };
  }

  /** A mapping function that throws is a bug: log it and enqueue nothing for that event. */
  private keysOf<K>(fn: () => Iterable<K>): K[] {
    try {
      return [...fn()];
    } catch (err) {
      this.log.error('mapping an event to keys failed', errorFields(err));
      return [];
    }
  }

  private observe(ms: number, outcome: Outcome): void {
    metrics.reconcileDuration.observe({ controller: this.name, outcome }, ms / 1000);
    metrics.reconcileTotal.inc({ controller: this.name, outcome });
    metrics.queueDepth.set({ controller: this.name }, this.depth());
  }
}
