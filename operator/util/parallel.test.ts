import assert from 'node:assert/strict';
import { test } from 'node:test';
import { inParallel } from './parallel';

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
