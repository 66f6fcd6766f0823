// Time as a seam: code that must act at an exact moment (a leader's renew deadline) takes a
// Clock, so unit tests can drive it with a fake one instead of waiting on real timers.

export interface Clock {
  /** Monotonic milliseconds (only differences mean anything). */
  now(): number;
  /** Wall-clock time, for timestamps written to the API server. */
  date(): Date;
  /** Run `fn` after `ms` (at once when ms <= 0); returns a function that cancels it. */
  after(ms: number, fn: () => void): () => void;
}

export const systemClock: Clock = {
  now: () => performance.now(),
  date: () => new Date(),
  after(ms, fn) {
    const t = setTimeout(fn, Math.max(0, ms));
    return () => clearTimeout(t);
  },
};

/** Resolve after `ms` on `clock`, or early when `signal` aborts. Never rejects. */
export function sleepOn(clock: Clock, ms: number, signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const done = (): void => {
      cancel();
      signal.removeEventListener('abort', done);
      resolve();
    };
    const cancel = clock.after(ms, done);
    signal.addEventListener('abort', done, { once: true });
  });
}

export interface ScopedSignal {
  signal: AbortSignal;
  /** Detach from the parents and cancel the timer (call when the guarded work is done). */
  dispose(): void;
}

/**
 * A signal that aborts when any parent aborts or after `ms` on `clock`. Unlike AbortSignal.any
 * with AbortSignal.timeout, the timer runs on the given clock and nothing stays attached to the
 * long-lived parents once disposed.
 */
export function scopedSignal(clock: Clock, ms: number, parents: readonly AbortSignal[]): ScopedSignal {
  const ctl = new AbortController();
  const abort = (): void => ctl.abort();
  for (const p of parents) {
    if (p.aborted) ctl.abort();
    else p.addEventListener('abort', abort, { once: true });
  }
  const cancel = clock.after(ms, () => ctl.abort(new Error(`deadline of ${Math.round(ms)} ms passed`)));
  return {
    signal: ctl.signal,
    dispose() {
      cancel();
      for (const p of parents) p.removeEventListener('abort', abort);
    },
  };
}
