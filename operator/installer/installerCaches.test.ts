import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { InstallerCached } from './installerCaches';

void describe('installer caches', () => {
  it('keep of an admission policy its name and the namespaces of the ServiceAccounts it names, of a binding the policy and the actions it binds with', () => {
    const policy = InstallerCached.admissionPolicies.trim({
      metadata: { name: 'p', uid: 'u', resourceVersion: '1', labels: { a: 'b' }, annotations: { big: 'x'.repeat(1000) }, managedFields: [] },
      spec: { validations: [{ expression: 'true' }] },
      status: { observedGeneration: 1 },
    } as never);
    assert.deepEqual(policy, { metadata: { name: 'p', uid: 'u', resourceVersion: '1' }, serviceAccountNamespaces: [] });
    const naming = InstallerCached.admissionPolicies.trim({
      metadata: { name: 'q' },
      spec: { matchConditions: [{ expression: "request.userInfo.username == 'system:serviceaccount:lb-system:vip-announcer-controller'" }], validations: [{ expression: "x == 'system:serviceaccount:lb-system:vip-announcer-speaker' || y == 'system:serviceaccount:kube-system:generic-garbage-collector'" }] },
    } as never);
    assert.deepEqual(naming, { metadata: { name: 'q' }, serviceAccountNamespaces: ['kube-system', 'lb-system'] });
    const binding = InstallerCached.admissionPolicyBindings.trim({
      metadata: { name: 'b', labels: { a: 'b' } },
      spec: { policyName: 'p', validationActions: ['Deny'], matchResources: { namespaceSelector: {} }, paramRef: { name: 'x' } },
    } as never);
    assert.deepEqual(binding, { metadata: { name: 'b' }, spec: { policyName: 'p', validationActions: ['Deny'] } });
  });
});
