import { test } from 'node:test';
import assert from 'node:assert/strict';
import { IdleTimer } from './idleTimer';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

void test('IdleTimer fires once after a silence, and each touch pushes it back', async () => {
  const fired: number[] = [];
  const t = new IdleTimer(80, (silent) => fired.push(silent));
  for (let i = 0; i < 5; i++) {
    await sleep(40);
    t.touch();
  }
  assert.deepEqual(fired, [], 'touched every 40 ms: never silent for 80 ms');
  assert.equal(t.fired, false);
  await sleep(150);
  assert.equal(fired.length, 1);
  const silent = fired[0] ?? 0;
  assert.ok(silent >= 75, `silent for ${String(silent)} ms`);
  assert.equal(t.fired, true);
  t.touch(); // too late: it stays fired and does not fire again
  await sleep(120);
  assert.equal(fired.length, 1);
  t.stop();
});

void test('IdleTimer: stop() and a zero timeout never fire', async () => {
  const fired: number[] = [];
  new IdleTimer(0, (s) => fired.push(s)).touch();
  const stopped = new IdleTimer(30, (s) => fired.push(s));
  stopped.stop();
  await sleep(80);
  assert.deepEqual(fired, []);
});
