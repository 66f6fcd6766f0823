import { afterEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { ChangeType } from './informer';
import { Informer, KubeListWatcher, diffRelist, objectChanged, waitForCacheSync } from './informer';
import type { KubeObject, ResourceRef } from './resources';
import { Resources, objectKey } from './resources';
import { FakeApiServer } from './fakeApiServer';
import { waitFor } from './testing';
import { createLogger } from '../util/log';

interface Svc extends KubeObject {
  metadata: { name: string; namespace?: string; resourceVersion?: string; uid?: string; labels?: Record<string, string> };
  spec?: { port?: number };
}

const svc = (ns: string, name: string, rv?: string, port = 80): Svc => ({
  metadata: { name, namespace: ns, ...(rv ? { resourceVersion: rv } : {}) },
  spec: { port },
});

void describe('diffRelist', () => {
  const cases: {
    name: string;
    old: Svc[];
    fresh: Svc[];
    adds: string[];
    updates: string[];
    deletes: string[];
  }[] = [
    { name: 'empty to empty', old: [], fresh: [], adds: [], updates: [], deletes: [] },
    { name: 'first list adds everything', old: [], fresh: [svc('a', 'x', '1'), svc('b', 'y', '2')], adds: ['a/x', 'b/y'], updates: [], deletes: [] },
    { name: 'unchanged resourceVersion is no update', old: [svc('a', 'x', '1')], fresh: [svc('a', 'x', '1')], adds: [], updates: [], deletes: [] },
    { name: 'changed resourceVersion is an update', old: [svc('a', 'x', '1')], fresh: [svc('a', 'x', '5')], adds: [], updates: ['a/x'], deletes: [] },
    { name: 'vanished object is a delete', old: [svc('a', 'x', '1'), svc('a', 'y', '2')], fresh: [svc('a', 'y', '2')], adds: [], updates: [], deletes: ['a/x'] },
    { name: 'everything vanished', old: [svc('a', 'x', '1'), svc('b', 'x', '2')], fresh: [], adds: [], updates: [], deletes: ['a/x', 'b/x'] },
    {
      name: 'same name in another namespace is another object',
      old: [svc('a', 'x', '1')],
      fresh: [svc('b', 'x', '1')],
      adds: ['b/x'],
      updates: [],
      deletes: ['a/x'],
    },
    {
      name: 'mixed add, update, delete, keep',
      old: [svc('n', 'keep', '1'), svc('n', 'chg', '2'), svc('n', 'gone', '3')],
      fresh: [svc('n', 'keep', '1'), svc('n', 'chg', '9'), svc('n', 'new', '10')],
      adds: ['n/new'],
      updates: ['n/chg'],
      deletes: ['n/gone'],
    },
    { name: 'no resourceVersions: compared by content (same)', old: [svc('a', 'x')], fresh: [svc('a', 'x')], adds: [], updates: [], deletes: [] },
    { name: 'no resourceVersions: compared by content (changed)', old: [svc('a', 'x')], fresh: [svc('a', 'x', undefined, 443)], adds: [], updates: ['a/x'], deletes: [] },
    { name: 'duplicate key in the new list counts once (last wins)', old: [], fresh: [svc('a', 'x', '1'), svc('a', 'x', '2')], adds: ['a/x'], updates: [], deletes: [] },
    {
      name: 'cluster-scoped keys have no namespace',
      old: [{ metadata: { name: 'node-a', resourceVersion: '1' } }],
      fresh: [{ metadata: { name: 'node-b', resourceVersion: '1' } }],
      adds: ['node-b'],
      updates: [],
      deletes: ['node-a'],
    },
  ];
  for (const c of cases) {
    void test(c.name, () => {
      const store = new Map(c.old.map((o) => [objectKey(o), o] as const));
      const d = diffRelist(store, c.fresh);
      assert.deepEqual(d.adds.map(objectKey).sort(), c.adds);
      assert.deepEqual(d.updates.map((u) => objectKey(u.obj)).sort(), c.updates);
      assert.deepEqual(d.deletes.map(objectKey).sort(), c.deletes);
      for (const u of d.updates) assert.equal(objectKey(u.old), objectKey(u.obj));
    });
  }

  void test('duplicate key: the last object wins', () => {
    const d = diffRelist(new Map<string, Svc>(), [svc('a', 'x', '1'), svc('a', 'x', '2')]);
    assert.equal(d.adds[0].metadata?.resourceVersion, '2');
  });

  void test('objectChanged', () => {
    assert.equal(objectChanged(svc('a', 'x', '1'), svc('a', 'x', '1', 443)), false, 'same resourceVersion wins over content');
    assert.equal(objectChanged(svc('a', 'x', '1'), svc('a', 'x', '2')), true);
    assert.equal(objectChanged(svc('a', 'x'), svc('a', 'x', '2')), true, 'falls back to content');
  });
});

void describe('Informer against a fake API server', () => {
  const SVC_PATH = '/api/v1/namespaces/shop/services';
  const fast = { initialMs: 20, maxMs: 200 };
  let server: FakeApiServer;
  const cleanups: (() => Promise<void>)[] = [];

  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  async function setup(): Promise<FakeApiServer> {
    server = new FakeApiServer();
    await server.start();
    cleanups.push(() => server.stop());
    return server;
  }

  function informer<T extends KubeObject = Svc>(opts: ConstructorParameters<typeof Informer<T>>[2] = {}, res: ResourceRef = Resources.services) {
    const inf = new Informer<T>(server.kubeConfig(), res, { backoff: fast, healthyWatchMs: 1_000, ...opts });
    const events: { type: ChangeType; key: string; rv?: string }[] = [];
    inf.onChange((type, obj) => events.push({ type, key: objectKey(obj), rv: obj.metadata?.resourceVersion }));
    cleanups.push(() => inf.stop());
    return { inf, events };
  }

  const keysOf = (events: { type: ChangeType; key: string }[], type: ChangeType): string[] =>
    events.filter((e) => e.type === type).map((e) => e.key).sort();

  void test('paginated initial list fills the cache, reports adds, then syncs; built-in items get apiVersion/kind', async () => {
    await setup();
    for (let i = 0; i < 5; i++) server.upsert(SVC_PATH, { metadata: { name: `s${i}` }, spec: { port: 80 + i } });
    const { inf, events } = informer({ pageSize: 2 });
    assert.equal(inf.hasSynced(), false);
    inf.start();
    assert.equal(await waitForCacheSync([inf]), true);
    assert.equal(inf.size(), 5);
    assert.deepEqual(keysOf(events, 'ADDED'), ['shop/s0', 'shop/s1', 'shop/s2', 'shop/s3', 'shop/s4']);
    const lists = server.requests.filter((r) => r.method === 'GET' && !r.query.get('watch'));
    assert.equal(lists.length, 3, 'three pages of 2');
    assert.equal(lists[1].query.get('continue') !== null, true);
    assert.equal(inf.get('shop/s3')?.apiVersion, 'v1');
    assert.equal(inf.get('shop/s3')?.kind, 'Service');
    assert.ok(Number(inf.lastResourceVersion()) > 0);
  });

  void test('watch events update the cache: add, modify, delete; bookmarks move the resourceVersion only', async () => {
    await setup();
    server.upsert(SVC_PATH, { metadata: { name: 'a' } });
    const { inf, events } = informer();
    inf.start();
    await inf.whenSynced();
    await waitFor(() => server.watchCount() === 1, 10_000, 'watch open');
    const watchReq = server.requests.find((r) => r.query.get('watch') === 'true');
    assert.equal(watchReq?.query.get('allowWatchBookmarks'), 'true');
    assert.equal(watchReq?.query.get('resourceVersion'), inf.lastResourceVersion());
    server.upsert(SVC_PATH, { metadata: { name: 'b' } });
    server.upsert(SVC_PATH, { metadata: { name: 'a', labels: { x: 'y' } } });
    server.remove(SVC_PATH, 'b');
    await waitFor(() => events.length === 4, 10_000, '4 events');
    assert.deepEqual(
      events.map((e) => `${e.type} ${e.key}`),
      ['ADDED shop/a', 'ADDED shop/b', 'MODIFIED shop/a', 'DELETED shop/b'],
    );
    assert.deepEqual(inf.keys(), ['shop/a']);
    assert.deepEqual(inf.get('shop/a')?.metadata.labels, { x: 'y' });
    assert.equal(inf.listCount, 1, 'no relist while the watch is healthy');
  });

  void test('clean watch end resumes from the last resourceVersion without a relist', async () => {
    await setup();
    const { inf, events } = informer();
    inf.start();
    await inf.whenSynced();
    await waitFor(() => server.watchCount() === 1, 10_000, 'watch open');
    server.endWatches();
    server.upsert(SVC_PATH, { metadata: { name: 'late' } });
    await waitFor(() => events.some((e) => e.key === 'shop/late'), 10_000, 'event after resume');
    assert.equal(inf.listCount, 1);
    const watches = server.requests.filter((r) => r.query.get('watch') === 'true');
    assert.ok(watches.length >= 2);
  });

  void test('410 Gone on re-watch: relist, with a synthesized DELETE for an object deleted meanwhile', async () => {
    await setup();
    server.upsert(SVC_PATH, { metadata: { name: 'stays' } });
    server.upsert(SVC_PATH, { metadata: { name: 'goes' } });
    server.upsert(SVC_PATH, { metadata: { name: 'changes' } });
    const lines: string[] = [];
    const { inf, events } = informer({ logger: createLogger({ format: 'json', write: (l) => lines.push(l) }) });
    inf.start();
    await inf.whenSynced();
    await waitFor(() => server.watchCount() === 1, 10_000, 'watch open');
    // Lose the events, compact history, end the watch: the re-watch gets ERROR 410.
    server.muteWatches = true;
    server.remove(SVC_PATH, 'goes');
    server.upsert(SVC_PATH, { metadata: { name: 'changes', labels: { v: '2' } } });
    server.upsert(SVC_PATH, { metadata: { name: 'new' } });
    server.compact();
    server.endWatches();
    server.muteWatches = false;
    await waitFor(() => inf.listCount === 2, 10_000, 'relist');
    assert.deepEqual(keysOf(events, 'DELETED'), ['shop/goes']);
    assert.deepEqual(keysOf(events, 'MODIFIED'), ['shop/changes']);
    assert.deepEqual(keysOf(events, 'ADDED'), ['shop/changes', 'shop/goes', 'shop/new', 'shop/stays']);
    assert.deepEqual(inf.keys().sort(), ['shop/changes', 'shop/new', 'shop/stays']);
    assert.equal(inf.hasSynced(), true);
    assert.ok(lines.some((l) => l.includes('410 Gone')), 'the relist came from the 410');
  });

  void test('survives an API server restart: retries while refused, relists when back, reports what changed', async () => {
    await setup();
    server.upsert(SVC_PATH, { metadata: { name: 'a' } });
    server.upsert(SVC_PATH, { metadata: { name: 'b' } });
    const { inf, events } = informer();
    inf.start();
    await inf.whenSynced();
    await waitFor(() => server.watchCount() === 1, 10_000, 'watch open');
    await server.stop();
    // Changes while the informer cannot see anything.
    server.remove(SVC_PATH, 'a');
    server.upsert(SVC_PATH, { metadata: { name: 'c' } });
    server.compact();
    // Stay down long enough for several failed attempts.
    await new Promise((r) => setTimeout(r, 600));
    assert.equal(inf.hasSynced(), true, 'cache stays synced (stale) while the server is down');
    assert.deepEqual(inf.keys().sort(), ['shop/a', 'shop/b']);
    const before = server.requests.length;
    await server.start(); // same port
    await waitFor(() => inf.listCount >= 2 && inf.get('shop/c') !== undefined, 15_000, 'relist after restart');
    assert.deepEqual(keysOf(events, 'DELETED'), ['shop/a']);
    assert.deepEqual(inf.keys().sort(), ['shop/b', 'shop/c']);
    await waitFor(() => server.watchCount() === 1, 10_000, 'watching again');
    assert.ok(server.requests.length > before);
    // And it keeps going.
    server.upsert(SVC_PATH, { metadata: { name: 'd' } });
    await waitFor(() => inf.get('shop/d') !== undefined, 10_000, 'event after restart');
  });

  void test('an API server that is down at start: not synced, waitForCacheSync aborts; syncs once it is up', async () => {
    await setup();
    const port = server.port;
    await server.stop();
    const { inf } = informer();
    inf.start();
    const ctl = new AbortController();
    setTimeout(() => ctl.abort(), 300);
    assert.equal(await waitForCacheSync([inf], ctl.signal), false);
    assert.equal(inf.hasSynced(), false);
    server.port = port;
    await server.start();
    assert.equal(await waitForCacheSync([inf], AbortSignal.timeout(15_000)), true);
  });

  void test('watch failing with an HTTP error is retried with backoff, never exiting', async () => {
    await setup();
    let failures = 0;
    server.failWith = (r) => {
      if (r.query.get('watch') === 'true' && failures < 3) {
        failures++;
        return 500;
      }
      return undefined;
    };
    const { inf } = informer();
    inf.start();
    await inf.whenSynced();
    await waitFor(() => server.watchCount() === 1, 15_000, 'watch eventually open');
    assert.equal(failures, 3);
    assert.equal(inf.listCount, 4, 'a relist after each failed watch');
  });

  void test('watches that keep closing at once lead to a relist (no endless resume loop)', async () => {
    await setup();
    server.upsert(SVC_PATH, { metadata: { name: 'a' } });
    const { inf, events } = informer();
    inf.start();
    await inf.whenSynced();
    await waitFor(() => server.watchCount() === 1, 10_000, 'watch open');
    server.muteWatches = true;
    server.remove(SVC_PATH, 'a');
    server.closeWatchesAtOnce = true;
    server.endWatches();
    await waitFor(() => inf.listCount >= 2, 10_000, 'relist after short closes');
    assert.deepEqual(keysOf(events, 'DELETED'), ['shop/a']);
    const watches = server.requests.filter((r) => r.query.get('watch') === 'true').length;
    assert.ok(watches >= 3, `${watches} watch attempts`);
  });

  void test('KubeListWatcher: a watch that gets no response is given up after the connect timeout', async () => {
    await setup();
    server.hangWatches = true;
    const lw = new KubeListWatcher<Svc>(server.kubeConfig(), Resources.services, {}, 200);
    const end = await lw.watch({ resourceVersion: '1', timeoutSeconds: 60, signal: AbortSignal.timeout(10_000), onEvent: () => undefined });
    assert.equal(end.kind, 'error');
    assert.match(String((end as { error: Error }).error.message), /no response within 200 ms/);
    server.hangWatches = false;
  });

  void test('KubeListWatcher: aborting the signal ends the watch', async () => {
    await setup();
    const lw = new KubeListWatcher<Svc>(server.kubeConfig(), Resources.services);
    const ctl = new AbortController();
    const p = lw.watch({ resourceVersion: '1', timeoutSeconds: 60, signal: ctl.signal, onEvent: () => undefined });
    await waitFor(() => server.watchCount() === 1, 10_000, 'watch open');
    ctl.abort();
    assert.deepEqual(await p, { kind: 'aborted' });
    await waitFor(() => server.watchCount() === 0, 10_000, 'server saw the close');
  });

  void test('periodic relist', async () => {
    await setup();
    const { inf } = informer({ resyncPeriodMs: 100 });
    inf.start();
    await waitFor(() => inf.listCount >= 3, 10_000, 'three lists');
  });

  void test('an expired continue token restarts the list', async () => {
    await setup();
    for (let i = 0; i < 3; i++) server.upsert(SVC_PATH, { metadata: { name: `s${i}` } });
    let expired = 0;
    server.failWith = (r) => (r.query.get('continue') && expired++ === 0 ? 410 : undefined);
    const { inf } = informer({ pageSize: 2 });
    inf.start();
    await inf.whenSynced();
    assert.equal(inf.size(), 3);
    assert.equal(expired >= 1, true);
  });

  void test('stop() ends the watch and no request follows', async () => {
    await setup();
    const { inf } = informer();
    inf.start();
    await inf.whenSynced();
    await waitFor(() => server.watchCount() === 1, 10_000, 'watch open');
    await inf.stop();
    await waitFor(() => server.watchCount() === 0, 10_000, 'watch closed');
    const n = server.requests.length;
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(server.requests.length, n);
  });

  void test('paths and selectors: cluster-scoped nodes, namespaced endpointslices, the CRD; selectors reach list and watch', async () => {
    await setup();
    server.upsert('/api/v1/nodes', { metadata: { name: 'node-a' } });
    server.upsert('/apis/discovery.k8s.io/v1/namespaces/shop/endpointslices', {
      metadata: { name: 'web-abc', labels: { 'kubernetes.io/service-name': 'web' } },
    });
    server.upsert('/apis/vipannouncer.io/v1alpha1/namespaces/shop/vipannouncements', {
      apiVersion: 'vipannouncer.io/v1alpha1',
      kind: 'VipAnnouncement',
      metadata: { name: 'web' },
      spec: { addresses: ['203.0.113.10'] },
    });
    const nodes = informer({}, Resources.nodes).inf;
    const slices = informer({ namespace: 'shop', labelSelector: 'kubernetes.io/service-name' }, Resources.endpointSlices).inf;
    const vipas = informer({}, Resources.vipAnnouncements).inf;
    for (const i of [nodes, slices, vipas]) i.start();
    assert.equal(await waitForCacheSync([nodes, slices, vipas], AbortSignal.timeout(10_000)), true);
    assert.deepEqual(nodes.keys(), ['node-a']);
    assert.equal(nodes.get('node-a')?.kind, 'Node');
    assert.deepEqual(slices.keys(), ['shop/web-abc']);
    assert.equal(slices.get('shop/web-abc')?.apiVersion, 'discovery.k8s.io/v1');
    assert.equal(slices.get('shop/web-abc')?.kind, 'EndpointSlice');
    assert.deepEqual(vipas.keys(), ['shop/web']);
    const paths = new Set(server.requests.map((r) => r.path));
    assert.ok(paths.has('/api/v1/nodes'));
    assert.ok(paths.has('/apis/discovery.k8s.io/v1/namespaces/shop/endpointslices'));
    assert.ok(paths.has('/apis/vipannouncer.io/v1alpha1/vipannouncements'));
    await waitFor(() => server.watchCount() === 3, 10_000, 'three watches');
    const sliceReqs = server.requests.filter((r) => r.path.endsWith('/endpointslices'));
    assert.ok(sliceReqs.length >= 2);
    for (const r of sliceReqs) assert.equal(r.query.get('labelSelector'), 'kubernetes.io/service-name');
  });

  void test('a throwing handler is logged and does not stop the informer', async () => {
    await setup();
    const { inf, events } = informer();
    inf.onAdd(() => {
      throw new Error('handler bug');
    });
    inf.start();
    await inf.whenSynced();
    server.upsert(SVC_PATH, { metadata: { name: 'x' } });
    server.upsert(SVC_PATH, { metadata: { name: 'y' } });
    await waitFor(() => events.length === 2, 10_000, 'both events');
  });
});
