// Speakers announce from the Services, EndpointSlices and pools they watch, before (and
// without) the controller's VipAnnouncements: the seed's race tests, now for the speakers, on
// the real lab with no controller running at first. BIRD's table is the proof.
//   - 200 Services that exist before the speakers start: every route, and no announcement exists;
//   - an EndpointSlice that exists before its Service;
//   - what only the controller can decide waits for it: two Services requesting one address, a
//     request outside every pool, an automatic address with no ingress yet;
//   - then the controller starts: announcements appear, say Advertised, the contested address
//     goes to the one it gives it to, and no route that was up is withdrawn on the way.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import type { VipAnnouncement } from '../operator/api/types';
import { birdLogOffset, birdLogSince, birdNextHops, waitForNextHops } from './harness/bird';
import { REPO_ROOT, kubectl, lab, waitFor, waitUntilNoMismatch } from './harness/lab';
import { core, createReadyPod, createService, customObjects, deleteNamespace, discovery, ensureNamespace, ensureNode, inPool, manualSlice, uniqueNamespace } from './harness/kube';
import { controllerConfig, speakerConfig, startOperator, waitReady, type OperatorProcess } from './harness/operator';
import { ensureLabPool } from './harness/labPool';

const NS = uniqueNamespace('e2e-from-svc');
const OTHER_NS = uniqueNamespace('e2e-from-svc-b');
const COUNT = 200;
const vip = (i: number): string => `198.26.${Math.floor(i / 250)}.${(i % 250) + 1}`;
const CONTESTED = '198.26.9.9';
const OUTSIDE = '192.0.2.200'; // in no pool
const LATE = '198.26.9.20';
/** The suite's own autoAssign pool, for the automatic address (the lab pool hands out none). */
const AUTO_POOL = 'e2e-from-svc-auto';

async function announcementsIn(ns: string): Promise<VipAnnouncement[]> {
  const res = await customObjects().listNamespacedCustomObject('vipannouncer.io', 'v1alpha1', ns, 'vipannouncements');
  return (res.body as { items: VipAnnouncement[] }).items;
}

/** Lines of BIRD's route log that withdraw one of `prefixes`, from `offset` on. */
function withdrawals(offset: number, prefixes: readonly string[]): string[] {
  return birdLogSince(offset).filter((l) => l.includes(' removed ') && prefixes.some((p) => l.includes(p)));
}

