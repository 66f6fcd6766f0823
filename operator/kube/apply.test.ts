import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  APPLY_PATCH,
  KubeApiError,
  MERGE_PATCH,
  ResourceClient,
  applyObject,
  applyStatus,
  createObject,
  createOrReplace,
  deleteObject,
  getObject,
  isAlreadyExists,
  isConflict,
  isGone,
  isInvalid,
  isNetworkError,
  isNotFound,
  mergePatch,
  mergePatchStatus,
  replaceObject,
} from './apply';
import type { KubeObject } from './resources';
import { Resources, resourcePath } from './resources';
import { FakeApiServer } from './fakeApiServer';

interface Vipa extends KubeObject {
  metadata: { name: string; namespace?: string; uid?: string; resourceVersion?: string };
  spec?: { addresses: string[] };
  status?: { advertisedBy?: number; speakers?: { node: string }[] };
}

const VIPA = Resources.vipAnnouncements;
const VIPA_PATH = resourcePath(VIPA, 'shop');

async function rejection(p: Promise<unknown>): Promise<KubeApiError> {
  try {
    await p;
  } catch (err) {
    assert.ok(err instanceof KubeApiError, `expected KubeApiError, got ${String(err)}`);
    return err;
  }
  assert.fail('expected a rejection');
}

