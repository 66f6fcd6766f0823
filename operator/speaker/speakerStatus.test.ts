import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { SpeakerStatus } from '../api/types';
import type { PeerState } from '../gobgp/types';
import { entrySettled, indexAdjOut, speakerEntry, speakerEntryChanged } from './speakerStatus';

const now = new Date('2024-05-06T07:08:09.987Z');
const peers: PeerState[] = [
  { address: '2001:DB8::1', asn: 65001, state: 'Established' },
  { address: '192.0.2.2', asn: 65000, state: 'Active' },
  { address: '192.0.2.1', asn: 65000, state: 'Established', localAddress: '192.0.2.11' },
];
const adjOut = indexAdjOut(new Map<string, string[]>([
  ['192.0.2.1', ['203.0.113.10/32', '198.51.100.99/32']], // another announcement's prefix too
  ['192.0.2.2', ['203.0.113.10/32']], // stale: the session is not Established
  ['2001:db8:0::1', ['2001:DB8::10/128']],
]));

void test('speakerEntry: per-peer state and advertised prefixes of this announcement', () => {
  assert.deepEqual(speakerEntry('node-a', ['2001:db8::10/128', '203.0.113.10/32'], peers, adjOut, now), {
    node: 'node-a',
    addresses: ['203.0.113.10/32', '2001:db8::10/128'],
    peers: [
      { address: '192.0.2.1', asn: 65000, state: 'Established', advertised: ['203.0.113.10/32'] },
      { address: '192.0.2.2', asn: 65000, state: 'Active', advertised: [] },
      { address: '2001:db8::1', asn: 65001, state: 'Established', advertised: ['2001:db8::10/128'] },
    ],
    lastUpdateTime: '2024-05-06T07:08:09Z',
  });
});

void test('speakerEntry: the BFD state of peers that run BFD', () => {
  const bfdPeers: PeerState[] = [{ ...peers[2], address: '192.0.2.1', bfd: 'Up' }, { address: '192.0.2.2', asn: 65000, state: 'Active' }];
  const entry = speakerEntry('node-a', ['203.0.113.10/32'], bfdPeers, adjOut, now);
  assert.deepEqual(entry?.peers, [
    { address: '192.0.2.1', asn: 65000, state: 'Established', advertised: ['203.0.113.10/32'], bfd: 'Up' },
    { address: '192.0.2.2', asn: 65000, state: 'Active', advertised: [] },
  ]);
});

void test('speakerEntry: edge cases', () => {
  assert.equal(speakerEntry('node-a', [], peers, adjOut, now), null);
  assert.deepEqual(speakerEntry('node-a', ['203.0.113.10/32'], [], new Map(), now), {
    node: 'node-a',
    addresses: ['203.0.113.10/32'],
    peers: [],
    lastUpdateTime: '2024-05-06T07:08:09Z',
  });
  const noAdj = speakerEntry('node-a', ['203.0.113.10/32'], [{ address: '192.0.2.1', asn: 1, state: 'Established' }], new Map(), now);
  assert.deepEqual(noAdj?.peers, [{ address: '192.0.2.1', asn: 1, state: 'Established', advertised: [] }]);
});

void test('speakerEntryChanged ignores time and order, sees every reported change', () => {
  const base = speakerEntry('node-a', ['203.0.113.10/32', '2001:db8::10/128'], peers, adjOut, now);
  assert.ok(base);
  const later: SpeakerStatus = { ...base, lastUpdateTime: '2030-01-01T00:00:00Z' };
  const reordered: SpeakerStatus = {
    ...base,
    addresses: [...base.addresses].reverse(),
    peers: [...base.peers].reverse().map((p) => ({ ...p, advertised: [...p.advertised].reverse() })),
  };
  const withPeer = (i: number, change: Partial<SpeakerStatus['peers'][number]>): SpeakerStatus => ({
    ...base,
    peers: base.peers.map((p, j) => (j === i ? { ...p, ...change } : p)),
  });
  const cases: Array<[string, SpeakerStatus | null | undefined, SpeakerStatus | null | undefined, boolean]> = [
    ['identical', base, base, false],
    ['only lastUpdateTime differs', base, later, false],
    ['lists in another order', reordered, base, false],
    ['both absent', null, undefined, false],
    ['entry appears', undefined, base, true],
    ['entry goes', base, null, true],
    ['session state changed', base, withPeer(1, { state: 'Established' }), true],
    ['advertised changed', base, withPeer(0, { advertised: [] }), true],
    ['peer asn changed', base, withPeer(0, { asn: 65099 }), true],
    ['addresses changed', base, { ...base, addresses: ['203.0.113.10/32'] }, true],
    ['peer gone', base, { ...base, peers: base.peers.slice(1) }, true],
    ['node changed', base, { ...base, node: 'node-b' }, true],
    ['BFD state appears', base, withPeer(0, { bfd: 'Up' }), true],
    ['BFD state changed', withPeer(0, { bfd: 'Up' }), withPeer(0, { bfd: 'Down' }), true],
  ];
  for (const [name, prev, next, want] of cases) assert.equal(speakerEntryChanged(prev, next), want, name);
});

void test('speakerEntryChanged tolerates a stored entry the API server returned without empty lists', () => {
  const next = speakerEntry('node-a', ['203.0.113.10/32'], [{ address: '192.0.2.2', asn: 1, state: 'Idle' }], new Map(), now);
  assert.ok(next);
  const stored = {
    node: 'node-a',
    addresses: ['203.0.113.10/32'],
    peers: [{ address: '192.0.2.2', asn: 1, state: 'Idle' }],
    lastUpdateTime: 'x',
  } as unknown as SpeakerStatus;
  assert.equal(speakerEntryChanged(stored, next), false);
});

void test('entrySettled: every Established peer advertises every address; peers that are down do not count', () => {
  const entry = (peers: SpeakerStatus['peers']): SpeakerStatus => ({ node: 'n', addresses: ['203.0.113.10/32', '2001:db8::10/128'], peers, lastUpdateTime: 'x' });
  const all = ['203.0.113.10/32', '2001:db8::10/128'];
  assert.equal(entrySettled(null), true);
  assert.equal(entrySettled(entry([])), true);
  assert.equal(entrySettled(entry([{ address: '192.0.2.1', asn: 1, state: 'Established', advertised: all }])), true);
  assert.equal(entrySettled(entry([{ address: '192.0.2.1', asn: 1, state: 'Established', advertised: all.slice(0, 1) }])), false);
  assert.equal(entrySettled(entry([{ address: '192.0.2.1', asn: 1, state: 'Established', advertised: [] }])), false);
  assert.equal(entrySettled(entry([{ address: '192.0.2.1', asn: 1, state: 'Active', advertised: [] }, { address: '192.0.2.2', asn: 1, state: 'Established', advertised: all }])), true);
});