describe('speakers announce from Services, before any VipAnnouncement', () => {
  const nodes = lab().nodes;
  const [n1, n2] = nodes;
  const procs: OperatorProcess[] = [];

  before(async () => {
    await kubectl(['apply', '-f', path.join(REPO_ROOT, 'crds')]);
    await ensureLabPool();
    await kubectl(['wait', '--for=condition=Established', '--timeout=60s', 'crd/vipannouncements.vipannouncer.io', 'crd/vipspeakers.vipannouncer.io']);
    for (const n of nodes) await ensureNode(n.name, n.address);
    await ensureNamespace(NS);
    await ensureNamespace(OTHER_NS);
    await kubectl(['apply', '-f', '-'], JSON.stringify({ apiVersion: 'vipannouncer.io/v1alpha1', kind: 'VipPool', metadata: { name: AUTO_POOL }, spec: { addresses: ['198.26.20.0/30'], avoidBuggyIPs: true, serviceAllocation: { namespaces: [NS], priority: 1 } } }));
  });

  after(async () => {
    await Promise.all(procs.map((p) => p.stop()));
    // No controller runs any more to release the pool's finalizer.
    await kubectl(['patch', 'vippool', AUTO_POOL, '--type=merge', '-p', '{"metadata":{"finalizers":null}}']).catch(() => undefined);
    await kubectl(['delete', 'vippool', AUTO_POOL, '--ignore-not-found', '--wait=false']);
    await deleteNamespace(NS);
    await deleteNamespace(OTHER_NS);
  });

  it(`${COUNT} Services that exist before the speakers start are announced with no controller running: BIRD holds every route with its next hops, and no VipAnnouncement exists`, async () => {
    const idx = Array.from({ length: COUNT }, (_, i) => i);
    await inPool(idx, 16, async (i) => {
      const name = `svc-${i}`;
      await createService({ namespace: NS, name, policy: i % 2 === 0 ? 'Local' : 'Cluster', annotations: { 'vipannouncer.io/loadBalancerIPs': vip(i) } });
      await createReadyPod({ namespace: NS, name: `${name}-pod`, app: name, node: nodes[i % 3].name, ip: `10.226.${Math.floor(i / 250)}.${(i % 250) + 1}` });
    });
    // What only the controller can decide: two Services (two namespaces) asking for one address,
    // an address in no pool, an automatic address (no ingress written yet).
    await createService({ namespace: NS, name: 'contest-a', annotations: { 'vipannouncer.io/loadBalancerIPs': CONTESTED } });
    await createService({ namespace: OTHER_NS, name: 'contest-b', annotations: { 'vipannouncer.io/loadBalancerIPs': CONTESTED } });
    await createService({ namespace: NS, name: 'outside', annotations: { 'vipannouncer.io/loadBalancerIPs': OUTSIDE } });
    await createService({ namespace: NS, name: 'automatic' });
    for (const [i, [ns, app]] of [[NS, 'contest-a'], [OTHER_NS, 'contest-b'], [NS, 'outside'], [NS, 'automatic']].entries()) {
      await createReadyPod({ namespace: ns, name: `${app}-pod`, app, node: n1.name, ip: `10.226.9.${i + 1}` });
    }
    // Every slice is in the API server before the speakers start (the race: they LIST it all at once).
    await waitFor('an EndpointSlice for every Service', async () => (await discovery().listNamespacedEndpointSlice(NS)).body.items.length >= COUNT + 3, { timeoutMs: 120_000 });

    for (const n of nodes) {
      const p = await startOperator(`from-svc-speaker-${n.name}`, 'speaker', speakerConfig(n));
      procs.push(p);
    }
    for (const p of procs) await waitReady(p);

    const allHops = nodes.map((n) => n.address).sort();
    await waitForNextHops(`BIRD to hold all ${COUNT} routes with their next hops`, new Map(idx.map((i) => [`${vip(i)}/32`, i % 2 === 0 ? [nodes[i % 3].address] : allHops])));

    // Decided from the Services alone: the controller never ran.
    assert.equal((await announcementsIn(NS)).length, 0, 'no VipAnnouncement exists: every route came from the Services');
    const hops = await birdNextHops();
    assert.equal(hops.get(`${CONTESTED}/32`), undefined, 'an address two Services request waits for the controller');
    assert.equal(hops.get(`${OUTSIDE}/32`), undefined, 'a request in no pool is never announced');
  });

  it('an EndpointSlice that exists before its Service is not lost by the speakers', async () => {
    await discovery().createNamespacedEndpointSlice(NS, manualSlice(NS, 'early-1', 'early', [{ ip: '10.226.10.1', node: n2.name, ready: true }]));
    await new Promise((r) => setTimeout(r, 1000));
    await core().createNamespacedService(NS, {
      metadata: { name: 'early', namespace: NS, annotations: { 'vipannouncer.io/loadBalancerIPs': LATE } },
      spec: { type: 'LoadBalancer', externalTrafficPolicy: 'Local', allocateLoadBalancerNodePorts: false, ports: [{ port: 80, protocol: 'TCP' }] },
    });
    await waitUntilNoMismatch(`BIRD to route ${LATE} to ${n2.name} only`, async () => {
      const got = (await birdNextHops()).get(`${LATE}/32`) ?? [];
      return JSON.stringify(got) === JSON.stringify([n2.address]) ? '' : `[${got.join(', ')}]`;
    }, { timeoutMs: 60_000 });
  });

  it('once the controller starts: announcements record the same routes, none is withdrawn on the way, and the contested address goes to one Service', async () => {
    const prefixes = Array.from({ length: COUNT }, (_, i) => `${vip(i)}/32`);
    const offset = birdLogOffset();
    const ctl = await startOperator('from-svc-controller', 'controller', controllerConfig());
    procs.push(ctl);
    await waitReady(ctl);

    await waitUntilNoMismatch(`every announcement of ${NS} to say Advertised`, async () => {
      const vas = await announcementsIn(NS);
      const notYet = vas.filter((va) => va.metadata.name.startsWith('svc-') && va.status?.conditions?.find((c) => c.type === 'Advertised')?.status !== 'True');
      const count = vas.filter((va) => va.metadata.name.startsWith('svc-')).length;
      return count === COUNT && notYet.length === 0 ? '' : `${count} announcements, ${notYet.length} not Advertised`;
    }, { timeoutMs: 120_000 });
    // Exactly one of the two Services holds the address once the controller decided; the
    // network carries it from that Service's nodes.
    await waitFor(`BIRD to carry ${CONTESTED} once the controller gave it to one Service`, async () => (await birdNextHops()).get(`${CONTESTED}/32`) !== undefined, { timeoutMs: 60_000 });
    const holders = [...(await announcementsIn(NS)), ...(await announcementsIn(OTHER_NS))].filter((va) => (va.spec.addresses ?? []).includes(CONTESTED));
    assert.equal(holders.length, 1, `one announcement holds ${CONTESTED}: ${holders.map((h) => `${h.metadata.namespace}/${h.metadata.name}`).join(', ')}`);
    // The automatic address, once the controller allocated it, is announced too.
    await waitFor('the automatic Service to be routed once it has an address', async () => {
      const svc = (await core().readNamespacedService('automatic', NS)).body;
      const ip = svc.status?.loadBalancer?.ingress?.[0]?.ip;
      return ip !== undefined && ip.startsWith('198.26.20.') && (await birdNextHops()).get(`${ip}/32`) !== undefined;
    }, { timeoutMs: 60_000 });

    assert.deepEqual(withdrawals(offset, prefixes), [], 'a route the Services wanted was withdrawn while the controller caught up');
    // Positive control: the same reader sees a real withdrawal.
    await core().deleteNamespacedService('svc-1', NS);
    await waitFor('BIRD logs the withdrawal of a deleted Service', () => withdrawals(offset, [`${vip(1)}/32`]).length > 0, { timeoutMs: 60_000 });
  });
});
