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
