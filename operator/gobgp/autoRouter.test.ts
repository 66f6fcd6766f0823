import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AutoRouter, apiFromProbe, createRouter } from './autoRouter';
import { GobgpClient, GobgpError, GobgpV4Client } from './client';
import { FakeRouter } from './fakeRouter';
import type { PeerEvent } from './types';

const GLOBAL = { asn: 65001, routerId: '192.0.2.1', listenPort: 179, listenAddresses: [] };

function otherApi(router: FakeRouter): void {
  router.failing = 'rejected';
  router.failingCode = 12;
}

function setup(): { v3: FakeRouter; v4: FakeRouter; auto: AutoRouter } {
  const v3 = new FakeRouter();
  const v4 = new FakeRouter();
  return { v3, v4, auto: new AutoRouter({ v3, v4 }) };
}

void test('apiFromProbe: an answer is v4, UNIMPLEMENTED is v3, anything else says nothing', () => {
  assert.equal(apiFromProbe(undefined), 'v4');
  assert.equal(apiFromProbe(new GobgpError('GetBgp', 'rejected', 12, 'unknown service api.GoBgpService')), 'v3');
  assert.equal(apiFromProbe(new GobgpError('GetBgp', 'unavailable', 14, 'connection refused')), undefined);
  assert.equal(apiFromProbe(new GobgpError('GetBgp', 'timeout', 4, 'deadline')), undefined);
  assert.equal(apiFromProbe(new Error('x')), undefined);
});

void test('a v4 daemon: probed once, then every call goes to the v4 router', async () => {
  const { v3, v4, auto } = setup();
  assert.equal(auto.api, undefined);
  assert.equal(await auto.startBgp(GLOBAL), 'started');
  await auto.listPeers();
  assert.equal(auto.api, 'v4');
  assert.deepEqual(v4.calls, ['getBgp()', 'startBgp(65001 192.0.2.1 179)', 'listPeers()']);
  assert.deepEqual(v3.calls, []);
});

void test('a v3 daemon (v4 service unimplemented): calls go to the v3 router', async () => {
  const { v3, v4, auto } = setup();
  otherApi(v4);
  assert.equal(await auto.getBgp(), null);
  assert.equal(auto.api, 'v3');
  await auto.startBgp(GLOBAL);
  assert.deepEqual(v4.calls, ['getBgp()']);
  assert.deepEqual(v3.calls, ['getBgp()', 'startBgp(65001 192.0.2.1 179)']);
});

void test('concurrent first calls share one probe', async () => {
  const { v4, auto } = setup();
  await Promise.all([auto.getBgp(), auto.getBgp()]);
  assert.equal(v4.callsOf('getBgp').length, 3, 'one probe plus two getBgp calls');
});

void test('a daemon that is down decides nothing; after it went away the next call asks again', async () => {
  const v3 = new FakeRouter();
  const v4 = new FakeRouter();
  const chosen: string[] = [];
  const auto = new AutoRouter({ v3, v4 }, (api) => chosen.push(api));
  v4.failing = 'unavailable';
  await assert.rejects(auto.getBgp(), (e: unknown) => e instanceof GobgpError && e.kind === 'unavailable');
  assert.equal(auto.api, undefined);
  v4.failing = undefined;
  await auto.getBgp();
  assert.equal(auto.api, 'v4');
  // The daemon goes away and comes back as a v3 daemon (a downgraded sidecar).
  v4.failing = 'unavailable';
  await assert.rejects(auto.stopBgp());
  assert.equal(auto.api, undefined);
  otherApi(v4);
  await auto.getBgp();
  assert.equal(auto.api, 'v3');
  assert.deepEqual(v3.calls, ['getBgp()']);
  assert.deepEqual(chosen, ['v4', 'v3'], 'each choice is told');
});

void test('other refusals keep the choice', async () => {
  const { v4, auto } = setup();
  await auto.getBgp();
  await assert.rejects(auto.listPath('ipv4-unicast', 'global'), (e: unknown) => e instanceof GobgpError && e.kind === 'not-started');
  assert.equal(auto.api, 'v4');
  assert.equal(v4.callsOf('getBgp').length, 2);
});

void test('watchPeerEvents probes first, then watches the chosen router; cancel before that opens nothing', async () => {
  const { v3, v4, auto } = setup();
  otherApi(v4);
  const events: PeerEvent[] = [];
  auto.watchPeerEvents((e) => events.push(e), () => assert.fail('no end expected'));
  await new Promise((r) => setImmediate(r));
  assert.equal(v3.activeWatches, 1);
  assert.equal(v4.activeWatches, 0);

  const second = setup();
  const cancel = second.auto.watchPeerEvents(() => undefined, () => assert.fail('no end after cancel'));
  cancel();
  await new Promise((r) => setImmediate(r));
  assert.equal(second.v4.activeWatches, 0);
});

void test('a watch that cannot probe ends through onEnd; a broken stream makes the next call probe again', async () => {
  const { v4, auto } = setup();
  v4.failing = 'unavailable';
  const ended = await new Promise<GobgpError>((resolve) => auto.watchPeerEvents(() => undefined, resolve));
  assert.equal(ended.kind, 'unavailable');
  v4.failing = undefined;
  let broken: GobgpError | undefined;
  auto.watchPeerEvents(() => undefined, (e) => (broken = e));
  await new Promise((r) => setImmediate(r));
  assert.equal(auto.api, 'v4');
  v4.breakStreams();
  assert.equal(broken?.kind, 'unavailable');
  assert.equal(auto.api, undefined);
});

void test('close closes both routers; createRouter builds one client per API, or the auto router', () => {
  const { v3, v4, auto } = setup();
  auto.close();
  assert.equal(v3.closed && v4.closed, true);
  const routers = [createRouter('127.0.0.1:50051', 'v3'), createRouter('127.0.0.1:50051', 'v4'), createRouter('127.0.0.1:50051', 'auto')];
  try {
    assert.ok(routers[0] instanceof GobgpClient && !(routers[0] instanceof GobgpV4Client) && routers[0].api === 'v3');
    assert.ok(routers[1] instanceof GobgpV4Client && routers[1].api === 'v4');
    assert.ok(routers[2] instanceof AutoRouter);
  } finally {
    for (const r of routers) r.close();
  }
});

void test('the import policy calls go to the chosen router', async () => {
  const { v3, v4, auto } = setup();
  otherApi(v4);
  await auto.startBgp(GLOBAL);
  const policy = { name: 'p', statements: [{ name: 's', action: 'reject' as const }] };
  await auto.addPolicy(policy);
  await auto.setImportPolicy(['p'], 'reject');
  assert.deepEqual(await auto.getImportPolicy(), { policies: [policy], defaultAction: 'reject' });
  assert.deepEqual(await auto.listPolicies(), [policy]);
  await auto.softResetIn();
  await auto.deletePolicy('p');
  assert.deepEqual(v3.calls, [
    'startBgp(65001 192.0.2.1 179)',
    'addPolicy(p)',
    'setImportPolicy(p reject)',
    'getImportPolicy()',
    'listPolicies()',
    'softResetIn()',
    'deletePolicy(p)',
  ]);
  assert.deepEqual(v4.calls, ['getBgp()']);
});
