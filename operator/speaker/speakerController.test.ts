// The speaker's reconcile, driven key by key over fakes: caches (FakeCaches), the API
// server (FakeKubeWriter) and gobgpd (FakeRouter).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { V1EndpointSlice, V1Namespace, V1Node, V1NodeSystemInfo, V1Service } from '@kubernetes/client-node';
import type { VipPool } from '../api/pool';
import type { VipAnnouncement, VipAnnouncementSpec } from '../api/types';
import type { VipSpeakerStatus } from '../api/vipSpeaker';
import { Secret, type SpeakerConfig } from '../config/types';
import { EXCLUDE_FROM_LB_LABEL } from '../api/labels';
import { UNINSTALL_ANNOTATION } from '../api/uninstall';
import { GobgpError } from '../gobgp/client';
import { FakeRouter } from '../gobgp/fakeRouter';
import type { PathSpec } from '../gobgp/types';
import type { KeyRequest } from '../kube/controllerDefinition';
import type { ChangeType } from '../kube/informer';
import { KubeApiError } from '../kube/request';
import { Resources, type KubeObject, type ResourceRef } from '../kube/resources';
import { FakeCaches, FakeKubeWriter, type WriterCall } from '../kube/testing';
import { secretFingerprint } from '../util/fingerprint';
import { nullLogger } from '../util/log';
import { LatencyTracker, metrics } from '../util/metrics';
import { speakerRole, withdrawsOnStop, type SpeakerDeps, type SpeakerRole } from './speakerController';
import { VANISHED_HOLD_MS } from './vanishedHold';
import { TEST_NODE, testPeer, testSpeakerConfig } from './testFixtures';

const NODE = TEST_NODE;
const peer = testPeer;
const config = testSpeakerConfig;

function node(ip: string, labels: Record<string, string> = {}): V1Node {
  return { metadata: { name: NODE, labels }, status: { addresses: [{ type: 'InternalIP', address: ip }] } };
}

function va(name: string, addresses: string[], spec: Partial<VipAnnouncementSpec> = {}): VipAnnouncement {
  return { apiVersion: 'vipannouncer.io/v1alpha1', kind: 'VipAnnouncement', metadata: { namespace: 'ns', name, resourceVersion: '1' }, spec: { addresses, externalTrafficPolicy: 'Cluster', ...spec } };
}

/** One speaker over fakes; `enqueued` collects what its reconciles and peer events asked for. */
class Harness {
  readonly caches = new FakeCaches();
  readonly router: FakeRouter;
  readonly writer: FakeKubeWriter;
  readonly latency = new LatencyTracker();
  readonly enqueued: KeyRequest[] = [];
  readonly role: SpeakerRole;
  /** The speaker's clock (ms); tests move it. */
  clock = 1_000_000;
  private rv = 100;

  constructor(cfg: SpeakerConfig = config(), router = new FakeRouter(), opts: { writer?: FakeKubeWriter; shutdownDeadlineMs?: number; readPasswordFile?: (file: string) => string; podNamespace?: string; readNamespace?: SpeakerDeps['readNamespace'] } = {}) {
    this.router = router;
    this.writer = opts.writer ?? new FakeKubeWriter();
    const deps = { caches: this.caches, router, writer: this.writer, config: cfg, log: nullLogger(), now: () => this.clock, latency: this.latency };
    const passwords = opts.readPasswordFile ? { readPasswordFile: opts.readPasswordFile, passwordPollMs: 0 } : {};
    this.role = speakerRole({ ...deps, shutdownDeadlineMs: opts.shutdownDeadlineMs, podNamespace: opts.podNamespace, readNamespace: opts.readNamespace, ...passwords });
    // The API server answers a status apply with a new resourceVersion.
    this.writer.respond = (call) => (call.op === 'applyStatus' ? this.withNewVersion(call) : undefined);
  }

  private withNewVersion(call: WriterCall): KubeObject {
    const body = call.body as KubeObject;
    return { ...body, metadata: { ...body.metadata, resourceVersion: String(++this.rv) } };
  }

  /** The cache sees the change; returns the keys the matching watch asked for. */
  event<T extends KubeObject>(resource: ResourceRef, type: ChangeType, obj: T, old?: T): KeyRequest[] {
    const cache = this.caches.informer<T>(resource);
    if (type === 'DELETED') cache.remove(`${obj.metadata?.namespace ? obj.metadata.namespace + '/' : ''}${obj.metadata?.name}`);
    else cache.put(obj);
    const w = this.role.controller.watches.find((x) => x.shape.resource.plural === resource.plural);
    assert.ok(w, `a watch on ${resource.plural}`);
    return [...w.toKeys(type, obj, old)];
  }

  reconcile(key: string): Promise<unknown> {
    return this.role.controller.reconcile(key, { log: nullLogger(), signal: new AbortController().signal, enqueue: (r) => this.enqueued.push(r) });
  }

  /** The drift check, as the runner does it every driftCheckPeriod: the full-sync keys (gobgpd's listing, then the table). */
  async driftCheck(): Promise<unknown> {
    this.role.controller.fullSyncKeys();
    await this.reconcile('verify');
    return this.reconcile('table');
  }

  /** Node and announcements in the caches, then one table and one status reconcile. */
  async coldStart(n: V1Node, vas: VipAnnouncement[]): Promise<void> {
    this.event(Resources.nodes, 'ADDED', n);
    for (const a of vas) this.event(Resources.vipAnnouncements, 'ADDED', a);
    await this.reconcile('table');
    await this.reconcile('status');
  }

  statusWrites(): WriterCall[] {
    return this.writer.calls.filter((c) => c.op === 'applyStatus');
  }

  /** The report of the last status write. */
  lastReport(): VipSpeakerStatus {
    const w = this.statusWrites().at(-1);
    assert.ok(w, 'a report was written');
    assert.equal(w.resource, 'vipspeakers');
    return (w.body as { status: VipSpeakerStatus }).status;
  }

  localPrefixes(): string[] {
    return [...this.router.paths.values()].map((p) => p.prefix).sort();
  }
}

void describe('speaker definition', () => {
  void test('declares the speaker controller: not leader-elected, the drift check as period (table, status, and the listing of gobgpd apart)', () => {
    const def = new Harness(config({ driftCheckPeriodMs: 45_000 })).role.controller;
    assert.equal(def.name, 'speaker');
    assert.equal(def.leaderElected, false);
    assert.equal(def.concurrency, 2);
    assert.equal(def.requeueAllPeriodMs, 45_000);
    assert.deepEqual([...def.fullSyncKeys()], ['table', 'status', 'verify']);
    assert.deepEqual(
      def.watches.map((w) => [w.shape.resource.plural, w.selector]),
      [
        ['vipannouncements', undefined],
        ['services', undefined],
        ['endpointslices', undefined],
        ['nodes', { fieldSelector: `metadata.name=${NODE}` }],
        ['vippools', undefined],
        ['namespaces', undefined],
      ],
    );
  });

  void test('Node events: only exclusion and InternalIP changes reach the table', () => {
    const h = new Harness();
    const n = node('10.0.0.5');
    assert.deepEqual(h.event(Resources.nodes, 'ADDED', n), ['table']);
    assert.deepEqual(h.event(Resources.nodes, 'MODIFIED', { ...n, metadata: { ...n.metadata, annotations: { a: 'b' } } }, n), []);
    assert.deepEqual(h.event(Resources.nodes, 'MODIFIED', node('10.0.0.6'), n), ['table']);
    assert.deepEqual(h.event(Resources.nodes, 'MODIFIED', node('10.0.0.5', { [EXCLUDE_FROM_LB_LABEL]: '' }), n), ['table']);
  });
});

