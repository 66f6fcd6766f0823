// Leadership that cannot overlap: two controller processes, each with its own ServiceAccount
// (so the API server's audit log tells their writes apart). The leader reaches the API server
// through a TCP proxy; pausing the proxy leaves its renewals hanging. The standby takes the Lease
// once it expires, and the audit log must show no write by the old leader at or after the moment
// the standby could take the Lease (the old leader's last renewTime + leaseDuration); the old
// leader must have exited non-zero. After the standby took over the path heals, and Services are
// created meanwhile, so an old leader still alive would be heard.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { dump, load } from 'js-yaml';
import { kubectl, kubectlResult, lab, waitFor } from './harness/lab';
import { createService, customObjects, deleteNamespace, statusOf, uniqueNamespace, prepareSuite } from './harness/kube';
import { controllerConfig, startOperator, waitReady, type OperatorProcess } from './harness/operator';
import { labApiServer, serviceAccountKubeconfig, serviceAccountUser } from './harness/serviceAccount';
import { startTcpProxy, type TcpProxy } from './harness/tcpProxy';
import { auditEvents, auditTarget } from './harness/audit';

const NS = uniqueNamespace('e2e-leadership');
const LEASE = 'leadership-e2e';
const LEASE_MS = 4_000;
const RENEW_DEADLINE_MS = 3_000;
const BINDING = `${NS}-cluster-admin`;

interface LeaseObject {
  spec?: { holderIdentity?: string; renewTime?: string };
}

async function readLease(): Promise<LeaseObject | undefined> {
  try {
    return JSON.parse(await kubectl(['get', 'lease', LEASE, '-n', NS, '-o', 'json'])) as LeaseObject;
  } catch {
    return undefined;
  }
}

async function vaExists(name: string): Promise<boolean> {
  try {
    await customObjects().getNamespacedCustomObject('vipannouncer.io', 'v1alpha1', NS, 'vipannouncements', name);
    return true;
  } catch (err) {
    if (statusOf(err) === 404) return false;
    throw err;
  }
}

/** The ServiceAccount's kubeconfig, pointed at `server` instead of the API server. */
function viaServer(kubeconfig: string, server: string): string {
  const doc = load(readFileSync(kubeconfig, 'utf8')) as { clusters: { cluster: { server: string } }[] };
  for (const c of doc.clusters) c.cluster.server = server;
  const file = kubeconfig.replace(/\.kubeconfig$/, '-proxied.kubeconfig');
  writeFileSync(file, dump(doc), { mode: 0o600 });
  return file;
}

function config(): Record<string, unknown> {
  return controllerConfig({
    resyncPeriod: '2s',
    leaderElection: {
      enabled: true, leaseName: LEASE, leaseNamespace: NS,
      leaseDuration: `${LEASE_MS}ms`, renewDeadline: `${RENEW_DEADLINE_MS}ms`, retryPeriod: '500ms',
    },
  });
}

const ms = (t: string): number => Date.parse(t);

