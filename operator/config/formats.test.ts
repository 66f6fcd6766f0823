import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatDuration, parseDuration } from './duration';
import { checkTarget } from '../gobgp/client';
import { FORMATS, isGobgpTarget, isListenAddress } from './formats';
import { validateConfigText } from './load';

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
