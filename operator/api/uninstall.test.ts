import assert from 'node:assert/strict';
import { test } from 'node:test';
import { namespaceUninstalling, uninstallingByLookup, UNINSTALL_ANNOTATION } from './uninstall';

void test('namespaceUninstalling: deleted, or annotated for uninstall (true only)', () => {
  assert.equal(namespaceUninstalling(undefined), false);
  assert.equal(namespaceUninstalling({ metadata: { name: 'v' } }), false);
  assert.equal(namespaceUninstalling({ metadata: { name: 'v', deletionTimestamp: new Date() } }), true);
  assert.equal(namespaceUninstalling({ metadata: { name: 'v', annotations: { [UNINSTALL_ANNOTATION]: 'true' } } }), true);
  assert.equal(namespaceUninstalling({ metadata: { name: 'v', annotations: { [UNINSTALL_ANNOTATION]: 'yes' } } }), false);
});

void test('uninstallingByLookup: gone or forbidden is an uninstall; no answer is not', () => {
  assert.equal(uninstallingByLookup({ kind: 'gone' }), true);
  assert.equal(uninstallingByLookup({ kind: 'forbidden' }), true);
  assert.equal(uninstallingByLookup({ kind: 'unknown' }), false);
  assert.equal(uninstallingByLookup({ kind: 'found', namespace: { metadata: { name: 'v' } } }), false);
  assert.equal(uninstallingByLookup({ kind: 'found', namespace: { metadata: { name: 'v', deletionTimestamp: new Date() } } }), true);
});
