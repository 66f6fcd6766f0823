import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Secret } from '../config';
import { configChange } from './configChange';
import { testPeer, testSpeakerConfig } from './testFixtures';

void test('configChange: peers alone are applied live; anything else asks for a restart; an identical file is nothing', () => {
  const running = testSpeakerConfig({ peers: [testPeer('192.0.2.1'), testPeer('192.0.2.2')] });
  assert.deepEqual(configChange(running, testSpeakerConfig({ peers: [testPeer('192.0.2.1'), testPeer('192.0.2.2')] })), { kind: 'none' });

  const rack = [testPeer('192.0.2.1', { nodeSelector: { matchLabels: { rack: 'a' } } }), testPeer('192.0.2.2')];
  assert.deepEqual(configChange(running, testSpeakerConfig({ peers: rack })), { kind: 'peers', peers: rack });
  assert.equal(configChange(running, testSpeakerConfig({ peers: [testPeer('192.0.2.1')] })).kind, 'peers', 'a peer removed');

  assert.deepEqual(configChange(running, testSpeakerConfig({ asn: 65002, peers: rack })), { kind: 'restart', fields: ['speaker.asn'] });
  assert.deepEqual(configChange(running, { ...running, nextHop: { ipv4: '192.0.2.9' }, withdrawOnShutdown: false }), { kind: 'restart', fields: ['speaker.nextHop', 'speaker.withdrawOnShutdown'] });
});

void test('configChange: an inline password change is a peers change (compared by fingerprint, never printed)', () => {
  const withPassword = (p: string) => testSpeakerConfig({ peers: [testPeer('192.0.2.1', { password: new Secret(p) })] });
  assert.deepEqual(configChange(withPassword('one'), withPassword('one')), { kind: 'none' });
  const change = configChange(withPassword('one'), withPassword('two'));
  assert.equal(change.kind, 'peers');
  assert.doesNotMatch(JSON.stringify(change), /two/);
});
