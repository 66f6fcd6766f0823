import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { PeerSpec, GobgpPeer } from '../gobgp/types';
import { secretFingerprint } from '../util/fingerprint';
import { peerConfigDiffers } from './peerConfig';

const want: PeerSpec = { address: '192.0.2.1', asn: 64512, port: 179, holdTime: 9, keepaliveInterval: 3, connectRetry: 1, families: ['ipv4-unicast', 'ipv6-unicast'], passive: false };
// As gobgpd reports it back: defaults filled in, no password text.
const got: GobgpPeer['config'] = { address: '192.0.2.1', asn: 64512, port: 179, holdTime: 9, keepaliveInterval: 3, connectRetry: 1, families: ['ipv6-unicast', 'ipv4-unicast'], passive: false, hasPassword: false };

test('which peer fields differ from what gobgpd has', () => {
  const cases: Array<[string, Partial<PeerSpec>, Partial<GobgpPeer['config']>, string[]]> = [
    ['identical (family order ignored)', {}, {}, []],
    ['families: IPv6 missing in gobgpd', {}, { families: ['ipv4-unicast'] }, ['families']],
    ['another ASN', { asn: 65000 }, {}, ['asn']],
    ['another port', { port: 1790 }, {}, ['port']],
    ['hold time changed', { holdTime: 90 }, {}, ['holdTime']],
    ['unset fields are not compared (gobgpd defaults)', { holdTime: undefined, keepaliveInterval: undefined, connectRetry: undefined }, { holdTime: 90, keepaliveInterval: 30, connectRetry: 120 }, []],
    ['a password added', { password: 's3cret' }, {}, ['password']],
    ['a password kept (gobgpd reports the same)', { password: 's3cret' }, { hasPassword: true, passwordFingerprint: secretFingerprint('s3cret') }, []],
    ['a password changed (same length)', { password: 's3cre7' }, { hasPassword: true, passwordFingerprint: secretFingerprint('s3cret') }, ['password']],
    ['a password removed', {}, { hasPassword: true, passwordFingerprint: secretFingerprint('s3cret') }, ['password']],
    ['an empty password is none', { password: '' }, {}, []],
    ['passive switched', { passive: true }, {}, ['passive']],
    ['multihop 0 equals none', { multihopTtl: 0 }, { multihopTtl: undefined }, []],
    ['graceful restart enabled', { gracefulRestart: { enabled: true, restartTime: 120 } }, {}, ['gracefulRestart']],
    ['BFD enabled', { bfd: { enabled: true } }, {}, ['bfd']],
    ['BFD disabled in the config, on in gobgpd', {}, { bfd: { enabled: true } }, ['bfd']],
    ['BFD off on both sides (absent or disabled)', { bfd: { enabled: false, minTxIntervalMs: 100 } }, {}, []],
    ['BFD with gobgpd defaults: unset fields not compared', { bfd: { enabled: true } }, { bfd: { enabled: true, multihop: false, minTxIntervalMs: 1000 } }, []],
    [
      'BFD intervals, multiplier and multihop changed',
      { bfd: { enabled: true, minTxIntervalMs: 100, minRxIntervalMs: 100, detectMultiplier: 5, multihop: true } },
      { bfd: { enabled: true, minTxIntervalMs: 300, minRxIntervalMs: 100, detectMultiplier: 3, multihop: false } },
      ['bfd.minTxIntervalMs', 'bfd.detectMultiplier', 'bfd.multihop'],
    ],
  ];
  for (const [name, w, g, expected] of cases) {
    assert.deepEqual(peerConfigDiffers({ ...want, ...w }, { ...got, ...g }), expected, name);
  }
});

test('passwords: what this speaker applied wins over what gobgpd reports (or does not report)', () => {
  const fp = secretFingerprint;
  const cases: Array<[string, string | undefined, Partial<GobgpPeer['config']>, string | null | undefined, string[]]> = [
    ['applied, gobgpd reports no password back: unchanged', 's3cret', {}, fp('s3cret'), []],
    ['applied, the file changed since', 'n3w', {}, fp('s3cret'), ['password']],
    ['applied none, none wanted', undefined, {}, null, []],
    ['applied none, one wanted now', 's3cret', {}, null, ['password']],
    ['applied one, none wanted now', undefined, { hasPassword: true }, fp('s3cret'), ['password']],
    ['applied, gobgpd reports another (ours is what counts)', 's3cret', { hasPassword: true, passwordFingerprint: fp('other') }, fp('s3cret'), []],
    ['nothing applied yet (speaker restarted): gobgpd reports the same', 's3cret', { hasPassword: true, passwordFingerprint: fp('s3cret') }, undefined, []],
    ['nothing applied yet: gobgpd reports the old one', 'n3w', { hasPassword: true, passwordFingerprint: fp('s3cret') }, undefined, ['password']],
    ['nothing applied yet, gobgpd does not report it: re-created once', 's3cret', { hasPassword: true }, undefined, ['password']],
  ];
  for (const [name, password, g, applied, expected] of cases) {
    const w: PeerSpec = { ...want, ...(password !== undefined ? { password } : {}) };
    assert.deepEqual(peerConfigDiffers(w, { ...got, ...g }, applied), expected, name);
  }
});
