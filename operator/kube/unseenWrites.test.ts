import { test } from 'node:test';
import assert from 'node:assert/strict';
import { UnseenWrites } from './unseenWrites';

function rig(): { w: UnseenWrites; cache: Map<string, string>; clock: { t: number } } {
  const cache = new Map<string, string>();
  const clock = { t: 0 };
  const w = new UnseenWrites((resource, key) => cache.get(`${resource} ${key}`), 1_000, () => clock.t);
  return { w, cache, clock };
}

void test('a write waits until its version, or a newer one, is in the cache; each resource on its own', () => {
  const { w } = rig();
  w.wrote('ns/a', 'vipannouncements', '10');
  w.wrote('ns/a', 'services', '11');
  assert.equal(w.waitMs('ns/a'), 1_000);
  assert.equal(w.waitMs('ns/b'), 0, 'other keys do not wait');
  w.observed('ns/a', 'vipannouncements', '9');
  w.observed('ns/a', 'services', '10');
  assert.ok(w.waitMs('ns/a') > 0, 'older versions do not count');
  w.observed('ns/a', 'vipannouncements', '10');
  assert.ok(w.waitMs('ns/a') > 0, 'the Service write is still unseen');
  w.observed('ns/a', 'services', '12');
  assert.equal(w.waitMs('ns/a'), 0);
  assert.equal(w.size, 0);
});

void test('a write the cache already shows (its event came first, or it changed nothing) is not remembered', () => {
  const { w, cache } = rig();
  cache.set('services ns/a', '20');
  w.wrote('ns/a', 'services', '20');
  cache.set('vipannouncements ns/a', '31');
  w.wrote('ns/a', 'vipannouncements', '30');
  assert.equal(w.waitMs('ns/a'), 0);
});

void test('an event that never comes is waited for at most the TTL; versions that are not numbers are not remembered', () => {
  const { w, clock } = rig();
  w.wrote('ns/a', 'services', '5');
  clock.t = 400;
  assert.equal(w.waitMs('ns/a'), 600);
  clock.t = 1_000;
  assert.equal(w.waitMs('ns/a'), 0);
  assert.equal(w.size, 0, 'forgotten');
  w.wrote('ns/b', 'services', 'abc');
  w.wrote('ns/b', 'services', undefined);
  assert.equal(w.waitMs('ns/b'), 0);
});
