import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { loadConfig, type Env, type VipAnnouncerConfig } from '../config';
import { globalSpecOf, peerSpecOf } from './gobgpSpecs';

// Tests run from dist/; the config fixtures stay in the source tree.
const DATA = path.resolve(__dirname, '../../../operator/config/testdata');
const load = (name: string, env: Env = {}): VipAnnouncerConfig => loadConfig(path.join(DATA, name), env);

void test('peerSpecOf and globalSpecOf speak the GoBGP client vocabulary (seconds)', () => {
  const cfg = load('full.yaml');
  const speaker = cfg.speaker;
  assert.ok(speaker);
  assert.deepEqual(speaker.peers.map(peerSpecOf), [
    {
      address: '127.0.0.1',
      asn: 65000,
      port: 10179,
      multihopTtl: 2,
      password: 'inline-s3cret',
      holdTime: 9,
      keepaliveInterval: 3,
      connectRetry: 1,
      gracefulRestart: { enabled: true, restartTime: 60 },
      families: ['ipv4-unicast', 'ipv6-unicast'],
      passive: true,
      localAddress: '127.0.0.11',
      bfd: { enabled: true, minTxIntervalMs: 100, minRxIntervalMs: 300, detectMultiplier: 5, multihop: true },
    },
    {
      address: '2001:db8::1',
      asn: 65001,
      port: 179,
      password: 's3cret-from-file',
      holdTime: 0,
      keepaliveInterval: 0,
      connectRetry: 10,
      gracefulRestart: { enabled: false, restartTime: 120 },
      families: ['ipv6-unicast'],
      passive: false,
    },
  ]);
  assert.deepEqual(globalSpecOf(speaker, '10.9.9.9'), {
    asn: 4200000000,
    routerId: '127.0.0.11',
    listenPort: 1179,
    listenAddresses: ['127.0.0.11', '::1'],
  });
  const minimal = load('minimal.yaml', { NODE_NAME: 'n' }).speaker;
  assert.ok(minimal);
  assert.equal(globalSpecOf(minimal, '10.9.9.9').routerId, '10.9.9.9');
  assert.throws(() => globalSpecOf(minimal), /no router id/);
});

void test('peerSpecOf sends BFD to gobgpd only when it is enabled', () => {
  const peer = load('full.yaml').speaker?.peers[0] ?? assert.fail();
  const bfd = { enabled: true, minTxIntervalMs: 50, multihop: false };
  assert.deepEqual(peerSpecOf({ ...peer, bfd }).bfd, bfd);
  assert.equal(peerSpecOf({ ...peer, bfd: { ...bfd, enabled: false } }).bfd, undefined, 'a disabled BFD is not sent to gobgpd');
});
