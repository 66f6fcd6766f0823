// The informer's list-watch loop, driven through its ListWatcher seam by an in-memory API server.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { Informer, LIST_PAGE_SIZE, type ChangeType, type InformerOptions } from './informer';
import { FakeListWatcher, goneError, networkError } from './fakeListWatcher';
import { Resources, objectKey, type KubeObject } from './resources';
import { Gate, settlesWithin, waitFor } from './testing';

interface Svc extends KubeObject {
  metadata: { name: string; namespace?: string; resourceVersion?: string };
  spec?: { port?: number };
}

const svc = (name: string, port = 80): Svc => ({ metadata: { name, namespace: 'ns' }, spec: { port } });

/** One handler call, as "TYPE key@rv" plus the old object's resourceVersion on MODIFIED. */
interface Seen {
  type: ChangeType;
  key: string;
  rv?: string;
  oldRv?: string;
}

function setup(t: TestContext, objs: Svc[], opts: InformerOptions<Svc> = {}) {
  const fake = new FakeListWatcher<Svc>(objs);
  const inf = new Informer<Svc>(undefined, Resources.services, {
    listWatcher: fake,
    watchTimeoutSeconds: 60,
    backoff: { initialMs: 20, maxMs: 200 },
    ...opts,
  });
  const seen: Seen[] = [];
  inf.onChange((type, obj, old) => seen.push({ type, key: objectKey(obj), rv: obj.metadata?.resourceVersion, oldRv: old?.metadata?.resourceVersion }));
  t.after(() => inf.stop());
  return { fake, inf, seen };
}

/** Start, wait for the first list and for the watch that follows it. */
async function started(t: TestContext, objs: Svc[], opts: InformerOptions<Svc> = {}) {
  const s = setup(t, objs, opts);
  s.inf.start();
  assert.equal(await s.inf.whenSynced(), true);
  await waitFor(() => s.fake.openWatches() === 1, 5_000, 'the watch');
  return s;
}

void test('lists, then watches from the list resourceVersion', async (t) => {
  const { fake, inf, seen } = await started(t, [svc('a'), svc('b')]);
  assert.deepEqual(
    fake.lists.map((l) => [l.limit, l.continueToken]),
    [[LIST_PAGE_SIZE, undefined]],
  );
  assert.deepEqual(
    fake.watches.map((w) => [w.resourceVersion, w.timeoutSeconds]),
    [['102', 60]],
  );
  assert.deepEqual(inf.keys().sort(), ['ns/a', 'ns/b']);
  assert.equal(inf.lastResourceVersion(), '102');
  assert.equal(inf.listCount, 1);
  assert.deepEqual(
    seen.map((s) => `${s.type} ${s.key}`),
    ['ADDED ns/a', 'ADDED ns/b'],
  );
});

void test('a paged list pins one snapshot; the watch from it catches up with changes made meanwhile', async (t) => {
  const { fake, inf, seen } = setup(t, ['a', 'b', 'c', 'd', 'e'].map((n) => svc(n)), { pageSize: 2 });
  fake.beforeList = (req) => {
    if (req.continueToken && !fake.get('ns/late')) fake.upsert(svc('late'));
  };
  inf.start();
  await inf.whenSynced();
  assert.deepEqual(
    fake.lists.map((l) => [l.limit, l.continueToken !== undefined]),
    [
      [2, false],
      [2, true],
      [2, true],
    ],
  );
  await waitFor(() => inf.get('ns/late') !== undefined, 5_000, 'the change made during the list');
  assert.equal(fake.watches[0].resourceVersion, '105', 'watch from the snapshot, not from the newer object');
  assert.deepEqual(
    seen.map((s) => `${s.type} ${s.key}`),
    ['ADDED ns/a', 'ADDED ns/b', 'ADDED ns/c', 'ADDED ns/d', 'ADDED ns/e', 'ADDED ns/late'],
  );
});

void test('an expired continue token restarts the list from the first page, once', async (t) => {
  const { fake, inf } = setup(t, ['a', 'b', 'c', 'd', 'e'].map((n) => svc(n)), { pageSize: 2 });
  let expired = false;
  fake.beforeList = (req) => {
    if (req.continueToken && !expired) {
      expired = true;
      throw goneError('the provided continue parameter is too old');
    }
  };
  inf.start();
  await inf.whenSynced();
  assert.deepEqual(
    fake.lists.map((l) => l.continueToken === undefined),
    [true, false, true, false, false],
  );
  assert.equal(inf.size(), 5);
  assert.equal(inf.listCount, 1, 'one complete list');
});

