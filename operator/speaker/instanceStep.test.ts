import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { V1Node } from '@kubernetes/client-node';
import { FakeRouter } from '../gobgp/fakeRouter';
import { nullLogger } from '../util/log';
import { syncImportPolicy, syncInstance } from './instanceStep';
import { testSpeakerConfig } from './testFixtures';

const log = nullLogger();
const node = (ip?: string): V1Node => ({ metadata: { name: 'node-a' }, status: { addresses: ip ? [{ type: 'InternalIP', address: ip }] : [] } });

void describe('table step 1: the BGP instance', () => {
  it('starts BGP with the Node\'s address as router id; the same again changes nothing', async () => {
    const router = new FakeRouter();
    assert.equal(await syncInstance(router, testSpeakerConfig(), node('10.0.0.1'), log), true);
    assert.deepEqual(router.callsOf('startBgp'), ['startBgp(65001 10.0.0.1 179)']);
    assert.equal(await syncInstance(router, testSpeakerConfig(), node('10.0.0.1'), log), false);
    assert.equal(router.callsOf('startBgp').length + router.callsOf('stopBgp').length, 1);
  });

  it('restarts BGP when the ASN changed (gobgpd cannot change it in place)', async () => {
    const router = new FakeRouter();
    await syncInstance(router, testSpeakerConfig(), node('10.0.0.1'), log);
    assert.equal(await syncInstance(router, testSpeakerConfig({ asn: 65002 }), node('10.0.0.1'), log), true);
    assert.deepEqual(router.calls.filter((c) => /^(start|stop)Bgp/.test(c)), ['startBgp(65001 10.0.0.1 179)', 'stopBgp()', 'startBgp(65002 10.0.0.1 179)']);
  });

  it('keeps what runs, without StopBgp, when gobgpd cannot restart BGP in place (GoBGP 4)', async () => {
    const router = new FakeRouter();
    router.restartsInPlace = false;
    await syncInstance(router, testSpeakerConfig(), node('10.0.0.1'), log);
    assert.equal(await syncInstance(router, testSpeakerConfig({ asn: 65002 }), node('10.0.0.2'), log), false);
    assert.deepEqual(router.calls.filter((c) => /^(start|stop)Bgp/.test(c)), ['startBgp(65001 10.0.0.1 179)']);
  });

  it('keeps what runs when the Node lost its address and no router id is configured', async () => {
    const router = new FakeRouter();
    await syncInstance(router, testSpeakerConfig(), node('10.0.0.1'), log);
    assert.equal(await syncInstance(router, testSpeakerConfig(), node(), log), false);
    assert.equal(await syncInstance(router, testSpeakerConfig(), undefined, log), false);
    assert.deepEqual(router.callsOf('stopBgp'), []);
  });
});

void describe('table step 2: the import policy', () => {
  it('rejects every route from peers, once; a second sync changes nothing', async () => {
    const router = new FakeRouter();
    await syncInstance(router, testSpeakerConfig(), node('10.0.0.1'), log);
    router.receive({ prefix: '198.51.100.0/24', family: 'ipv4-unicast', nextHop: '192.0.2.1', communities: [], largeCommunities: [] });
    assert.equal((await router.listPath('ipv4-unicast', 'global')).length, 1, 'the fake accepts a peer\'s route before the policy');
    await syncImportPolicy(router, log);
    assert.deepEqual(await router.listPath('ipv4-unicast', 'global'), [], 'a peer\'s route reached the global RIB');
    assert.equal(router.callsOf('softResetIn').length, 1);
    const before = router.calls.length;
    await syncImportPolicy(router, log);
    assert.deepEqual(router.calls.slice(before), ['getImportPolicy()', 'listPolicies()']);
  });
});
