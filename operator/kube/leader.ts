// Leader election on a coordination.k8s.io/v1 Lease, following client-go's leaderelection:
//
// - a candidate tries every retryPeriod (jittered) to take the Lease: create it if missing, or
//   update it (optimistic concurrency: PUT with the resourceVersion it read; 409 = lost the race)
//   when it is free (empty holder) or expired. Expiry is judged on the local clock: a Lease is
//   expired when it has not changed for leaseDurationSeconds since *we* last saw it change, so
//   clock skew between nodes does not matter;
// - the leader renews every retryPeriod. The renew deadline counts from when the last successful
//   renew was *sent* (a standby measures the lease from when it saw that renew land, which is
//   later), so a slow API server cannot stretch it; every request carries a signal that fires at
//   the deadline, and a timer aborts the leader's signal at the deadline itself, whatever the
//   requests in flight are doing. Seeing another holder on the Lease also stops it at once;
// - on a lost Lease the default (onLost 'exit') is controller-runtime's: abort the leader's
//   work, call onStoppedLeading and exit(1) right there, so nothing the old term started (a
//   reconcile's write, a queued Event) can reach the API server once a standby may lead; the
//   Deployment restarts the process as a fresh candidate. onLost 'restand' keeps the process
//   and stands again (for tests and embedders that fence their own writes);
// - stop() while leading aborts the leader's work, waits for it, and releases the Lease (empty
//   holder, leaseDurationSeconds 1) so a standby takes over within one retryPeriod.

import type { KubeConnection } from './connection';
import { Resources, resourcePath } from './resources';
import { isAlreadyExists, isConflict, isNotFound, kubeRequest } from './request';
import type { Log } from '../util/log';
import { errorFields, nullLogger } from '../util/log';
import type { Clock } from '../util/clock';
import { scopedSignal, sleepOn, systemClock } from '../util/clock';
import { isRecord } from '../util/records';
import { microTime } from '../api/time';

export interface LeaseSpec {
  holderIdentity?: string;
  leaseDurationSeconds?: number;
  acquireTime?: string;
  renewTime?: string;
  leaseTransitions?: number;
}

export interface Lease {
  apiVersion?: string;
  kind?: string;
  metadata: { name: string; namespace?: string; resourceVersion?: string; uid?: string };
  spec?: LeaseSpec;
}

export interface LeaseSettings {
  namespace: string;
  /** Lease name. */
  name: string;
  /** This candidate's identity, unique per process (e.g. pod name + "_" + random). */
  identity: string;
  /** How long a Lease stays valid without renewal (default 15 s). */
  leaseDurationMs?: number;
  /** The leader gives up if it could not renew for this long (default 10 s; < leaseDurationMs). */
  renewDeadlineMs?: number;
  /** Pause between attempts (default 2 s; < renewDeadlineMs). */
  retryPeriodMs?: number;
  /** Release the Lease on stop() (default true). */
  releaseOnCancel?: boolean;
}

export interface LeaderCallbacks {
  /** Start acting; stop when `signal` aborts. A returned promise is awaited before release. */
  onStartedLeading: (signal: AbortSignal) => void | Promise<void>;
  /** Called once the leader's work has been told to stop (after losing or on stop()). */
  onStoppedLeading?: () => void;
  /** The observed holder changed (including to us). */
  onNewLeader?: (identity: string) => void;
}

/** What a lost Lease does to the process: exit (default, as controller-runtime) or stand again. */
export type LostLeaseMode = 'exit' | 'restand';

/** The three Lease calls the elector makes; kubeLeaseClient is the real one, tests fake it. */
export interface LeaseClient {
  /** The Lease, or undefined when it does not exist. */
  get(signal: AbortSignal): Promise<Lease | undefined>;
  /** Rejects with a KubeApiError AlreadyExists when someone created it first. */
  create(lease: Lease, signal: AbortSignal): Promise<Lease>;
  /** PUT with the lease's resourceVersion; rejects with a KubeApiError Conflict when it changed. */
  update(lease: Lease, signal: AbortSignal): Promise<Lease>;
}

