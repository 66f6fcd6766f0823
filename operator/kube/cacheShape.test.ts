import { test } from 'node:test';
import assert from 'node:assert/strict';
import { slimMetadata, slimShape } from './cacheShape';
import { Resources } from './resources';

void test('slimMetadata drops managedFields and annotations outside vipannouncer.io/, and labels as told', () => {
  const big = 'x'.repeat(256 * 1024);
  const served = () => ({
    kind: 'Service',
    metadata: {
      name: 's',
      managedFields: [{ manager: 'kubectl' }],
      labels: { app: 'web', tier: 'front' },
      annotations: { 'vipannouncer.io/loadBalancerIPs': '192.0.2.1', 'kubectl.kubernetes.io/last-applied-configuration': big, 'example.com/blob': big },
    },
    status: { images: 'kept: only metadata is touched' },
  });
  assert.deepEqual(slimMetadata(served(), 'all'), {
    kind: 'Service',
    metadata: { name: 's', labels: { app: 'web', tier: 'front' }, annotations: { 'vipannouncer.io/loadBalancerIPs': '192.0.2.1' } },
    status: { images: 'kept: only metadata is touched' },
  });
  assert.deepEqual(slimMetadata(served(), ['tier']).metadata?.labels, { tier: 'front' });
  assert.deepEqual(slimMetadata(served(), ['other']).metadata, { name: 's', annotations: { 'vipannouncer.io/loadBalancerIPs': '192.0.2.1' } });
  assert.deepEqual(slimMetadata(served(), 'none').metadata, { name: 's', annotations: { 'vipannouncer.io/loadBalancerIPs': '192.0.2.1' } });
  // No annotation of ours: no annotations at all (not an empty map).
  assert.deepEqual(slimMetadata({ kind: 'Service', metadata: { name: 't', annotations: { 'example.com/blob': big } } }, 'all').metadata, { name: 't' });
  assert.deepEqual(slimMetadata({ kind: 'Service' }, 'none'), { kind: 'Service' });
});

void test('slimShape: bookkeeping dropped, labels kept, one name for every resource', () => {
  const shape = slimShape(Resources.namespaces);
  assert.equal(shape.resource, Resources.namespaces);
  assert.deepEqual(shape.trim({ kind: 'Namespace', metadata: { name: 'ns', labels: { team: 'a' }, annotations: { 'example.com/x': 'y' } } }).metadata, { name: 'ns', labels: { team: 'a' } });
});
