// The controller against the real API server and controller-manager: whatever
// order Service, EndpointSlice and Pod changes arrive in, every LoadBalancer
// Service ends up with the right VipAnnouncement and ingress.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import type { VipAnnouncement } from '../operator/api/types';
import { REPO_ROOT, kubectl, labCommand, lab, waitFor, waitUntilNoMismatch } from './harness/lab';
import {
  core, createPod, createReadyPod, createService, customObjects, deleteNamespace, discovery, ensureNamespace, ensureNode, inPool, setPodReady, statusOf, uniqueNamespace, manualSlice,
} from './harness/kube';
import { controllerConfig, metricValue, startOperator, waitReady, type OperatorProcess } from './harness/operator';
import { ensureLabPool } from './harness/labPool';

const NS = uniqueNamespace('e2e-controller');
const BULK_NS = uniqueNamespace('e2e-bulk');

async function getVA(ns: string, name: string): Promise<VipAnnouncement | undefined> {
  try {
    return (await customObjects().getNamespacedCustomObject('vipannouncer.io', 'v1alpha1', ns, 'vipannouncements', name)).body as VipAnnouncement;
  } catch (err) {
    if (statusOf(err) === 404) return undefined;
    throw err;
  }
}

async function listVAs(ns: string): Promise<VipAnnouncement[]> {
  const res = await customObjects().listNamespacedCustomObject('vipannouncer.io', 'v1alpha1', ns, 'vipannouncements');
  return (res.body as { items: VipAnnouncement[] }).items;
}

async function ingressOf(ns: string, name: string): Promise<string[]> {
  const svc = (await core().readNamespacedServiceStatus(name, ns)).body;
  return (svc.status?.loadBalancer?.ingress ?? []).map((i) => i.ip ?? '');
}

/** Waits until the announcement satisfies `check` (returns a description of what is wrong, or ''). */
async function waitVA(ns: string, name: string, what: string, check: (va: VipAnnouncement | undefined) => string): Promise<VipAnnouncement | undefined> {
  let last = '';
  try {
    const got = await waitFor(`${ns}/${name}: ${what}`, async () => {
      const va = await getVA(ns, name);
      last = check(va);
      return last === '' ? { va } : false;
    });
    return got.va;
  } catch (err) {
    throw new Error(`${(err as Error).message}; mismatch: ${last}`);
  }
}

function expectNodes(nodes: string[]): (va: VipAnnouncement | undefined) => string {
  return (va) => {
    if (!va) return 'no announcement';
    // Server-side apply may store none as absent or as []: both mean none.
    const got = JSON.stringify(va.spec.nodes ?? []);
    return got === JSON.stringify(nodes) ? '' : `nodes ${got}`;
  };
}

