// Leader election driven by a fake clock and an in-memory Lease. Elections on a real Lease run in
// test-e2e/plumbing.test.ts; a lost Lease in a real process in test-e2e/leadership.test.ts.
import { describe, it, test } from 'node:test';
import assert from 'node:assert/strict';
import { KubeConfig } from '@kubernetes/client-node';
import type { LeaderElectorOptions } from './leader';
import { microTime } from '../api/time';
import { LeaderElector } from './leader';
import { FakeClock, FakeLeaseClient } from './testing';

void test('microTime has six fractional digits', () => {
  assert.equal(microTime(new Date('2030-01-02T03:04:05.678Z')), '2030-01-02T03:04:05.678000Z');
});

void test('rejects unsafe timings and a missing identity (before any request)', () => {
  const base = { namespace: 'n', name: 'l', identity: 'i', onStartedLeading: () => undefined };
  assert.throws(() => new LeaderElector(new KubeConfig(), { ...base, leaseDurationMs: 1000, renewDeadlineMs: 1000 }), /renewDeadline/);
  assert.throws(() => new LeaderElector(new KubeConfig(), { ...base, renewDeadlineMs: 1000, retryPeriodMs: 1000 }), /retryPeriod/);
  assert.throws(() => new LeaderElector(new KubeConfig(), { ...base, identity: '' }), /identity/);
});

const RENEW_DEADLINE = 10_000;
const RETRY = 2_000;

/** An elector on a fake clock and Lease that records what it did, and when. */
function harness(extra: Partial<LeaderElectorOptions> = {}) {
  const clock = new FakeClock();
  const client = new FakeLeaseClient(clock);
  const seen = { signal: undefined as AbortSignal | undefined, abortedAt: undefined as number | undefined, order: [] as string[], exits: [] as number[] };
  const elector = new LeaderElector(new KubeConfig(), {
    namespace: 'ns',
    name: 'lease',
    identity: 'me',
    leaseDurationMs: 15_000,
    renewDeadlineMs: RENEW_DEADLINE,
    retryPeriodMs: RETRY,
    clock,
    leaseClient: client,
    onStartedLeading: (signal) => {
      seen.signal = signal;
      signal.addEventListener('abort', () => {
        seen.abortedAt = clock.now();
        seen.order.push('aborted');
      });
    },
    onStoppedLeading: () => seen.order.push('stopped'),
    exit: (code) => {
      seen.exits.push(code);
      seen.order.push(`exit ${code}`);
    },
    ...extra,
  });
  const running = elector.run();
  return { clock, client, seen, elector, running };
}

const updates = (c: FakeLeaseClient) => c.calls.filter((x) => x.op === 'update');

void describe('a leader that cannot renew', () => {
  void it('loses at the renew deadline while the renew still hangs, and exits with 1', async () => {
    const h = harness();
    await h.clock.advance(0);
    assert.equal(h.elector.isLeader(), true, 'acquired at t=0 (create)');
    h.client.delays.push(Infinity); // the first renew (t=2 s) never answers
    await h.clock.advance(RENEW_DEADLINE - 1);
    assert.equal(h.seen.signal?.aborted, false, 'still leading 1 ms before the deadline');
    assert.deepEqual(h.seen.exits, []);
    await h.clock.advance(1);
    assert.equal(h.seen.abortedAt, RENEW_DEADLINE, 'signal aborted exactly at the deadline');
    const renew = updates(h.client)[0];
    assert.equal(renew.at, RETRY);
    assert.equal(renew.abortedAt, RENEW_DEADLINE, 'the hung renew request is aborted at the deadline too');
    assert.deepEqual(h.seen.order, ['aborted', 'stopped', 'exit 1']);
    assert.equal(h.elector.isLeader(), false);
    await h.running;
  });

  void it('a renew answered after the deadline does not extend the term', async () => {
    const h = harness();
    await h.clock.advance(0);
    h.client.delays.push(12_000); // sent at 2 s, answered at 14 s: after the 10 s deadline
    await h.clock.advance(RENEW_DEADLINE);
    assert.equal(h.seen.abortedAt, RENEW_DEADLINE);
    assert.deepEqual(h.seen.exits, [1]);
  });

  void it('a successful renew counts from when it was sent, not from its answer', async () => {
    const h = harness();
    await h.clock.advance(0);
    h.client.delays.push(7_000, Infinity); // sent at 2 s, answered at 9 s; the next one hangs
    await h.clock.advance(9_000);
    assert.equal(h.client.lease?.spec?.holderIdentity, 'me');
    assert.equal(updates(h.client).length, 1);
    // Counting from the answer would allow 9 + 10 = 19 s; from the send time it is 2 + 10 = 12 s.
    await h.clock.advance(3_000 - 1);
    assert.equal(h.seen.signal?.aborted, false);
    await h.clock.advance(1);
    assert.equal(h.seen.abortedAt, RETRY + RENEW_DEADLINE);
    assert.deepEqual(h.seen.exits, [1]);
  });

  void it('seeing another holder stops at once and exits', async () => {
    const h = harness();
    await h.clock.advance(0);
    await h.clock.advance(RETRY * 2 + 100); // two good renews
    assert.equal(updates(h.client).length, 2);
    h.client.setHolder('other');
    await h.clock.advance(RETRY);
    assert.equal(h.seen.abortedAt, RETRY * 3);
    assert.deepEqual(h.seen.order, ['aborted', 'stopped', 'exit 1']);
    assert.equal(updates(h.client).length, 2, 'never wrote over the other holder');
  });

  void it('does not stand again after losing (exit mode), even if exit returns', async () => {
    const h = harness();
    await h.clock.advance(0);
    h.client.setHolder('other');
    await h.clock.advance(RETRY);
    await h.running;
    const calls = h.client.calls.length;
    await h.clock.advance(60_000);
    assert.equal(h.client.calls.length, calls);
  });

  void it("onLost 'restand' stands again instead of exiting", async () => {
    const h = harness({ onLost: 'restand', leaseDurationMs: 3_000, renewDeadlineMs: 2_500, retryPeriodMs: 1_000 });
    await h.clock.advance(0);
    h.client.setHolder('other', 3);
    await h.clock.advance(1_000);
    assert.equal(h.seen.abortedAt, 1_000);
    assert.deepEqual(h.seen.exits, []);
    await h.clock.advance(10_000); // the other holder never renews: its Lease expires and we take it
    assert.equal(h.client.lease?.spec?.holderIdentity, 'me');
    assert.equal(h.elector.isLeader(), true);
    await h.elector.stop();
  });
});

void it('stop() while leading releases the Lease and does not exit', async () => {
  const h = harness();
  await h.clock.advance(0);
  await h.clock.advance(RETRY * 2);
  await h.elector.stop();
  assert.equal(h.client.lease?.spec?.holderIdentity, '', 'released');
  assert.equal(h.client.lease?.spec?.leaseDurationSeconds, 1);
  assert.deepEqual(h.seen.order, ['aborted', 'stopped']);
  assert.deepEqual(h.seen.exits, []);
});
