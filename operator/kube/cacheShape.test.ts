import { test } from 'node:test';
import assert from 'node:assert/strict';
import { slimForCache } from './cacheShape';

void test('cached objects lose managedFields, and Nodes their image and volume inventory, nothing else', () => {
  const node = slimForCache({
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name: 'n', labels: { a: 'b' }, managedFields: [{ manager: 'kubelet' }] },
    status: { addresses: [{ type: 'InternalIP', address: '10.0.0.1' }], images: [{ names: ['x'] }], volumesInUse: ['v'], volumesAttached: [] },
  });
  assert.deepEqual(node, {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name: 'n', labels: { a: 'b' } },
    status: { addresses: [{ type: 'InternalIP', address: '10.0.0.1' }] },
  });
  const svc = slimForCache({ kind: 'Service', metadata: { name: 's', managedFields: [] }, status: { images: 'kept: not a Node' } });
  assert.deepEqual(svc, { kind: 'Service', metadata: { name: 's' }, status: { images: 'kept: not a Node' } });
});

void test('annotations outside vipannouncer.io/ and the Service labels copied onto EndpointSlices are dropped', () => {
  const big = 'x'.repeat(256 * 1024);
  const svc = slimForCache({
    kind: 'Service',
    metadata: { name: 's', labels: { app: 'web', tier: 'front' }, annotations: { 'vipannouncer.io/loadBalancerIPs': '192.0.2.1', 'kubectl.kubernetes.io/last-applied-configuration': big, 'example.com/blob': big } },
  });
  assert.deepEqual(svc.metadata, { name: 's', labels: { app: 'web', tier: 'front' }, annotations: { 'vipannouncer.io/loadBalancerIPs': '192.0.2.1' } });
  assert.deepEqual(slimForCache({ kind: 'Service', metadata: { name: 't', annotations: { 'example.com/blob': big } } }).metadata, { name: 't' });
  const slice = slimForCache({
    kind: 'EndpointSlice',
    metadata: { name: 's-abc', labels: { 'kubernetes.io/service-name': 's', 'endpointslice.kubernetes.io/managed-by': 'endpointslice-controller.k8s.io', app: 'web', blob: 'y'.repeat(63) } },
  });
  assert.deepEqual(slice.metadata, { name: 's-abc', labels: { 'kubernetes.io/service-name': 's' } });
  // Labels of other kinds stay: pools select Services and Namespaces by them.
  assert.deepEqual(slimForCache({ kind: 'Namespace', metadata: { name: 'ns', labels: { team: 'a' } } }).metadata, { name: 'ns', labels: { team: 'a' } });
});
