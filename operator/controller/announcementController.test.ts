// The announcement controller's orchestration, driven through its definition with fakes of
// the caches, the Kubernetes writer and the event sink: every branch of a reconcile.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { V1EndpointSlice, V1Node, V1Service } from '@kubernetes/client-node';
import type { VipAnnouncement } from '../api/types';
import type { VipSpeaker, VipSpeakerStatus } from '../api/vipSpeaker';
import type { ControllerDefinition, KeyRequest } from '../kube/controllerDefinition';
import { KubeApiError } from '../kube/request';
import { Resources, type KubeObject } from '../kube/resources';
import { FakeCaches, FakeEventSink, FakeKubeWriter, type WriterCall } from '../kube/testing';
import { nullLogger } from '../util/log';
import { LatencyTracker, metrics } from '../util/metrics';
import { announcementController } from './announcementController';

const NOW = new Date('2030-01-01T00:00:00Z');

function service(over: Partial<V1Service['spec']> = {}, annotations: Record<string, string> = {}): V1Service {
  return {
    metadata: { name: 'web', namespace: 'shop', uid: 'svc-uid', annotations: { 'vipannouncer.io/loadBalancerIPs': '203.0.113.10', ...annotations } },
    spec: { type: 'LoadBalancer', externalTrafficPolicy: 'Cluster', ...over },
    status: {},
  };
}

/** The Service as the API server holds it once its ingress names the announced address. */
function withIngress(svc: V1Service, ip = '203.0.113.10'): V1Service {
  return { ...svc, status: { loadBalancer: { ingress: [{ ip }] } } };
}

function slice(name: string, ready: boolean, node = 'node-a'): V1EndpointSlice {
  return {
    metadata: { name, namespace: 'shop', labels: { 'kubernetes.io/service-name': 'web' } },
    addressType: 'IPv4',
    endpoints: [{ addresses: ['10.0.0.1'], conditions: { ready, serving: ready }, nodeName: node }],
  };
}

function node(name: string, labels: Record<string, string> = {}): V1Node {
  return { metadata: { name, labels } };
}

/** A node's VipSpeaker: one Established peer, nothing missing, acted up to `rv`. */
function speakerReport(name: string, over: Partial<VipSpeakerStatus> = {}): VipSpeaker {
  return {
    apiVersion: 'vipannouncer.io/v1alpha1',
    kind: 'VipSpeaker',
    metadata: { name },
    status: {
      phase: 'Running',
      heartbeatTime: NOW.toISOString(),
      sessions: [{ address: '192.0.2.1', asn: 65000, state: 'Established', families: ['ipv4-unicast', 'ipv6-unicast'], missing: [], missingCount: 0 }],
      announcementsResourceVersion: '1000',
      ...over,
    },
  };
}

class Rig {
  readonly caches = new FakeCaches();
  readonly writer = new FakeKubeWriter();
  readonly events = new FakeEventSink();
  readonly enqueued: KeyRequest[] = [];
  readonly def: ControllerDefinition;
  readonly latency = new LatencyTracker();
  clock: () => Date = () => NOW;

  constructor() {
    this.def = announcementController({
      latency: this.latency,
      caches: this.caches,
      writer: this.writer,
      events: this.events,
      // Unenforced: these tests are about announcements and status, not ownership (announcementPools.test.ts).
      config: { loadBalancerClasses: [''], resyncPeriodMs: 0, addressOwnership: 'Unenforced' },
      listAnnouncements: () => Promise.resolve(this.caches.informer<VipAnnouncement>(Resources.vipAnnouncements).list()),
      now: () => this.clock(),
    });
    this.caches.informer<V1Node>(Resources.nodes).put(node('node-a')).put(node('node-b'));
  }

  put(svc: V1Service | undefined, ...slices: V1EndpointSlice[]): void {
    if (svc) this.caches.informer<V1Service>(Resources.services).put(svc);
    else this.caches.informer<V1Service>(Resources.services).remove('shop/web');
    for (const s of slices) {
      this.caches.informer<V1EndpointSlice>(Resources.endpointSlices).put(s);
      this.def.watches[1].toKeys('ADDED', s, undefined);
    }
  }

