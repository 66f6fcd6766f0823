import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { FakeRouter } from '../gobgp/fakeRouter';
import type { PathSpec } from '../gobgp/types';
import { nullLogger } from '../util/log';
import { PathStep } from './pathStep';

const log = nullLogger();
const path = (prefix: string, extra: Partial<PathSpec> = {}): PathSpec => ({ prefix, family: 'ipv4-unicast', nextHop: '10.0.0.1', communities: [], largeCommunities: [], ...extra });

async function started(): Promise<FakeRouter> {
  const router = new FakeRouter();
  await router.startBgp({ asn: 65001, routerId: '10.0.0.1', listenPort: 179, listenAddresses: [] });
  return router;
}

void describe('table step 4: paths', () => {
  it('adds what is missing in one stream and removes what is not desired', async () => {
    const router = await started();
    await router.addPaths([path('203.0.113.9/32')]);
    const step = new PathStep(router, 'node-a', () => 1_000);
    assert.equal(await step.sync([path('203.0.113.1/32'), path('203.0.113.2/32')], true, log), true);
    assert.deepEqual([...router.paths.values()].map((p) => p.prefix).sort(), ['203.0.113.1/32', '203.0.113.2/32']);
    assert.deepEqual(router.callsOf('addPaths'), ['addPaths(1)', 'addPaths(2)'], 'the setup\'s, then one stream of both');
    assert.deepEqual(router.callsOf('deletePath'), ['deletePath(203.0.113.9/32)']);
    assert.deepEqual([...step.addedAt.keys()].sort(), ['203.0.113.1/32', '203.0.113.2/32']);
  });

  it('diffs against what the last sync left, without listing gobgpd, until told to forget', async () => {
    const router = await started();
    const step = new PathStep(router, 'node-a', () => 0);
    assert.equal(step.unknown, true);
    await step.sync([path('203.0.113.1/32')], false, log);
    assert.equal(step.unknown, false);
    const listed = router.callsOf('listPath').length;
    assert.equal(await step.sync([path('203.0.113.1/32')], false, log), false, 'nothing changed');
    await step.sync([path('203.0.113.1/32'), path('203.0.113.2/32')], false, log);
    assert.equal(router.callsOf('listPath').length, listed, 'gobgpd was listed for a change');
    step.forget();
    assert.equal(step.unknown, true);
    await step.sync([path('203.0.113.2/32')], false, log);
    assert.ok(router.callsOf('listPath').length > listed, 'a forgotten table is listed again');
  });

  it('a failed operation leaves the table unknown, so the next sync lists gobgpd', async () => {
    const router = await started();
    const step = new PathStep(router, 'node-a', () => 0);
    await step.sync([path('203.0.113.1/32')], true, log);
    router.failing = 'unavailable';
    await assert.rejects(step.sync([path('203.0.113.2/32')], false, log));
    assert.equal(step.unknown, true);
  });

  it("withdraws every path it originates on shutdown, and stops at the deadline's abort", async () => {
    const router = await started();
    const step = new PathStep(router, 'node-a', () => 0);
    await step.sync([path('203.0.113.1/32'), path('203.0.113.2/32')], true, log);
    await step.withdrawAll(new AbortController().signal, log);
    assert.equal(router.paths.size, 0);
    const aborted = new AbortController();
    await step.sync([path('203.0.113.3/32')], true, log);
    aborted.abort();
    await assert.rejects(step.withdrawAll(aborted.signal, log));
  });
});
