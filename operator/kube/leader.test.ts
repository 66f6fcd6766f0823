import { afterEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { LeaderElectorOptions } from './leader';
import { LeaderElector, microTime } from './leader';
import { FakeApiServer } from './fakeApiServer';
import { waitFor } from './testing';

const LEASES = '/apis/coordination.k8s.io/v1/namespaces/system/leases';

interface Candidate {
  elector: LeaderElector;
  leading: boolean;
  starts: number;
  stops: number;
  signals: AbortSignal[];
}

void test('microTime has six fractional digits', () => {
  assert.equal(microTime(new Date('2030-01-02T03:04:05.678Z')), '2030-01-02T03:04:05.678000Z');
});

void describe('LeaderElector against a fake API server', () => {
  let server: FakeApiServer;
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  async function setup(): Promise<void> {
    server = new FakeApiServer();
    await server.start();
    cleanups.push(() => server.stop());
  }

  const timings = { leaseDurationMs: 3_000, renewDeadlineMs: 1_500, retryPeriodMs: 100 };

  function candidate(identity: string, extra: Partial<LeaderElectorOptions> = {}): Candidate {
    const c: Candidate = { elector: undefined as unknown as LeaderElector, leading: false, starts: 0, stops: 0, signals: [] };
    c.elector = new LeaderElector(server.kubeConfig(), {
      namespace: 'system',
      name: 'vip-controller',
      identity,
      ...timings,
      onStartedLeading: (signal) => {
        c.starts++;
        c.leading = true;
        c.signals.push(signal);
        signal.addEventListener('abort', () => (c.leading = false));
      },
      onStoppedLeading: () => c.stops++,
      ...extra,
    });
    void c.elector.run();
    cleanups.push(() => c.elector.stop());
    return c;
  }

  const lease = () => server.get(LEASES, 'vip-controller') as { spec: Record<string, unknown> } | undefined;

  void test('one leader; Lease fields; graceful stop releases and the standby takes over', async () => {
    await setup();
    const a = candidate('a');
    await waitFor(() => a.leading, 10_000, 'a leads');
    const b = candidate('b');
    await waitFor(() => b.elector.getLeader() === 'a', 10_000, 'b sees a');
    assert.equal(b.leading, false);
    const spec = lease()?.spec;
    assert.equal(spec?.holderIdentity, 'a');
    assert.equal(spec?.leaseDurationSeconds, 3);
    assert.equal(spec?.leaseTransitions, 0);
    assert.match(String(spec?.acquireTime), /\.\d{6}Z$/);
    assert.match(String(spec?.renewTime), /\.\d{6}Z$/);
    const firstRenew = String(spec?.renewTime);
    await waitFor(() => String(lease()?.spec.renewTime) !== firstRenew, 10_000, 'renewal');
    assert.equal(lease()?.spec.acquireTime, spec?.acquireTime, 'renewal keeps acquireTime');

    const released = Date.now();
    await a.elector.stop();
    assert.equal(a.signals[0].aborted, true);
    assert.equal(a.stops, 1);
    await waitFor(() => b.leading, 10_000, 'b takes over');
    // Released, so b did not wait for the 3 s lease to expire.
    assert.ok(Date.now() - released < timings.leaseDurationMs, `takeover took ${Date.now() - released} ms`);
    assert.equal(lease()?.spec.holderIdentity, 'b');
    assert.equal(lease()?.spec.leaseTransitions, 1);
  });

  void test('a leader that cannot renew steps down within renewDeadline, and leads again when the API is back', async () => {
    await setup();
    const a = candidate('a');
    await waitFor(() => a.leading, 10_000, 'a leads');
    const port = server.port;
    const down = Date.now();
    await server.stop();
    await waitFor(() => !a.leading, 10_000, 'a steps down');
    const took = Date.now() - down;
    assert.ok(took <= timings.renewDeadlineMs + 1_000, `stepped down after ${took} ms`);
    assert.ok(took < timings.leaseDurationMs, 'before anybody else could take the lease');
    assert.equal(a.stops, 1);
    server.port = port;
    await server.start();
    await waitFor(() => a.leading, 10_000, 'a leads again');
    assert.equal(a.starts, 2);
  });

  void test('seeing another holder stops the leader at once; an expired lease is taken over', async () => {
    await setup();
    const a = candidate('a');
    await waitFor(() => a.leading, 10_000, 'a leads');
    // Someone else writes the Lease (e.g. after a partition) and then dies.
    const cur = lease() as { metadata: Record<string, unknown>; spec: Record<string, unknown> };
    server.upsert(LEASES, { ...cur, spec: { ...cur.spec, holderIdentity: 'x', renewTime: microTime(new Date()) } });
    await waitFor(() => !a.leading, 10_000, 'a steps down');
    assert.equal(a.elector.getLeader(), 'x');
    // x never renews: after leaseDuration on a's clock, a takes it again.
    await waitFor(() => a.leading, 10_000, 'a re-acquires the expired lease');
    assert.equal(lease()?.spec.holderIdentity, 'a');
    assert.equal(lease()?.spec.leaseTransitions, 1, 'x kept the count it found; a taking over adds one');
  });

  void test('optimistic concurrency: a 409 on update is a lost race, not leadership', async () => {
    await setup();
    let conflicts = 0;
    server.failWith = (r) => (r.method === 'POST' && conflicts++ < 2 ? 409 : undefined);
    const a = candidate('a');
    await waitFor(() => a.leading, 10_000, 'a leads after the conflicts');
    assert.equal(conflicts >= 2, true);
    assert.equal(a.starts, 1);
  });

  void test('rejects unsafe timings', () => {
    assert.throws(() => new LeaderElector(new FakeApiServer().kubeConfig(), { namespace: 'n', name: 'l', identity: 'i', leaseDurationMs: 1000, renewDeadlineMs: 1000, onStartedLeading: () => undefined }));
  });
});
