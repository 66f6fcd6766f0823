// Helpers for tests of the plumbing (not loaded by the program).

/** Poll `cond` until it holds; reject after `timeoutMs` (generous by default). */
export async function waitFor(cond: () => boolean, timeoutMs = 10_000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** A promise you open by hand: `await gate.wait` blocks until `gate.open()`. */
export class Gate {
  private resolveFn: () => void = () => undefined;
  readonly wait: Promise<void>;
  opened = false;
  constructor() {
    this.wait = new Promise<void>((r) => (this.resolveFn = r));
  }
  open(): void {
    this.opened = true;
    this.resolveFn();
  }
}

/** Resolves with true if `p` settles within `ms`, false otherwise (does not cancel p). */
export async function settlesWithin(p: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((r) => (timer = setTimeout(() => r(false), ms)));
  const done = p.then(
    () => true as const,
    () => true as const,
  );
  const res = await Promise.race([done, timeout]);
  clearTimeout(timer);
  return res;
}
