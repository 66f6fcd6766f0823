import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { accessOfReview, subjectAccessReview, userOfTokenReview } from './tokenReviewer';

describe('TokenReview and SubjectAccessReview bodies', () => {
  it('a TokenReview names the user only when authenticated', () => {
    const user = { username: 'system:serviceaccount:monitoring:prometheus', uid: 'u1', groups: ['system:serviceaccounts'], extra: { 'authentication.kubernetes.io/pod-name': ['p'] } };
    assert.deepEqual(userOfTokenReview({ status: { authenticated: true, user } }), user);
    assert.equal(userOfTokenReview({ status: { authenticated: false, error: 'invalid bearer token' } }), undefined);
    assert.equal(userOfTokenReview({ status: { authenticated: true, user: {} } }), undefined);
    assert.equal(userOfTokenReview({ status: {} }), undefined);
    assert.equal(userOfTokenReview('nonsense'), undefined);
  });

  it('the SubjectAccessReview carries the whole user and the non-resource URL', () => {
    assert.deepEqual(subjectAccessReview({ username: 'alice', uid: 'u', groups: ['g'], extra: { k: ['v'] } }, '/metrics', 'get'), {
      apiVersion: 'authorization.k8s.io/v1',
      kind: 'SubjectAccessReview',
      spec: { user: 'alice', uid: 'u', groups: ['g'], extra: { k: ['v'] }, nonResourceAttributes: { path: '/metrics', verb: 'get' } },
    });
    assert.deepEqual(subjectAccessReview({ username: 'bob' }, '/metrics', 'get').spec, { user: 'bob', nonResourceAttributes: { path: '/metrics', verb: 'get' } });
  });

  it('allowed only when allowed and not denied', () => {
    assert.deepEqual(accessOfReview({ status: { allowed: true, reason: 'RBAC: allowed by ClusterRoleBinding' } }), { allowed: true, reason: 'RBAC: allowed by ClusterRoleBinding' });
    assert.deepEqual(accessOfReview({ status: { allowed: false } }), { allowed: false });
    assert.deepEqual(accessOfReview({ status: { allowed: true, denied: true } }), { allowed: false });
    assert.deepEqual(accessOfReview({}), { allowed: false });
  });
});