void test('watch events update the store and call the handlers; MODIFIED carries the old object', async (t) => {
  const { fake, inf, seen } = await started(t, [svc('a'), svc('b')]);
  const adds: string[] = [];
  const updates: string[] = [];
  const deletes: string[] = [];
  inf.onAdd((o) => adds.push(objectKey(o)));
  const offUpdate = inf.onUpdate((o, old) => updates.push(`${objectKey(o)} ${old.metadata.resourceVersion}->${o.metadata.resourceVersion}`));
  inf.onDelete((o) => deletes.push(`${objectKey(o)}@${o.metadata.resourceVersion}`));
  seen.length = 0;

  fake.upsert(svc('c'));
  fake.upsert(svc('a', 443));
  const lastB = fake.remove('ns/b');
  assert.deepEqual(seen, [
    { type: 'ADDED', key: 'ns/c', rv: '103', oldRv: undefined },
    { type: 'MODIFIED', key: 'ns/a', rv: '104', oldRv: '101' },
    { type: 'DELETED', key: 'ns/b', rv: lastB.metadata.resourceVersion, oldRv: undefined },
  ]);
  assert.deepEqual(adds, ['ns/c']);
  assert.deepEqual(updates, ['ns/a 101->104']);
  assert.deepEqual(deletes, ['ns/b@105']);
  assert.deepEqual(inf.keys().sort(), ['ns/a', 'ns/c']);
  assert.equal(inf.get('ns/a')?.spec?.port, 443);
  assert.equal(inf.lastResourceVersion(), '105');

  offUpdate();
  fake.upsert(svc('c', 8080));
  assert.deepEqual(updates, ['ns/a 101->104'], 'an unregistered handler is not called');
  assert.equal(seen.at(-1)?.type, 'MODIFIED');
});

void test('a handler that throws neither stops the other handlers nor the loop', async (t) => {
  const { fake, inf, seen } = await started(t, []);
  inf.onAdd(() => {
    throw new Error('handler bug');
  });
  fake.upsert(svc('a'));
  fake.upsert(svc('b'));
  assert.deepEqual(
    seen.map((s) => s.key),
    ['ns/a', 'ns/b'],
  );
  assert.equal(inf.size(), 2);
});

void test('a watch that ends normally resumes from the last resourceVersion seen, without a relist', async (t) => {
  const { fake, inf, seen } = await started(t, [svc('a')]);
  fake.upsert(svc('b'));
  fake.upsert(svc('c'), { deliver: false }); // lost with the closing stream
  fake.endWatches({ kind: 'closed' });
  await waitFor(() => fake.watches.length === 2 && fake.openWatches() === 1, 5_000, 'the resumed watch');
  assert.equal(fake.watches[1].resourceVersion, '102');
  assert.equal(fake.lists.length, 1, 'no relist');
  assert.deepEqual(
    seen.map((s) => `${s.type} ${s.key}`),
    ['ADDED ns/a', 'ADDED ns/b', 'ADDED ns/c'],
  );
  assert.equal(inf.lastResourceVersion(), '103');
});

void test('three watches in a row that close at once lead to a relist', async (t) => {
  const { fake } = await started(t, [svc('a')]);
  fake.watchEnds.push({ kind: 'closed' }, { kind: 'closed' });
  fake.endWatches({ kind: 'closed' });
  await waitFor(() => fake.lists.length === 2, 5_000, 'the relist');
  assert.deepEqual(
    fake.watches.slice(0, 3).map((w) => w.resourceVersion),
    ['101', '101', '101'],
  );
});

void test('410 Gone: relist, and objects missing from the new list are deleted with their last known state', async (t) => {
  const { fake, inf, seen } = await started(t, [svc('a'), svc('b'), svc('keep')]);
  fake.remove('ns/a', { deliver: false });
  fake.upsert(svc('b', 443), { deliver: false });
  fake.upsert(svc('c'), { deliver: false });
  fake.compact(); // the changes above are no longer in the server's event history
  seen.length = 0;
  fake.endWatches({ kind: 'closed' }); // the resume from 103 is answered 410 Gone
  await waitFor(() => fake.watches.length === 3 && fake.openWatches() === 1, 5_000, 'the watch after the relist');

  assert.deepEqual(
    fake.watches.map((w) => w.resourceVersion),
    ['103', '103', '106'],
  );
  assert.equal(fake.lists.length, 2);
  assert.deepEqual(seen, [
    { type: 'DELETED', key: 'ns/a', rv: '101', oldRv: undefined },
    { type: 'ADDED', key: 'ns/c', rv: '106', oldRv: undefined },
    { type: 'MODIFIED', key: 'ns/b', rv: '105', oldRv: '102' },
  ]);
  assert.deepEqual(inf.keys().sort(), ['ns/b', 'ns/c', 'ns/keep']);
  assert.equal(inf.hasSynced(), true);
});

void test('a 410 Gone watch end relists even when the stream was long-lived', async (t) => {
  const { fake } = await started(t, [svc('a')], { healthyWatchMs: 0 });
  fake.endWatches({ kind: 'gone', message: 'too old resource version: 101' });
  await waitFor(() => fake.lists.length === 2 && fake.openWatches() === 1, 5_000, 'relist and watch');
});

