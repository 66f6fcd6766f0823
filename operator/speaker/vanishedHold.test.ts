import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { PathSpec } from '../gobgp/types';
import type { NodePaths } from './pathsForNode';
import { holdVanished, VANISHED_HOLD_MS } from './vanishedHold';

const path = (prefix: string): PathSpec => ({ prefix, family: 'ipv4-unicast', nextHop: '0.0.0.0', communities: [], largeCommunities: [] });
const previous: NodePaths = {
  paths: [path('198.51.100.1/32'), path('198.51.100.2/32')],
  prefixesByAnnouncement: new Map([
    ['ns/a', ['198.51.100.1/32']],
    ['ns/b', ['198.51.100.2/32']],
  ]),
  conflicts: [],
  invalid: [],
  refused: [],
};
const base = { previous, eligible: true, heldSince: new Map<string, number>(), now: 1_000 };
const prefixes = (ps: readonly PathSpec[]): string[] => ps.map((p) => p.prefix).sort();

void test('a vanished announcement keeps its path for the hold time, then lets it go', () => {
  const first = holdVanished({ ...base, desired: [path('198.51.100.2/32')], present: new Set(['ns/b']) });
  assert.deepEqual(prefixes(first.paths), ['198.51.100.1/32', '198.51.100.2/32']);
  assert.equal(first.recheckInMs, VANISHED_HOLD_MS);
  const later = holdVanished({ ...base, desired: [path('198.51.100.2/32')], present: new Set(['ns/b']), heldSince: first.heldSince, now: 1_000 + VANISHED_HOLD_MS - 1 });
  assert.deepEqual(prefixes(later.paths), ['198.51.100.1/32', '198.51.100.2/32']);
  assert.equal(later.recheckInMs, 1);
  const expired = holdVanished({ ...base, desired: [path('198.51.100.2/32')], present: new Set(['ns/b']), heldSince: first.heldSince, now: 1_000 + VANISHED_HOLD_MS });
  assert.deepEqual(prefixes(expired.paths), ['198.51.100.2/32']);
  assert.equal(expired.recheckInMs, undefined);
});

void test('nothing is held when the announcement still exists (its spec changed), or the node may not announce', () => {
  const changed = holdVanished({ ...base, desired: [path('198.51.100.2/32')], present: new Set(['ns/a', 'ns/b']) });
  assert.deepEqual(prefixes(changed.paths), ['198.51.100.2/32']);
  const excluded = holdVanished({ ...base, eligible: false, desired: [], present: new Set() });
  assert.deepEqual(excluded.paths, []);
});

void test('an announcement that comes back ends the hold: nothing left to hold', () => {
  const back = holdVanished({ ...base, desired: previous.paths, present: new Set(['ns/a', 'ns/b']), heldSince: new Map([['198.51.100.1/32', 900]]) });
  assert.deepEqual(prefixes(back.paths), ['198.51.100.1/32', '198.51.100.2/32']);
  assert.equal(back.heldSince.size, 0);
});
