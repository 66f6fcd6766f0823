// A watch that goes silent without closing (a half-open connection): the informer notices
// the silence, ends the watch and resumes from its last resourceVersion, so the events it
// missed are replayed without a relist. Driven through the ListWatcher seam.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { Informer } from './informer';
import { FakeListWatcher } from './fakeListWatcher';
import { Resources, type KubeObject } from './resources';
import { waitFor } from './testing';

interface Svc extends KubeObject {
  metadata: { name: string; namespace?: string; resourceVersion?: string };
}

const svc = (name: string): Svc => ({ metadata: { name, namespace: 'ns' } });

async function started(t: TestContext, idleMs: number) {
  const fake = new FakeListWatcher<Svc>([svc('a')]);
  const inf = new Informer<Svc>(undefined, Resources.services, {
    listWatcher: fake,
    watchTimeoutSeconds: 600,
    watchIdleTimeoutMs: idleMs,
    backoff: { initialMs: 20, maxMs: 200 },
  });
  t.after(() => inf.stop());
  inf.start();
  assert.equal(await inf.whenSynced(), true);
  await waitFor(() => fake.openWatches() === 1, 5_000, 'the watch');
  return { fake, inf };
}

void test('a silent watch is resumed from the last resourceVersion and catches up, without a relist', async (t) => {
  const { fake, inf } = await started(t, 150);
  fake.upsert(svc('b'));
  const rvBefore = inf.lastResourceVersion();
  // The stream stops delivering but stays open: this change is never sent on it.
  fake.upsert(svc('late'), { deliver: false });
  const started_ = Date.now();
  await waitFor(() => inf.get('ns/late') !== undefined, 2_000, 'the change made while the watch was silent');
  const took = Date.now() - started_;
  assert.ok(took >= 100, `caught up after ${took} ms: before the idle timeout, so not through it`);
  assert.deepEqual(fake.watches.map((w) => w.resourceVersion), [fake.watches[0]?.resourceVersion, rvBefore]);
  assert.equal(inf.listCount, 1, 'resumed, not relisted');
});

void test('bookmarks and events keep a quiet watch alive', async (t) => {
  const { fake } = await started(t, 150);
  for (let i = 0; i < 8; i++) {
    await new Promise((r) => setTimeout(r, 60));
    if (i % 2 === 0) fake.bookmark();
    else fake.upsert(svc(`s${i}`));
  }
  assert.equal(fake.watches.length, 1, 'never silent for 150 ms: the first watch is still the only one');
});

void test('a watch idle timeout of 0 never ends a watch', async (t) => {
  const { fake } = await started(t, 0);
  await new Promise((r) => setTimeout(r, 300));
  assert.equal(fake.watches.length, 1);
});
