// Pure parts of leader election. Elections on a real Lease run in test-e2e/plumbing.test.ts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { KubeConfig } from '@kubernetes/client-node';
import { LeaderElector, microTime } from './leader';

void test('microTime has six fractional digits', () => {
  assert.equal(microTime(new Date('2030-01-02T03:04:05.678Z')), '2030-01-02T03:04:05.678000Z');
});

void test('rejects unsafe timings and a missing identity (before any request)', () => {
  const base = { namespace: 'n', name: 'l', identity: 'i', onStartedLeading: () => undefined };
  assert.throws(() => new LeaderElector(new KubeConfig(), { ...base, leaseDurationMs: 1000, renewDeadlineMs: 1000 }), /renewDeadline/);
  assert.throws(() => new LeaderElector(new KubeConfig(), { ...base, renewDeadlineMs: 1000, retryPeriodMs: 1000 }), /retryPeriod/);
  assert.throws(() => new LeaderElector(new KubeConfig(), { ...base, identity: '' }), /identity/);
});
