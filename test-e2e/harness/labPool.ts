// The lab's address pool. Ownership is closed by default (no VipPool: nothing is announced), so
// every suite's preparation makes sure this one pool exists: it covers the addresses the
// suites request and selects every namespace except those of suites that bring their own
// pools (labelled OWN_POOLS_LABEL). Its attributes accept whatever a Service asks, so suites
// about communities and local-pref keep testing what they test. Requests only: autoAssign is off.
import path from 'node:path';
import { REPO_ROOT, kubectl, kubectlResult } from './lab';

export const LAB_POOL = 'e2e-lab';
/** A namespace with this label is left to the suite's own pools. */
export const OWN_POOLS_LABEL = 'e2e.vipannouncer.io/own-pools';

/** IPv4 outside 100.64.0.0/10 (pools.test.ts) and 198.31.0.0-198.32.255.255 (rbac.test.ts), so no pool overlaps another. */
export const LAB_POOL_ADDRESSES = ['198.18.0.0-198.30.255.255', '198.33.0.0-198.63.255.255', '203.0.113.0/24', '2001:db8::/42'];

export function labPoolBody(): Record<string, unknown> {
  return {
    apiVersion: 'vipannouncer.io/v1alpha1',
    kind: 'VipPool',
    metadata: { name: LAB_POOL },
    spec: {
      addresses: LAB_POOL_ADDRESSES,
      autoAssign: false,
      serviceAllocation: { namespaceSelector: { matchExpressions: [{ key: OWN_POOLS_LABEL, operator: 'DoesNotExist' }] } },
      advertisement: {
        allowServiceOverrides: true,
        allowWellKnownCommunities: true,
        allowedCommunities: ['*:*'],
        allowedLargeCommunities: ['*:*:*'],
        allowedLocalPref: { min: 0, max: 4294967295 },
      },
    },
  };
}

/** Applies the lab pool (idempotent; CRDs first, as a suite may be the first to need them). */
export async function ensureLabPool(): Promise<void> {
  await kubectl(['apply', '-f', path.join(REPO_ROOT, 'crds', 'vippools.vipannouncer.io.yaml')]);
  await kubectl(['wait', '--for=condition=Established', '--timeout=60s', 'crd/vippools.vipannouncer.io']);
  await kubectl(['apply', '-f', '-'], JSON.stringify(labPoolBody()));
}

/** Deletes the lab pool now (finalizer dropped by hand: no controller may be running); ensureLabPool brings it back. */
export function dropLabPool(): void {
  kubectlResult(['delete', 'vippool', LAB_POOL, '--ignore-not-found', '--wait=false']);
  kubectlResult(['patch', 'vippool', LAB_POOL, '--type=merge', '-p', '{"metadata":{"finalizers":null}}']);
}
