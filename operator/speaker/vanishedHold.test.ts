import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { PathSpec } from '../gobgp/types';
import type { NodePaths } from './pathsForNode';
import { holdVanished, VANISHED_HOLD_MS, type HeldPath } from './vanishedHold';

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
const base = { previous, eligible: true, held: new Map<string, HeldPath>(), now: 1_000 };
const prefixes = (ps: readonly PathSpec[]): string[] => ps.map((p) => p.prefix).sort();

void test('a vanished announcement keeps its path for the hold time, then lets it go', () => {
  const first = holdVanished({ ...base, desired: [path('198.51.100.2/32')], present: new Set(['ns/b']) });
  assert.deepEqual(prefixes(first.paths), ['198.51.100.1/32', '198.51.100.2/32']);
  assert.equal(first.recheckInMs, VANISHED_HOLD_MS);
  const later = holdVanished({ ...base, desired: [path('198.51.100.2/32')], present: new Set(['ns/b']), held: first.held, now: 1_000 + VANISHED_HOLD_MS - 1 });
  assert.deepEqual(prefixes(later.paths), ['198.51.100.1/32', '198.51.100.2/32']);
  assert.equal(later.recheckInMs, 1);
  const expired = holdVanished({ ...base, desired: [path('198.51.100.2/32')], present: new Set(['ns/b']), held: first.held, now: 1_000 + VANISHED_HOLD_MS });
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
  const held = new Map([['198.51.100.1/32', { path: path('198.51.100.1/32'), keys: ['ns/a'], since: 900 }]]);
  const back = holdVanished({ ...base, desired: previous.paths, present: new Set(['ns/a', 'ns/b']), held });
  assert.deepEqual(prefixes(back.paths), ['198.51.100.1/32', '198.51.100.2/32']);
  assert.equal(back.held.size, 0);
});

void test('a later sync inside the hold keeps holding, though its previous paths no longer name the vanished announcement', () => {
  const first = holdVanished({ ...base, desired: [path('198.51.100.2/32')], present: new Set(['ns/b']) });
  // What the speaker recorded after the first sync: the desired paths alone.
  const after: NodePaths = { ...previous, paths: [path('198.51.100.2/32')], prefixesByAnnouncement: new Map([['ns/b', ['198.51.100.2/32']]]) };
  const second = holdVanished({ ...base, previous: after, desired: [path('198.51.100.2/32')], present: new Set(['ns/b']), held: first.held, now: 1_500 });
  assert.deepEqual(prefixes(second.paths), ['198.51.100.1/32', '198.51.100.2/32']);
  assert.equal(second.recheckInMs, VANISHED_HOLD_MS - 500, 'the hold keeps its first deadline');
  const expired = holdVanished({ ...base, previous: after, desired: [path('198.51.100.2/32')], present: new Set(['ns/b']), held: second.held, now: 1_000 + VANISHED_HOLD_MS });
  assert.deepEqual(prefixes(expired.paths), ['198.51.100.2/32']);
});

void test('an announcement back with a spec that no longer asks for the prefix ends its hold', () => {
  const first = holdVanished({ ...base, desired: [path('198.51.100.2/32')], present: new Set(['ns/b']) });
  const after: NodePaths = { ...previous, paths: [path('198.51.100.2/32')], prefixesByAnnouncement: new Map([['ns/b', ['198.51.100.2/32']]]) };
  const changed = holdVanished({ ...base, previous: after, desired: [path('198.51.100.2/32')], present: new Set(['ns/a', 'ns/b']), held: first.held, now: 1_100 });
  assert.deepEqual(prefixes(changed.paths), ['198.51.100.2/32']);
  assert.equal(changed.held.size, 0);
});
