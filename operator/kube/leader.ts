// Leader election on a coordination.k8s.io/v1 Lease, following client-go's leaderelection:
//
// - a candidate tries every retryPeriod (jittered) to take the Lease: create it if missing, or
//   update it (optimistic concurrency: PUT with the resourceVersion it read; 409 = lost the race)
//   when it is free (empty holder) or expired. Expiry is judged on the local clock: a Lease is
//   expired when it has not changed for leaseDurationSeconds since *we* last saw it change, so
//   clock skew between nodes does not matter;
// - the leader renews every retryPeriod; if it has not renewed for renewDeadline (< leaseDuration)
//   it stops acting at once (the AbortSignal given to onStartedLeading aborts) before anybody else
//   can take over; seeing another holder on the Lease also stops it at once;
// - stop() while leading aborts the leader's work, waits for it, and releases the Lease (empty
//   holder, leaseDurationSeconds 1) so a standby takes over within one retryPeriod;
// - after losing, the elector stands as candidate again (onStoppedLeading may exit instead).

import type { KubeConfig } from '@kubernetes/client-node';
import { Resources, resourcePath } from './resources';
import { isAlreadyExists, isConflict, isNotFound, kubeRequest } from './request';
import type { Log } from '../util/log';
import { errorFields, nullLogger } from '../util/log';
import { sleep } from '../util/backoff';

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

export interface LeaderElectionConfig {
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

export type LeaderElectorOptions = LeaderElectionConfig & LeaderCallbacks & { logger?: Log };

/** metav1.MicroTime: RFC 3339 with exactly six fractional digits (the API server insists). */
export function microTime(d: Date): string {
  return d.toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}

type Attempt = 'acquired' | 'held' | 'failed';

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function asLease(v: unknown): Lease {
  if (!isRecord(v) || !isRecord(v.metadata) || typeof v.metadata.name !== 'string') throw new Error('not a Lease');
  return v as unknown as Lease;
}

export class LeaderElector {
  private readonly log: Log;
  private readonly leaseDurationMs: number;
  private readonly renewDeadlineMs: number;
  private readonly retryPeriodMs: number;
  private readonly path: string;
  private readonly stopCtl = new AbortController();
  private leading = false;
  private observedSpec?: LeaseSpec;
  private observedRv?: string;
  private observedAt = 0;
  private leader?: string;
  private running?: Promise<void>;

  constructor(
    private readonly kc: KubeConfig,
    private readonly opts: LeaderElectorOptions,
  ) {
    this.leaseDurationMs = opts.leaseDurationMs ?? 15_000;
    this.renewDeadlineMs = opts.renewDeadlineMs ?? 10_000;
    this.retryPeriodMs = opts.retryPeriodMs ?? 2_000;
    if (!(this.renewDeadlineMs < this.leaseDurationMs)) throw new Error('renewDeadline must be shorter than leaseDuration');
    if (!(this.retryPeriodMs < this.renewDeadlineMs)) throw new Error('retryPeriod must be shorter than renewDeadline');
    if (!opts.identity) throw new Error('leader election needs an identity');
    this.path = resourcePath(Resources.leases, opts.namespace, opts.name);
    this.log = (opts.logger ?? nullLogger()).child({ lease: `${opts.namespace}/${opts.name}`, identity: opts.identity });
  }

  isLeader(): boolean {
    return this.leading;
  }

  /** The holder last seen on the Lease. */
  getLeader(): string | undefined {
    return this.leader;
  }

  /** Run elections until stop(). Call once; resolves after stop() has released. */
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
      // Candidate.
      let attempt: Attempt = 'failed';
      while (!this.stopped) {
        attempt = await this.tryAcquireOrRenew(this.retryPeriodMs * 2);
        if (attempt === 'acquired') break;
        await sleep(this.jittered(this.retryPeriodMs), this.stopCtl.signal);
      }
      if (this.stopped) break;