void describe('speaker table: BGP instance → import policy → paths → peers', () => {
  void test('cold start: starts BGP, adds the paths, then the peer (its session comes up with every route), then writes each entry once', async () => {
    const h = new Harness();
    h.event(Resources.nodes, 'ADDED', node('10.0.0.5'));
    assert.deepEqual(h.event(Resources.vipAnnouncements, 'ADDED', va('a', ['203.0.113.10'])), ['table']);
    await h.reconcile('table');
    assert.deepEqual(h.router.calls, [
      'getBgp()',
      'startBgp(65001 10.0.0.5 179)',
      'getImportPolicy()',
      'listPolicies()',
      'addPolicy(vip-announcer-import)',
      'setImportPolicy(vip-announcer-import reject)',
      'softResetIn()',
      'watchPeerEvents()',
      'listPath(ipv4-unicast global)',
      'listPath(ipv6-unicast global)',
      'addPaths(1)',
      'listPeers()',
      'addPeer(192.0.2.1)',
    ]);
    assert.deepEqual(h.localPrefixes(), ['203.0.113.10/32']);
    assert.deepEqual(h.enqueued, [{ key: 'status', afterMs: 50 }]);
    assert.equal(h.role.gobgpReachable(), true);

    await h.reconcile('status');
    await h.reconcile('status');
    // The object first (owned by the Node, when known), then one report.
    assert.deepEqual(h.writer.calls.map((c) => `${c.op} ${c.resource} ${c.name}`), ['apply vipspeakers node-a', 'applyStatus vipspeakers node-a']);
    const report = h.lastReport();
    assert.deepEqual(
      { ...report, heartbeatTime: undefined },
      {
        phase: 'Running',
        gobgpReachable: true,
        eligible: true,
        sessions: [{ address: '192.0.2.1', asn: 64512, state: 'Active', families: ['ipv4-unicast', 'ipv6-unicast'], missing: [], missingCount: 0 }],
        sessionsTotal: 1,
        sessionsEstablished: 0,
        originated: 1,
        missing: 0,
        exceptions: [],
        exceptionsCount: 0,
        announcementsResourceVersion: '1',
        heartbeatTime: undefined,
      },
    );
    assert.equal(report.heartbeatTime, '1970-01-01T00:16:40Z');
  });

  void test('a changed Node InternalIP (router id) restarts BGP; peers and paths are re-created', async () => {
    const h = new Harness();
    await h.coldStart(node('10.0.0.5'), [va('a', ['203.0.113.10'])]);
    assert.deepEqual(h.event(Resources.nodes, 'MODIFIED', node('10.0.0.6'), node('10.0.0.5')), ['table']);
    h.router.calls.splice(0);
    await h.reconcile('table');
    assert.deepEqual(h.router.calls.slice(0, 5), [
      'getBgp()',
      'stopBgp()',
      'startBgp(65001 10.0.0.6 179)',
      'getImportPolicy()',
      'listPolicies()',
    ]);
    assert.deepEqual(h.router.calls.slice(-2), ['listPeers()', 'addPeer(192.0.2.1)']);
    assert.deepEqual(h.router.callsOf('addPaths'), ['addPaths(1)']);
    assert.equal(h.router.global?.routerId, '10.0.0.6');
    assert.deepEqual(h.localPrefixes(), ['203.0.113.10/32']);
    assert.equal(h.router.activeWatches, 1, 'the old event stream is closed, a new one open');
  });

  void test('a configured router id wins over the Node address: no restart when only the Node changes', async () => {
    const h = new Harness(config({ routerId: '10.9.9.9' }));
    await h.coldStart(node('10.0.0.5'), []);
    h.event(Resources.nodes, 'MODIFIED', node('10.0.0.6'), node('10.0.0.5'));
    await h.reconcile('table');
    assert.deepEqual(h.router.callsOf('stopBgp'), []);
    assert.equal(h.router.global?.routerId, '10.9.9.9');
  });

  void test('another ASN than gobgpd runs (speaker restarted with a new config) restarts BGP', async () => {
    const router = new FakeRouter();
    await new Harness(config(), router).coldStart(node('10.0.0.5'), [va('a', ['203.0.113.10'])]);
    const h = new Harness(config({ asn: 65002 }), router);
    await h.coldStart(node('10.0.0.5'), [va('a', ['203.0.113.10'])]);
    assert.deepEqual(router.callsOf('stopBgp'), ['stopBgp()']);
    assert.deepEqual(router.callsOf('startBgp'), ['startBgp(65001 10.0.0.5 179)', 'startBgp(65002 10.0.0.5 179)']);
    assert.equal(router.global?.asn, 65002);
    assert.deepEqual(h.localPrefixes(), ['203.0.113.10/32']);
    assert.deepEqual([...router.peers.keys()], ['192.0.2.1']);
  });

  void test('same global config after a speaker restart: nothing restarted, nothing re-added', async () => {
    const router = new FakeRouter();
    await new Harness(config(), router).coldStart(node('10.0.0.5'), [va('a', ['203.0.113.10'])]);
    router.calls.splice(0);
    await new Harness(config(), router).coldStart(node('10.0.0.5'), [va('a', ['203.0.113.10'])]);
    assert.deepEqual(router.calls.filter((c) => /^(stopBgp|startBgp|addPeer|deletePeer|deletePath)/.test(c)), []);
    assert.deepEqual(router.callsOf('addPaths'), ['addPaths(0)']);
  });

  void test('peers: a new one is added, a removed one deleted, a changed one re-created, an equal one left alone', async () => {
    const router = new FakeRouter();
    await new Harness(config({ peers: [peer('192.0.2.1'), peer('192.0.2.2'), peer('192.0.2.3')] }), router).coldStart(node('10.0.0.5'), []);
    router.calls.splice(0);
    const h = new Harness(config({ peers: [peer('192.0.2.1'), peer('192.0.2.3', { asn: 64999 }), peer('192.0.2.4')] }), router);
    await h.coldStart(node('10.0.0.5'), []);
    assert.deepEqual(router.calls.filter((c) => /Peer\(/.test(c)), ['deletePeer(192.0.2.3)', 'addPeer(192.0.2.3)', 'addPeer(192.0.2.4)', 'deletePeer(192.0.2.2)']);
    assert.deepEqual([...router.peers.keys()].sort(), ['192.0.2.1', '192.0.2.3', '192.0.2.4']);
    assert.equal(router.peers.get('192.0.2.3')?.asn, 64999);
  });

  void test('a deleted announcement: its path is withdrawn, the others stay', async () => {
    const h = new Harness();
    const gone = va('b', ['203.0.113.11']);
    await h.coldStart(node('10.0.0.5'), [va('a', ['203.0.113.10']), gone]);
    assert.deepEqual(h.localPrefixes(), ['203.0.113.10/32', '203.0.113.11/32']);
    assert.deepEqual(h.event(Resources.vipAnnouncements, 'DELETED', gone), ['table']);
    h.router.calls.splice(0);
    await h.reconcile('table');
    assert.deepEqual(h.router.callsOf('deletePath'), [], 'held a moment: it may come right back');
    assert.deepEqual(h.enqueued.at(-2), { key: 'table', afterMs: VANISHED_HOLD_MS });
    h.clock += VANISHED_HOLD_MS;
    await h.reconcile('table');
    assert.deepEqual(h.router.callsOf('deletePath'), ['deletePath(203.0.113.11/32)']);
    assert.deepEqual(h.localPrefixes(), ['203.0.113.10/32']);
  });

  void test('an announcement deleted and re-created at once (by hand, or its controller) is never withdrawn, even when other announcements change inside the hold', async () => {
    const h = new Harness();
    const a = va('a', ['203.0.113.10']);
    const b = va('b', ['203.0.113.11']);
    await h.coldStart(node('10.0.0.5'), [a, b]);
    h.event(Resources.vipAnnouncements, 'DELETED', a);
    h.router.calls.splice(0);
    await h.reconcile('table');
    // Another announcement's change syncs the table while `a` is away.
    h.clock += 50;
    h.event(Resources.vipAnnouncements, 'ADDED', va('c', ['203.0.113.12']));
    await h.reconcile('table');
    h.clock += 50;
    h.event(Resources.vipAnnouncements, 'ADDED', { ...a, metadata: { ...a.metadata, uid: 'new', resourceVersion: '9' } });
    await h.reconcile('table');
    h.clock += VANISHED_HOLD_MS;
    await h.reconcile('table');
    assert.deepEqual(h.router.callsOf('deletePath'), []);
    assert.deepEqual(h.localPrefixes(), ['203.0.113.10/32', '203.0.113.11/32', '203.0.113.12/32']);
  });

  void test('a node excluded from load balancers originates nothing, and withdraws once the label appears', async () => {
    const excluded = new Harness();
    await excluded.coldStart(node('10.0.0.5', { [EXCLUDE_FROM_LB_LABEL]: '' }), [va('a', ['203.0.113.10'])]);
    assert.deepEqual(excluded.localPrefixes(), []);
    assert.equal(excluded.lastReport().originated, 0);
    assert.equal(excluded.lastReport().eligible, false, 'the report says the table was synced excluded');

    const h = new Harness();
    await h.coldStart(node('10.0.0.5'), [va('a', ['203.0.113.10'])]);
    h.event(Resources.nodes, 'MODIFIED', node('10.0.0.5', { [EXCLUDE_FROM_LB_LABEL]: '' }), node('10.0.0.5'));
    await h.reconcile('table');
    assert.deepEqual(h.localPrefixes(), []);
  });

  void test('peers per rack: a node peers only with the peers whose nodeSelector selects it, one no peer selects originates nothing and says why, and a label change re-peers it', async () => {
    const rackA = { nodeSelector: { matchLabels: { rack: 'a' } } };
    const cfg = config({ peers: [peer('192.0.2.1', rackA), peer('192.0.2.2', { nodeSelector: { matchLabels: { rack: 'b' } } })] });
    const h = new Harness(cfg);
    await h.coldStart(node('10.0.0.5', { rack: 'c' }), [va('a', ['203.0.113.10'])]);
    assert.deepEqual([...h.router.peers.keys()], [], 'no peer selects a node of rack c');
    assert.deepEqual(h.localPrefixes(), []);
    assert.deepEqual([h.lastReport().eligible, h.lastReport().notEligibleReason, h.lastReport().sessionsTotal], [false, 'NoPeerSelectsNode', 0]);

    // Moved to rack a: the Node event asks for a table sync, which adds rack a's peer only.
    assert.deepEqual(h.event(Resources.nodes, 'MODIFIED', node('10.0.0.5', { rack: 'a' }), node('10.0.0.5', { rack: 'c' })), ['table']);
    await h.reconcile('table');
    await h.reconcile('status');
    assert.deepEqual([...h.router.peers.keys()], ['192.0.2.1']);
    assert.deepEqual(h.localPrefixes(), ['203.0.113.10/32']);
    assert.deepEqual([h.lastReport().eligible, h.lastReport().notEligibleReason], [true, undefined]);

    // A label no selector reads is no table sync; moving to rack b swaps the peers.
    assert.deepEqual(h.event(Resources.nodes, 'MODIFIED', node('10.0.0.5', { rack: 'a', zone: 'z1' }), node('10.0.0.5', { rack: 'a' })), []);
    assert.deepEqual(h.event(Resources.nodes, 'MODIFIED', node('10.0.0.5', { rack: 'b' }), node('10.0.0.5', { rack: 'a', zone: 'z1' })), ['table']);
    await h.reconcile('table');
    assert.deepEqual([...h.router.peers.keys()], ['192.0.2.2']);
    assert.deepEqual(h.router.callsOf('deletePeer'), ['deletePeer(192.0.2.1)']);
  });

  void test('per-node ASN from a Node label: each peer gets it as its local AS; a label change re-creates only the peers, BGP keeps running; an invalid value falls back', async () => {
    const h = new Harness(config({ asnFrom: { label: 'example.com/asn' } }));
    await h.coldStart(node('10.0.0.5', { 'example.com/asn': '65010' }), [va('a', ['203.0.113.10'])]);
    assert.deepEqual(h.router.callsOf('startBgp'), ['startBgp(65001 10.0.0.5 179)'], 'the global AS is the configuration\'s');
    const localAsn = (): number | undefined => h.router.peers.get('192.0.2.1')?.config.localAsn;
    assert.equal(localAsn(), 65010);
    assert.deepEqual(h.event(Resources.nodes, 'MODIFIED', node('10.0.0.5', { 'example.com/asn': '65011' }), node('10.0.0.5', { 'example.com/asn': '65010' })), ['table']);
    await h.reconcile('table');
    assert.equal(localAsn(), 65011);
    assert.deepEqual(h.router.callsOf('deletePeer'), ['deletePeer(192.0.2.1)'], 're-created for the new AS');
    assert.deepEqual([h.router.callsOf('stopBgp'), h.router.callsOf('startBgp').length], [[], 1], 'BGP itself keeps running');
    assert.deepEqual(h.localPrefixes(), ['203.0.113.10/32']);
    // Not an AS number: the configuration's, as at a Node without the label.
    h.event(Resources.nodes, 'MODIFIED', node('10.0.0.5', { 'example.com/asn': 'sixty-five' }), node('10.0.0.5', { 'example.com/asn': '65011' }));
    await h.reconcile('table');
    assert.equal(localAsn(), 65001);
  });

  void test('a cordoned node withdraws its Cluster-policy prefixes, keeps its Local ones, says so in its report, and takes them back when uncordoned', async () => {
    const anns = [va('a', ['203.0.113.10']), va('b', ['203.0.113.11'], { externalTrafficPolicy: 'Local', nodes: [NODE] })];
    const cordoned: V1Node = { ...node('10.0.0.5'), spec: { unschedulable: true } };
    const fresh = new Harness();
    await fresh.coldStart(cordoned, anns);
    assert.deepEqual(fresh.localPrefixes(), ['203.0.113.11/32']);
    assert.equal(fresh.lastReport().draining, true, 'the report says the table was synced draining');

    const h = new Harness();
    await h.coldStart(node('10.0.0.5'), anns);
    assert.deepEqual(h.localPrefixes(), ['203.0.113.10/32', '203.0.113.11/32']);
    assert.equal(h.lastReport().draining, undefined);
    assert.deepEqual(h.event(Resources.nodes, 'MODIFIED', cordoned, node('10.0.0.5')), ['table']);
    await h.reconcile('table');
    assert.deepEqual(h.localPrefixes(), ['203.0.113.11/32']);
    h.event(Resources.nodes, 'MODIFIED', node('10.0.0.5'), cordoned);
    await h.reconcile('table');
    assert.deepEqual(h.localPrefixes(), ['203.0.113.10/32', '203.0.113.11/32']);
  });

  void test('gobgpd unavailable: the reconcile fails, readiness drops, the stream is re-opened once it answers', async () => {
    const h = new Harness();
    await h.coldStart(node('10.0.0.5'), [va('a', ['203.0.113.10'])]);
    assert.equal(h.role.gobgpReachable(), true);
    h.router.failing = 'unavailable';
    await assert.rejects(h.reconcile('table'), (err: unknown) => err instanceof GobgpError && err.kind === 'unavailable');
    assert.equal(h.role.gobgpReachable(), false);
    assert.equal(h.router.activeWatches, 0);
    h.router.failing = undefined;
    await h.reconcile('table');
    assert.equal(h.role.gobgpReachable(), true);
    assert.equal(h.router.activeWatches, 1);
  });

  void test('peer events and a broken stream enqueue through the latest reconcile', async () => {
    const h = new Harness();
    await h.coldStart(node('10.0.0.5'), []);
    h.enqueued.splice(0);
    h.router.setPeerState('192.0.2.1', 'Established');
    assert.deepEqual(h.enqueued, ['status', { key: 'status', afterMs: 1_000 }]);
    h.enqueued.splice(0);
    h.router.breakStreams();
    assert.deepEqual(h.enqueued, [{ key: 'table', afterMs: 200 }]);
    await h.reconcile('table');
    assert.equal(h.router.activeWatches, 1, 're-opened by the next table sync');
  });

  void test('event-to-announcement latency: keys this node never announces are forgotten', async () => {
    const h = new Harness();
    h.event(Resources.nodes, 'ADDED', node('10.0.0.5'));
    h.event(Resources.vipAnnouncements, 'ADDED', va('ours', ['203.0.113.10']));
    h.event(Resources.vipAnnouncements, 'ADDED', va('elsewhere', ['203.0.113.20'], { externalTrafficPolicy: 'Local', nodes: ['node-b'] }));
    assert.equal(h.latency.size, 2);
    await h.reconcile('table');
    assert.equal(h.latency.size, 0);
  });
});

void describe('speaker status', () => {
  void test('before any table sync, status asks for the table', async () => {
    const h = new Harness();
    await h.reconcile('status');
    assert.deepEqual(h.enqueued, ['table']);
    assert.deepEqual(h.writer.calls, []);
  });

  void test('an unchanged report is not written again until its heartbeat; a lone change goes at once, the next one waits for the pace', async () => {
    const h = new Harness();
    await h.coldStart(node('10.0.0.5'), [va('a', ['203.0.113.10'])]);
    assert.equal(h.statusWrites().length, 1);
    h.enqueued.splice(0);
    h.clock += 1_000;
    await h.reconcile('status');
    assert.equal(h.statusWrites().length, 1, 'nothing changed');
    assert.deepEqual(h.enqueued, [{ key: 'status', afterMs: 9_000 }], 'looked at again when the heartbeat is due');
    h.clock += 9_000;
    await h.reconcile('status');
    assert.equal(h.statusWrites().length, 2, 'the heartbeat');
    assert.equal(h.lastReport().heartbeatTime, '1970-01-01T00:16:50Z');
    // A session comes up 100 ms after the heartbeat: written at once (REPORT_BURST_MS).
    h.router.setPeerState('192.0.2.1', 'Established');
    h.clock += 100;
    await h.reconcile('status');
    assert.equal(h.statusWrites().length, 3);
    assert.equal(h.lastReport().sessionsEstablished, 1);
    // Down and up again right after: the second write still fits the burst, the third waits
    // for the pace (three writes of 250 ms from the heartbeat on, less the 500 ms burst: 130 ms).
    h.router.setPeerState('192.0.2.1', 'Idle');
    h.clock += 10;
    await h.reconcile('status');
    assert.equal(h.statusWrites().length, 4);
    h.router.setPeerState('192.0.2.1', 'Established');
    h.clock += 10;
    h.enqueued.splice(0);
    await h.reconcile('status');
    assert.equal(h.statusWrites().length, 4);
    assert.deepEqual(h.enqueued.at(-1), { key: 'status', afterMs: 130 });
    h.clock += 130;
    await h.reconcile('status');
    assert.equal(h.lastReport().sessionsEstablished, 1);
  });

  void test('the watermark: a spec event is acted on only once a table sync that saw it finished', async () => {
    const h = new Harness();
    await h.coldStart(node('10.0.0.5'), [{ ...va('a', ['203.0.113.10']), metadata: { namespace: 'ns', name: 'a', resourceVersion: '40' } }]);
    assert.equal(h.lastReport().announcementsResourceVersion, '40');
    const before = { ...va('a', ['203.0.113.10']), metadata: { namespace: 'ns', name: 'a', resourceVersion: '40' } };
    const after = { ...va('a', ['203.0.113.11']), metadata: { namespace: 'ns', name: 'a', resourceVersion: '50' } };
    assert.deepEqual(h.event(Resources.vipAnnouncements, 'MODIFIED', after, before), ['table']);
    h.clock += 1_000;
    await h.reconcile('status');
    assert.equal(h.lastReport().announcementsResourceVersion, '40', 'not acted on yet');
    await h.reconcile('table');
    h.clock += 1_000;
    await h.reconcile('status');
    assert.equal(h.lastReport().announcementsResourceVersion, '50');
    // A status-only event moves it too, but only the next heartbeat carries that.
    const statusOnly: VipAnnouncement = { ...after, metadata: { ...after.metadata, resourceVersion: '60' }, status: { advertisedBy: 1 } };
    assert.deepEqual(h.event<VipAnnouncement>(Resources.vipAnnouncements, 'MODIFIED', statusOnly, after), []);
    const writes = h.statusWrites().length;
    h.clock += 1_000;
    await h.reconcile('status');
    assert.equal(h.statusWrites().length, writes, 'nobody waits for it');
    h.clock += 9_000;
    await h.reconcile('status');
    assert.equal(h.lastReport().announcementsResourceVersion, '60');
  });

  void test('a prefix gobgpd has not sent yet holds the watermark below its announcement, and is not called missing', async () => {
    const h = new Harness();
    const at = (name: string, address: string, rv: string): VipAnnouncement => ({ ...va(name, [address]), metadata: { namespace: 'ns', name, resourceVersion: rv } });
    await h.coldStart(node('10.0.0.5'), [at('a', '203.0.113.10', '40')]);
    h.router.setPeerState('192.0.2.1', 'Established');
    h.clock += 1_000;
    await h.reconcile('status');
    assert.equal(h.lastReport().sessionsEstablished, 1);
    assert.equal(h.lastReport().announcementsResourceVersion, '40');
    h.event(Resources.vipAnnouncements, 'ADDED', at('b', '203.0.113.20', '50'));
    h.event(Resources.vipAnnouncements, 'ADDED', at('c', '203.0.113.30', '60'));
    h.router.unsent.add('203.0.113.30/32');
    await h.reconcile('table');
    h.clock += 600;
    await h.reconcile('status');
    assert.equal(h.lastReport().announcementsResourceVersion, '59', 'b is acted on and sent; c is not sent yet');
    assert.equal(h.lastReport().missing, 0, 'c is past the watermark: not listed missing');
    assert.deepEqual(h.enqueued.at(-1), { key: 'status', afterMs: 50 }, 'the adj-RIB-out is read again shortly');
    h.router.unsent.clear();
    h.clock += 600;
    await h.reconcile('status');
    assert.equal(h.lastReport().announcementsResourceVersion, '60');
    assert.deepEqual(h.enqueued.at(-1), { key: 'status', afterMs: 10_000 });
  });

  void test('a prefix never sent is reported missing once the settle time is over', async () => {
    const h = new Harness();
    await h.coldStart(node('10.0.0.5'), [{ ...va('a', ['203.0.113.10']), metadata: { namespace: 'ns', name: 'a', resourceVersion: '40' } }]);
    h.router.setPeerState('192.0.2.1', 'Established');
    h.event(Resources.vipAnnouncements, 'ADDED', { ...va('b', ['203.0.113.20']), metadata: { namespace: 'ns', name: 'b', resourceVersion: '50' } });
    h.router.unsent.add('203.0.113.20/32');
    await h.reconcile('table');
    for (let i = 0; i < 25; i++) {
      h.clock += 250;
      await h.reconcile('status');
    }
    assert.equal(h.lastReport().announcementsResourceVersion, '50');
    assert.deepEqual(h.lastReport().sessions?.[0]?.missing, ['203.0.113.20/32']);
  });

  void test('gobgpd unreachable: every configured session is reported Unknown', async () => {
    const h = new Harness();
    await h.coldStart(node('10.0.0.5'), [va('a', ['203.0.113.10'])]);
    h.router.failing = 'unavailable';
    await assert.rejects(h.reconcile('table'));
    assert.ok(h.enqueued.includes('status'));
    h.clock += 1_000;
    await h.reconcile('status');
    const report = h.lastReport();
    assert.equal(report.gobgpReachable, false);
    assert.equal(h.role.gobgpReachable(), false, 'a status round that could not read gobgpd keeps readiness down');
    assert.deepEqual(report.sessions?.map((x) => x.state), ['Unknown']);
  });

  void test('our VipSpeaker gone (404): created again with the next write', async () => {
    const h = new Harness();
    await h.coldStart(node('10.0.0.5'), [va('a', ['203.0.113.10'])]);
    h.writer.respond = () => {
      throw new KubeApiError(404, 'NotFound', 'gone', 'PATCH', '/apis/vipannouncer.io/v1alpha1/vipspeakers/node-a/status');
    };
    h.router.setPeerState('192.0.2.1', 'Established');
    h.clock += 1_000;
    await assert.rejects(h.reconcile('status'), /gone/);
    h.writer.respond = () => undefined;
    h.writer.calls.splice(0);
    await h.reconcile('status');
    assert.deepEqual(h.writer.calls.map((c) => `${c.op} ${c.resource}`), ['apply vipspeakers', 'applyStatus vipspeakers']);
  });
});

void describe('speaker shutdown', () => {
  async function stopped(withdrawOnShutdown: boolean): Promise<Harness> {
    const h = new Harness(config({ withdrawOnShutdown }));
    await h.coldStart(node('10.0.0.5'), [va('a', ['203.0.113.10']), va('b', ['203.0.113.11'])]);
    h.writer.calls.splice(0);
    h.router.calls.splice(0);
    await h.role.shutdown();
    return h;
  }

  void test('withdrawOnShutdown: every path withdrawn, then the report marked Stopped, router closed', async () => {
    const h = await stopped(true);
    assert.deepEqual(h.router.callsOf('deletePath').sort(), ['deletePath(203.0.113.10/32)', 'deletePath(203.0.113.11/32)']);
    assert.deepEqual(h.localPrefixes(), []);
    assert.equal(h.statusWrites().length, 1);
    assert.equal(h.lastReport().phase, 'Stopped');
    assert.equal(h.router.closed, true);
    assert.equal(h.router.activeWatches, 0);
  });

  void test('no withdrawOnShutdown: paths stay for graceful restart, the report stays Running (no write), router closed', async () => {
    const h = await stopped(false);
    assert.deepEqual(h.router.calls, ['close()']);
    assert.deepEqual(h.localPrefixes(), ['203.0.113.10/32', '203.0.113.11/32']);
    assert.deepEqual(h.statusWrites(), [], 'the report is left as it was (Running)');
    assert.equal(h.router.closed, true);
  });

  for (const [what, deletionTimestamp, annotation, withdrawn] of [
    ['its namespace being deleted (uninstall): withdrawn, though no withdrawOnShutdown', '2026-12-07T12:00:00Z', undefined, true],
    ['its namespace annotated for uninstall (helm uninstall\'s hook): withdrawn', undefined, 'true', true],
    ['its namespace alive (a rollout): kept', undefined, undefined, false],
    ['its namespace annotated with another value: kept', undefined, 'false', false],
  ] as const) {
    void test(`a speaker stopped with ${what}`, async () => {
      const h = new Harness(config({ withdrawOnShutdown: false }), new FakeRouter(), { podNamespace: 'vip-announcer' });
      await h.coldStart(node('10.0.0.5'), [va('a', ['203.0.113.10'])]);
      const annotations = annotation ? { [UNINSTALL_ANNOTATION]: annotation } : undefined;
      h.caches.informer<V1Namespace>(Resources.namespaces).put({ metadata: { name: 'vip-announcer', ...(deletionTimestamp ? { deletionTimestamp: new Date(deletionTimestamp) } : {}), ...(annotations ? { annotations } : {}) } });
      h.caches.informer<V1Namespace>(Resources.namespaces).put({ metadata: { name: 'other', deletionTimestamp: new Date('2026-12-07T12:00:00Z') } });
      await h.role.shutdown();
      assert.deepEqual(h.localPrefixes(), withdrawn ? [] : ['203.0.113.10/32']);
      assert.equal(h.statusWrites().some((c) => (c.body as { status?: { phase?: string } }).status?.phase === 'Stopped'), withdrawn, 'an uninstall marks the report Stopped; a rollout leaves it Running');
    });
  }

  for (const [what, lookup, withdrawn] of [
    ['the namespace already gone (kubectl delete -k raced the cache)', { kind: 'gone' }, true],
    ['its permissions revoked (the uninstall deleted the ClusterRoles)', { kind: 'forbidden' }, true],
    ['the namespace read live as being deleted', { kind: 'found', namespace: { metadata: { name: 'vip-announcer', deletionTimestamp: new Date('2026-12-07T12:00:00Z') } } }, true],
    ['the namespace alive (a rollout)', { kind: 'found', namespace: { metadata: { name: 'vip-announcer' } } }, false],
    ['no answer (an API outage during a rollout)', { kind: 'unknown' }, false],
    ['a read that never returns', 'hang', false],
  ] as const) {
    void test(`a speaker stopped while its cache says nothing of an uninstall, and a live read finds ${what}`, async () => {
      const readNamespace: SpeakerDeps['readNamespace'] = lookup === 'hang' ? () => new Promise(() => undefined) : () => Promise.resolve(lookup);
      const h = new Harness(config({ withdrawOnShutdown: false }), new FakeRouter(), { podNamespace: 'vip-announcer', readNamespace, shutdownDeadlineMs: 5_000 });
      await h.coldStart(node('10.0.0.5'), [va('a', ['203.0.113.10'])]);
      await h.role.shutdown();
      assert.deepEqual(h.localPrefixes(), withdrawn ? [] : ['203.0.113.10/32']);
    });
  }

  void test('withdrawsOnStop: configured, or uninstalling', () => {
    assert.equal(withdrawsOnStop(true, false), true);
    assert.equal(withdrawsOnStop(false, true), true);
    assert.equal(withdrawsOnStop(false, false), false);
  });

  void test('withdrawal runs with bounded concurrency (32 gobgpd calls)', async () => {
    const router = new InFlightRouter();
    const h = new Harness(config(), router);
    await announced(h, 100);
    await h.role.shutdown();
    assert.equal(h.localPrefixes().length, 0);
    assert.equal(router.flight.max, 32, 'deletePath calls in flight at most');
    assert.equal(h.lastReport().phase, 'Stopped');
  });

  void test('gobgpd gone: shutdown rejects (the process exits 1), router closed', async () => {
    const h = new Harness();
    await announced(h, 2);
    h.router.failing = 'unavailable';
    await assert.rejects(h.role.shutdown(), /unavailable/);
    assert.equal(h.router.closed, true);
  });

  void test('a withdrawal that outlives the deadline: shutdown rejects at the deadline, router closed', async () => {
    const router = new InFlightRouter();
    router.hang = true;
    const h = new Harness(config(), router, { shutdownDeadlineMs: 100 });
    await announced(h, 2);
    const began = Date.now();
    await assert.rejects(h.role.shutdown(), /deadline of 100 ms/);
    assert.ok(Date.now() - began < 1_000, `bounded: ${Date.now() - began} ms`);
    assert.deepEqual(h.statusWrites(), []);
    assert.equal(h.router.closed, true);
  });

  void test('withdrawn, but marking the report Stopped outlives the deadline: shutdown still succeeds', async () => {
    const writer = new InFlightWriter();
    const h = new Harness(config(), new FakeRouter(), { writer, shutdownDeadlineMs: 100 });
    await announced(h, 2);
    writer.hang = true;
    await h.role.shutdown();
    assert.deepEqual(h.localPrefixes(), []);
    assert.equal(h.router.closed, true);
  });

  void test('a path gone from gobgpd meanwhile (not-found) counts as withdrawn', async () => {
    const router = new InFlightRouter();
    const h = new Harness(config(), router);
    await announced(h, 2);
    router.notFound = true;
    await h.role.shutdown();
    assert.equal(h.lastReport().phase, 'Stopped');
  });

  void test('session-up has a series per configured peer only; a peer gobgpd no longer lists loses its series', async () => {
    const series = async (): Promise<string[]> =>
      (await metrics.sessionUp.get()).values.filter((v) => v.labels.node === 'node-s').map((v) => `${v.labels.peer}=${v.value}`).sort();
    const router = new FakeRouter();
    const h = new Harness(config({ nodeName: 'node-s', routerId: '10.0.0.5', peers: [peer('192.0.2.1'), peer('192.0.2.2')] }), router);
    await h.coldStart(node('10.0.0.5'), []);
    router.setPeerState('192.0.2.1', 'Established');
    await h.reconcile('status');
    assert.deepEqual(await series(), ['192.0.2.1=1', '192.0.2.2=0']);
    // Someone adds a peer by hand in gobgpd: it gets no series (the next table sync deletes it).
    await router.addPeer({ address: '192.0.2.9', asn: 65000, families: ['ipv4-unicast'] });
    router.setPeerState('192.0.2.9', 'Established');
    await h.reconcile('status');
    assert.deepEqual(await series(), ['192.0.2.1=1', '192.0.2.2=0']);
    // gobgpd lost a peer (restarted without it): its series goes until the table sync re-adds it.
    await router.deletePeer('192.0.2.2');
    // (gobgpd sends an event when a peer goes; the fake sends one for a state change.)
    router.setPeerState('192.0.2.1', 'Established');
    await h.reconcile('status');
    assert.deepEqual(await series(), ['192.0.2.1=1']);
  });
});

void describe('speaker pool filter (once VipPools exist)', () => {
  const web = (extra: Partial<VipPool['spec']> = {}): VipPool => ({
    apiVersion: 'vipannouncer.io/v1alpha1',
    kind: 'VipPool',
    metadata: { name: 'web', generation: 1 },
    spec: { addresses: ['203.0.113.0/24'], serviceAllocation: { namespaces: ['ns'] }, advertisement: { communities: ['64512:100'], localPref: 150 }, ...extra },
  });
  const ofService = (name: string, addresses: string[], spec: Partial<VipAnnouncementSpec> = {}): VipAnnouncement => va(name, addresses, { serviceRef: { name }, ...spec });

  void test('no pool, addressOwnership Unenforced: everything valid is announced, as before the upgrade', async () => {
    const h = new Harness();
    await h.coldStart(node('10.0.0.5'), [va('any', ['8.8.8.8'])]);
    assert.deepEqual(h.localPrefixes(), ['8.8.8.8/32']);
  });

  void test('no pool, Enforced (the default): nothing is announced, each prefix refused NoVipPool', async () => {
    const h = new Harness(config({ addressOwnership: 'Enforced' }));
    await h.coldStart(node('10.0.0.5'), [va('any', ['8.8.8.8']), ofService('svc', ['203.0.113.10'])]);
    assert.deepEqual(h.localPrefixes(), []);
    assert.deepEqual(h.lastReport().exceptions?.map((e) => e.reason), ['NoVipPool', 'NoVipPool']);
  });

  void test('two namespaces claiming one prefix are both refused until one yields; a claim no pool allows knocks nothing out', async () => {
    const h = new Harness(config({ addressOwnership: 'Enforced' }));
    h.event(Resources.vipPools, 'ADDED', web({ serviceAllocation: { namespaces: ['ns', 'other'] } }));
    const inOther = (name: string, addresses: string[], spec: Partial<VipAnnouncementSpec> = {}): VipAnnouncement => ({ ...va(name, addresses, spec), metadata: { namespace: 'other', name, resourceVersion: '1' } });
    const outsider = { ...ofService('outsider', ['203.0.113.30']), metadata: { namespace: 'evil', name: 'outsider', resourceVersion: '1' } };
    // A forged Service announcement in another namespace, a hand-made one for a Service's address, and a namespace no pool selects.
    const contested = [ofService('mine', ['203.0.113.10']), inOther('theirs', ['203.0.113.10'], { serviceRef: { name: 'theirs' } }), ofService('kept', ['203.0.113.30']), inOther('hand', ['203.0.113.30']), outsider];
    await h.coldStart(node('10.0.0.5'), contested);
    assert.deepEqual(h.localPrefixes(), ['203.0.113.30/32']);
    assert.deepEqual(h.lastReport().exceptions, [
      { announcement: 'evil/outsider', prefix: '203.0.113.30/32', reason: 'PoolDoesNotSelect' },
      { announcement: 'ns/mine', prefix: '203.0.113.10/32', reason: 'ClaimedByAnotherNamespace' },
      { announcement: 'other/hand', prefix: '203.0.113.30/32', reason: 'HeldByService' },
      { announcement: 'other/theirs', prefix: '203.0.113.10/32', reason: 'ClaimedByAnotherNamespace' },
    ]);
    // One yields: the other is announced.
    h.event(Resources.vipAnnouncements, 'DELETED', contested[1]);
    await h.reconcile('table');
    assert.deepEqual(h.localPrefixes(), ['203.0.113.10/32', '203.0.113.30/32']);
  });

  void test('only prefixes inside a pool that selects the namespace, with the pool attributes; the rest refused in the status entry', async () => {
    const h = new Harness(config({ addressOwnership: 'Enforced' }));
    h.event(Resources.vipPools, 'ADDED', web());
    const victim = ofService('victim', ['203.0.113.10'], { communities: ['65535:666'], localPref: 4294967295 });
    const elsewhere = { ...ofService('thief', ['203.0.113.20']), metadata: { namespace: 'evil', name: 'thief', resourceVersion: '1' } };
    await h.coldStart(node('10.0.0.5'), [victim, ofService('outside', ['8.8.8.8']), elsewhere]);
    assert.deepEqual(h.localPrefixes(), ['203.0.113.10/32']);
    const path = [...h.router.paths.values()][0];
    assert.deepEqual([path.communities, path.localPref], [['64512:100'], 150], 'the pool attributes; no override allowed');
    assert.deepEqual(h.lastReport().exceptions, [
      { announcement: 'evil/thief', prefix: '203.0.113.20/32', reason: 'PoolDoesNotSelect' },
      { announcement: 'ns/outside', prefix: '8.8.8.8/32', reason: 'NotInPool' },
    ]);
  });

  void test("a hand-made announcement never gets a Service's address; overrides apply only as far as the pool's allowlists name them", async () => {
    const h = new Harness();
    const advertisement = { communities: ['64512:100'], localPref: 150, allowServiceOverrides: true, allowedCommunities: ['65000:*', '65535:*'], allowedLargeCommunities: ['65000:1:*'], allowedLocalPref: { min: 100, max: 300 } };
    h.event(Resources.vipPools, 'ADDED', web({ advertisement }));
    const victim = ofService('victim', ['203.0.113.10'], { communities: ['65000:1', '65535:666', '3356:666'], largeCommunities: ['65000:1:2', '65000:2:2'], localPref: 300 });
    const greedy = ofService('greedy', ['203.0.113.12'], { localPref: 4294967295 });
    await h.coldStart(node('10.0.0.5'), [victim, greedy, va('handmade', ['203.0.113.10', '203.0.113.11'])]);
    assert.deepEqual(h.localPrefixes(), ['203.0.113.10/32', '203.0.113.11/32', '203.0.113.12/32']);
    const pathOf = (prefix: string): PathSpec | undefined => [...h.router.paths.values()].find((p) => p.prefix === prefix);
    const victimPath = pathOf('203.0.113.10/32');
    assert.deepEqual([victimPath?.communities, victimPath?.largeCommunities, victimPath?.localPref], [['64512:100', '65000:1'], ['65000:1:2'], 300], 'BLACKHOLE needs allowWellKnownCommunities; 3356:666 and 65000:2:2 are not listed');
    assert.equal(pathOf('203.0.113.12/32')?.localPref, 150, "outside allowedLocalPref: the pool's own");
    assert.deepEqual(h.lastReport().exceptions, [{ announcement: 'ns/handmade', prefix: '203.0.113.10/32', reason: 'HeldByService' }]);
  });

  void test('a pool change reaches the table: a shrink withdraws what it no longer covers', async () => {
    const h = new Harness();
    h.event(Resources.vipPools, 'ADDED', web());
    await h.coldStart(node('10.0.0.5'), [ofService('a', ['203.0.113.10'])]);
    const shrunk: VipPool = { ...web({ addresses: ['203.0.113.128/25'] }), metadata: { name: 'web', generation: 2 } };
    assert.deepEqual(h.event(Resources.vipPools, 'MODIFIED', { ...web(), metadata: { name: 'web', generation: 1, resourceVersion: '7' } }, web()), [], 'a status write is nothing to the table');
    assert.deepEqual(h.event(Resources.vipPools, 'MODIFIED', shrunk, web()), ['table']);
    await h.reconcile('table');
    assert.deepEqual(h.localPrefixes(), []);
  });
});
/** Counts calls in flight and remembers the most seen at once. */
class Flight {
  now = 0;
  max = 0;
  async through<T>(hang: boolean, fn: () => Promise<T>): Promise<T> {
    this.now++;
    this.max = Math.max(this.max, this.now);
    try {
      await new Promise((r) => setTimeout(r, 2));
      if (hang) await new Promise(() => undefined);
      return await fn();
    } finally {
      this.now--;
    }
  }
}

/** A FakeRouter whose DeletePath takes a little while, or forever, or finds nothing. */
class InFlightRouter extends FakeRouter {
  readonly flight = new Flight();
  hang = false;
  notFound = false;
  override deletePath(target: PathSpec): Promise<void> {
    if (this.notFound) return Promise.reject(new GobgpError('DeletePath', 'not-found', 5, 'fake: gone'));
    return this.flight.through(this.hang, () => super.deletePath(target));
  }
}

/** A FakeKubeWriter whose status applies take a little while, or forever. */
class InFlightWriter extends FakeKubeWriter {
  readonly flight = new Flight();
  hang = false;
  override applyStatus<T extends KubeObject>(resource: ResourceRef, obj: KubeObject & { status: unknown }): Promise<T> {
    return this.flight.through(this.hang, () => super.applyStatus<T>(resource, obj));
  }
}

/** `count` announcements originated by this node, and its report written. */
async function announced(h: Harness, count: number): Promise<void> {
  const vas = Array.from({ length: count }, (_, i) => va(`va-${i}`, [`10.1.${Math.floor(i / 250)}.${i % 250}`]));
  await h.coldStart(node('10.0.0.5'), vas);
  assert.equal(h.lastReport().originated, count);
  h.writer.calls.splice(0);
  h.router.calls.splice(0);
}
void describe('speaker table: the import policy', () => {
  const route = (prefix: string): PathSpec => ({ family: 'ipv4-unicast', prefix, nextHop: '192.0.2.1', communities: [], largeCommunities: [] });

  void test('routes peers send never reach the global RIB; our own paths do', async () => {
    const h = new Harness();
    h.router.receive(route('0.0.0.0/0'));
    h.router.receive(route('198.51.100.0/24'), false);
    await h.coldStart(node('10.0.0.5'), [va('a', ['203.0.113.10'])]);
    assert.deepEqual((await h.router.listPath('ipv4-unicast', 'global')).map((p) => p.prefix), ['203.0.113.10/32']);
    assert.deepEqual(h.router.importAssignment, { names: ['vip-announcer-import'], defaultAction: 'reject' });
  });

  void test('an announcement change syncs the paths alone, against the table the last sync left; a failure makes the next sync full', async () => {
    const h = new Harness();
    await h.coldStart(node('10.0.0.5'), [va('a', ['203.0.113.10'])]);
    h.router.calls.splice(0);
    h.event(Resources.vipAnnouncements, 'ADDED', va('b', ['203.0.113.11']));
    await h.reconcile('table');
    assert.deepEqual(h.router.calls, ['addPaths(1)'], 'no BGP, policy or peer step, no listing of gobgpd');
    h.router.calls.splice(0);
    h.router.failing = 'unavailable';
    h.event(Resources.vipAnnouncements, 'ADDED', va('c', ['203.0.113.12']));
    await assert.rejects(h.reconcile('table'));
    h.router.failing = undefined;
    h.router.calls.splice(0);
    await h.reconcile('table');
    assert.deepEqual(h.router.calls.slice(0, 4), ['getBgp()', 'getImportPolicy()', 'listPolicies()', 'watchPeerEvents()']);
    assert.ok(h.router.calls.includes('listPeers()'), 'the peers step too');
    assert.ok(h.router.calls.includes('listPath(ipv4-unicast global)'), 'gobgpd is listed again');
    assert.deepEqual(h.localPrefixes(), ['203.0.113.10/32', '203.0.113.11/32', '203.0.113.12/32']);
  });

  void test('after a change, the report reads only the prefixes it touched from each adj-RIB-out; a peer event reads everything again', async () => {
    const h = new Harness();
    await h.coldStart(node('10.0.0.5'), [va('a', ['203.0.113.10']), va('b', ['203.0.113.11'])]);
    h.router.setPeerState('192.0.2.1', 'Established');
    h.clock += 60_000; // past the report's spacing
    await h.reconcile('status');
    assert.deepEqual(h.lastReport().sessions?.[0]?.state, 'Established');
    h.router.calls.splice(0);
    const old = va('b', ['203.0.113.11']);
    h.event(Resources.vipAnnouncements, 'MODIFIED', { ...old, metadata: { ...old.metadata, resourceVersion: '2' }, spec: { ...old.spec, addresses: ['203.0.113.12'] } }, old);
    await h.reconcile('table');
    await h.reconcile('status');
    assert.deepEqual(h.router.callsOf('listPath'), ['listPath(ipv4-unicast adj-out 192.0.2.1 2 prefixes)'], 'the old and the new prefix, nothing else');
    assert.deepEqual(h.localPrefixes(), ['203.0.113.10/32', '203.0.113.12/32']);
    assert.deepEqual(h.lastReport().sessions?.[0]?.missing ?? [], [], 'the new prefix is read as sent, the old one as gone');
    h.router.calls.splice(0);
    h.router.setPeerState('192.0.2.1', 'Established');
    const again = va('a', ['203.0.113.10']);
    h.event(Resources.vipAnnouncements, 'MODIFIED', { ...again, metadata: { ...again.metadata, resourceVersion: '3' }, spec: { ...again.spec, addresses: ['203.0.113.13'] } }, again);
    await h.reconcile('table');
    await h.reconcile('status');
    assert.ok(h.router.callsOf('listPath').includes('listPath(ipv4-unicast adj-out 192.0.2.1)'), 'after a peer event, the whole adj-RIB-out');
  });

  void test('incremental table syncs leave gobgpd as a full one would: after random changes, the drift check changes nothing', async () => {
    let state = 7;
    const rand = (n: number): number => {
      state = (state * 1103515245 + 12345) % 2147483648;
      return state % n;
    };
    const h = new Harness();
    await h.coldStart(node('10.0.0.5'), []);
    const ip = (): string => `203.0.113.${1 + rand(12)}`;
    const svc = (name: string, rv: number): V1Service => ({
      metadata: { namespace: 'ns', name, uid: `uid-${name}`, resourceVersion: String(rv), annotations: { 'vipannouncer.io/loadBalancerIPs': ip(), ...(rand(4) === 0 ? { 'vipannouncer.io/communities': '65000:1' } : {}) } },
      spec: { type: 'LoadBalancer', externalTrafficPolicy: rand(2) === 0 ? 'Local' : 'Cluster', ipFamilies: ['IPv4'] },
      status: {},
    });
    const slice = (name: string, rv: number): V1EndpointSlice => ({ metadata: { namespace: 'ns', name: `${name}-1`, resourceVersion: String(rv), labels: { 'kubernetes.io/service-name': name } }, addressType: 'IPv4', endpoints: [{ addresses: ['10.0.0.1'], nodeName: NODE, conditions: { ready: rand(3) > 0 } }] });
    const writesTable = (c: string): boolean => /^addPaths\([1-9]/.test(c) || c.startsWith('deletePath');
    let rv = 10;
    let changes = 0;
    for (let step = 0; step < 60; step++) {
      for (let k = 1 + rand(3); k > 0; k--) {
        const name = `s${rand(6)}`;
        const op = rand(5);
        const key = `ns/${name}`;
        if (op === 0) h.event(Resources.services, h.caches.informer(Resources.services).get(key) ? 'MODIFIED' : 'ADDED', svc(name, ++rv));
        else if (op === 1 && h.caches.informer(Resources.services).get(key)) h.event(Resources.services, 'DELETED', svc(name, ++rv));
        else if (op === 2) h.event(Resources.endpointSlices, 'ADDED', slice(name, ++rv));
        else if (op === 3) h.event(Resources.vipAnnouncements, 'ADDED', { ...va(name, [ip()], rand(2) === 0 ? { serviceRef: { name, uid: `uid-${name}` } } : {}), metadata: { namespace: 'ns', name, resourceVersion: String(++rv) } });
        else if (h.caches.informer(Resources.vipAnnouncements).get(key)) h.event(Resources.vipAnnouncements, 'DELETED', va(name, []));
      }
      await h.reconcile('table');
      const table = [...h.router.paths.values()].map((p) => `${p.prefix} ${p.communities.join(',')}`).sort();
      const writes = h.router.calls.filter(writesTable).length;
      h.clock += 1; // holds stay (VANISHED_HOLD_MS): the full sync must hold what the incremental one held
      await h.driftCheck();
      assert.equal(h.router.calls.filter(writesTable).length, writes, `step ${step}: the drift check changed gobgpd's table`);
      assert.deepEqual([...h.router.paths.values()].map((p) => `${p.prefix} ${p.communities.join(',')}`).sort(), table);
      changes += table.length;
    }
    assert.ok(changes > 60, 'the changes announced something');
  });

  void test('a path removed by someone else comes back with the drift check, not with an unrelated change', async () => {
    const h = new Harness();
    await h.coldStart(node('10.0.0.5'), [va('a', ['203.0.113.10'])]);
    await h.router.deletePath({ prefix: '203.0.113.10/32', family: 'ipv4-unicast', nextHop: '0.0.0.0', communities: [], largeCommunities: [] });
    h.event(Resources.vipAnnouncements, 'ADDED', va('b', ['203.0.113.11']));
    await h.reconcile('table');
    assert.deepEqual(h.localPrefixes(), ['203.0.113.11/32']);
    await h.driftCheck();
    assert.deepEqual(h.localPrefixes(), ['203.0.113.10/32', '203.0.113.11/32']);
  });

  void test('the drift check lists gobgpd under its own key: a path added by hand is found, and the next table sync lists and removes it', async () => {
    const h = new Harness();
    await h.coldStart(node('10.0.0.5'), [va('a', ['203.0.113.10'])]);
    await h.router.addPaths([{ prefix: '198.51.100.9/32', family: 'ipv4-unicast', nextHop: '0.0.0.0', communities: [], largeCommunities: [] }]);
    h.enqueued.splice(0);
    await h.reconcile('verify');
    assert.deepEqual(h.enqueued, ['table'], 'the repair is a table sync');
    h.router.calls.splice(0);
    await h.reconcile('table');
    assert.ok(h.router.calls.includes('listPath(ipv4-unicast global)'), 'which lists gobgpd');
    assert.deepEqual(h.localPrefixes(), ['203.0.113.10/32']);
    h.enqueued.splice(0);
    await h.reconcile('verify');
    assert.deepEqual(h.enqueued, [], 'nothing to repair any more');
  });

  void test('the drift check restores a changed default and flushes what it let in; an intact policy costs two reads', async () => {
    const h = new Harness();
    await h.coldStart(node('10.0.0.5'), [va('a', ['203.0.113.10'])]);
    h.router.calls.splice(0);
    await h.driftCheck();
    // The listing (verify) first, then the table sync: it reads the policy and, nothing being wrong, lists nothing again.
    const tableCalls = (): string[] => h.router.calls.slice(h.router.calls.indexOf('getBgp()'));
    assert.deepEqual(h.router.calls.slice(0, 2), ['listPath(ipv4-unicast global)', 'listPath(ipv6-unicast global)']);
    assert.deepEqual(tableCalls().slice(1, 4), ['getImportPolicy()', 'listPolicies()', 'addPaths(0)'], 'nothing to change');

    h.router.importAssignment = { names: [], defaultAction: 'accept' }; // e.g. by hand with the gobgp CLI
    h.router.receive(route('0.0.0.0/0'));
    h.router.calls.splice(0);
    await h.driftCheck();
    assert.deepEqual(tableCalls().slice(1, 6), [
      'getImportPolicy()',
      'listPolicies()',
      'setImportPolicy(vip-announcer-import reject)',
      'softResetIn()',
      'addPaths(0)',
    ]);
    assert.deepEqual((await h.router.listPath('ipv4-unicast', 'global')).map((p) => p.prefix), ['203.0.113.10/32']);
  });

  void test('a policy of ours redefined by someone else is detached, replaced and assigned again', async () => {
    const h = new Harness();
    await h.coldStart(node('10.0.0.5'), []);
    h.router.policies.set('vip-announcer-import', { name: 'vip-announcer-import', statements: [{ name: 'x', action: 'accept' }] });
    h.router.calls.splice(0);
    await h.driftCheck();
    assert.deepEqual(h.router.calls.slice(5, 10), [
      'setImportPolicy( reject)',
      'deletePolicy(vip-announcer-import)',
      'addPolicy(vip-announcer-import)',
      'setImportPolicy(vip-announcer-import reject)',
      'softResetIn()',
    ]);
    assert.deepEqual(h.router.policies.get('vip-announcer-import')?.statements, [{ name: 'vip-announcer-accept-local', routeType: 'local', action: 'accept' }]);
  });
});

void describe('speaker peers: passwords from a file follow the file', () => {
  /** A peer whose password file the test rewrites, as the kubelet does with a mounted Secret. */
  const withFile = (content: { text: string }): { cfg: SpeakerConfig; read: (file: string) => string } => ({
    cfg: config({ peers: [peer('192.0.2.1', { password: new Secret(content.text), passwordFile: 'pw', passwordPath: '/secrets/pw' })] }),
    read: () => content.text,
  });
  const held = (router: FakeRouter): string | undefined => router.peers.get('192.0.2.1')?.config.passwordFingerprint;
  const churn = (router: FakeRouter): string[] => router.calls.filter((c) => /^(addPeer|deletePeer)/.test(c));

  void test('a changed password re-creates the peer with it; unchanged, refused or re-spelt files touch nothing', async () => {
    const file = { text: 'key-1' };
    const { cfg, read } = withFile(file);
    const h = new Harness(cfg, new FakeRouter(), { readPasswordFile: read });
    await h.coldStart(node('10.0.0.5'), []);
    assert.equal(held(h.router), secretFingerprint('key-1'));
    h.router.calls.splice(0);
    await h.reconcile('table');
    assert.deepEqual(churn(h.router), [], 'an unchanged password: no churn');

    file.text = 'key-2\n';
    h.enqueued.splice(0);
    assert.deepEqual(h.role.checkPasswords(), ['192.0.2.1']);
    assert.ok(h.enqueued.includes('table'), 'a changed password asks for a table sync');
    await h.reconcile('table');
    assert.deepEqual(churn(h.router), ['deletePeer(192.0.2.1)', 'addPeer(192.0.2.1)']);
    assert.equal(held(h.router), secretFingerprint('key-2'));

    for (const bad of ['x'.repeat(81), '', 'key-2']) {
      h.router.calls.splice(0);
      file.text = bad;
      assert.deepEqual(h.role.checkPasswords(), [], JSON.stringify(bad.slice(0, 3)));
      await h.reconcile('table');
      assert.deepEqual(churn(h.router), [], 'a refused file, or the same password again: no churn');
      assert.equal(held(h.router), secretFingerprint('key-2'), 'gobgpd keeps the last good password');
    }
    await h.role.shutdown();
  });

  void test('after a speaker restart, gobgpd reports the password it holds: re-created only if the file differs', async () => {
    const router = new FakeRouter();
    const file = { text: 'key-1' };
    const first = withFile(file);
    const h1 = new Harness(first.cfg, router, { readPasswordFile: first.read });
    await h1.coldStart(node('10.0.0.5'), []);
    await h1.role.shutdown();
    router.calls.splice(0);
    const same = withFile(file);
    await new Harness(same.cfg, router, { readPasswordFile: same.read }).coldStart(node('10.0.0.5'), []);
    assert.deepEqual(churn(router), [], 'same password: the session stays');

    file.text = 'key-3';
    const changed = withFile(file);
    await new Harness(changed.cfg, router, { readPasswordFile: changed.read }).coldStart(node('10.0.0.5'), []);
    assert.deepEqual(churn(router), ['deletePeer(192.0.2.1)', 'addPeer(192.0.2.1)'], 'changed while the speaker was down: applied at start');
    assert.equal(held(router), secretFingerprint('key-3'));
  });
});

void describe('speaker: graceful restart (R and F bits) only on a real restart', () => {
  const graceful = config({ peers: [peer('192.0.2.1', { gracefulRestart: { enabled: true, restartTimeMs: 120_000 } })] });
  const booted = (bootID: string): V1Node => {
    const n = node('10.0.0.5');
    return { ...n, metadata: { ...n.metadata, uid: 'node-a-uid' }, status: { ...n.status, nodeInfo: { bootID } as V1NodeSystemInfo } };
  };
  /** A speaker whose API server holds `previous` as this node's report (answered by the object apply). */
  const speaker = (previous: Record<string, unknown> | undefined): Harness => {
    const h = new Harness(graceful);
    const answer = h.writer.respond;
    h.writer.respond = (call) => (call.op === 'apply' ? { ...(call.body as KubeObject), ...(previous ? { status: previous } : {}) } : answer(call));
    return h;
  };
  const restarting = (h: Harness): Array<boolean | undefined> => h.router.addedPeers.map((p) => p.gracefulRestart?.restarting);
  const now = new Date(1_000_000).toISOString();

  void test('the previous report of this boot, recent and Running: restarting; its report carries the boot id', async () => {
    const h = speaker({ bootID: 'boot-1', phase: 'Running', heartbeatTime: new Date(1_000_000 - 20_000).toISOString() });
    await h.coldStart(booted('boot-1'), []);
    assert.deepEqual(restarting(h), [true]);
    assert.equal((h.lastReport() as VipSpeakerStatus & { bootID?: string }).bootID, 'boot-1');
    // gobgpd restarts later (same boot): the report this process wrote says so.
    h.router.peers.clear();
    h.clock += 30_000;
    await h.driftCheck();
    assert.deepEqual(restarting(h), [true, true]);
  });

  void test('a reboot, no report, a report older than the restart time or a withdrawing stop: a cold start', async () => {
    const cases: Array<[string, Record<string, unknown> | undefined]> = [
      ['rebooted', { bootID: 'boot-0', phase: 'Running', heartbeatTime: now }],
      ['no report', undefined],
      ['too old', { bootID: 'boot-1', phase: 'Running', heartbeatTime: new Date(1_000_000 - 121_000).toISOString() }],
      ['stopped', { bootID: 'boot-1', phase: 'Stopped', heartbeatTime: now }],
    ];
    for (const [what, previous] of cases) {
      const h = speaker(previous);
      await h.coldStart(booted('boot-1'), []);
      assert.deepEqual(restarting(h), [false], what);
    }
  });

  void test('a Node without a boot id: cold, and the previous report is not even read', async () => {
    const h = speaker({ bootID: 'boot-1', phase: 'Running', heartbeatTime: now });
    h.event(Resources.nodes, 'ADDED', node('10.0.0.5'));
    await h.reconcile('table');
    assert.deepEqual(restarting(h), [false]);
    assert.deepEqual(h.writer.calls, []);
  });
});


void describe('speaker: routes from Services, before their announcements', () => {
  const service = (name: string, address: string, rv = '10'): V1Service => ({
    metadata: { namespace: 'ns', name, uid: `uid-${name}`, resourceVersion: rv, annotations: { 'vipannouncer.io/loadBalancerIPs': address } },
    spec: { type: 'LoadBalancer', externalTrafficPolicy: 'Cluster', ipFamilies: ['IPv4'] },
    status: {},
  });
  const slice = (svc: string, ready: boolean): V1EndpointSlice => ({
    metadata: { namespace: 'ns', name: `${svc}-1`, resourceVersion: '11', labels: { 'kubernetes.io/service-name': svc } },
    addressType: 'IPv4',
    endpoints: [{ addresses: ['10.0.0.1'], nodeName: NODE, conditions: { ready } }],
  });

  void test('a Service and its ready slice are announced with no VipAnnouncement; an unready slice withdraws it', async () => {
    const h = new Harness();
    h.event(Resources.nodes, 'ADDED', node('10.0.0.5'));
    assert.deepEqual(h.event(Resources.services, 'ADDED', service('web', '192.0.2.10')), ['table']);
    assert.deepEqual(h.event(Resources.endpointSlices, 'ADDED', slice('web', true)), ['table']);
    await h.reconcile('table');
    assert.deepEqual(h.localPrefixes(), ['192.0.2.10/32']);
    const old = slice('web', true);
    assert.deepEqual(h.event(Resources.endpointSlices, 'MODIFIED', { ...slice('web', false), metadata: { ...old.metadata, resourceVersion: '12' } }, old), ['table']);
    await h.reconcile('table');
    assert.deepEqual(h.localPrefixes(), []);
  });

  void test('the controller writing down what the speaker already announces is acted on at once, with no table sync; a different spec is a sync', async () => {
    const h = new Harness();
    h.event(Resources.nodes, 'ADDED', node('10.0.0.5'));
    h.event(Resources.services, 'ADDED', service('web', '192.0.2.10'));
    h.event(Resources.endpointSlices, 'ADDED', slice('web', true));
    await h.reconcile('table');
    const echo = va('web', ['192.0.2.10'], { serviceRef: { name: 'web', uid: 'uid-web' }, endpoints: { ready: 1, serving: 1 } });
    assert.deepEqual(h.event(Resources.vipAnnouncements, 'ADDED', { ...echo, metadata: { ...echo.metadata, resourceVersion: '20' } }), ['status']);
    // The Service moves to another address: its announcement following it is an echo too.
    const moved = service('web', '192.0.2.12', '13');
    h.event(Resources.services, 'MODIFIED', moved, service('web', '192.0.2.10'));
    await h.reconcile('table');
    assert.deepEqual(h.localPrefixes(), ['192.0.2.12/32']);
    const before = { ...echo, metadata: { ...echo.metadata, resourceVersion: '20' } };
    assert.deepEqual(h.event(Resources.vipAnnouncements, 'MODIFIED', { ...echo, spec: { ...echo.spec, addresses: ['192.0.2.12'] }, metadata: { ...echo.metadata, resourceVersion: '22' } }, before), ['status']);
    // Two Services ask for one address: neither announces it until the controller gives it to
    // one; that announcement equals its Service's draft, and still is a table sync.
    h.event(Resources.services, 'ADDED', service('api', '192.0.2.20'));
    h.event(Resources.services, 'ADDED', service('api-2', '192.0.2.20'));
    await h.reconcile('table');
    assert.deepEqual(h.localPrefixes(), ['192.0.2.12/32']);
    const given = va('api', ['192.0.2.20'], { serviceRef: { name: 'api', uid: 'uid-api' }, endpoints: { ready: 0, serving: 0 } });
    assert.deepEqual(h.event(Resources.vipAnnouncements, 'ADDED', { ...given, metadata: { ...given.metadata, resourceVersion: '23' } }), ['table']);
    // Another address than the Service asks for: the announcement is not an echo.
    const other = va('db', ['192.0.2.11'], { serviceRef: { name: 'db', uid: 'uid-db' }, endpoints: { ready: 1, serving: 1 } });
    assert.deepEqual(h.event(Resources.vipAnnouncements, 'ADDED', { ...other, metadata: { ...other.metadata, resourceVersion: '21' } }), ['table']);
  });
});