export interface LeaderElectorExtras {
  logger?: Log;
  /** Default 'exit'. */
  onLost?: LostLeaseMode;
  /** Called with 1 after onStoppedLeading when the Lease is lost in 'exit' mode (default process.exit). */
  exit?: (code: number) => void;
  /** Default: kubeLeaseClient over the KubeConnection given to the constructor. */
  leaseClient?: LeaseClient;
  clock?: Clock;
}

export type LeaderElectorOptions = LeaseSettings & LeaderCallbacks & LeaderElectorExtras;

type Attempt = 'acquired' | 'held' | 'failed';

function asLease(v: unknown): Lease {
  if (!isRecord(v) || !isRecord(v.metadata) || typeof v.metadata.name !== 'string') throw new Error('not a Lease');
  return v as unknown as Lease;
}

/** The LeaseClient over the API server. */
export function kubeLeaseClient(kc: KubeConnection, namespace: string, name: string): LeaseClient {
  const path = resourcePath(Resources.leases, namespace, name);
  return {
    async get(signal) {
      try {
        return asLease(await kubeRequest(kc, { method: 'GET', path, signal }));
      } catch (err) {
        if (isNotFound(err)) return undefined;
        throw err;
      }
    },
    async create(lease, signal) {
      return asLease(await kubeRequest(kc, { method: 'POST', path: resourcePath(Resources.leases, namespace), body: lease, signal }));
    },
    async update(lease, signal) {
      return asLease(await kubeRequest(kc, { method: 'PUT', path, body: lease, signal }));
    },
  };
}

/** One term as leader: its signal, and whether it ended by losing the Lease. */
interface Term {
  ctl: AbortController;
  lost: boolean;
  stoppedCalled: boolean;
}

export class LeaderElector {
  private readonly log: Log;
  private readonly leaseDurationMs: number;
  private readonly renewDeadlineMs: number;
  private readonly retryPeriodMs: number;
  private readonly client: LeaseClient;
  private readonly clock: Clock;
  private readonly onLost: LostLeaseMode;
  private readonly stopCtl = new AbortController();
  private leading = false;
  private observedSpec?: LeaseSpec;
  private observedRv?: string;
  private observedAt = 0;
  private leader?: string;
  private running?: Promise<void>;

  constructor(
    kc: KubeConnection,
    private readonly opts: LeaderElectorOptions,
  ) {
    this.leaseDurationMs = opts.leaseDurationMs ?? 15_000;
    this.renewDeadlineMs = opts.renewDeadlineMs ?? 10_000;
    this.retryPeriodMs = opts.retryPeriodMs ?? 2_000;
    if (!(this.renewDeadlineMs < this.leaseDurationMs)) throw new Error('renewDeadline must be shorter than leaseDuration');
    if (!(this.retryPeriodMs < this.renewDeadlineMs)) throw new Error('retryPeriod must be shorter than renewDeadline');
    if (!opts.identity) throw new Error('leader election needs an identity');
    this.client = opts.leaseClient ?? kubeLeaseClient(kc, opts.namespace, opts.name);
    this.clock = opts.clock ?? systemClock;
    this.onLost = opts.onLost ?? 'exit';
    this.log = (opts.logger ?? nullLogger()).child({ lease: `${opts.namespace}/${opts.name}`, identity: opts.identity });
  }

  isLeader(): boolean {
    return this.leading;
  }

  /** The holder last seen on the Lease. */
  getLeader(): string | undefined {
    return this.leader;
  }

  /**
   * Run elections until stop() (or, in 'exit' mode, until the Lease is lost). Call once;
   * resolves after stop() has released.
   */
  run(): Promise<void> {
    this.running ??= this.loop();
    return this.running;
  }

  /** Stop: abort the leader's work, wait for it, release the Lease. */
  async stop(): Promise<void> {
    this.stopCtl.abort();
    await this.running;
  }

  private get stopped(): boolean {
    return this.stopCtl.signal.aborted;
  }

  private jittered(ms: number): number {
    return ms * (1 + Math.random() * 0.2);
  }

  private async loop(): Promise<void> {
    while (!this.stopped) {
      const acquiredAt = await this.campaign();
      if (acquiredAt === undefined) break;
      const term: Term = { ctl: new AbortController(), lost: false, stoppedCalled: false };
      await this.lead(term, acquiredAt);
      if (!term.lost) {
        if (this.opts.releaseOnCancel ?? true) await this.release();
        break;
      }
      // 'exit' mode has exited in lose(); the loop only goes on where exit() returns (tests).
      if (this.onLost === 'exit') break;
      this.log.warn('lost leadership, standing as candidate again');
    }
  }

