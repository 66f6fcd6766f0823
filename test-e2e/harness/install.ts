// The shipped access rules on the lab: the CRDs, config/rbac and config/admission as a user
// installs them (kubectl apply -k), the operator's namespace and the lab's nodes.
import path from 'node:path';
import { REPO_ROOT, kubectl, kubectlResult, type LabNode } from './lab';
import { ensureNamespace, ensureNode } from './kube';
import { untilNotTerminating } from './serviceAccount';

/** Returns whether `systemNamespace` was made here (the caller deletes it again then). */
export async function installShippedAccess(systemNamespace: string, nodes: readonly Pick<LabNode, 'name' | 'address'>[]): Promise<boolean> {
  await kubectl(['apply', '-k', path.join(REPO_ROOT, 'config', 'crd')]);
  const crds = ['vipannouncements', 'vipannouncers', 'vippools', 'vipspeakers'].map((p) => `crd/${p}.vipannouncer.io`);
  await kubectl(['wait', '--for=condition=Established', '--timeout=60s', ...crds]);
  await untilNotTerminating(systemNamespace);
  const created = kubectlResult(['get', 'namespace', systemNamespace]).status !== 0;
  await ensureNamespace(systemNamespace);
  await kubectl(['apply', '-k', path.join(REPO_ROOT, 'config', 'rbac')]);
  // The admission policies as shipped: roles are proven together with them.
  await kubectl(['apply', '-k', path.join(REPO_ROOT, 'config', 'admission')]);
  for (const n of nodes) await ensureNode(n.name, n.address);
  return created;
}
