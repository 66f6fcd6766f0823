// The shared skeleton of the controller and the speaker, on the framework's Operator class
// (its kubeConfig / k8sApi / logger and start() → init() lifecycle), replacing its watch and
// serial event queue with informers and a keyed work queue:
//
//   init()            subclass: create informers with this.informer(...), map their events to
//                     keys with this.enqueue(key) (never act in a handler)
//   start()           init, start informers, wait until every cache holds a full list, then (if
//                     leader election is configured, only while leading) run the workers and
//                     enqueue every key once (keysForFullSync), and again every resyncPeriodMs
//   reconcile(key)    subclass: read caches → compute desired → apply difference → report
//   shutdown()        stop workers (waiting for reconciles in flight), release the Lease, stop
//                     informers
//   lost Lease        leadershipLost() (subclass: drop queued writes), then exit(1) at once, so
//                     the old term cannot write once a standby may lead (see ./leader)

import Operator from '@dot-i/k8s-operator';
import type { KubeConfig } from '@kubernetes/client-node';
import { CoreV1Api } from '@kubernetes/client-node';
import type { InformerOptions } from './informer';
import { Informer, waitForCacheSync } from './informer';
import type { KubeObject, ResourceRef } from './resources';
import type { RateLimiter, Result, WorkQueueOptions } from './workqueue';
import { WorkQueue } from './workqueue';
import type { LeaderElectionConfig } from './leader';
import { LeaderElector } from './leader';
import type { Log } from '../util/log';
import { errorFields } from '../util/log';

export interface OperatorBaseOptions {
  /** Role, used in logs and as the queue name ("controller", "speaker"). */
  name: string;
  kubeConfig: KubeConfig;
  logger: Log;
  /** Keys reconciled at the same time (default 4). */
  concurrency?: number;
  /** Enqueue every key this often, as a safety net (default 0 = off). */
  resyncPeriodMs?: number;
  rateLimiter?: RateLimiter;
  /** Metrics hook: one call per reconcile. */
  onHandled?: WorkQueueOptions['onHandled'];
  /** When set, reconcile only while holding this Lease. */
  leaderElection?: LeaderElectionConfig;
}

export abstract class OperatorBase extends Operator {
  protected readonly log: Log;
  protected readonly role: string;
  private readonly baseOpts: OperatorBaseOptions;
  private readonly informers: Pick<Informer<KubeObject>, 'start' | 'stop' | 'whenSynced'>[] = [];
  private readonly stopCtl = new AbortController();
  private queue?: WorkQueue;
  private elector?: LeaderElector;
  private workers?: Promise<void>;
  private synced = false;
  private started = false;

  constructor(opts: OperatorBaseOptions) {
    super(opts.logger);
    // The framework loaded a default KubeConfig; use the one we were given.
    this.kubeConfig = opts.kubeConfig;
    this.k8sApi = opts.kubeConfig.makeApiClient(CoreV1Api);
    this.log = opts.logger.child({ role: opts.name });
    this.role = opts.name;
    this.baseOpts = opts;
  }

  /** Reconcile one key; see Result / TerminalError in ./workqueue. */
  protected abstract reconcile(key: string): Promise<Result>;

  /**
   * The Lease was lost (the process exits next): drop whatever would still write for the old
   * term, such as queued Events. Reconciles in flight die with the process.
   */
  protected leadershipLost(): void {
    // Nothing by default.
  }

  /** Every key that should be reconciled after start, on leadership and on each resync. */
  protected abstract keysForFullSync(): Iterable<string>;

  /** Create an informer that start()/shutdown() manage. Call from init(). */
  protected informer<T extends KubeObject>(resource: ResourceRef, opts: InformerOptions<T> = {}): Informer<T> {
    const inf = new Informer<T>(this.kubeConfig, resource, { logger: this.log, ...opts });
    this.informers.push(inf);
    if (this.started) inf.start();
    return inf;
  }

  /** Queue a key for reconciling (dropped while not running: a full sync follows every start). */
  protected enqueue(key: string): void {
    this.queue?.add(key);
  }

  protected enqueueAfter(key: string, ms: number): void {
    this.queue?.addAfter(key, ms);
  }

  /** Queue every key of keysForFullSync(). */
  protected fullSync(): void {
    const q = this.queue;
    if (!q) return;
    let n = 0;
    try {
      for (const key of this.keysForFullSync()) {
        q.add(key);
        n++;
      }
      this.log.debug('full sync enqueued', { keys: n });
    } catch (err) {
      this.log.error('listing keys for a full sync failed', errorFields(err));
    }
  }

  /** Caches hold a full list (readiness). */
  isReady(): boolean {
    return this.synced;
  }

  /** True while workers run (always, without leader election, once synced). */
  isActive(): boolean {
    return this.queue !== undefined;
  }

  isLeader(): boolean {
    return this.elector ? this.elector.isLeader() : this.isActive();
  }

  /** Keys waiting to be reconciled (the queue-depth metric). */
  queueDepth(): number {
    return this.queue?.len() ?? 0;
  }

  /**
   * Framework lifecycle: init(), then informers, cache sync, workers. Resolves once workers run
   * (or, with leader election, once the election runs), or early if shutdown() came first.
   */
  override async start(): Promise<void> {
    await super.start();
    this.started = true;
    for (const inf of this.informers) inf.start();
    this.log.info('waiting for caches to sync', { informers: this.informers.length });
    if (!(await waitForCacheSync(this.informers, this.stopCtl.signal))) return;
    this.synced = true;
    this.log.info('caches synced');
    const le = this.baseOpts.leaderElection;
    if (le) {
      this.elector = new LeaderElector(this.kubeConfig, {
        ...le,
        logger: this.log,
        onStartedLeading: (signal) => this.runWorkers(signal),
        onStoppedLeading: () => {
          this.log.info('stopped leading');
          // Not our own shutdown: the Lease was lost, and the elector exits right after this.
          if (!this.stopCtl.signal.aborted) this.leadershipLost();
        },
        onLost: 'exit',
        exit: (code) => process.exit(code),
      });
      void this.elector.run();
    } else {
      this.workers = this.runWorkers(this.stopCtl.signal);
    }
  }

  /** Stop everything; waits for reconciles in flight and releases the Lease. */
  async shutdown(): Promise<void> {
    this.stopCtl.abort();
    await this.elector?.stop();
    await this.workers;
    await Promise.all(this.informers.map((i) => i.stop()));
    super.stop();
    this.log.info('stopped');
  }

  /** Framework's synchronous stop(): starts shutdown() (await shutdown() to know when it is done). */
  override stop(): void {
    void this.shutdown();
  }

  private async runWorkers(signal: AbortSignal): Promise<void> {
    if (signal.aborted) return;
    const q = new WorkQueue({
      name: this.role,
      concurrency: this.baseOpts.concurrency ?? 4,
      rateLimiter: this.baseOpts.rateLimiter,
      logger: this.log,
      onHandled: this.baseOpts.onHandled,
    });
    this.queue = q;
    const running = q.run((key) => this.reconcile(key));
    this.log.info('workers started');
    this.fullSync();
    const period = this.baseOpts.resyncPeriodMs ?? 0;
    const timer = period > 0 ? setInterval(() => this.fullSync(), period) : undefined;
    await new Promise<void>((resolve) => {
      if (signal.aborted) resolve();
      else signal.addEventListener('abort', () => resolve(), { once: true });
    });
    clearInterval(timer);
    this.queue = undefined;
    await q.shutdown();
    await running;
    this.log.info('workers stopped');
  }
}
