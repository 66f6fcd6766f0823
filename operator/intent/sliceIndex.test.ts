import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { V1EndpointSlice } from '@kubernetes/client-node';
import { MapCache } from '../kube/testing';
import { SliceIndex, serviceKeyOfSlice } from './sliceIndex';

const slice = (name: string, service: string, owner?: string): V1EndpointSlice => ({
  metadata: {
    name,
    namespace: 'ns',
    labels: { 'kubernetes.io/service-name': service },
    ...(owner ? { ownerReferences: [{ apiVersion: 'v1', kind: 'Service', name: owner, uid: 'u' }] } : {}),
  },
  endpoints: [],
  addressType: 'IPv4',
});

void test('a slice belongs to its owner Service, else to its label', () => {
  assert.equal(serviceKeyOfSlice(slice('a', 'web')), 'ns/web');
  assert.equal(serviceKeyOfSlice(slice('a', 'web', 'api')), 'ns/api');
  assert.equal(serviceKeyOfSlice({ metadata: { name: 'x', namespace: 'ns' }, endpoints: [], addressType: 'IPv4' }), undefined);
});

void test('the index follows slices between Services and holds nothing for a Service without slices', () => {
  const index = new SliceIndex();
  const cache = new MapCache<V1EndpointSlice>();
  const a = slice('a', 'web');
  cache.put(a);
  assert.deepEqual(index.update('ADDED', a, undefined), ['ns/web']);
  assert.deepEqual(index.slicesOf('ns/web', cache).map((s) => s.metadata?.name), ['a']);

  const moved = slice('a', 'api');
  cache.put(moved);
  assert.deepEqual(index.update('MODIFIED', moved, a), ['ns/web', 'ns/api'], 'both Services are concerned');
  assert.deepEqual(index.slicesOf('ns/web', cache), []);
  assert.equal(index.size(), 1, 'the empty set of ns/web is gone');

  cache.remove('ns/a');
  assert.deepEqual(index.update('DELETED', moved, undefined), ['ns/api']);
  assert.equal(index.size(), 0, 'nothing is kept for Services whose slices are all gone');
});
