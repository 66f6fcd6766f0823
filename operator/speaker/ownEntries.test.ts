import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { SpeakerStatus } from '../api/types';
import { OwnEntries } from './ownEntries';

const entry = (prefix: string): SpeakerStatus => ({
  node: 'node-a',
  addresses: [prefix],
  peers: [{ address: '192.0.2.1', asn: 65000, state: 'Established', advertised: [prefix] }],
  lastUpdateTime: '2024-05-06T07:08:09Z',
});
const A = entry('203.0.113.10/32');
const B = entry('203.0.113.11/32');

void test('OwnEntries: with no record, the cached entry decides', () => {
  const o = new OwnEntries(10_000);
  assert.equal(o.needsWrite('ns/x', null, A, 0), true);
  assert.equal(o.needsWrite('ns/x', A, A, 0), false);
  assert.equal(o.needsWrite('ns/x', { ...A, lastUpdateTime: '2030-01-01T00:00:00Z' }, A, 0), false, 'timestamps alone do not count');
  assert.equal(o.observe('ns/x', '5', null, 0), false, 'nothing written, nothing lost');
});

void test('OwnEntries: a write in flight is not repeated while the cache lags', () => {
  const o = new OwnEntries(10_000);
  o.recordWrite('ns/x', A, '10', 0);
  // Events of other writers from before our write: the cache has no entry of ours yet.
  assert.equal(o.observe('ns/x', '8', null, 100), false);
  assert.equal(o.needsWrite('ns/x', null, A, 200), false);
  // A new value is written at once, pending or not.
  assert.equal(o.needsWrite('ns/x', null, B, 200), true);
});

void test('OwnEntries: once the cache showed our write, a changed or lost entry is repaired', () => {
  const o = new OwnEntries(10_000);
  o.recordWrite('ns/x', A, '10', 0);
  assert.equal(o.observe('ns/x', '10', A, 100), false, 'our write arrived as written');
  assert.equal(o.observe('ns/x', '12', null, 200), true, 'someone removed our entry afterwards');
  assert.equal(o.needsWrite('ns/x', null, A, 300), true);
  assert.equal(o.needsWrite('ns/x', A, A, 300), false);
});

void test('OwnEntries: a write the cache never showed stops being pending after the TTL', () => {
  const o = new OwnEntries(10_000);
  o.recordWrite('ns/x', A, '10', 0);
  assert.equal(o.needsWrite('ns/x', null, A, 9_999), false);
  assert.equal(o.needsWrite('ns/x', null, A, 10_000), true);
  assert.equal(o.observe('ns/x', '15', null, 10_000), true);
});

void test('OwnEntries: forget drops the record (announcement deleted)', () => {
  const o = new OwnEntries(10_000);
  o.recordWrite('ns/x', A, '10', 0);
  o.forget('ns/x');
  assert.equal(o.needsWrite('ns/x', null, A, 1), true);
  assert.equal(o.observe('ns/x', '11', null, 1), false);
});

void test('OwnEntries: an absent entry written as absent', () => {
  const o = new OwnEntries(10_000);
  o.recordWrite('ns/x', null, '10', 0);
  assert.equal(o.needsWrite('ns/x', A, null, 1), false, 'pending: the stale cached entry is ignored');
  assert.equal(o.observe('ns/x', '10', null, 2), false);
  assert.equal(o.needsWrite('ns/x', null, null, 3), false);
  assert.equal(o.observe('ns/x', '11', A, 4), true);
});

void test('OwnEntries: a relist that skipped our version but shows our entry counts as caught up', () => {
  const o = new OwnEntries(10_000);
  o.recordWrite('ns/x', A, '10', 0);
  assert.equal(o.observe('ns/x', '14', A, 100), false, 'relisted at a later version, our entry in it');
  // No longer pending: a later removal by someone else is seen and repaired.
  assert.equal(o.observe('ns/x', '16', null, 200), true);
  assert.equal(o.needsWrite('ns/x', null, A, 300), true);
});
