// metav1.Condition vocabulary shared by every role that writes conditions: building one with
// Kubernetes' transition semantics, and comparing two sets as the API server stores them (a
// reconcile skips its status write when they are equal).
import type { Condition } from './types';
import { kubeTime } from './time';

/** A condition with lastTransitionTime kept from `previous` when its status did not change. */
export function condition(
  type: string,
  c: Pick<Condition, 'status' | 'reason' | 'message'>,
  generation: number | undefined,
  previous: readonly Condition[] | undefined,
  now: Date,
): Condition {
  const prev = previous?.find((p) => p.type === type);
  const lastTransitionTime = prev && prev.status === c.status ? prev.lastTransitionTime : kubeTime(now);
  return { type, ...c, lastTransitionTime, ...(generation !== undefined ? { observedGeneration: generation } : {}) };
}

/** Equal as stored: same types, status, reason, message, generation and transition time. */
export function conditionsEqual(a: readonly Condition[] | undefined, b: readonly Condition[] | undefined): boolean {
  const key = (cs: readonly Condition[] | undefined): string =>
    JSON.stringify(
      [...(cs ?? [])]
        .sort((x, y) => (x.type < y.type ? -1 : x.type > y.type ? 1 : 0))
        .map((c) => [c.type, c.status, c.reason, c.message, c.observedGeneration ?? null, c.lastTransitionTime]),
    );
  return key(a) === key(b);
}
