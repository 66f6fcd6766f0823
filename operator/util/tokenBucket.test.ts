import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TokenBucket } from './tokenBucket';

void test('TokenBucket: a burst is free, then one token per 1/rate, in order', () => {
  const b = new TokenBucket(10, 3, 1_000);
  assert.deepEqual([b.reserve(1_000), b.reserve(1_000), b.reserve(1_000)], [0, 0, 0]);
  assert.deepEqual([b.reserve(1_000), b.reserve(1_000), b.reserve(1_000)], [100, 200, 300]);
  // 300 ms later the debt is paid: the next token is due 100 ms after that.
  assert.equal(b.reserve(1_300), 100);
});

void test('TokenBucket: idle time refills up to the burst, never beyond', () => {
  const b = new TokenBucket(10, 2, 0);
  b.reserve(0);
  b.reserve(0);
  const waits = [b.reserve(60_000), b.reserve(60_000), b.reserve(60_000)];
  assert.deepEqual(waits, [0, 0, 100]);
});

void test('TokenBucket: a clock that goes back takes nothing away', () => {
  const b = new TokenBucket(1, 1, 5_000);
  assert.equal(b.reserve(5_000), 0);
  assert.equal(b.reserve(4_000), 1_000);
});

void test('TokenBucket: tryTake takes a token only when one is there, and runs up no debt', () => {
  const b = new TokenBucket(2, 2, 0);
  assert.deepEqual([b.tryTake(0), b.tryTake(0), b.tryTake(0), b.tryTake(0)], [true, true, false, false]);
  assert.equal(b.tryTake(499), false);
  assert.equal(b.tryTake(500), true);
  assert.equal(b.reserve(500), 500, 'the refused takes left no debt');
});
