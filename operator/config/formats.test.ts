import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatDuration, parseDuration } from './duration';
import { checkTarget } from '../gobgp/client';
import { FORMATS, isGobgpTarget, isListenAddress } from './formats';
import { validateConfigText } from './load';
import { canonicalIp, canonicalPrefix, compareIp, hostPrefix, ipFamily, isIpv4Mapped, splitHostPort } from './ip';

void test('parseDuration', () => {
  const cases: Array<[string, number | undefined]> = [
    ['0', 0],
    ['0s', 0],
    ['500ms', 500],
    ['30s', 30_000],
    ['5m', 300_000],
    ['1h30m', 5_400_000],
    ['1.5s', 1500],
    ['2h0m1s', 7_201_000],
    ['1.5ms', undefined],
    ['90', undefined],
    ['5 minutes', undefined],
    ['-1s', undefined],
    ['', undefined],
    ['1d', undefined],
  ];
  for (const [text, want] of cases) assert.equal(parseDuration(text), want, text);
});

void test('formatDuration', () => {
  const cases: Array<[number, string]> = [
    [0, '0s'],
    [500, '500ms'],
    [90_000, '1m30s'],
    [3_600_000, '1h'],
  ];
  for (const [ms, want] of cases) assert.equal(formatDuration(ms), want);
});

void test('ipFamily refuses zone ids and non-canonical IPv4', () => {
  const cases: Array<[string, 4 | 6 | undefined]> = [
    ['192.0.2.1', 4],
    ['2001:db8::1', 6],
    ['::', 6],
    ['fe80::1%eth0', undefined],
    ['01.2.3.4', undefined],
    ['192.0.2.300', undefined],
    ['host', undefined],
  ];
  for (const [text, want] of cases) assert.equal(ipFamily(text), want, text);
});

void test('canonicalIp follows RFC 5952 like Go', () => {
  const cases: Array<[string, string | undefined]> = [
    ['2001:DB8:0:0:0:0:0:10', '2001:db8::10'],
    ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1'],
    ['2001:0:0:1:0:0:0:1', '2001:0:0:1::1'],
    ['2001:db8:0:1:1:1:1:1', '2001:db8:0:1:1:1:1:1'],
    ['::', '::'],
    ['::1', '::1'],
    ['1::', '1::'],
    ['::ffff:192.0.2.1', '::ffff:c000:201'],
    ['192.0.2.1', '192.0.2.1'],
    ['nope', undefined],
  ];
  for (const [text, want] of cases) assert.equal(canonicalIp(text), want, text);
});

void test('prefix helpers', () => {
  assert.equal(hostPrefix('203.0.113.10'), '203.0.113.10/32');
  assert.equal(hostPrefix('2001:DB8::10'), '2001:db8::10/128');
  assert.equal(hostPrefix('x'), undefined);
  assert.equal(canonicalPrefix('2001:DB8:0::10/128'), '2001:db8::10/128');
  assert.equal(canonicalPrefix('10.0.0.1/33'), '10.0.0.1/33');
  assert.equal(canonicalPrefix('garbage'), 'garbage');
  assert.ok(isIpv4Mapped('::ffff:10.0.0.1'));
  assert.ok(!isIpv4Mapped('2001:db8::1'));
  assert.deepEqual(['2001:db8::1', '10.0.0.10', '10.0.0.9', 'zz'].sort(compareIp), ['10.0.0.9', '10.0.0.10', '2001:db8::1', 'zz']);
});

void test('splitHostPort', () => {
  assert.deepEqual(splitHostPort('127.0.0.1:50051'), { host: '127.0.0.1', port: 50051 });
  assert.deepEqual(splitHostPort('[::1]:179'), { host: '::1', port: 179 });
  assert.equal(splitHostPort('::1:179'), undefined);
  assert.equal(splitHostPort('[127.0.0.1]:179'), undefined);
  assert.equal(splitHostPort('127.0.0.1:0'), undefined);
  assert.equal(splitHostPort('127.0.0.1:65536'), undefined);
  assert.equal(splitHostPort('127.0.0.1'), undefined);
});

void test('gobgp target: loopback host:port or unix:///absolute only', () => {
  const cases: Array<[string, boolean]> = [
    ['127.0.0.1:50051', true],
    ['127.0.0.11:50051', true],
    ['[::1]:50051', true],
    ['localhost:50051', true],
    ['unix:///run/gobgpd.sock', true],
    ['unix:/run/gobgpd.sock', false],
    ['unix:relative.sock', false],
    ['unix:///', false],
    ['10.0.0.1:50051', false],
    ['[2001:db8::1]:50051', false],
    ['gobgp.example.com:50051', false],
    ['dns:///localhost:50051', false],
    ['127.0.0.1', false],
    ['localhost:0', false],
  ];
  for (const [text, want] of cases) assert.equal(isGobgpTarget(text), want, text);
});

void test('gobgp target: the configuration accepts exactly what the client opens', () => {
  // Each of these once passed one side and failed the other (exit 1 at run time instead of 2 at load).
  const targets = ['[::1]:50051', '[0:0:0:0:0:0:0:1]:50051', 'unix:relative.sock', '127.0.0.1:99999', '[::ffff:127.0.0.1]:50051', 'localhost:50051'];
  for (const target of targets) {
    let clientAccepts = true;
    try {
      checkTarget(target);
    } catch {
      clientAccepts = false;
    }
    assert.equal(isGobgpTarget(target), clientAccepts, target);
    const config = `speaker: {nodeName: n, asn: 1, gobgp: {target: "${target}"}, peers: [{address: 192.0.2.1, asn: 2}]}`;
    assert.equal(validateConfigText(config).ok, clientAccepts, target);
  }
});

void test('listen address', () => {
  assert.ok(isListenAddress('0.0.0.0:9464'));
  assert.ok(isListenAddress('[::]:9464'));
  assert.ok(!isListenAddress(':9464'));
  assert.ok(!isListenAddress('localhost:9464'));
  assert.ok(FORMATS['router-id']?.validate('10.0.0.1'));
  assert.ok(!FORMATS['router-id']?.validate('0.0.0.0'));
  assert.ok(!FORMATS['router-id']?.validate('2001:db8::1'));
});
