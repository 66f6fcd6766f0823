import assert from 'node:assert/strict';
import { test } from 'node:test';
import { inParallel, Limiter } from './parallel';

test('inParallel bounds the calls in flight and attempts every item', async () => {
  let inFlight = 0;
  let peak = 0;
  const seen: number[] = [];
  await inParallel([1, 2, 3, 4, 5, 6, 7], 3, async (n) => {
    inFlight++;
    peak = Math.max(peak, inFlight);
    await new Promise((r) => setTimeout(r, 5));
    seen.push(n);
    inFlight--;
  });
  assert.equal(peak, 3);
  assert.deepEqual(seen.sort(), [1, 2, 3, 4, 5, 6, 7]);
});

test('inParallel finishes the batch and then throws the first failure', async () => {
  const done: number[] = [];
  await assert.rejects(
    inParallel([1, 2, 3, 4], 2, async (n) => {
      await new Promise((r) => setTimeout(r, 1));
      if (n === 2) throw new Error('two failed');
      done.push(n);
    }),
    /two failed/,
  );
  assert.deepEqual(done.sort(), [1, 3, 4]);
});

test('inParallel with no items resolves at once', async () => {
  await inParallel([], 4, () => Promise.reject(new Error('never called')));
});

void test('Limiter: never more than the limit in flight, first in first out, errors released', async () => {
  const l = new Limiter(2);
  let active = 0;
  let peak = 0;
  const order: number[] = [];
  const job = (i: number) => async (): Promise<number> => {
    active++;
    peak = Math.max(peak, active);
    await new Promise((r) => setTimeout(r, 5));
    active--;
    order.push(i);
    if (i === 1) throw new Error('boom');
    return i;
  };
  const results = await Promise.allSettled([0, 1, 2, 3, 4, 5].map((i) => l.run(job(i))));
  assert.equal(peak, 2);
  assert.deepEqual(order.slice(0, 2).sort(), [0, 1]);
  assert.deepEqual(order.slice(2), [2, 3, 4, 5]);
  assert.equal(results[1].status, 'rejected');
  assert.deepEqual(results.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : [])), [0, 2, 3, 4, 5]);
  assert.equal(l.size, 0);
});
