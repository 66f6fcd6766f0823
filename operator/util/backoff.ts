// Exponential backoff and abortable sleeping.

export interface BackoffOptions {
  /** First delay (ms). */
  initialMs: number;
  /** Upper bound of any delay (ms). */
  maxMs: number;
  /** Growth per step (default 2). */
  factor?: number;
  /** Random spread, 0..1: a delay d becomes d * (1 - jitter/2 .. 1 + jitter/2), still capped. Default 0. */
  jitter?: number;
}

/** The n-th delay (n from 0) of an exponential backoff, without jitter: initial * factor^n, capped. */
export function backoffDelay(n: number, opts: BackoffOptions): number {
  const factor = opts.factor ?? 2;
  const d = opts.initialMs * Math.pow(factor, Math.max(0, n));
  return Number.isFinite(d) ? Math.min(d, opts.maxMs) : opts.maxMs;
}

/** A stateful backoff: next() grows the delay, reset() goes back to the first one. */
export class Backoff {
  private attempts = 0;
  constructor(private readonly opts: BackoffOptions) {}

  /** The delay to wait now; each call grows the next one. */
  next(): number {
    const base = backoffDelay(this.attempts, this.opts);
    this.attempts++;
    const jitter = this.opts.jitter ?? 0;
    if (jitter <= 0) return base;
    const spread = base * jitter * (Math.random() - 0.5);
    return Math.max(0, Math.min(this.opts.maxMs, Math.round(base + spread)));
  }

  /** Number of next() calls since the last reset. */
  get failures(): number {
    return this.attempts;
  }

  reset(): void {
    this.attempts = 0;
  }
}

/** Resolve after `ms`, or early (without throwing) when `signal` aborts. Returns false when aborted. */
export function sleep(ms: number, signal?: AbortSignal): Promise<boolean> {
  if (signal?.aborted) return Promise.resolve(false);
  return new Promise((resolve) => {
    const onAbort = (): void => {
      clearTimeout(timer);
      resolve(false);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve(true);
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
