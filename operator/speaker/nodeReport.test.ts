import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { PathSpec, PeerState } from '../gobgp/types';
import { indexAdjOut, missingPrefixes, nodeReport, reportChanged, reportUrgent, sessionReports } from './nodeReport';

const path = (prefix: string): PathSpec => ({ prefix, family: prefix.includes(':') ? 'ipv6-unicast' : 'ipv4-unicast', nextHop: '0.0.0.0', communities: [], largeCommunities: [] });
const current = {
  paths: [path('203.0.113.10/32'), path('203.0.113.11/32'), path('2001:db8::10/128')],
  refused: [{ announcement: 'ns/b', prefix: '8.8.8.8/32', reason: 'NotInPool' }],
  invalid: [{ announcement: 'ns/c', field: 'addresses' as const, value: '::ffff:1.2.3.4', reason: 'IPv4-mapped' }],
};
const configured = [
  { address: '192.0.2.1', asn: 65000, families: ['ipv4-unicast' as const] },
  { address: '192.0.2.2', asn: 65000, families: ['ipv4-unicast' as const, 'ipv6-unicast' as const] },
];

void test('nodeReport: per session only the prefixes of its families missing while Established; exceptions; counts', () => {
  const peers: PeerState[] = [
    { address: '192.0.2.2', asn: 65000, state: 'Active' },
    { address: '192.0.2.1', asn: 65000, state: 'Established', bfd: 'Up' },
  ];
  const adjOut = indexAdjOut(new Map([['192.0.2.1', ['203.0.113.10/32']], ['192.0.2.2', ['203.0.113.10/32']]]));
  const r = nodeReport({ current, peers, configured, adjOut, watermark: 42, eligible: true });
  assert.deepEqual(r.sessions, [
    { address: '192.0.2.1', asn: 65000, state: 'Established', bfd: 'Up', families: ['ipv4-unicast'], missing: ['203.0.113.11/32'], missingCount: 1 },
    { address: '192.0.2.2', asn: 65000, state: 'Active', families: ['ipv4-unicast', 'ipv6-unicast'], missing: [], missingCount: 0 },
  ]);
  assert.deepEqual([r.sessionsTotal, r.sessionsEstablished, r.originated, r.missing, r.exceptionsCount], [2, 1, 3, 1, 2]);
  assert.deepEqual(r.exceptions, [
    { announcement: 'ns/b', prefix: '8.8.8.8/32', reason: 'NotInPool' },
    { announcement: 'ns/c', prefix: '::ffff:1.2.3.4', reason: 'Invalid' },
  ]);
  assert.equal(r.announcementsResourceVersion, '42');
  assert.equal(r.gobgpReachable, true);
  assert.equal(r.eligible, true);
  assert.equal(nodeReport({ current, peers, configured, adjOut, watermark: 42, eligible: false }).eligible, false, 'says how the table was last synced');
});

void test('nodeReport: gobgpd unreachable shows every configured session Unknown', () => {
  const r = nodeReport({ current, peers: undefined, configured, adjOut: new Map(), watermark: 1, eligible: true });
  assert.equal(r.gobgpReachable, false);
  assert.deepEqual(r.sessions?.map((s) => `${s.address} ${s.state}`), ['192.0.2.1 Unknown', '192.0.2.2 Unknown']);
});

void test('nodeReport: the missing list is capped, its count is not', () => {
  const many = { ...current, paths: Array.from({ length: 40 }, (_, i) => path(`10.0.0.${i}/32`)) };
  const r = nodeReport({ current: many, peers: [{ address: '192.0.2.1', asn: 65000, state: 'Established' }], configured, adjOut: new Map(), watermark: 1, eligible: true });
  assert.equal(r.sessions?.[0]?.missing?.length, 32);
  assert.equal(r.sessions?.[0]?.missingCount, 40);
  assert.equal(r.missing, 40);
});

void test('reportChanged ignores the heartbeat; reportUrgent: anything but a watermark moved by status-only events', () => {
  const a = nodeReport({ current, peers: [], configured, adjOut: new Map(), watermark: 10, eligible: true });
  assert.equal(reportChanged({ ...a, heartbeatTime: 'x' }, { ...a, heartbeatTime: 'y' }), false);
  const b = { ...a, announcementsResourceVersion: '20' };
  assert.equal(reportChanged(a, b), true);
  assert.equal(reportUrgent(a, b, [10]), false, 'what is awaited (10) was already reported');
  assert.equal(reportUrgent(a, b, [20]), true, 'a spec change of ours acted on: the controller waits for it');
  assert.equal(reportUrgent(a, b, [30]), false, 'not reached yet');
  assert.equal(reportUrgent(a, { ...a, originated: 9 }, []), true);
});

void test('reportUrgent: passing any awaited revision is urgent, not only the latest (a cold start reports progress)', () => {
  const a = nodeReport({ current, peers: [], configured, adjOut: new Map(), watermark: 10, eligible: true });
  const b = { ...a, announcementsResourceVersion: '20' };
  assert.equal(reportUrgent(a, b, [15, 40]), true, '15 is passed although 40 is not');
  assert.equal(reportUrgent(a, b, [5, 40]), false);
});

void test('missingPrefixes lists every missing prefix (untruncated); leaveOut keeps prefixes out of the report', () => {
  const paths = Array.from({ length: 40 }, (_, i) => ({ prefix: `203.0.113.${i}/32`, family: 'ipv4-unicast' as const, nextHop: '0.0.0.0', communities: [], largeCommunities: [] }));
  const many = { paths, refused: [], invalid: [] };
  const peers: PeerState[] = [{ address: '192.0.2.1', asn: 65000, state: 'Established' }];
  const adjOut = indexAdjOut(new Map([['192.0.2.1', ['203.0.113.0/32']]]));
  assert.equal(missingPrefixes(sessionReports({ current: many, peers, configured, adjOut })).size, 39);
  const leaveOut = new Set(paths.slice(1, 30).map((p) => p.prefix));
  const r = nodeReport({ current: many, peers, configured, adjOut, watermark: 1, eligible: true, leaveOut });
  assert.equal(r.sessions?.[0]?.missingCount, 10);
  assert.equal(r.missing, 10);
  assert.ok(!(r.sessions?.[0]?.missing ?? []).includes('203.0.113.1/32'));
});