      // Leader.
      this.leading = true;
      this.log.info('became leader');
      const leaderCtl = new AbortController();
      let work: Promise<void> = Promise.resolve();
      try {
        work = Promise.resolve(this.opts.onStartedLeading(leaderCtl.signal)).catch((err: unknown) =>
          this.log.error('leader work failed', errorFields(err)),
        );
        await this.renewUntilLost();
      } catch (err) {
        this.log.error('leader election failed; stepping down', errorFields(err));
      } finally {
        this.leading = false;
        leaderCtl.abort();
      }
      // Let the work wind down (bounded: it must not keep us from releasing or re-standing).
      const waitCtl = new AbortController();
      await Promise.race([work, sleep(this.leaseDurationMs, waitCtl.signal)]);
      waitCtl.abort();
      try {
        this.opts.onStoppedLeading?.();
      } catch (err) {
        this.log.error('onStoppedLeading threw', errorFields(err));
      }
      if (this.stopped) {
        if (this.opts.releaseOnCancel ?? true) await this.release();
        break;
      }
      this.log.warn('lost leadership, standing as candidate again');
    }
  }

  /** Renew every retryPeriod; return when stopped or when leadership is lost. */
  private async renewUntilLost(): Promise<void> {
    let lastRenew = performance.now();
    while (!this.stopped) {
      await sleep(this.retryPeriodMs, this.stopCtl.signal);
      if (this.stopped) return;
      const remaining = this.renewDeadlineMs - (performance.now() - lastRenew);
      if (remaining <= 0) {
        this.log.error('could not renew the lease before the renew deadline; stepping down', { renewDeadlineMs: this.renewDeadlineMs });
        return;
      }
      const attempt = await this.tryAcquireOrRenew(remaining);
      if (attempt === 'acquired') {
        lastRenew = performance.now();
      } else if (attempt === 'held') {
        this.log.error('lease is held by another candidate; stepping down', { holder: this.leader });
        return;
      } else if (performance.now() - lastRenew >= this.renewDeadlineMs) {
        this.log.error('could not renew the lease before the renew deadline; stepping down', { renewDeadlineMs: this.renewDeadlineMs });
        return;
      }
    }
  }

  private observe(lease: Lease): void {
    const spec = lease.spec ?? {};
    const rv = lease.metadata.resourceVersion;
    if (rv !== this.observedRv || this.observedSpec?.renewTime !== spec.renewTime || this.observedSpec?.holderIdentity !== spec.holderIdentity) {
      this.observedRv = rv;
      this.observedSpec = { ...spec };
      this.observedAt = performance.now();
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

  /** One GET + create/update round. Never throws: any failure is 'failed'. */
  private async tryAcquireOrRenew(timeout: number): Promise<Attempt> {
    const me = this.opts.identity;
    const leaseSeconds = Math.max(1, Math.round(this.leaseDurationMs / 1000));
    try {
      const timeoutMs = Math.max(1, Math.ceil(timeout));
      const signal = AbortSignal.any([this.stopCtl.signal, AbortSignal.timeout(timeoutMs)]);
      let current: Lease | undefined;
      try {
        current = asLease(await kubeRequest(this.kc, { method: 'GET', path: this.path, signal, timeoutMs }));
      } catch (err) {
        if (!isNotFound(err)) throw err;
      }
      const now = microTime(new Date());
      if (!current) {
        const created = asLease(
          await kubeRequest(this.kc, {
            method: 'POST',
            path: resourcePath(Resources.leases, this.opts.namespace),
            body: this.lease({ holderIdentity: me, leaseDurationSeconds: leaseSeconds, acquireTime: now, renewTime: now, leaseTransitions: 0 }),
            signal,
            timeoutMs,
          }),
        );
        this.observe(created);
        return 'acquired';
      }
      this.observe(current);
      const spec = current.spec ?? {};
      const holder = spec.holderIdentity ?? '';
      const durationMs = (spec.leaseDurationSeconds ?? leaseSeconds) * 1000;
      if (holder && holder !== me && performance.now() - this.observedAt < durationMs) return 'held';
      const next: LeaseSpec =
        holder === me
          ? { ...spec, leaseDurationSeconds: leaseSeconds, renewTime: now, acquireTime: spec.acquireTime ?? now }
          : {
              holderIdentity: me,
              leaseDurationSeconds: leaseSeconds,
              acquireTime: now,
              renewTime: now,
              leaseTransitions: (spec.leaseTransitions ?? 0) + 1,
            };
      const updated = asLease(
        await kubeRequest(this.kc, {
          method: 'PUT',
          path: this.path,
          body: this.lease(next, current.metadata.resourceVersion),
          signal,
          timeoutMs,
        }),
      );
      this.observe(updated);
      if (holder !== me) this.log.info('acquired the lease', { previousHolder: holder || undefined, leaseTransitions: next.leaseTransitions });
      return 'acquired';
    } catch (err) {
      if (isConflict(err) || isAlreadyExists(err)) {
        this.log.debug('lease changed under us', errorFields(err));
      } else if (!this.stopped) {
        this.log.warn('lease update failed', errorFields(err));
      }
      return 'failed';
    }
  }

  /** Give the Lease up so a standby need not wait for it to expire. */
  private async release(): Promise<void> {
    const signal = AbortSignal.timeout(Math.max(1, Math.ceil(this.renewDeadlineMs)));
    try {
      const current = asLease(await kubeRequest(this.kc, { method: 'GET', path: this.path, signal }));
      if (current.spec?.holderIdentity !== this.opts.identity) return;
      const now = microTime(new Date());
      await kubeRequest(this.kc, {
        method: 'PUT',
        path: this.path,
        body: this.lease(
          { holderIdentity: '', leaseDurationSeconds: 1, acquireTime: now, renewTime: now, leaseTransitions: current.spec.leaseTransitions ?? 0 },
          current.metadata.resourceVersion,
        ),
        signal,
      });
      this.log.info('released the lease');
    } catch (err) {
      this.log.warn('releasing the lease failed; a standby takes over when it expires', errorFields(err));
    }
  }
}
