import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { V1Node } from '@kubernetes/client-node';
import { FakeRouter } from '../gobgp/fakeRouter';
import type { GobgpPeer } from '../gobgp/types';
import { nullLogger } from '../util/log';
import { PeerPasswords } from './peerPasswords';
import { PeerStep } from './peerStep';
import { peerSpecOf } from './gobgpSpecs';
import { testPeer, testSpeakerConfig } from './testFixtures';
import type { SpeakerConfig } from '../config/types';

const log = nullLogger();
const node = (bootID?: string): V1Node => ({ metadata: { name: 'node-a' }, status: { addresses: [], ...(bootID ? { nodeInfo: { bootID } as NonNullable<V1Node['status']>['nodeInfo'] } : {}) } });

async function setup(cfg: SpeakerConfig): Promise<{ router: FakeRouter; step: PeerStep }> {
  const router = new FakeRouter();
  await router.startBgp({ asn: 65001, routerId: '10.0.0.1', listenPort: 179, listenAddresses: [] });
  const passwords = new PeerPasswords({ peers: cfg.peers, nodeName: cfg.nodeName, log, onChange: () => undefined });
  return { router, step: new PeerStep(router, cfg, passwords, () => 0) };
}

void describe('table step 3: peers', () => {
  it('adds the configured peers, deletes the ones gobgpd has that are not configured, and leaves an unchanged one alone', async () => {
    const cfg = testSpeakerConfig({ peers: [testPeer('192.0.2.1'), testPeer('192.0.2.2')] });
    const { router, step } = await setup(cfg);
    await router.addPeer(peerSpecOf(testPeer('192.0.2.9')));
    await step.sync(node(), () => Promise.resolve(undefined), log);
    assert.deepEqual([...router.peers.keys()].sort(), ['192.0.2.1', '192.0.2.2']);
    const before = router.calls.length;
    await step.sync(node(), () => Promise.resolve(undefined), log);
    assert.deepEqual(router.calls.slice(before), ['listPeers()'], 'an unchanged peer was touched');
  });

  it('re-creates a peer whose configuration changed (gobgpd has no in-place update)', async () => {
    const { router, step } = await setup(testSpeakerConfig());
    await step.sync(node(), () => Promise.resolve(undefined), log);
    const changed = new PeerStep(router, testSpeakerConfig({ peers: [testPeer('192.0.2.1', { asn: 64600 })] }), new PeerPasswords({ peers: [testPeer('192.0.2.1')], nodeName: 'node-a', log, onChange: () => undefined }), () => 0);
    await changed.sync(node(), () => Promise.resolve(undefined), log);
    assert.deepEqual(router.calls.filter((c) => /^(add|delete)Peer/.test(c)), ['addPeer(192.0.2.1)', 'deletePeer(192.0.2.1)', 'addPeer(192.0.2.1)']);
    assert.equal((router.peers.get('192.0.2.1') as GobgpPeer).asn, 64600);
  });

  it('reads the previous report only when the Node tells its boot, and decides graceful restart from it', async () => {
    const cfg = testSpeakerConfig({ peers: [testPeer('192.0.2.1', { gracefulRestart: { enabled: true, restartTimeMs: 120_000 } })] });
    const { router, step } = await setup(cfg);
    let reads = 0;
    await step.sync(node(), () => {
      reads++;
      return Promise.resolve(undefined);
    }, log);
    assert.equal(reads, 0, 'read without a boot id');
    await router.deletePeer('192.0.2.1');
    await step.sync(node('boot-1'), () => {
      reads++;
      return Promise.resolve({ bootID: 'boot-1', phase: 'Running', heartbeatTime: new Date(0).toISOString() });
    }, log);
    assert.equal(reads, 1);
    assert.equal(router.addedPeers.at(-1)?.gracefulRestart?.restarting, true, 'the same boot: a restart of the speaker, announced as one');
  });
});