/** An EndpointSlice written by hand (not managed by the EndpointSlice controller, which leaves it alone). */
describe('controller', () => {
  const [n1, n2, n3] = lab().nodes;
  let ctl: OperatorProcess | undefined;

  before(async () => {
    await kubectl(['apply', '-f', path.join(REPO_ROOT, 'crds')]);
    await ensureLabPool(); // closed by default: the addresses below need a pool
    await kubectl(['wait', '--for=condition=Established', '--timeout=60s', 'crd/vipannouncements.vipannouncer.io', 'crd/vipspeakers.vipannouncer.io']);
    for (const n of [n1, n2, n3]) await ensureNode(n.name, n.address);
    await ensureNamespace(NS);
    await ensureNamespace(BULK_NS);
  });

  after(async () => {
    await ctl?.stop();
    await deleteNamespace(NS);
    await deleteNamespace(BULK_NS);
  });

  it('200 Services that exist before the controller starts all get correct announcements', async () => {
    const count = 200;
    const idx = Array.from({ length: count }, (_, i) => i);
    await inPool(idx, 16, async (i) => {
      const name = `bulk-${i}`;
      const ip = `198.18.${Math.floor(i / 250)}.${(i % 250) + 1}`;
      await createService({ namespace: BULK_NS, name, policy: i % 2 === 0 ? 'Local' : 'Cluster', annotations: { 'vipannouncer.io/loadBalancerIPs': ip } });
      const node = [n1, n2, n3][i % 3];
      await createReadyPod({ namespace: BULK_NS, name: `${name}-pod`, app: name, node: node.name, ip: `10.200.${Math.floor(i / 250)}.${(i % 250) + 1}` });
    });
    // The endpoints exist before the controller: wait for every slice to hold a ready endpoint.
    await waitFor('EndpointSlices with ready endpoints for all 200 Services', async () => {
      const slices = (await discovery().listNamespacedEndpointSlice(BULK_NS)).body.items;
      const ready = new Set(slices.filter((s) => (s.endpoints ?? []).some((e) => e.conditions?.ready)).map((s) => s.metadata?.labels?.['kubernetes.io/service-name']));
      return ready.size === count;
    }, { timeoutMs: 120_000 });

    ctl = await startOperator('controller-main', 'controller', controllerConfig());
    await waitReady(ctl);

    await waitUntilNoMismatch('200 correct announcements', async () => {
      const vas = new Map((await listVAs(BULK_NS)).map((v) => [v.metadata.name, v]));
      const wrong: string[] = [];
      for (const i of idx) {
        const va = vas.get(`bulk-${i}`);
        const ip = `198.18.${Math.floor(i / 250)}.${(i % 250) + 1}`;
        const node = [n1, n2, n3][i % 3].name;
        if (!va) { wrong.push(`bulk-${i}: missing`); continue; }
        if (JSON.stringify(va.spec.addresses) !== JSON.stringify([ip])) wrong.push(`bulk-${i}: addresses ${(va.spec.addresses ?? []).join(',')}`);
        if (i % 2 === 0 && JSON.stringify(va.spec.nodes) !== JSON.stringify([node])) wrong.push(`bulk-${i}: nodes ${JSON.stringify(va.spec.nodes)}`);
        if (i % 2 === 1 && va.spec.endpoints?.serving !== 1) wrong.push(`bulk-${i}: serving ${va.spec.endpoints?.serving}`);
        const owner = va.metadata.ownerReferences?.[0];
        if (owner?.kind !== 'Service' || owner.name !== `bulk-${i}` || owner.controller !== true) wrong.push(`bulk-${i}: owner`);
      }
      return wrong.length === 0 ? '' : wrong.slice(0, 5).join('; ');
    }, { timeoutMs: 120_000 });

    // Every Service shows its VIP as EXTERNAL-IP.
    await waitUntilNoMismatch('every Service to show its VIP in status.loadBalancer.ingress', async () => {
      const svcs = (await core().listNamespacedService(BULK_NS)).body.items;
      const missing = svcs.filter((s) => (s.status?.loadBalancer?.ingress ?? []).length !== 1).map((s) => s.metadata?.name);
      return missing.length === 0 ? '' : missing.slice(0, 5).join(',');
    });
  });

  it('an EndpointSlice that exists before its Service is not lost', async () => {
    await discovery().createNamespacedEndpointSlice(NS, manualSlice(NS, 'early-1', 'early', [{ ip: '10.1.0.1', node: n2.name, ready: true }]));
    await new Promise((r) => setTimeout(r, 1000));
    await core().createNamespacedService(NS, {
      metadata: { name: 'early', namespace: NS, annotations: { 'vipannouncer.io/loadBalancerIPs': '198.19.0.1' } },
      spec: { type: 'LoadBalancer', externalTrafficPolicy: 'Local', allocateLoadBalancerNodePorts: false, ports: [{ port: 80, protocol: 'TCP' }] },
    });
    await waitVA(NS, 'early', `announced from ${n2.name}`, expectNodes([n2.name]));
    // The ingress is written after the announcement, in a later step of the same reconcile or a later one.
    await waitFor('the Service ingress to name the announced address', async () => JSON.stringify(await ingressOf(NS, 'early')) === '["198.19.0.1"]');
  });

  it('a Service created before any endpoint is announced once an endpoint serves, and follows readiness and termination', async () => {
    await createService({ namespace: NS, name: 'late', policy: 'Local', annotations: { 'vipannouncer.io/loadBalancerIPs': '198.19.0.2' } });
    await waitVA(NS, 'late', 'announced nowhere, condition NoServingEndpoints', (va) => {
      const adv = va?.status?.conditions?.find((c) => c.type === 'Advertised');
      return expectNodes([])(va) || (adv?.status === 'False' && adv.reason === 'NoServingEndpoints' ? '' : `Advertised ${JSON.stringify(adv)}`);
    });

    await createReadyPod({ namespace: NS, name: 'late-1', app: 'late', node: n1.name, ip: '10.1.1.1' });
    await waitVA(NS, 'late', `announced from ${n1.name}`, expectNodes([n1.name]));

    // Unready: withdrawn; ready again: back.
    await setPodReady(NS, 'late-1', '10.1.1.1', false);
    await waitVA(NS, 'late', 'withdrawn while unready', expectNodes([]));
    await setPodReady(NS, 'late-1', '10.1.1.1', true);
    await waitVA(NS, 'late', 'back when ready', expectNodes([n1.name]));

    // Terminating but still serving (no kubelet finishes the deletion): stays announced.
    await core().deleteNamespacedPod('late-1', NS, undefined, undefined, 300);
    await waitFor('the endpoint to be terminating', async () => {
      const slices = (await discovery().listNamespacedEndpointSlice(NS, undefined, undefined, undefined, undefined, 'kubernetes.io/service-name=late')).body.items;
      return slices.some((s) => (s.endpoints ?? []).some((e) => e.conditions?.terminating === true && e.conditions.serving === true));
    });
    const still = await getVA(NS, 'late');
    assert.deepEqual(still?.spec.nodes, [n1.name], 'a terminating endpoint that still serves must stay announced');
    // Terminating and no longer serving: withdrawn.
    await setPodReady(NS, 'late-1', '10.1.1.1', false);
    await waitVA(NS, 'late', 'withdrawn when terminating and not serving', expectNodes([]));
    await core().deleteNamespacedPod('late-1', NS, undefined, undefined, 0);
  });

  it('Local policy follows pods as they move between nodes; Cluster counts endpoints', async () => {
    await createService({ namespace: NS, name: 'mover', policy: 'Local', annotations: { 'vipannouncer.io/loadBalancerIPs': '198.19.0.3' } });
    await createReadyPod({ namespace: NS, name: 'mover-a', app: 'mover', node: n1.name, ip: '10.1.2.1' });
    await waitVA(NS, 'mover', 'on node 1', expectNodes([n1.name]));
    await createReadyPod({ namespace: NS, name: 'mover-b', app: 'mover', node: n3.name, ip: '10.1.2.2' });
    await waitVA(NS, 'mover', 'on nodes 1 and 3', expectNodes([n1.name, n3.name]));
    await core().deleteNamespacedPod('mover-a', NS, undefined, undefined, 0);
    await waitVA(NS, 'mover', 'on node 3 only', expectNodes([n3.name]));

    await createService({ namespace: NS, name: 'spread', policy: 'Cluster', annotations: { 'vipannouncer.io/loadBalancerIPs': '198.19.0.4' } });
    await createPod({ namespace: NS, name: 'spread-a', app: 'spread', node: n2.name });
    await waitVA(NS, 'spread', 'Cluster with no serving endpoint', (va) => (va?.spec.endpoints?.serving === 0 && va.spec.nodes === undefined ? '' : JSON.stringify(va?.spec)));
    await setPodReady(NS, 'spread-a', '10.1.3.1', true);
    await waitVA(NS, 'spread', 'Cluster with one serving endpoint', (va) => (va?.spec.endpoints?.serving === 1 ? '' : JSON.stringify(va?.spec)));
  });

  it('bad annotations become a condition and a Warning Event, and the valid rest is still announced', async () => {
    await createService({
      namespace: NS, name: 'bad', policy: 'Cluster',
      annotations: { 'vipannouncer.io/loadBalancerIPs': '198.19.0.5,not-an-ip', 'vipannouncer.io/communities': '65000:100,99999999:1' },
    });
    await createReadyPod({ namespace: NS, name: 'bad-1', app: 'bad', node: n1.name, ip: '10.1.4.1' });
    const va = await waitVA(NS, 'bad', 'announced with the valid values and a Ready=False condition', (v) => {
      if (!v) return 'missing';
      const ready = v.status?.conditions?.find((c) => c.type === 'Ready');
      if (JSON.stringify(v.spec.addresses) !== '["198.19.0.5"]') return `addresses ${JSON.stringify(v.spec.addresses)}`;
      if (JSON.stringify(v.spec.communities) !== '["65000:100"]') return `communities ${JSON.stringify(v.spec.communities)}`;
      return ready?.status === 'False' ? '' : `Ready ${JSON.stringify(ready)}`;
    });
    const ready = va?.status?.conditions?.find((c) => c.type === 'Ready');
    assert.match(ready?.message ?? '', /not-an-ip/);
    await waitFor('a Warning Event on the Service naming the bad value', async () => {
      const events = (await core().listNamespacedEvent(NS, undefined, undefined, undefined, 'involvedObject.name=bad')).body.items;
      return events.some((e) => e.type === 'Warning' && /not-an-ip|99999999/.test(e.message ?? ''));
    });
  });

  it('deleting the Service or changing its type withdraws the announcement', async () => {
    await createService({ namespace: NS, name: 'gone', annotations: { 'vipannouncer.io/loadBalancerIPs': '198.19.0.6' } });
    await waitVA(NS, 'gone', 'created', (v) => (v ? '' : 'missing'));
    await core().deleteNamespacedService('gone', NS);
    await waitVA(NS, 'gone', 'garbage-collected', (v) => (v ? 'still there' : ''));

    await createService({ namespace: NS, name: 'retyped', annotations: { 'vipannouncer.io/loadBalancerIPs': '198.19.0.7' } });
    await waitVA(NS, 'retyped', 'created', (v) => (v ? '' : 'missing'));
    await core().patchNamespacedService('retyped', NS, { spec: { type: 'ClusterIP', externalTrafficPolicy: null, allocateLoadBalancerNodePorts: null } },
      undefined, undefined, undefined, undefined, undefined, { headers: { 'Content-Type': 'application/merge-patch+json' } });
    await waitVA(NS, 'retyped', 'withdrawn', (v) => (v ? 'still there' : ''));

    await createService({ namespace: NS, name: 'reclassed', annotations: { 'vipannouncer.io/loadBalancerIPs': '198.19.0.8' } });
    await waitVA(NS, 'reclassed', 'created', (v) => (v ? '' : 'missing'));
    // loadBalancerClass is immutable: delete and recreate with another class.
    await core().deleteNamespacedService('reclassed', NS);
    await createService({ namespace: NS, name: 'reclassed', loadBalancerClass: 'example.com/other', annotations: { 'vipannouncer.io/loadBalancerIPs': '198.19.0.8' } });
    await new Promise((r) => setTimeout(r, 2000));
    assert.equal(await getVA(NS, 'reclassed'), undefined, 'a Service of another class must not be announced');
  });

  it('survives an API server restart: changes after it are reconciled, deletions while watches were down are applied', async () => {
    assert.ok(ctl, 'controller not running');
    await core().createNamespacedService(NS, {
      metadata: { name: 'restart-a', namespace: NS, annotations: { 'vipannouncer.io/loadBalancerIPs': '198.19.1.1' } },
      spec: { type: 'LoadBalancer', externalTrafficPolicy: 'Local', allocateLoadBalancerNodePorts: false, ports: [{ port: 80, protocol: 'TCP' }] },
    });
    await discovery().createNamespacedEndpointSlice(NS, manualSlice(NS, 'restart-a-1', 'restart-a', [{ ip: '10.1.5.1', node: n1.name, ready: true }]));
    await waitVA(NS, 'restart-a', 'on node 1', expectNodes([n1.name]));

    // Freeze the controller, restart the API server, change things, then let it go on.
    ctl.signal('SIGSTOP');
    try {
      await labCommand('restart-apiserver', '2');
      await discovery().deleteNamespacedEndpointSlice('restart-a-1', NS);
      await createService({ namespace: NS, name: 'restart-b', policy: 'Local', annotations: { 'vipannouncer.io/loadBalancerIPs': '198.19.1.2' } });
      await createReadyPod({ namespace: NS, name: 'restart-b-1', app: 'restart-b', node: n2.name, ip: '10.1.5.2' });
    } finally {
      ctl.signal('SIGCONT');
    }
    await waitVA(NS, 'restart-a', 'withdrawn from node 1 (its slice was deleted while watches were down)', expectNodes([]));
    await waitVA(NS, 'restart-b', 'created after the restart', expectNodes([n2.name]));
    assert.equal(ctl.exited(), false, 'the controller must survive an API server restart');

    // A full API server outage while running: the controller keeps going afterwards.
    await labCommand('stop', 'apiserver');
    await new Promise((r) => setTimeout(r, 3000));
    await labCommand('start', 'apiserver');
    await createService({ namespace: NS, name: 'restart-c', policy: 'Local', annotations: { 'vipannouncer.io/loadBalancerIPs': '198.19.1.3' } });
    await createReadyPod({ namespace: NS, name: 'restart-c-1', app: 'restart-c', node: n3.name, ip: '10.1.5.3' });
    await waitVA(NS, 'restart-c', 'created after an outage', expectNodes([n3.name]));
    assert.equal(ctl.exited(), false);
  });

  it('with two replicas only the leader writes, and the standby takes over when the leader dies', async () => {
    await ctl?.stop();
    ctl = undefined;
    const le = { enabled: true, leaseName: 'vip-announcer-e2e', leaseNamespace: NS, leaseDuration: '6s', renewDeadline: '4s', retryPeriod: '1s' };
    const a = await startOperator('controller-le-a', 'controller', controllerConfig({ leaderElection: le }));
    await waitReady(a);
    const b = await startOperator('controller-le-b', 'controller', controllerConfig({ leaderElection: le }));
    try {
      await waitReady(b);
      const holder = async (): Promise<string> => {
        const lease = (await kubeConfigLease(NS, 'vip-announcer-e2e'));
        return lease;
      };
      const first = await waitFor('a leader', async () => (await holder()) || undefined);
      const [leader, standby] = a.log().includes(first.split('_')[1] ?? '\u0000') ? [a, b] : [b, a];

      await createService({ namespace: NS, name: 'le-1', annotations: { 'vipannouncer.io/loadBalancerIPs': '198.19.2.1' } });
      await waitVA(NS, 'le-1', 'created by the leader', (v) => (v ? '' : 'missing'));
      const standbyWrites = metricValue(await standby.metrics(), 'vipannouncer_announcement_writes_total', { op: 'create' }) ?? 0;
      const leaderWrites = metricValue(await leader.metrics(), 'vipannouncer_announcement_writes_total', { op: 'create' }) ?? 0;
      assert.equal(standbyWrites, 0, 'the standby wrote');
      assert.ok(leaderWrites >= 1, 'the leader did not write');

      await leader.kill();
      await createService({ namespace: NS, name: 'le-2', annotations: { 'vipannouncer.io/loadBalancerIPs': '198.19.2.2' } });
      await waitVA(NS, 'le-2', 'created by the new leader', (v) => (v ? '' : 'missing'));
      const taken = metricValue(await standby.metrics(), 'vipannouncer_announcement_writes_total', { op: 'create' }) ?? 0;
      assert.ok(taken >= 1, 'the standby did not take over');
    } finally {
      await a.stop();
      await b.stop();
    }
  });
});

async function kubeConfigLease(ns: string, name: string): Promise<string> {
  const out = await kubectl(['get', 'lease', '-n', ns, name, '-o', 'jsonpath={.spec.holderIdentity}']).catch(() => '');
  return out.trim();
}
