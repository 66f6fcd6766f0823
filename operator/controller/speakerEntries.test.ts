import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { SpeakerStatus, VipAnnouncement, VipAnnouncementSpec } from '../api/types';
import type { SessionReport, VipSpeaker, VipSpeakerStatus } from '../api/vipSpeaker';
import { capEntries, entryAdvertises, speakerEntries, speakersEqual } from './speakerEntries';

const va = (spec: Partial<VipAnnouncementSpec> = {}): VipAnnouncement => ({
  apiVersion: 'vipannouncer.io/v1alpha1',
  kind: 'VipAnnouncement',
  metadata: { namespace: 'ns', name: 'web', generation: 2 },
  spec: { addresses: ['203.0.113.10', '2001:db8::10'], externalTrafficPolicy: 'Cluster', ...spec },
});
const session = (over: Partial<SessionReport> = {}): SessionReport => ({ address: '192.0.2.1', asn: 65000, state: 'Established', families: ['ipv4-unicast', 'ipv6-unicast'], missing: [], missingCount: 0, ...over });
const report = (name: string, status: Partial<VipSpeakerStatus> = {}): VipSpeaker => ({
  apiVersion: 'vipannouncer.io/v1alpha1',
  kind: 'VipSpeaker',
  metadata: { name },
  status: { phase: 'Running', sessions: [session()], announcementsResourceVersion: '100', ...status },
});
const all = (): boolean => true;

void test('speakerEntries: per node and peer, what is advertised', () => {
  const cases: Array<{ name: string; r: VipSpeaker; advertised: string[] | 'none'; refused?: unknown }> = [
    { name: 'everything', r: report('a'), advertised: ['203.0.113.10/32', '2001:db8::10/128'] },
    { name: 'one missing', r: report('a', { sessions: [session({ missing: ['203.0.113.10/32'], missingCount: 1 })] }), advertised: ['2001:db8::10/128'] },
    { name: 'family not carried', r: report('a', { sessions: [session({ families: ['ipv4-unicast'] })] }), advertised: ['203.0.113.10/32'] },
    { name: 'session down', r: report('a', { sessions: [session({ state: 'Active' })] }), advertised: [] },
    { name: 'missing truncated: nothing vouched for', r: report('a', { sessions: [session({ missing: ['10.0.0.1/32'], missingCount: 40 })] }), advertised: [] },
    {
      name: 'refused by the pools: not expected, and shown',
      r: report('a', { exceptions: [{ announcement: 'ns/web', prefix: '2001:db8::10/128', reason: 'NotInPool' }], exceptionsCount: 1 }),
      advertised: ['203.0.113.10/32'],
      refused: [{ prefix: '2001:db8::10/128', reason: 'NotInPool' }],
    },
    {
      // A hand-made address the controller judged outside every pool is left out of the spec it
      // reads: the nodes' refusals of it are not listed (the node has nothing of it to show).
      name: 'refused, and not asked',
      r: report('a', { exceptions: [{ announcement: 'ns/web', prefix: '198.51.100.1/32', reason: 'NotInPool' }], exceptionsCount: 1 }),
      advertised: ['203.0.113.10/32', '2001:db8::10/128'],
    },
    { name: 'exceptions truncated: nothing vouched for', r: report('a', { exceptions: [], exceptionsCount: 70 }), advertised: [] },
  ];
  for (const c of cases) {
    const { entries, waitingFor } = speakerEntries({ va: va(), reports: [c.r], eligible: all, sinceRv: 0 });
    assert.deepEqual(waitingFor, [], c.name);
    assert.deepEqual(entries[0]?.peers[0]?.advertised, c.advertised, c.name);
    assert.deepEqual(entries[0]?.refused, c.refused, c.name);
  }
  // Nothing left asked, only a refusal of what the controller already left out: the node is not listed.
  const refusedOnly = report('a', { exceptions: [{ announcement: 'ns/web', prefix: '203.0.113.10/32', reason: 'NotInPool' }], exceptionsCount: 1 });
  assert.deepEqual(speakerEntries({ va: va({ addresses: [] }), reports: [refusedOnly], eligible: all, sinceRv: 0 }).entries, []);
});

void test('speakerEntries: only nodes the spec asks, eligible ones, and only once they acted on the generation', () => {
  const reports = [report('a'), report('b', { announcementsResourceVersion: '99' }), report('c'), report('x')];
  const local = va({ externalTrafficPolicy: 'Local', nodes: ['a', 'b', 'c'] });
  const got = speakerEntries({ va: local, reports, eligible: (n) => n !== 'c', sinceRv: 100 });
  assert.deepEqual(got.entries.map((e) => e.node), ['a']);
  assert.deepEqual(got.waitingFor, ['b']);
  const noEndpoints = speakerEntries({ va: va({ endpoints: { ready: 0, serving: 0 } }), reports, eligible: all, sinceRv: 0 });
  assert.deepEqual(noEndpoints.entries, []);
});

void test('speakerEntries: a node counts only once its own report says its table was synced eligible (a node just included)', () => {
  const reports = [report('a'), report('b', { eligible: false }), report('c', { eligible: true })];
  const got = speakerEntries({ va: va(), reports, eligible: all, sinceRv: 0 });
  assert.deepEqual(got.entries.map((e) => e.node), ['a', 'c'], 'absent (an older speaker) counts; false does not');
  assert.deepEqual(got.waitingFor, []);
  const excluded = speakerEntries({ va: va(), reports, eligible: (n) => n !== 'c', sinceRv: 0 });
  assert.deepEqual(excluded.entries.map((e) => e.node), ['a'], 'the Node excluded: dropped whatever the report says');
});

void test('capEntries: those not advertising first, then by node; the rest counted', () => {
  const entry = (node: string, ok: boolean): SpeakerStatus => ({ node, addresses: ['203.0.113.10/32'], peers: [{ address: '192.0.2.1', asn: 1, state: 'Established', advertised: ok ? ['203.0.113.10/32'] : [] }] });
  const entries = [entry('n3', true), entry('n1', true), entry('n2', false), entry('n4', true)];
  assert.equal(entryAdvertises(entries[0]), true);
  const { shown, omitted } = capEntries(entries, 2);
  assert.deepEqual(shown.map((e) => e.node), ['n2', 'n1']);
  assert.equal(omitted, 2);
  assert.equal(speakersEqual(shown, [...shown]), true);
  const bounded = capEntries(entries, 16, JSON.stringify(entries[0]).length * 3);
  assert.deepEqual([bounded.shown.length, bounded.omitted], [3, 1], 'the byte budget binds before the count');
  assert.equal(speakersEqual(shown, [entry('n2', true), entry('n1', true)]), false);
});

void test('speakerEntries: a draining node counts for Local only; uncordoned, for Cluster once its own sync says so', () => {
  const cluster = va();
  const local = va({ externalTrafficPolicy: 'Local', nodes: ['a', 'b'] });
  const reports = [report('a'), report('b', { draining: true })];
  const nodes = (v: VipAnnouncement, draining: (n: string) => boolean): string[] => speakerEntries({ va: v, reports, eligible: all, draining, sinceRv: 0 }).entries.map((e) => e.node);
  // b's last sync ran cordoned: not counted for Cluster even though its Node is uncordoned by now.
  assert.deepEqual(nodes(cluster, () => false), ['a']);
  // a is cordoned by its Node: out at once.
  assert.deepEqual(nodes(cluster, (n) => n === 'a'), []);
  assert.deepEqual(nodes(local, (n) => n === 'a'), ['a', 'b']);
});
