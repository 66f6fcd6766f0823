import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Outcome, Priority, RateLimiter, Result } from './workqueue';
import { ExponentialRateLimiter, WorkQueue } from './workqueue';
import { Gate, settlesWithin, waitFor } from './testing';

void test('dedupe: a key added many times before it is handled is handled once, in first-add order', async () => {
  const q = new WorkQueue();
  q.add('a');
  q.add('b');
  q.add('a');
  q.add('a');
  assert.equal(q.len(), 2);
  const seen: string[] = [];
  const running = q.run((key) => {
    seen.push(key);
    return Promise.resolve(undefined);
  });
  await q.whenIdle();
  assert.deepEqual(seen, ['a', 'b']);
  await q.shutdown();
  await running;
});

void test('a key is never handled by two workers at once; a re-add while processing runs it once more afterwards', async () => {
  const q = new WorkQueue({ concurrency: 4 });
  const gate = new Gate();
  let active = 0;
  let maxActive = 0;
  let calls = 0;
  const running = q.run(async () => {
    calls++;
    active++;
    maxActive = Math.max(maxActive, active);
    if (calls === 1) await gate.wait;
    active--;
    return undefined;
  });
  q.add('x');
  await waitFor(() => calls === 1, 10_000, 'first call');
  // Re-add many times while the first run is blocked: queued once, not handed to the idle workers.
  for (let i = 0; i < 5; i++) q.add('x');
  assert.equal(q.len(), 0, 'a key being processed is not in the ready queue');
  await new Promise((r) => setTimeout(r, 50));
  assert.equal(calls, 1, 'no second run while the first is in flight');
  gate.open();
  await q.whenIdle();
  assert.equal(calls, 2, 'handled exactly once more after the in-flight run');
  assert.equal(maxActive, 1);
  await q.shutdown();
  await running;
});

void test('ExponentialRateLimiter doubles per failure up to the cap; forget resets', () => {
  const rl = new ExponentialRateLimiter(5, 60_000);
  const delays = Array.from({ length: 16 }, () => rl.when('k'));
  assert.deepEqual(delays.slice(0, 6), [5, 10, 20, 40, 80, 160]);
  assert.equal(delays[13], 40_960);
  assert.equal(delays[14], 60_000, 'capped');
  assert.equal(delays[15], 60_000, 'stays capped');
  assert.equal(rl.numRequeues('k'), 16);
  assert.equal(rl.when('other'), 5, 'per key');
  rl.forget('k');
  assert.equal(rl.numRequeues('k'), 0);
  assert.equal(rl.when('k'), 5, 'back to base after forget');
});

void test('thrown errors retry with growing backoff; success forgets the backoff', async () => {
  const rl = new ExponentialRateLimiter(2, 1_000);
  const outcomes: Outcome[] = [];
  const q = new WorkQueue({ rateLimiter: rl, onHandled: (_k, _d, o) => outcomes.push(o) });
  const requeuesSeen: number[] = [];
  let calls = 0;
  const running = q.run((key) => {
    calls++;
    requeuesSeen.push(q.numRequeues(key));
    if (calls <= 3) return Promise.reject(new Error(`fail ${calls}`));
    return Promise.resolve(undefined);
  });
  q.add('k');
  await waitFor(() => outcomes.length === 4, 10_000, 'four runs');
  assert.deepEqual(requeuesSeen, [0, 1, 2, 3], 'one more counted failure per retry');
  assert.deepEqual(outcomes, ['error', 'error', 'error', 'success']);
  assert.equal(q.numRequeues('k'), 0, 'forgotten after success');
  await q.shutdown();
  await running;
});

void test('retries wait for the backoff delay', async () => {
  const q = new WorkQueue({ rateLimiter: new ExponentialRateLimiter(100, 1_000) });
  const times: number[] = [];
  const running = q.run(() => {
    times.push(Date.now());
    return times.length < 3 ? Promise.reject(new Error('again')) : Promise.resolve(undefined);
  });
  q.add('k');
  await waitFor(() => times.length === 3, 10_000, 'three runs');
  // 100 ms then 200 ms; allow a little timer slack below, any amount above.
  assert.ok(times[1] - times[0] >= 90, `first retry after ${times[1] - times[0]} ms`);
  assert.ok(times[2] - times[1] >= 190, `second retry after ${times[2] - times[1]} ms`);
  await q.shutdown();
  await running;
});