  /** Try until the Lease is ours; resolve with the send time of the winning round, or undefined when stopped. */
  private async campaign(): Promise<number | undefined> {
    while (!this.stopped) {
      const sentAt = this.clock.now();
      const attempt = await this.tryAcquireOrRenew(this.renewDeadlineMs, [this.stopCtl.signal]);
      // A win that took longer than the renew deadline is already stale: keep campaigning.
      if (attempt === 'acquired' && this.clock.now() - sentAt < this.renewDeadlineMs) return sentAt;
      await sleepOn(this.clock, this.jittered(this.retryPeriodMs), this.stopCtl.signal);
    }
    return undefined;
  }

  /** Lead from `acquiredAt` until stopped or lost. */
  private async lead(term: Term, acquiredAt: number): Promise<void> {
    this.leading = true;
    this.log.info('became leader');
    let work: Promise<void> = Promise.resolve();
    try {
      work = Promise.resolve(this.opts.onStartedLeading(term.ctl.signal)).catch((err: unknown) =>
        this.log.error('leader work failed', errorFields(err)),
      );
      await this.renewUntilLost(term, acquiredAt);
    } catch (err) {
      this.lose(term, 'leader election failed', errorFields(err));
    }
    this.leading = false;
    term.ctl.abort();
    if (term.lost && this.onLost === 'exit') return;
    if (term.lost) {
      // Let the work wind down (bounded: it must not keep us from standing again).
      const waitCtl = new AbortController();
      await Promise.race([work, sleepOn(this.clock, this.leaseDurationMs, waitCtl.signal)]);
      waitCtl.abort();
    } else {
      await work;
    }
    this.stoppedLeading(term);
  }

  /**
   * Renew every retryPeriod until stopped or lost. A timer armed at (send time of the last
   * successful renew + renewDeadline) loses the Lease exactly then; every renew request is
   * aborted by that same moment through the term's signal.
   */
  private async renewUntilLost(term: Term, acquiredAt: number): Promise<void> {
    let cancelDeadline = (): void => undefined;
    const armDeadline = (renewedAt: number): void => {
      cancelDeadline();
      const ms = renewedAt + this.renewDeadlineMs - this.clock.now();
      cancelDeadline = this.clock.after(ms, () => this.lose(term, 'could not renew the lease before the renew deadline', { renewDeadlineMs: this.renewDeadlineMs }));
    };
    armDeadline(acquiredAt);
    try {
      const signals = [this.stopCtl.signal, term.ctl.signal];
      const stopOrLost = AbortSignal.any(signals);
      while (!this.stopped && !term.ctl.signal.aborted) {
        await sleepOn(this.clock, this.retryPeriodMs, stopOrLost);
        if (this.stopped || term.ctl.signal.aborted) return;
        const sentAt = this.clock.now();
        const attempt = await this.tryAcquireOrRenew(this.renewDeadlineMs, signals);
        // A success that lands after the deadline fired does not bring the term back.
        if (term.ctl.signal.aborted) return;
        if (attempt === 'acquired') armDeadline(sentAt);
        else if (attempt === 'held') this.lose(term, 'lease is held by another candidate', { holder: this.leader });
      }
    } finally {
      cancelDeadline();
    }
  }

  /** The Lease is lost: stop the term now; in 'exit' mode also stop the process now. */
  private lose(term: Term, why: string, fields: Record<string, unknown> = {}): void {
    if (term.ctl.signal.aborted) return;
    term.lost = true;
    this.leading = false;
    this.log.error(`${why}; stepping down`, fields);
    term.ctl.abort();
    if (this.onLost !== 'exit') return;
    this.stoppedLeading(term);
    this.log.error('leadership lost: exiting so that nothing of this term reaches the API server', {});
    (this.opts.exit ?? ((code: number) => process.exit(code)))(1);
  }

  private stoppedLeading(term: Term): void {
    if (term.stoppedCalled) return;
    term.stoppedCalled = true;
    try {
      this.opts.onStoppedLeading?.();
    } catch (err) {
      this.log.error('onStoppedLeading threw', errorFields(err));
    }
  }