  /** What the API server would hold after the writer's last apply of the announcement. */
  storeApplied(extra: Partial<VipAnnouncement['metadata']> = {}): VipAnnouncement {
    const applied = [...this.writer.calls].reverse().find((c) => c.op === 'apply');
    assert.ok(applied, 'an announcement was applied');
    const body = applied.body as VipAnnouncement;
    const va: VipAnnouncement = { ...body, metadata: { ...body.metadata, uid: 'va-uid', generation: 1, ...extra } };
    this.caches.informer<VipAnnouncement>(Resources.vipAnnouncements).put(va);
    return va;
  }

  /** A report arrives through the watch; returns the keys it enqueued. */
  report(r: VipSpeaker, type: 'ADDED' | 'MODIFIED' = 'ADDED', old?: VipSpeaker): KeyRequest[] {
    this.caches.informer<VipSpeaker>(Resources.vipSpeakers).put(r);
    const w = this.def.watches.find((x) => x.shape.resource.plural === 'vipspeakers');
    assert.ok(w);
    return [...w.toKeys(type, r, old)];
  }

  /** An announcement event through the watch. */
  announcementEvent(va: VipAnnouncement, type: 'ADDED' | 'MODIFIED' = 'ADDED', old?: VipAnnouncement): KeyRequest[] {
    this.caches.informer<VipAnnouncement>(Resources.vipAnnouncements).put(va);
    const w = this.def.watches.find((x) => x.shape.resource.plural === 'vipannouncements');
    assert.ok(w);
    return [...w.toKeys(type, va, old)];
  }

  async reconcile(key = 'shop/web'): Promise<WriterCall[]> {
    const from = this.writer.calls.length;
    await this.def.reconcile(key, { log: nullLogger(), signal: new AbortController().signal, enqueue: (r) => this.enqueued.push(r) });
    return this.writer.calls.slice(from);
  }
}

async function deletesCounted(): Promise<number> {
  return (await metrics.announcementWrites.get()).values.find((v) => v.labels.op === 'delete')?.value ?? 0;
}

const ops = (calls: readonly WriterCall[]): string[] => calls.map((c) => `${c.op} ${c.resource}`);

