// One manager per process, as controller-runtime's manager is for Go. It needs no framework and
// no client-node: the speaker, a node agent on every node, runs on it directly, and the
// operator's framework-based Manager (./manager.ts) composes it.
//
// - informers shared by (resource, selector): a role that watches Nodes twice watches once;
// - controllers declared as data (./controllerDefinition.ts), each run by a ControllerRunner;
// - one Lease for the process: every leader-elected controller leads in the same term, and a
//   lost or unrenewable Lease aborts their writes and exits the process non-zero, so the
//   Deployment restarts it (two terms can never write at once);
// - /metrics on its own listener (HTTPS + TokenReview/SubjectAccessReview, ./metricsServing.ts)
//   and /healthz, /readyz on another (ready once every cache holds a full list and each extra
//   check passes; the probes learn only yes or no, the log says why not);
// - SIGTERM/SIGINT stop everything within a deadline shorter than the Pod's grace period.
import type { Server } from 'node:http';
import type { Server as HttpsServer } from 'node:https';
import type { KubeConnection } from './connection';
import type { Log } from '../util/log';
import { errorFields } from '../util/log';
import { metrics } from '../util/metrics';
import { startHealthServer, startMetricsServer } from '../util/httpServer';
import type { CacheShape } from './cacheShape';
import type { Caches, ControllerDefinition } from './controllerDefinition';
import { ControllerRunner } from './controllerRunner';
import { Informer, waitForCacheSync, type Selector } from './informer';
import { LeaderElector, type LeaseSettings } from './leader';
import { metricsServing, reloadOnChange, type MetricsSettings } from './metricsServing';
import type { KubeObject, ResourceRef } from './resources';

export interface ProcessManagerOptions {
  connection: KubeConnection;
  logger: Log;
  /** Unique per process: the Lease holder identity. */
  identity: string;
  /** The process's Lease; leader-elected controllers always run when absent. */
  leaderElection?: Omit<LeaseSettings, 'identity'>;
  /** Where and how /metrics is served (port 0 = not served). */
  metrics?: MetricsSettings;
  /** Where /healthz and /readyz listen (port 0 = not served). */
  health?: { host: string; port: number };
  /** Stop takes at most this long, then the process exits anyway (default 20 s < 30 s grace). */
  shutdownDeadlineMs?: number;
  /** How the process ends (tests replace it). */
  exit?: (code: number) => void;
  /** Build informers (tests replace the transport). */
  newInformer?: (resource: ResourceRef, selector: Selector, shape: CacheShape<KubeObject>) => Informer<KubeObject>;
}

export type Hook = () => void | Promise<void>;

/** What a role adds itself to: the caches, its controllers, checks and hooks. */
export interface ProcessHost extends Caches {
  add(def: ControllerDefinition): ControllerRunner;
  addReadyCheck(name: string, ok: () => boolean): void;
  onStop(hook: Hook): void;
  onLeadershipLost(hook: () => void): void;
}

export class ProcessManager implements ProcessHost {
  private readonly opts: ProcessManagerOptions;
  private readonly log: Log;
  private readonly informers = new Map<string, Informer<KubeObject>>();
  /** Informers only optional watches use: the start does not wait for them (Watch.optional). */
  private readonly optional = new Set<string>();
  private readonly required = new Set<string>();
  private readonly runners: ControllerRunner[] = [];
  private readonly readyChecks: { name: string; ok: () => boolean }[] = [];
  private readonly stopHooks: Hook[] = [];
  private readonly lostHooks: (() => void)[] = [];
  private readonly stopCtl = new AbortController();
  private elector?: LeaderElector;
  private readonly servers: Server[] = [];
  private readonly serverStops: (() => void)[] = [];
  private lastNotReady = '';
  private synced = false;
  private started = false;
  private stopping?: Promise<boolean>;
  private readonly terms = new Set<Promise<void>>();

  constructor(opts: ProcessManagerOptions) {
    this.opts = opts;
    this.log = opts.logger;
  }

