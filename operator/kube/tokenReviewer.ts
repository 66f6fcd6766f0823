// The Reviewer of ./metricsAuth.ts against the API server: POST a TokenReview, then a
// SubjectAccessReview. Through kubeRequest rather than client-node's generated
// AuthenticationV1Api/AuthorizationV1Api: it has a timeout (a scrape must not hang on a slow
// API server) and errors that carry the API server's message (a missing `create` on
// tokenreviews reads as such in the log). Needs `create` on tokenreviews and
// subjectaccessreviews (config/rbac).
import type { V1SubjectAccessReview, V1TokenReview } from '@kubernetes/client-node';
import type { KubeConnection } from './connection';
import { isRecord } from '../util/records';
import type { Reviewer, UserInfo } from './metricsAuth';
import { kubeRequest } from './request';

const TIMEOUT_MS = 10_000;

/** TokenReview status → the user, or undefined when not authenticated. */
export function userOfTokenReview(body: unknown): UserInfo | undefined {
  if (!isRecord(body) || !isRecord(body.status)) return undefined;
  const st = body.status as NonNullable<V1TokenReview['status']>;
  if (st.authenticated !== true || !st.user?.username) return undefined;
  return { username: st.user.username, uid: st.user.uid, groups: st.user.groups, extra: st.user.extra };
}

export function subjectAccessReview(user: UserInfo, path: string, verb: string): V1SubjectAccessReview {
  return {
    apiVersion: 'authorization.k8s.io/v1',
    kind: 'SubjectAccessReview',
    spec: {
      user: user.username,
      ...(user.uid ? { uid: user.uid } : {}),
      ...(user.groups ? { groups: user.groups } : {}),
      ...(user.extra ? { extra: user.extra } : {}),
      nonResourceAttributes: { path, verb },
    },
  };
}

/** SubjectAccessReview status → allowed (and not explicitly denied), with the authorizer's reason. */
export function accessOfReview(body: unknown): { allowed: boolean; reason?: string } {
  const st = isRecord(body) && isRecord(body.status) ? body.status : {};
  const reason = typeof st.reason === 'string' && st.reason !== '' ? { reason: st.reason } : {};
  return { allowed: st.allowed === true && st.denied !== true, ...reason };
}

export function apiReviewer(kc: KubeConnection): Reviewer {
  return {
    async authenticate(token) {
      const review: V1TokenReview = { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenReview', spec: { token } };
      const body = await kubeRequest(kc, { method: 'POST', path: '/apis/authentication.k8s.io/v1/tokenreviews', body: review, timeoutMs: TIMEOUT_MS });
      return userOfTokenReview(body);
    },
    async authorize(user, path, verb) {
      const body = await kubeRequest(kc, {
        method: 'POST',
        path: '/apis/authorization.k8s.io/v1/subjectaccessreviews',
        body: subjectAccessReview(user, path, verb),
        timeoutMs: TIMEOUT_MS,
      });
      return accessOfReview(body);
    },
  };
}
