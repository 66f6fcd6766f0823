import { test } from 'node:test';
import assert from 'node:assert/strict';

import { objectKey, splitKey } from './resources';

test('objectKey and splitKey: "namespace/name", or "name" when cluster-scoped', () => {
  assert.equal(objectKey({ metadata: { namespace: 'shop', name: 'web' } }), 'shop/web');
  assert.equal(objectKey({ metadata: { name: 'x' } }), 'x');
  assert.deepEqual(splitKey('shop/web'), { namespace: 'shop', name: 'web' });
  assert.deepEqual(splitKey('x'), { name: 'x' });
});
