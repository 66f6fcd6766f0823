import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { VipAnnouncement } from '../api/types';
import type { VipSpeaker, VipSpeakerStatus } from '../api/vipSpeaker';
import { FakeCaches } from '../kube/testing';
import { Resources } from '../kube/resources';
import { reportDelta, SpeakerReports, STALE_MS } from './speakerReports';

const base: VipSpeakerStatus = {
  phase: 'Running',
  sessions: [{ address: '192.0.2.1', asn: 65000, state: 'Established', missing: [], missingCount: 0 }],
  exceptions: [],
  exceptionsCount: 0,
  announcementsResourceVersion: '10',
  heartbeatTime: '2030-01-01T00:00:00Z',
};

void test('reportDelta: which announcements a report change concerns', () => {
  const cases: Array<{ name: string; after: VipSpeakerStatus | undefined; want: unknown }> = [
    { name: 'heartbeat only', after: { ...base, heartbeatTime: '2030-01-01T00:00:10Z' }, want: { all: false, prefixes: [], keys: [] } },
    { name: 'a session went down', after: { ...base, sessions: [{ ...base.sessions![0], state: 'Idle' }] }, want: { all: true, prefixes: [], keys: [] } },
    { name: 'a peer\'s ASN changed (status lists each peer\'s ASN)', after: { ...base, sessions: [{ ...base.sessions![0], asn: 65001 }] }, want: { all: true, prefixes: [], keys: [] } },
    { name: 'a peer added', after: { ...base, sessions: [...base.sessions!, { address: '192.0.2.2', asn: 65000, state: 'Active', missing: [], missingCount: 0 }] }, want: { all: true, prefixes: [], keys: [] } },
    { name: 'the table synced with the node excluded (or included again)', after: { ...base, eligible: false }, want: { all: true, prefixes: [], keys: [] } },
    { name: 'the table synced with the node draining (or uncordoned again)', after: { ...base, draining: true }, want: { all: true, prefixes: [], keys: [] } },
    { name: 'stopped', after: { ...base, phase: 'Stopped' }, want: { all: true, prefixes: [], keys: [] } },
    { name: 'gone', after: undefined, want: { all: true, prefixes: [], keys: [] } },
    { name: 'a prefix missing', after: { ...base, sessions: [{ ...base.sessions![0], missing: ['203.0.113.10/32'], missingCount: 1 }] }, want: { all: false, prefixes: ['203.0.113.10/32'], keys: [] } },
    { name: 'a refusal', after: { ...base, exceptions: [{ announcement: 'ns/a', prefix: '8.8.8.8/32', reason: 'NotInPool' }], exceptionsCount: 1 }, want: { all: false, prefixes: [], keys: ['ns/a'] } },
    { name: 'the watermark', after: { ...base, announcementsResourceVersion: '20' }, want: { all: false, prefixes: [], keys: [], watermark: [10, 20] } },
  ];
  for (const c of cases) assert.deepEqual(reportDelta(base, c.after), c.want, c.name);
});

void test('SpeakerReports: generations seen, keys by prefix and watermark, staleness', () => {
  let now = Date.parse('2030-01-01T00:00:05Z');
  const caches = new FakeCaches();
  const reports = caches.informer<VipSpeaker>(Resources.vipSpeakers);
  const vas = caches.informer<VipAnnouncement>(Resources.vipAnnouncements);
  const r = new SpeakerReports(reports, () => now);
  const va: VipAnnouncement = { apiVersion: 'vipannouncer.io/v1alpha1', kind: 'VipAnnouncement', metadata: { namespace: 'ns', name: 'a', generation: 3, resourceVersion: '15' }, spec: { addresses: ['203.0.113.10'], externalTrafficPolicy: 'Cluster' } };
  vas.put(va);
  r.observeAnnouncement('ADDED', va);
  assert.deepEqual(r.generationOf('ns/a'), { generation: 3, rv: 15, at: now });
  const advertised: VipAnnouncement = { ...va, metadata: { ...va.metadata, name: 'b' }, status: { observedGeneration: 3, conditions: [{ type: 'Advertised', status: 'True', reason: 'Advertised', message: '', lastTransitionTime: '' }] } };
  r.observeAnnouncement('ADDED', advertised);
  vas.put(advertised);
  assert.equal(r.generationOf('ns/b')?.rv, 0, 'a previous controller saw it advertised: acted on');

  const s: VipSpeaker = { apiVersion: 'vipannouncer.io/v1alpha1', kind: 'VipSpeaker', metadata: { name: 'node-a' }, status: base };
  reports.put(s);
  assert.deepEqual(r.reportKeys('ADDED', s, undefined, vas).sort(), ['ns/a', 'ns/b'], 'a new report: every announcement the node originates');
  r.awaiting.set('ns/a', 15);
  const moved = { ...s, status: { ...base, announcementsResourceVersion: '20' } };
  reports.put(moved);
  assert.deepEqual(r.reportKeys('MODIFIED', moved, s, vas), ['ns/a'], 'the watermark passed what ns/a waits for');
  const missing = { ...moved, status: { ...moved.status, sessions: [{ ...base.sessions![0], missing: ['203.0.113.10/32'], missingCount: 1 }] } };
  reports.put(missing);
  assert.deepEqual(r.reportKeys('MODIFIED', missing, moved, vas).sort(), ['ns/a', 'ns/b'], 'both ask for the prefix now missing');

  assert.equal(r.counting().length, 1);
  assert.equal(r.liveness('node-a').changed, false);
  now += STALE_MS + 1;
  assert.equal(r.counting().length, 0, 'no event for three heartbeats');
  assert.deepEqual(r.liveness('node-a'), { changed: true });
});