void describe('apply and friends against a fake API server', () => {
  const server = new FakeApiServer();
  before(() => server.start());
  after(() => server.stop());
  const kc = () => server.kubeConfig();

  void test('applyObject: PATCH apply-patch+yaml with fieldManager and force, apiVersion/kind filled in; creates when missing', async () => {
    const out = await applyObject<Vipa>(kc(), VIPA, { metadata: { name: 'web', namespace: 'shop' }, spec: { addresses: ['203.0.113.10'] } }, { fieldManager: 'vip-controller' });
    const req = server.requests.at(-1);
    assert.equal(req?.method, 'PATCH');
    assert.equal(req?.path, '/apis/vipannouncer.io/v1alpha1/namespaces/shop/vipannouncements/web');
    assert.equal(req?.contentType, APPLY_PATCH);
    assert.equal(req?.query.get('fieldManager'), 'vip-controller');
    assert.equal(req?.query.get('force'), 'true');
    assert.deepEqual(req?.body, {
      apiVersion: 'vipannouncer.io/v1alpha1',
      kind: 'VipAnnouncement',
      metadata: { name: 'web', namespace: 'shop' },
      spec: { addresses: ['203.0.113.10'] },
    });
    assert.equal(out.metadata.name, 'web');
    assert.ok(out.metadata.uid);
    assert.deepEqual(server.get(VIPA_PATH, 'web')?.spec, { addresses: ['203.0.113.10'] });
  });

  void test('applyObject with force: false', async () => {
    await applyObject(kc(), VIPA, { metadata: { name: 'web', namespace: 'shop' } }, { fieldManager: 'm', force: false });
    assert.equal(server.requests.at(-1)?.query.get('force'), 'false');
  });

  void test('applyStatus goes to /status; mergePatchStatus sends {status} as merge-patch', async () => {
    await applyStatus(kc(), VIPA, { metadata: { name: 'web', namespace: 'shop' }, status: { speakers: [{ node: 'node-a' }] } }, { fieldManager: 'speaker-node-a' });
    let req = server.requests.at(-1);
    assert.equal(req?.path, '/apis/vipannouncer.io/v1alpha1/namespaces/shop/vipannouncements/web/status');
    assert.equal(req?.contentType, APPLY_PATCH);
    assert.equal(req?.query.get('fieldManager'), 'speaker-node-a');
    const out = await mergePatchStatus<Vipa>(kc(), VIPA, 'shop', 'web', { advertisedBy: 1 });
    req = server.requests.at(-1);
    assert.equal(req?.contentType, MERGE_PATCH);
    assert.deepEqual(req?.body, { status: { advertisedBy: 1 } });
    assert.equal(out.status?.advertisedBy, 1);
    assert.deepEqual(out.status?.speakers, [{ node: 'node-a' }]);
  });

  void test('apply to the status of a missing object is a 404', async () => {
    const err = await rejection(applyStatus(kc(), VIPA, { metadata: { name: 'nope', namespace: 'shop' }, status: {} }, { fieldManager: 'm' }));
    assert.equal(err.statusCode, 404);
    assert.equal(err.reason, 'NotFound');
    assert.ok(isNotFound(err));
  });

  void test('getObject: undefined when missing', async () => {
    assert.equal(await getObject(kc(), VIPA, 'shop', 'missing'), undefined);
    assert.equal((await getObject<Vipa>(kc(), VIPA, 'shop', 'web'))?.metadata.name, 'web');
  });

  void test('errors are typed: 404 / 409 AlreadyExists / 409 Conflict / 410 / 422 / network', async () => {
    const e404 = await rejection(mergePatch(kc(), VIPA, 'shop', 'missing', { spec: {} }));
    assert.ok(isNotFound(e404) && !isConflict(e404));

    const eExists = await rejection(createObject(kc(), VIPA, { metadata: { name: 'web', namespace: 'shop' } }));
    assert.equal(eExists.statusCode, 409);
    assert.ok(isAlreadyExists(eExists) && isConflict(eExists));

    const eStale = await rejection(replaceObject(kc(), VIPA, { metadata: { name: 'web', namespace: 'shop', resourceVersion: '1' }, spec: { addresses: [] } }));
    assert.ok(isConflict(eStale) && !isAlreadyExists(eStale));
    assert.equal(eStale.reason, 'Conflict');

    server.failWith = (r) => (r.path.endsWith('/gone') ? 410 : r.path.endsWith('/invalid') ? 422 : undefined);
    try {
      assert.ok(isGone(await rejection(getObject(kc(), VIPA, 'shop', 'gone'))));
      const e422 = await rejection(getObject(kc(), VIPA, 'shop', 'invalid'));
      assert.ok(isInvalid(e422));
      assert.equal(e422.status?.code, 422);
      assert.match(e422.message, /422/);
    } finally {
      server.failWith = undefined;
    }

    const dead = new FakeApiServer();
    await dead.start();
    const deadKc = dead.kubeConfig();
    await dead.stop();
    const eNet = await rejection(getObject(deadKc, VIPA, 'shop', 'web'));
    assert.ok(isNetworkError(eNet));
    assert.equal(eNet.statusCode, 0);
    assert.equal(eNet.reason, 'ECONNREFUSED');
  });

  void test('deleteObject: uid precondition, false when already gone', async () => {
    const obj = await createObject<Vipa>(kc(), VIPA, { metadata: { name: 'tmp', namespace: 'shop' } });
    const eUid = await rejection(deleteObject(kc(), VIPA, 'shop', 'tmp', { uid: 'someone-else' }));
    assert.ok(isConflict(eUid));
    assert.equal(await deleteObject(kc(), VIPA, 'shop', 'tmp', { uid: obj.metadata.uid, propagationPolicy: 'Background' }), true);
    const req = server.requests.at(-1);
    assert.deepEqual(req?.body, {
      apiVersion: 'v1',
      kind: 'DeleteOptions',
      preconditions: { uid: obj.metadata.uid },
      propagationPolicy: 'Background',
    });
    assert.equal(await deleteObject(kc(), VIPA, 'shop', 'tmp'), false);
  });

  void test('createOrReplace creates, then replaces with the current resourceVersion', async () => {
    const a = await createOrReplace<Vipa>(kc(), VIPA, { metadata: { name: 'cor', namespace: 'shop' }, spec: { addresses: ['192.0.2.1'] } });
    const b = await createOrReplace<Vipa>(kc(), VIPA, { metadata: { name: 'cor', namespace: 'shop' }, spec: { addresses: ['192.0.2.2'] } });
    assert.equal(b.metadata.uid, a.metadata.uid);
    assert.deepEqual(server.get(VIPA_PATH, 'cor')?.spec, { addresses: ['192.0.2.2'] });
  });

  void test('namespaced kinds need a namespace; cluster-scoped kinds ignore it', async () => {
    await assert.rejects(() => getObject(kc(), VIPA, undefined, 'web'), /namespace is required/);
    await applyObject(kc(), Resources.nodes, { metadata: { name: 'node-a', namespace: 'ignored' } }, { fieldManager: 'm' });
    assert.equal(server.requests.at(-1)?.path, '/api/v1/nodes/node-a');
  });

  void test('ResourceClient binds kind and field manager', async () => {
    const vipas = new ResourceClient<Vipa>(kc(), VIPA, 'vip-controller');
    await vipas.apply({ metadata: { name: 'rc', namespace: 'shop' }, spec: { addresses: ['198.51.100.1'] } } as KubeObject);
    assert.equal(server.requests.at(-1)?.query.get('fieldManager'), 'vip-controller');
    const st = await vipas.applyStatus({ metadata: { name: 'rc', namespace: 'shop' }, status: { advertisedBy: 2 } });
    assert.equal(st.status?.advertisedBy, 2);
    await vipas.mergePatch('shop', 'rc', { metadata: { labels: { a: 'b' } } });
    assert.equal(server.requests.at(-1)?.query.get('fieldManager'), 'vip-controller');
    assert.equal(await vipas.delete('shop', 'rc'), true);
    assert.equal(await vipas.get('shop', 'rc'), undefined);
  });
});