void test('concurrency is bounded by the number of workers', async () => {
  const q = new WorkQueue({ concurrency: 3 });
  const gate = new Gate();
  let active = 0;
  let maxActive = 0;
  let finished = 0;
  const running = q.run(async () => {
    active++;
    maxActive = Math.max(maxActive, active);
    await gate.wait;
    active--;
    finished++;
    return undefined;
  });
  for (let i = 0; i < 10; i++) q.add(`k${i}`);
  await waitFor(() => active === 3, 10_000, 'three in flight');
  await new Promise((r) => setTimeout(r, 50));
  assert.equal(active, 3, 'no fourth handler while three are blocked');
  assert.equal(q.len(), 7);
  gate.open();
  await waitFor(() => finished === 10, 10_000, 'all handled');
  assert.equal(maxActive, 3);
  await q.shutdown();
  await running;
});

void test('requeueAfter handles the key again after the delay, without counting a failure', async () => {
  const outcomes: Outcome[] = [];
  const q = new WorkQueue({ onHandled: (_k, _d, o) => outcomes.push(o) });
  const times: number[] = [];
  const running = q.run((): Promise<Result> => {
    times.push(Date.now());
    return Promise.resolve(times.length === 1 ? { requeueAfter: 150 } : {});
  });
  q.add('k');
  await waitFor(() => times.length === 2, 10_000, 'second run');
  assert.ok(times[1] - times[0] >= 140, `requeued after ${times[1] - times[0]} ms`);
  assert.deepEqual(outcomes, ['requeue', 'success']);
  assert.equal(q.numRequeues('k'), 0);
  await q.shutdown();
  await running;
});

void test('addAfter keeps the earlier deadline of a key already waiting', async () => {
  const q = new WorkQueue();
  const times: number[] = [];
  const start = Date.now();
  const running = q.run(() => {
    times.push(Date.now() - start);
    return Promise.resolve(undefined);
  });
  q.addAfter('k', 60_000);
  q.addAfter('k', 20);
  q.addAfter('k', 30_000);
  assert.equal(q.delayedLen(), 1);
  await waitFor(() => times.length === 1, 10_000, 'delayed run');
  assert.equal(q.delayedLen(), 0);
  await new Promise((r) => setTimeout(r, 50));
  assert.equal(times.length, 1);
  await q.shutdown();
  await running;
});

void test('shutdown waits for handlers in flight, drops waiting keys, ignores later adds', async () => {
  const q = new WorkQueue({ concurrency: 2 });
  const gate = new Gate();
  const handled: string[] = [];
  let started = 0;
  const running = q.run(async (key) => {
    started++;
    await gate.wait;
    handled.push(key);
    return { requeueAfter: 10 };
  });
  q.add('a');
  q.add('b');
  q.add('c');
  q.addAfter('d', 50);
  await waitFor(() => started === 2, 10_000, 'two in flight');
  const stopping = q.shutdown();
  assert.equal(await settlesWithin(stopping, 100), false, 'shutdown waits for the blocked handlers');
  q.add('e');
  gate.open();
  await stopping;
  await running;
  assert.deepEqual(handled.sort(), ['a', 'b']);
  assert.equal(q.len(), 0);
  assert.equal(q.delayedLen(), 0, 'requeueAfter during shutdown is ignored, delayed keys dropped');
});

void test('onHandled reports key, duration and outcome; a failing hook does not break the queue', async () => {
  const reports: { key: string; durationMs: number; outcome: Outcome }[] = [];
  let first = true;
  const q = new WorkQueue({
    onHandled: (key, durationMs, outcome) => {
      reports.push({ key, durationMs, outcome });
      if (first) {
        first = false;
        throw new Error('hook broke');
      }
    },
  });
  const running = q.run(async (key) => {
    await new Promise((r) => setTimeout(r, 20));
    return key === 'slow' ? undefined : {};
  });
  q.add('slow');
  q.add('fast');
  await waitFor(() => reports.length === 2, 10_000, 'two reports');
  assert.deepEqual(
    reports.map((r) => [r.key, r.outcome]),
    [
      ['slow', 'success'],
      ['fast', 'success'],
    ],
  );
  assert.ok(reports[0].durationMs >= 15, `duration ${reports[0].durationMs}`);
  await q.shutdown();
  await running;
});