describe('announcement controller', () => {
  it('creates the announcement and then, in the same reconcile, the ingress; the summary on the next pass; then writes nothing', async () => {
    const rig = new Rig();
    rig.put(service(), slice('web-1', true));
    const first = await rig.reconcile();
    assert.deepEqual(ops(first), ['apply vipannouncements', 'mergePatchStatus services']);
    assert.deepEqual(first[1].body, { loadBalancer: { ingress: [{ ip: '203.0.113.10', ipMode: 'VIP' }] } });
    assert.deepEqual(rig.events.events.map((e) => e.reason), ['AnnouncementCreated']);
    const va = rig.storeApplied();
    assert.deepEqual(va.spec.addresses, ['203.0.113.10']);
    assert.deepEqual(va.metadata.ownerReferences?.[0], { apiVersion: 'v1', kind: 'Service', name: 'web', uid: 'svc-uid', controller: true, blockOwnerDeletion: true });
    // What the API server now holds.
    rig.put(withIngress(service()));

    const second = await rig.reconcile();
    assert.deepEqual(ops(second), ['applyStatus vipannouncements']);
    // Nothing left to write.
    const stored = second[0].body as VipAnnouncement;
    rig.caches.informer<VipAnnouncement>(Resources.vipAnnouncements).put({ ...va, status: stored.status });
    assert.deepEqual(ops(await rig.reconcile()), []);
  });

  it('passes the eligible nodes to the Cluster summary ("1 of 2 eligible nodes")', async () => {
    const rig = new Rig();
    rig.put(service(), slice('web-1', true));
    await rig.reconcile();
    rig.storeApplied();
    rig.report(speakerReport('node-a'));
    const summary = (await rig.reconcile()).find((c) => c.op === 'applyStatus');
    const status = (summary?.body as VipAnnouncement).status;
    const advertised = status?.conditions?.find((c) => c.type === 'Advertised');
    assert.match(advertised?.message ?? '', /1 of 2 eligible nodes/);
    assert.deepEqual(status?.speakers, [{ node: 'node-a', addresses: ['203.0.113.10/32'], peers: [{ address: '192.0.2.1', asn: 65000, state: 'Established', advertised: ['203.0.113.10/32'] }] }]);
    assert.equal(status?.advertisedBy, 1);
  });

  it('updates a spec that differs, with an Event saying what changed', async () => {
    const rig = new Rig();
    rig.put(service(), slice('web-1', true));
    await rig.reconcile();
    rig.storeApplied();
    rig.put(withIngress(service({ externalTrafficPolicy: 'Local' })));
    const calls = await rig.reconcile();
    assert.deepEqual(ops(calls), ['apply vipannouncements']);
    assert.deepEqual((calls[0].body as VipAnnouncement).spec.nodes, ['node-a']);
    assert.match(rig.events.events.at(-1)?.message ?? '', /Cluster, 1 serving endpoints → Local from node-a/);
  });

  it('withdraws when the Service is deleted: a uid-preconditioned delete, counted only when it happened', async () => {
    for (const outcome of ['deleted', 'not-found', 'uid-conflict'] as const) {
      const rig = new Rig();
      rig.put(service());
      await rig.reconcile();
      rig.storeApplied();
      rig.put(undefined);
      rig.writer.respond = (c) => (c.op === 'delete' ? outcome : undefined);
      const before = await deletesCounted();
      const calls = await rig.reconcile();
      assert.deepEqual(calls.map((c) => [c.op, c.uid]), [['delete', 'va-uid']], outcome);
      assert.equal((await deletesCounted()) - before, outcome === 'deleted' ? 1 : 0, outcome);
    }
  });

  it('withdraws when the Service stops being a LoadBalancer, and clears the ingress it wrote', async () => {
    const rig = new Rig();
    rig.put(service());
    await rig.reconcile();
    rig.storeApplied();
    rig.put({ ...service({ type: 'ClusterIP' }), status: { loadBalancer: { ingress: [{ ip: '203.0.113.10' }] } } });
    const calls = await rig.reconcile();
    assert.deepEqual(ops(calls), ['delete vipannouncements', 'mergePatchStatus services']);
    assert.deepEqual(calls[1].body, { loadBalancer: { ingress: [] } });
    assert.deepEqual(rig.events.events.filter((e) => e.type === 'Normal').map((e) => e.reason), ['AnnouncementCreated', 'AnnouncementWithdrawn']);
  });

  it('leaves a hand-made announcement alone: summary only, and a conflict Event for a Service of the same name', async () => {
    const rig = new Rig();
    const handMade: VipAnnouncement = {
      apiVersion: 'vipannouncer.io/v1alpha1',
      kind: 'VipAnnouncement',
      metadata: { name: 'web', namespace: 'shop', uid: 'hand', generation: 2 },
      spec: { addresses: ['198.51.100.7'], externalTrafficPolicy: 'Cluster' },
    };
    rig.caches.informer<VipAnnouncement>(Resources.vipAnnouncements).put(handMade);
    assert.deepEqual(ops(await rig.reconcile()), ['applyStatus vipannouncements']);
    rig.put(service());
    const calls = await rig.reconcile();
    assert.ok(!calls.some((c) => c.op === 'apply' || c.op === 'delete'), 'never takes a hand-made announcement over');
    assert.equal(rig.events.events.at(-1)?.reason, 'AnnouncementConflict');
  });

  it('reports rejected inputs through the event sink on every pass (the sink de-duplicates)', async () => {
    const rig = new Rig();
    rig.put(service({}, { 'vipannouncer.io/localPref': 'high' }));
    await rig.reconcile();
    rig.storeApplied();
    await rig.reconcile();
    await rig.reconcile();
    const problems = rig.events.events.filter((e) => e.type === 'Problems');
    assert.equal(problems.length, 2);
    assert.equal(problems[0].reason, 'InvalidAnnotation');
  });

  it('a spec the API server refuses (422) becomes a condition and a problem, and is not resent until it changes', async () => {
    const rig = new Rig();
    rig.put(service(), slice('web-1', true));
    await rig.reconcile();
    rig.storeApplied();
    rig.put(service({ externalTrafficPolicy: 'Local' }));
    rig.writer.respond = (c) => {
      if (c.op === 'apply') throw new KubeApiError(422, 'Invalid', 'spec.nodes: Forbidden', 'PATCH', '/x');
      return undefined;
    };
    // The plan also holds the ingress of the new spec: a refused spec ends the plan before it.
    assert.deepEqual(ops(await rig.reconcile()), ['apply vipannouncements']);
    assert.deepEqual(rig.enqueued, ['shop/web'], 'comes back at once to report it');
    const report = await rig.reconcile();
    assert.ok(!report.some((c) => c.op === 'apply'), 'the refused body is not sent again');
    const ready = (report.find((c) => c.op === 'applyStatus')?.body as Pick<VipAnnouncement, 'status'>).status?.conditions?.find((c) => c.type === 'Ready');
    assert.equal(ready?.reason, 'AnnouncementRejected');
    assert.ok(rig.events.events.some((e) => e.type === 'Problems' && e.reason === 'AnnouncementRejected'));
    // A different desired spec is tried again.
    rig.writer.respond = () => undefined;
    rig.put(withIngress(service({ externalTrafficPolicy: 'Local' })), slice('web-1', true, 'node-b'));
    assert.deepEqual(ops(await rig.reconcile()), ['apply vipannouncements']);
  });

  it('the ingress follows a spec only once it is written: a refused new address never reaches the ingress', async () => {
    const rig = new Rig();
    rig.put(service(), slice('web-1', true));
    await rig.reconcile();
    rig.storeApplied();
    const moved = service({}, { 'vipannouncer.io/loadBalancerIPs': '203.0.113.20' });
    rig.put(withIngress(moved));
    rig.writer.respond = (c) => {
      if (c.op === 'apply') throw new KubeApiError(422, 'Invalid', 'spec.addresses: Forbidden', 'PATCH', '/x');
      return undefined;
    };
    assert.deepEqual(ops(await rig.reconcile()), ['apply vipannouncements'], 'no ingress patch after the refused spec');
    assert.ok(!(await rig.reconcile()).some((c) => c.op === 'mergePatchStatus'), 'the ingress keeps the announced address');
    rig.writer.respond = () => undefined;
    rig.put(withIngress(service({}, { 'vipannouncer.io/loadBalancerIPs': '203.0.113.30' })));
    const calls = await rig.reconcile();
    assert.deepEqual(ops(calls), ['apply vipannouncements', 'mergePatchStatus services']);
    assert.deepEqual(calls[1].body, { loadBalancer: { ingress: [{ ip: '203.0.113.30', ipMode: 'VIP' }] } });
  });

  it('reads its own writes: until the caches show the spec and ingress it wrote, the key is not planned again', async () => {
    const rig = new Rig();
    rig.put(service(), slice('web-1', true));
    const versions: Record<string, string> = { apply: '100', mergePatchStatus: '101', applyStatus: '102' };
    rig.writer.respond = (c) => ({ metadata: { resourceVersion: versions[c.op] } });
    assert.deepEqual(ops(await rig.reconcile()), ['apply vipannouncements', 'mergePatchStatus services']);
    // The caches still hold what they held before the writes: another pass would write again.
    const ctx = { log: nullLogger(), signal: new AbortController().signal, enqueue: (r: KeyRequest) => rig.enqueued.push(r) };
    const result = await rig.def.reconcile('shop/web', ctx);
    assert.equal(rig.writer.calls.length, 2, 'nothing written while the caches are behind');
    assert.ok((result?.requeueAfter ?? 0) > 0, 'looks again if the events never come');
    // The announcement's event alone is not enough: the Service's is still to come.
    const va = rig.storeApplied({ resourceVersion: '100' });
    rig.announcementEvent(va);
    assert.deepEqual(ops(await rig.reconcile()), []);
    const svc = { ...withIngress(service()), metadata: { ...service().metadata, resourceVersion: '101' } };
    rig.put(svc);
    rig.def.watches[0].toKeys('MODIFIED', svc, undefined);
    assert.deepEqual(ops(await rig.reconcile()), ['applyStatus vipannouncements'], 'then the summary, once');
  });

  it('maps events to keys: slices to their Service, Node heartbeats to nothing, our own status writes to nothing', () => {
    const rig = new Rig();
    rig.put(service());
    const [, slices, nodes, vas] = rig.def.watches;
    assert.deepEqual([...slices.toKeys('ADDED', slice('web-1', true), undefined)], ['shop/web']);
    const n = node('node-a');
    assert.deepEqual([...nodes.toKeys('MODIFIED', { ...n, status: { conditions: [] } } as V1Node, n)], []);
    assert.deepEqual([...nodes.toKeys('MODIFIED', node('node-a', { 'node.kubernetes.io/exclude-from-external-load-balancers': '' }), n)], ['shop/web']);
    const va = { metadata: { name: 'web', namespace: 'shop', generation: 1 }, spec: { externalTrafficPolicy: 'Cluster' } };
    assert.deepEqual([...vas.toKeys('MODIFIED', { ...va, status: { advertisedBy: 1 } } as KubeObject, va)], []);
    assert.deepEqual([...vas.toKeys('MODIFIED', { ...va, metadata: { ...va.metadata, generation: 2 } }, va)], ['shop/web']);
  });

  it('a Node that changes eligibility (excluded, included, deleted, added) re-derives every announcement, hand-made ones too', () => {
    const rig = new Rig();
    rig.put(service());
    rig.caches.informer<VipAnnouncement>(Resources.vipAnnouncements).put({ apiVersion: 'vipannouncer.io/v1alpha1', kind: 'VipAnnouncement', metadata: { name: 'manual', namespace: 'ops', generation: 1 }, spec: { addresses: ['203.0.113.20'], externalTrafficPolicy: 'Cluster' } });
    const nodes = rig.def.watches.find((w) => w.shape.resource.plural === 'nodes');
    assert.ok(nodes);
    const keys = (type: 'ADDED' | 'MODIFIED' | 'DELETED', n: V1Node, old?: V1Node): string[] => [...nodes.toKeys(type, n, old)].map((k) => (typeof k === 'string' ? k : k.key)).sort();
    const included = node('node-a');
    const excludedNode = node('node-a', { 'node.kubernetes.io/exclude-from-external-load-balancers': '' });
    assert.deepEqual(keys('MODIFIED', excludedNode, included), ['ops/manual', 'shop/web']);
    assert.deepEqual(keys('MODIFIED', included, excludedNode), ['ops/manual', 'shop/web']);
    assert.deepEqual(keys('DELETED', included), ['ops/manual', 'shop/web']);
    assert.deepEqual(keys('ADDED', node('node-c')), ['ops/manual', 'shop/web']);
    assert.deepEqual(keys('MODIFIED', node('node-a', { other: 'x' }), included), []);
    const cordoned: V1Node = { ...included, spec: { unschedulable: true } };
    assert.deepEqual(keys('MODIFIED', cordoned, included), ['ops/manual', 'shop/web'], 'cordoned');
    assert.deepEqual(keys('MODIFIED', included, cordoned), ['ops/manual', 'shop/web'], 'uncordoned');
  });

  it('times events only while leading: a standby keeps no latency entries, and a stopped term forgets them', () => {
    const rig = new Rig();
    rig.put(service());
    const [services] = rig.def.watches;
    services.toKeys('MODIFIED', service(), service());
    assert.equal(rig.latency.size, 0, 'standby: nothing tracked');
    assert.deepEqual([...rig.def.fullSyncKeys()], ['shop/web'], 'a term starts with a full sync');
    services.toKeys('MODIFIED', service(), service());
    assert.equal(rig.latency.size, 1, 'leader: the event is timed');
    void rig.def.onStop?.();
    assert.equal(rig.latency.size, 0, 'a new term starts empty');
  });

  it('counts announcements that are not advertised, for alerts, and forgets deleted ones', async () => {
    const notAdvertised = async (): Promise<number> => (await metrics.notAdvertised.get()).values[0]?.value ?? 0;
    const rig = new Rig();
    rig.put(service(), slice('web-1', true));
    await rig.reconcile();
    rig.storeApplied();
    await rig.reconcile(); // summary: Pending, nobody reported
    assert.equal(await notAdvertised(), 1);
    rig.report(speakerReport('node-a'));
    await rig.reconcile();
    assert.equal(await notAdvertised(), 0);
    rig.report(speakerReport('node-a', { phase: 'Stopped' }), 'MODIFIED', speakerReport('node-a'));
    await rig.reconcile();
    assert.equal(await notAdvertised(), 1);
    rig.put(undefined);
    await rig.reconcile();
    assert.equal(await notAdvertised(), 0, 'a withdrawn announcement is not counted');
  });

  it('never says Advertised for a generation a node has not acted on: holds, then says whom it waits for', async () => {
    const rig = new Rig();
    rig.put(service(), slice('web-1', true));
    await rig.reconcile();
    const va = rig.storeApplied({ resourceVersion: '2000' });
    rig.report(speakerReport('node-a', { announcementsResourceVersion: '1999' }));
    rig.announcementEvent(va);
    const held = await rig.reconcile();
    assert.deepEqual(ops(held).filter((o) => o.startsWith('applyStatus')), [], 'held: nothing written within ACT_HOLD_MS');
    assert.deepEqual(rig.enqueued.at(-1), { key: 'shop/web', afterMs: 2_000 });
    // The node acts: its report's watermark passes 2000, which enqueues the awaiting key.
    const before = speakerReport('node-a', { announcementsResourceVersion: '1999' });
    assert.deepEqual(rig.report(speakerReport('node-a', { announcementsResourceVersion: '2000' }), 'MODIFIED', before), ['vipspeaker:node-a', { key: 'shop/web', afterMs: 150 }]);
    const summary = (await rig.reconcile()).find((c) => c.op === 'applyStatus');
    const advertised = (summary?.body as VipAnnouncement).status?.conditions?.find((c) => c.type === 'Advertised');
    assert.equal(advertised?.status, 'True');
  });

  it('past the hold, a node that has not acted is named and not counted', async () => {
    let now = NOW.getTime();
    const rig = new Rig();
    rig.put(service({ externalTrafficPolicy: 'Local' }), slice('web-1', true, 'node-a'));
    await rig.reconcile();
    const va = rig.storeApplied({ resourceVersion: '2000' });
    rig.report(speakerReport('node-a', { announcementsResourceVersion: '1500' }));
    rig.announcementEvent(va);
    rig.clock = () => new Date((now += 2_500));
    const summary = (await rig.reconcile()).find((c) => c.op === 'applyStatus');
    const advertised = (summary?.body as VipAnnouncement).status?.conditions?.find((c) => c.type === 'Advertised');
    assert.equal(advertised?.status, 'Unknown');
    assert.match(advertised?.message ?? '', /waiting for node-a to act on generation 1/);
  });

  it('a report whose heartbeat went stale stops counting: the liveness key re-enqueues the node\'s announcements', async () => {
    let now = NOW.getTime();
    const rig = new Rig();
    rig.clock = () => new Date(now);
    rig.put(service(), slice('web-1', true));
    await rig.reconcile();
    rig.storeApplied();
    rig.report(speakerReport('node-a'));
    const first = await rig.def.reconcile('vipspeaker:node-a', { log: nullLogger(), signal: new AbortController().signal, enqueue: (r) => rig.enqueued.push(r) });
    assert.ok(first && typeof first === 'object' && (first.requeueAfter ?? 0) > 29_000, 'rechecked when the heartbeat goes stale');
    now += 31_000;
    rig.enqueued.length = 0;
    await rig.def.reconcile('vipspeaker:node-a', { log: nullLogger(), signal: new AbortController().signal, enqueue: (r) => rig.enqueued.push(r) });
    assert.deepEqual(rig.enqueued, ['shop/web']);
    const summary = (await rig.reconcile()).find((c) => c.op === 'applyStatus');
    assert.equal((summary?.body as VipAnnouncement).status?.advertisedBy, 0);
  });
});
