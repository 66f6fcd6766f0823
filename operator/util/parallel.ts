// Bounded parallelism for batches of I/O (status writes, gobgpd calls).

/**
 * Runs `fn` over `items` with at most `limit` calls in flight. Every item is
 * attempted; if any failed, the first error is thrown once all have settled,
 * so one bad item never stops the rest of a batch.
 */
export async function inParallel<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  let first: Error | undefined;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const item = items[next++];
      try {
        await fn(item);
      } catch (err) {
        first ??= err instanceof Error ? err : new Error(String(err));
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(Math.max(1, limit), items.length) }, worker));
  if (first) throw first;
}

/**
 * A counting semaphore: run() starts `fn` when fewer than `limit` calls are in
 * flight, else queues it (first in, first out).
 */
export class Limiter {
  private active = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(private readonly limit: number) {}

  async run<T>(fn: () => Promise<T>): Promise<T> {
    if (this.active >= Math.max(1, this.limit)) await new Promise<void>((resolve) => this.waiting.push(resolve));
    else this.active++;
    try {
      return await fn();
    } finally {
      // Hand the slot straight to the next waiter, or free it.
      const next = this.waiting.shift();
      if (next) next();
      else this.active--;
    }
  }

  /** Calls in flight plus calls waiting. */
  get size(): number {
    return this.active + this.waiting.length;
  }
}
