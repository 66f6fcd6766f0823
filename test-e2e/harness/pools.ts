// VipPools in the lab. Pools are cluster-wide and make every announced address need one, so a
// suite that creates them removes them before it stops its controller (whose pool controller
// releases their finalizers once the addresses are gone).
import type { VipPoolSpec } from '../../operator/api/pool';
import { getPool } from './kube';
import { kubectl, kubectlResult, waitFor } from './lab';

export async function applyPool(name: string, spec: VipPoolSpec): Promise<void> {
  await kubectl(['apply', '-f', '-'], JSON.stringify({ apiVersion: 'vipannouncer.io/v1alpha1', kind: 'VipPool', metadata: { name }, spec }));
}

/** Deletes the pools and waits until they are gone; finalizers the controller did not release are removed by hand. */
export async function removePools(names: readonly string[]): Promise<void> {
  for (const pool of names) kubectlResult(['delete', 'vippool', pool, '--ignore-not-found', '--wait=false']);
  try {
    await waitFor('the pools to be gone', async () => (await Promise.all(names.map(getPool))).every((p) => !p), { timeoutMs: 60_000 });
  } finally {
    for (const pool of names) kubectlResult(['patch', 'vippool', pool, '--type=merge', '-p', '{"metadata":{"finalizers":null}}']);
  }
}
