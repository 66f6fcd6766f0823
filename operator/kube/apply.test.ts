// Pure parts of the write helpers: error classification and the checks made before any request.
// Every request against an API server is tested on the lab's real kube-apiserver in
// test-e2e/plumbing.test.ts.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { KubeConfig } from '@kubernetes/client-node';
import {
  KubeApiError, applyObject, deleteObject, getObject, isAlreadyExists, isConflict, isGone, isInvalid, isNetworkError, isNotFound, mergePatch,
} from './apply';
import { Resources } from './resources';

void describe('error classification', () => {
  const err = (code: number, reason: string) => new KubeApiError(code, reason, `${code} ${reason}`, 'GET', '/x');
  const cases: { e: KubeApiError; want: string[] }[] = [
    { e: err(404, 'NotFound'), want: ['notFound'] },
    { e: err(409, 'AlreadyExists'), want: ['conflict', 'alreadyExists'] },
    { e: err(409, 'Conflict'), want: ['conflict'] },
    { e: err(410, 'Expired'), want: ['gone'] },
    { e: err(422, 'Invalid'), want: ['invalid'] },
    { e: err(0, 'ECONNREFUSED'), want: ['network'] },
    { e: err(500, 'InternalError'), want: [] },
  ];
  for (const c of cases) {
    void test(`${c.e.statusCode} ${c.e.reason}`, () => {
      const got = Object.entries({
        notFound: isNotFound, conflict: isConflict, alreadyExists: isAlreadyExists, gone: isGone, invalid: isInvalid, network: isNetworkError,
      }).filter(([, f]) => f(c.e)).map(([k]) => k);
      assert.deepEqual(got.sort(), [...c.want].sort());
    });
  }
  void test('plain errors are none of them', () => {
    for (const f of [isNotFound, isConflict, isAlreadyExists, isGone, isInvalid, isNetworkError]) assert.equal(f(new Error('x')), false);
  });
});

void describe('checks before any request', () => {
  const kc = new KubeConfig(); // no cluster: a request would fail differently
  test('namespaced kinds need a namespace; names are required', async () => {
    await assert.rejects(() => getObject(kc, Resources.vipAnnouncements, undefined, 'web'), /namespace is required/);
    await assert.rejects(() => mergePatch(kc, Resources.services, undefined, 'web', {}), /namespace is required/);
    await assert.rejects(() => deleteObject(kc, Resources.services, undefined, 'web'), /namespace is required/);
    await assert.rejects(() => applyObject(kc, Resources.services, { metadata: { name: 'web' } }, { fieldManager: 'm' }), /metadata.namespace is required/);
    await assert.rejects(() => applyObject(kc, Resources.nodes, { metadata: {} }, { fieldManager: 'm' }), /metadata.name is required/);
  });
});