void test('a broken stream: after a backoff, the informer relists and finds what changed during the outage', async (t) => {
  const { fake, inf, seen } = await started(t, [svc('a'), svc('b')], { backoff: { initialMs: 80, maxMs: 1_000 } });
  fake.remove('ns/b', { deliver: false });
  const broke = Date.now();
  fake.endWatches({ kind: 'error', error: networkError('read ECONNRESET') });
  await waitFor(() => fake.openWatches() === 1 && fake.watches.length === 2, 5_000, 'the watch after the outage');
  assert.equal(fake.lists.length, 2);
  assert.ok(fake.lists[1].at - broke >= 75, `waited ${fake.lists[1].at - broke} ms before listing again`);
  assert.equal(fake.watches[1].resourceVersion, '103');
  assert.deepEqual(inf.keys(), ['ns/a']);
  assert.deepEqual(seen.at(-1), { type: 'DELETED', key: 'ns/b', rv: '102', oldRv: undefined });
});

void test('failing lists are retried with a growing backoff until one succeeds', async (t) => {
  const { fake, inf } = setup(t, [svc('a')], { backoff: { initialMs: 30, maxMs: 1_000 } });
  fake.listFailures.push(networkError(), networkError());
  inf.start();
  assert.equal(await inf.whenSynced(), true);
  assert.equal(fake.lists.length, 3);
  const gaps = [fake.lists[1].at - fake.lists[0].at, fake.lists[2].at - fake.lists[1].at];
  assert.ok(gaps[0] >= 25 && gaps[1] >= 55, `gaps ${gaps.join(', ')} ms: 30 then 60`);
  assert.equal(inf.size(), 1);
});

void test('a watch that rejects (instead of ending) counts as a failed watch: the loop carries on', async (t) => {
  const { fake, inf } = await started(t, [svc('a')]);
  fake.watchRejections.push(new Error('transport bug'));
  fake.endWatches({ kind: 'closed' });
  await waitFor(() => fake.lists.length === 2 && fake.openWatches() === 1, 5_000, 'relist and watch after the rejection');
  fake.upsert(svc('b'));
  assert.ok(inf.get('ns/b'), 'the new watch feeds the cache');
});

void test('BOOKMARK advances the resourceVersion without calling handlers', async (t) => {
  const { fake, inf, seen } = await started(t, [svc('a')]);
  const before = seen.length;
  const rv = fake.bookmark();
  assert.equal(inf.lastResourceVersion(), rv);
  assert.equal(seen.length, before);
  assert.equal(inf.size(), 1);
  fake.endWatches({ kind: 'closed' });
  await waitFor(() => fake.watches.length === 2, 5_000, 'the resumed watch');
  assert.equal(fake.watches[1].resourceVersion, rv);
  assert.equal(fake.lists.length, 1);
});

void test('whenSynced resolves only after the first complete list', async (t) => {
  const { fake, inf, seen } = setup(t, [svc('a')]);
  const gate = new Gate();
  fake.listGate = gate.wait;
  inf.start();
  const synced = inf.whenSynced();
  assert.equal(await settlesWithin(synced, 50), false);
  assert.equal(inf.hasSynced(), false);
  assert.equal(seen.length, 0);
  gate.open();
  assert.equal(await synced, true);
  assert.equal(inf.hasSynced(), true);
  assert.equal(seen.length, 1, 'the handlers saw the list before whenSynced resolved');
  assert.equal(await inf.whenSynced(), true, 'and at once afterwards');
});

void test('whenSynced is false when its signal aborts or the informer stops first', async (t) => {
  const { fake, inf } = setup(t, [svc('a')]);
  fake.listGate = new Gate().wait;
  inf.start();
  const ctl = new AbortController();
  const bySignal = inf.whenSynced(ctl.signal);
  const byStop = inf.whenSynced();
  ctl.abort();
  assert.equal(await bySignal, false);
  assert.equal(await settlesWithin(byStop, 30), false, 'still waiting');
  await inf.stop(); // also cuts the list that waits on the gate
  assert.equal(await byStop, false);
  assert.equal(await inf.whenSynced(), false);
});

void test('stop() ends the watch and the loop; the cache keeps its content', async (t) => {
  const { fake, inf } = await started(t, [svc('a')]);
  assert.equal(await settlesWithin(inf.stop(), 1_000), true);
  assert.equal(fake.openWatches(), 0);
  const calls = fake.lists.length + fake.watches.length;
  await new Promise((r) => setTimeout(r, 60));
  assert.equal(fake.lists.length + fake.watches.length, calls, 'no request after stop');
  assert.deepEqual(inf.keys(), ['ns/a']);
  inf.start();
  assert.equal(fake.lists.length + fake.watches.length, calls, 'a stopped informer does not start again');
});

void test('stop() cuts a backoff wait short', async (t) => {
  const { fake, inf } = await started(t, [svc('a')], { backoff: { initialMs: 60_000, maxMs: 60_000 } });
  fake.endWatches({ kind: 'error', error: networkError() });
  await new Promise((r) => setTimeout(r, 20));
  assert.equal(await settlesWithin(inf.stop(), 1_000), true);
  assert.equal(fake.lists.length, 1);
});

void test('relistPeriodMs relists periodically; an unchanged relist calls no handler', async (t) => {
  const { fake, seen } = await started(t, [svc('a')], { relistPeriodMs: 40 });
  await waitFor(() => fake.lists.length >= 3, 5_000, 'two periodic relists');
  assert.deepEqual(
    seen.map((s) => `${s.type} ${s.key}`),
    ['ADDED ns/a'],
  );
});