  /**
   * The shared informer of (resource, shape, selector); created on first use, started by
   * start(). Its objects are trimmed to the shape as they arrive, page by page.
   */
  informer<T extends KubeObject>(shape: CacheShape<T>, selector: Selector = {}): Informer<T> {
    const { resource } = shape;
    const id = informerId(shape, selector);
    let inf = this.informers.get(id);
    if (!inf) {
      const generic = shape as unknown as CacheShape<KubeObject>;
      inf = this.opts.newInformer?.(resource, selector, generic) ?? new Informer<KubeObject>(this.opts.connection, resource, { ...selector, logger: this.log, trim: generic.trim });
      this.informers.set(id, inf);
      // One asked for after start (a cache read nobody declared) must still fill.
      if (this.started) inf.start();
    }
    return inf as unknown as Informer<T>;
  }

  /** Declare a controller: its watches' informers are shared with every other controller. */
  add(def: ControllerDefinition): ControllerRunner {
    const sources = def.watches.map((w) => this.informer(w.shape, w.selector ?? {}));
    for (const w of def.watches) {
      const id = informerId(w.shape, w.selector ?? {});
      if (w.optional && !this.required.has(id)) this.optional.add(id);
      if (!w.optional) {
        this.required.add(id);
        this.optional.delete(id);
      }
    }
    const runner = new ControllerRunner(def, sources, this.log);
    this.runners.push(runner);
    return runner;
  }

  /** An extra readiness condition, e.g. "gobgpd answers". */
  addReadyCheck(name: string, ok: () => boolean): void {
    this.readyChecks.push({ name, ok });
  }

  /** Runs after the controllers stopped (close clients, withdraw routes); bounded by the deadline. */
  onStop(hook: Hook): void {
    this.stopHooks.push(hook);
  }

  /** Runs synchronously when leadership is lost, just before the process exits (drop queued Events). */
  onLeadershipLost(hook: () => void): void {
    this.lostHooks.push(hook);
  }

  /** Reasons the process is not ready; empty when ready. */
  notReady(): string[] {
    const reasons = this.synced ? [] : ['caches not synced'];
    for (const c of this.readyChecks) if (!c.ok()) reasons.push(c.name);
    return reasons;
  }

  isLeader(): boolean {
    return this.elector?.isLeader() ?? true;
  }

  /** HTTP listeners, informers, cache sync, then the controllers (elected ones once leading). */
  async start(): Promise<void> {
    await this.serveHttp();
    this.started = true;
    for (const inf of this.informers.values()) inf.start();
    this.log.info('waiting for caches to sync', { informers: this.informers.size, controllers: this.runners.map((r) => r.name) });
    const gating = [...this.informers.entries()].filter(([id]) => !this.optional.has(id)).map(([, inf]) => inf);
    if (!(await waitForCacheSync(gating, this.stopCtl.signal))) return;
    this.synced = true;
    this.log.info('caches synced');
    const always = this.runners.filter((r) => !r.def.leaderElected || !this.opts.leaderElection);
    const elected = this.runners.filter((r) => r.def.leaderElected && this.opts.leaderElection);
    void this.startTerm(always, this.stopCtl.signal);
    if (elected.length > 0) this.elect(elected);
  }

  /** SIGTERM / SIGINT → shutdown → exit 0 (1 if the deadline passed or a stop hook failed). */
  handleSignals(): void {
    const onSignal = (signal: string): void => {
      this.log.info('stopping', { signal });
      void this.shutdown().then((clean) => this.exit(clean ? 0 : 1));
    };
    process.once('SIGTERM', () => onSignal('SIGTERM'));
    process.once('SIGINT', () => onSignal('SIGINT'));
  }

  /**
   * Stop workers, release the Lease, run stop hooks, stop informers; false if the deadline
   * passed or a stop hook failed (e.g. the speaker could not withdraw its routes).
   */
  async shutdown(): Promise<boolean> {
    this.stopping ??= this.stopAll();
    const deadline = this.opts.shutdownDeadlineMs ?? 20_000;
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<'deadline'>((r) => (timer = setTimeout(() => r('deadline'), deadline)));
    const outcome = await Promise.race([this.stopping, timedOut]);
    clearTimeout(timer);
    if (outcome === 'deadline') this.log.error('shutdown deadline passed; exiting anyway', { deadlineMs: deadline });
    return outcome === true;
  }