  private observe(lease: Lease): void {
    const spec = lease.spec ?? {};
    const rv = lease.metadata.resourceVersion;
    if (rv !== this.observedRv || this.observedSpec?.renewTime !== spec.renewTime || this.observedSpec?.holderIdentity !== spec.holderIdentity) {
      this.observedRv = rv;
      this.observedSpec = { ...spec };
      this.observedAt = this.clock.now();
    }
    const holder = spec.holderIdentity ?? '';
    if (holder && holder !== this.leader) {
      this.leader = holder;
      this.log.info('new leader observed', { leader: holder });
      try {
        this.opts.onNewLeader?.(holder);
      } catch (err) {
        this.log.error('onNewLeader threw', errorFields(err));
      }
    }
  }

  private lease(spec: LeaseSpec, resourceVersion?: string): Lease {
    return {
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: { name: this.opts.name, namespace: this.opts.namespace, ...(resourceVersion ? { resourceVersion } : {}) },
      spec,
    };
  }

  /** The spec we write over `current` (renewing ours, or taking a free or expired one). */
  private nextSpec(current: LeaseSpec, now: string, leaseSeconds: number): LeaseSpec {
    if (current.holderIdentity === this.opts.identity) {
      return { ...current, leaseDurationSeconds: leaseSeconds, renewTime: now, acquireTime: current.acquireTime ?? now };
    }
    return {
      holderIdentity: this.opts.identity,
      leaseDurationSeconds: leaseSeconds,
      acquireTime: now,
      renewTime: now,
      leaseTransitions: (current.leaseTransitions ?? 0) + 1,
    };
  }

  /** One GET + create/update round, aborted after `timeoutMs` or by `parents`. Never throws. */
  private async tryAcquireOrRenew(timeoutMs: number, parents: readonly AbortSignal[]): Promise<Attempt> {
    const scope = scopedSignal(this.clock, timeoutMs, parents);
    try {
      return await this.acquireOrRenew(scope.signal);
    } catch (err) {
      if (isConflict(err) || isAlreadyExists(err)) {
        this.log.debug('lease changed under us', errorFields(err));
      } else if (!this.stopped) {
        this.log.warn('lease update failed', errorFields(err));
      }
      return 'failed';
    } finally {
      scope.dispose();
    }
  }

  private async acquireOrRenew(signal: AbortSignal): Promise<Attempt> {
    const me = this.opts.identity;
    const leaseSeconds = Math.max(1, Math.round(this.leaseDurationMs / 1000));
    const current = await this.client.get(signal);
    const now = microTime(this.clock.date());
    if (!current) {
      const spec = { holderIdentity: me, leaseDurationSeconds: leaseSeconds, acquireTime: now, renewTime: now, leaseTransitions: 0 };
      this.observe(await this.client.create(this.lease(spec), signal));
      return 'acquired';
    }
    this.observe(current);
    const spec = current.spec ?? {};
    const holder = spec.holderIdentity ?? '';
    const durationMs = (spec.leaseDurationSeconds ?? leaseSeconds) * 1000;
    if (holder && holder !== me && this.clock.now() - this.observedAt < durationMs) return 'held';
    const next = this.nextSpec(spec, now, leaseSeconds);
    this.observe(await this.client.update(this.lease(next, current.metadata.resourceVersion), signal));
    if (holder !== me) this.log.info('acquired the lease', { previousHolder: holder || undefined, leaseTransitions: next.leaseTransitions });
    return 'acquired';
  }

  /** Give the Lease up so a standby need not wait for it to expire. */
  private async release(): Promise<void> {
    const scope = scopedSignal(this.clock, this.renewDeadlineMs, []);
    try {
      const current = await this.client.get(scope.signal);
      if (current?.spec?.holderIdentity !== this.opts.identity) return;
      const now = microTime(this.clock.date());
      const spec = { holderIdentity: '', leaseDurationSeconds: 1, acquireTime: now, renewTime: now, leaseTransitions: current.spec.leaseTransitions ?? 0 };
      await this.client.update(this.lease(spec, current.metadata.resourceVersion), scope.signal);
      this.log.info('released the lease');
    } catch (err) {
      this.log.warn('releasing the lease failed; a standby takes over when it expires', errorFields(err));
    } finally {
      scope.dispose();
    }
  }
}