void describe('leadership', () => {
  const userA = serviceAccountUser(NS, 'leader-a');
  const userB = serviceAccountUser(NS, 'leader-b');
  let proxy: TcpProxy | undefined;
  let a: OperatorProcess | undefined;
  let b: OperatorProcess | undefined;

  before(async () => {
    await prepareSuite(NS, lab().nodes);
    for (const sa of ['leader-a', 'leader-b']) await kubectl(['create', 'serviceaccount', sa, '-n', NS]);
    // This test is about timing, not permissions (test-e2e/rbac.test.ts is): cluster-admin.
    await kubectl(['create', 'clusterrolebinding', BINDING, '--clusterrole=cluster-admin', `--serviceaccount=${NS}:leader-a`, `--serviceaccount=${NS}:leader-b`]);
  });

  after(async () => {
    await a?.kill();
    await b?.stop();
    await proxy?.close();
    kubectlResult(['delete', 'clusterrolebinding', BINDING, '--ignore-not-found']);
    await deleteNamespace(NS);
  });

  void it('a leader whose renewals hang writes nothing once the standby may lead, and exits non-zero', async () => {
    const api = new URL(labApiServer().server);
    proxy = await startTcpProxy({ host: api.hostname, port: Number(api.port) });
    const kubeconfigA = viaServer(await serviceAccountKubeconfig(NS, 'leader-a'), `https://127.0.0.1:${proxy.port}`);
    const kubeconfigB = await serviceAccountKubeconfig(NS, 'leader-b');

    a = await startOperator('leader-a', 'controller', config(), { kubeconfig: kubeconfigA, env: { POD_NAME: 'leader-a' } });
    await waitFor('leader-a holds the Lease', async () => (await readLease())?.spec?.holderIdentity?.startsWith('leader-a_'));
    b = await startOperator('leader-b', 'controller', config(), { kubeconfig: kubeconfigB, env: { POD_NAME: 'leader-b' } });
    await waitReady(b);

    // The old leader's writes do reach the audit log while it leads.
    await createService({ namespace: NS, name: 'before' });
    await waitFor('leader-a announces "before"', () => vaExists('before'));
    const writesBefore = auditEvents().filter((e) => e.user.username === userA && e.objectRef?.resource !== 'leases');
    assert.ok(writesBefore.length > 0, 'leader-a wrote something while leading (else the check below proves nothing)');

    const pausedAt = Date.now();
    proxy.pause();
    await createService({ namespace: NS, name: 'during' });
    // A renew already at the server when the path stalled may still land: read the Lease after.
    await new Promise((r) => setTimeout(r, 1_000));
    const last = await readLease();
    assert.match(last?.spec?.holderIdentity ?? '', /^leader-a_/);
    const lastRenew = ms(last?.spec?.renewTime ?? '');
    const standbyMayLead = lastRenew + LEASE_MS;

    await waitFor('leader-a exits', () => a?.exited(), { timeoutMs: 20_000, intervalMs: 20 });
    const exitSeenAt = Date.now();
    await waitFor('leader-b holds the Lease', async () => (await readLease())?.spec?.holderIdentity?.startsWith('leader-b_'), { timeoutMs: 20_000, intervalMs: 100 });
    // The path heals; more changes, so a leader-a still alive would write.
    proxy.resume();
    await createService({ namespace: NS, name: 'after' });
    await waitFor('leader-b announces "during" and "after"', async () => (await vaExists('during')) && (await vaExists('after')));
    await new Promise((r) => setTimeout(r, 3_000));

    const events = auditEvents();
    const fromA = events.filter((e) => e.user.username === userA);
    const late = fromA.filter((e) => ms(e.requestReceivedTimestamp) >= standbyMayLead);
    const lastA = Math.max(...fromA.map((e) => ms(e.requestReceivedTimestamp)));
    const takeover = events.find((e) => e.user.username === userB && e.objectRef?.resource === 'leases' && e.objectRef.name === LEASE && e.responseStatus?.code === 200);
    const summary = {
      pausedAt: new Date(pausedAt).toISOString(),
      lastRenewOfA: last?.spec?.renewTime,
      standbyMayLead: new Date(standbyMayLead).toISOString(),
      lastWriteOfA: new Date(lastA).toISOString(),
      exitSeenAt: new Date(exitSeenAt).toISOString(),
      takeoverByB: takeover?.requestReceivedTimestamp,
      auditWritesOfA: fromA.length,
      auditWritesOfB: events.filter((e) => e.user.username === userB).length,
      lateWritesOfA: late.length,
      droppedBytes: proxy.dropped(),
    };
    console.log(JSON.stringify(summary));
    assert.deepEqual(late.map(auditTarget), [], 'leader-a wrote at or after the moment leader-b could take the Lease');
    const code = await a.stop();
    assert.equal(code, 1, 'leader-a exits by itself with 1 (not 0, not by a signal)');
    assert.ok(exitSeenAt < standbyMayLead, `leader-a exited at ${summary.exitSeenAt}, after the standby could lead (${summary.standbyMayLead})`);
    assert.ok(takeover && ms(takeover.requestReceivedTimestamp) >= standbyMayLead, 'leader-b took the Lease only once it had expired');
    assert.match(a.log(), /leadership lost: exiting/);
  });
});