  /** True when every stop hook succeeded. */
  private async stopAll(): Promise<boolean> {
    this.stopCtl.abort();
    await this.elector?.stop();
    await Promise.all(this.terms);
    let hooksOk = true;
    for (const hook of this.stopHooks) hooksOk = (await this.runHook(hook, 'stop')) && hooksOk;
    await Promise.all([...this.informers.values()].map((i) => i.stop()));
    for (const stop of this.serverStops) stop();
    for (const server of this.servers) server.close();
    this.log.info('stopped', { hooksOk });
    return hooksOk;
  }

  private startTerm(runners: readonly ControllerRunner[], signal: AbortSignal): Promise<void> {
    const term = Promise.all(runners.map((r) => r.run(signal))).then(() => undefined);
    this.terms.add(term);
    void term.finally(() => this.terms.delete(term));
    return term;
  }

  private elect(runners: readonly ControllerRunner[]): void {
    const le = this.opts.leaderElection;
    if (!le) return;
    this.elector = new LeaderElector(this.opts.connection, {
      ...le,
      identity: this.opts.identity,
      logger: this.log,
      onStartedLeading: (signal) => {
        metrics.leaderTerms.inc();
        metrics.isLeader.set(1);
        this.log.info('started leading', { controllers: runners.map((r) => r.name) });
        return this.startTerm(runners, signal);
      },
      onStoppedLeading: () => metrics.isLeader.set(0),
      // The elector has already aborted the term's signal (in-flight writes); it calls this
      // at once, and never stands again: a fresh process does.
      onLost: 'exit',
      exit: (code) => this.leadershipLost(code),
    });
    void this.elector.run();
  }

  /** The term's signal has aborted its writes; drop what is queued and let the Pod restart us. */
  private leadershipLost(code: number): void {
    if (this.stopCtl.signal.aborted) return;
    this.log.error('leadership lost; writes stopped, exiting so a fresh process stands again');
    for (const hook of this.lostHooks) {
      try {
        hook();
      } catch (err) {
        this.log.warn('leadership-lost hook failed', errorFields(err));
      }
    }
    this.exit(code);
  }

  private async runHook(hook: Hook, what: string): Promise<boolean> {
    try {
      await hook();
      return true;
    } catch (err) {
      this.log.warn(`${what} hook failed`, errorFields(err));
      return false;
    }
  }

  private exit(code: number): void {
    (this.opts.exit ?? ((c: number) => process.exit(c)))(code);
  }

  private async serveHttp(): Promise<void> {
    const { metrics, health } = this.opts;
    if (metrics && metrics.port > 0) {
      const server = await startMetricsServer(metricsServing(metrics, this.opts.connection, this.log), this.log);
      this.servers.push(server);
      if (metrics.secure) this.serverStops.push(reloadOnChange(server as HttpsServer, metrics, this.log));
    }
    if (health && health.port > 0) {
      this.servers.push(await startHealthServer(health.host, health.port, { healthy: () => true, notReady: () => this.probeNotReady() }, this.log));
    }
  }

  /** notReady() for the probe: the reasons go to the log when they change, not to the prober. */
  private probeNotReady(): string[] {
    const reasons = this.notReady();
    const now = reasons.join('; ');
    if (now !== this.lastNotReady) {
      if (now) this.log.info('not ready', { reasons });
      else this.log.info('ready');
      this.lastNotReady = now;
    }
    return reasons;
  }
}

function informerId({ resource, name }: CacheShape<KubeObject>, selector: Selector): string {
  return [resource.group, resource.version, resource.plural, name, selector.namespace ?? '', selector.labelSelector ?? '', selector.fieldSelector ?? ''].join('|');
}

/** What a role is given to add itself to a process. */
export interface RoleContext {
  manager: ProcessHost;
  connection: KubeConnection;
  log: Log;
  /** Unique per process: Event reporting instance and Lease holder. */
  identity: string;
}
