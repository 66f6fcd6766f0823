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