void test('run() twice is refused', async () => {
  const q = new WorkQueue();
  const running = q.run(() => Promise.resolve(undefined));
  assert.throws(() => q.run(() => Promise.resolve(undefined)));
  await q.shutdown();
  await running;
});

// Priorities (controller-runtime's priority queue): a full sync's keys wait at 'low', live
// events, requeues and retries go first. A first-in first-out queue fails each of these.

/**
 * One worker: `queued` adds keys, `whileFirstRuns` runs while the first key's handler waits;
 * returns the keys in the order they were handled.
 */
async function handledOrder(
  q: WorkQueue,
  queued: () => void,
  whileFirstRuns: () => void | Promise<void> = () => undefined,
  result: (key: string, n: number) => Result = () => undefined,
): Promise<string[]> {
  const gate = new Gate();
  const seen: string[] = [];
  const running = q.run(async (key) => {
    seen.push(key);
    if (seen.length === 1) await gate.wait;
    return result(key, seen.length);
  });
  queued();
  await waitFor(() => seen.length === 1, 10_000, 'first run');
  await whileFirstRuns();
  gate.open();
  await q.whenIdle();
  await q.shutdown();
  await running;
  return seen;
}

const addAll = (q: WorkQueue, keys: string[], priority: Priority = 'low'): void => keys.forEach((k) => q.add(k, priority));

void test('priority: a key added at high goes before keys waiting at low; each priority is first in, first out', async () => {
  const q = new WorkQueue();
  const seen = await handledOrder(q, () => {
    addAll(q, ['a', 'b', 'c']);
    addAll(q, ['x', 'y'], 'high');
    assert.equal(q.len(), 5);
  });
  assert.deepEqual(seen, ['x', 'y', 'a', 'b', 'c']);
});

void test('priority: a key waiting at low and added again at high moves up, once; added again at low it stays high', async () => {
  const q = new WorkQueue();
  const seen = await handledOrder(q, () => {
    addAll(q, ['a', 'b', 'c', 'd']);
    q.add('c');
    q.add('c', 'low');
    q.add('e');
    q.add('e', 'low');
    assert.equal(q.len(), 5, 'still one entry per key');
  });
  assert.deepEqual(seen, ['c', 'e', 'a', 'b', 'd']);
});

void test('priority: a key re-added at high while it is handled runs again before the low keys', async () => {
  const q = new WorkQueue();
  const seen = await handledOrder(
    q,
    () => q.add('w', 'low'),
    () => {
      addAll(q, ['a', 'b']);
      // The key's own watch event while it is handled (a write's echo): once more, next.
      q.add('w', 'low');
      q.add('w');
      assert.equal(q.len(), 2, 'a key in flight is not in the ready lanes');
    },
  );
  assert.deepEqual(seen, ['w', 'w', 'a', 'b']);
});

void test('priority: a key re-added at low while it is handled runs again after the keys already waiting', async () => {
  const q = new WorkQueue();
  const seen = await handledOrder(
    q,
    () => q.add('w', 'low'),
    () => addAll(q, ['a', 'w']),
  );
  assert.deepEqual(seen, ['w', 'a', 'w']);
});

void test('priority: a retry after a failure goes before the low keys', async () => {
  const noWait: RateLimiter = { when: () => 0, forget: () => undefined, numRequeues: () => 0 };
  const q = new WorkQueue({ rateLimiter: noWait });
  const failFirst = (key: string, n: number): Result => {
    if (key === 'w' && n === 1) throw new Error('conflict');
    return undefined;
  };
  const seen = await handledOrder(q, () => q.add('w', 'low'), () => addAll(q, ['a', 'b']), failFirst);
  assert.deepEqual(seen, ['w', 'w', 'a', 'b']);
});

void test('priority: a delayed key comes back at its priority; a delayed key added again keeps the higher one', async () => {
  const q = new WorkQueue();
  const seen = await handledOrder(
    q,
    () => q.add('g'),
    async () => {
      addAll(q, ['a', 'b']);
      q.addAfter('d', 1);
      q.addAfter('e', 1, 'low');
      q.addAfter('e', 5_000);
      q.addAfter('f', 1, 'low');
      await waitFor(() => q.len() === 5 && q.delayedLen() === 0, 10_000, 'delays passed');
    },
  );
  assert.deepEqual(seen, ['g', 'd', 'e', 'a', 'b', 'f']);
});
