// Address ownership on the lab, BIRD's table being the proof: closed by default (no VipPool,
// nothing reaches BIRD, not even a forged Service-backed announcement the speakers are handed),
// the migration's opt-out (announced, and said on every announcement and in the metrics), one
// owner whatever the source, communities by allowlist, pools whose deletion refused or
// terminating announcements do not block, and a leader failover in the middle of a burst of
// creates that hands out no address twice.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { VipPoolSpec } from '../operator/api/pool';
import type { VipAnnouncementSpec } from '../operator/api/types';
import type { VipSpeaker } from '../operator/api/vipSpeaker';
import { birdRoutes, type BirdRoute } from './harness/bird';
import { kubectl, kubectlResult, lab, waitFor, waitUntilNoMismatch } from './harness/lab';
import { core, createReadyPod, createService, customObjects, deleteNamespace, ensureNamespace, getAnnouncement as getVA, getPool, inPool, prepareSuite, uniqueNamespace } from './harness/kube';
import { dropLabPool, ensureLabPool, LAB_POOL, OWN_POOLS_LABEL } from './harness/labPool';
import { controllerConfig, metricValue, speakerConfig, startOperator, waitReady, type OperatorProcess } from './harness/operator';

const NS = uniqueNamespace('e2e-own');
const TENANT = uniqueNamespace('e2e-own-tenant');
const STRICT_NS = uniqueNamespace('e2e-own-strict');
const BURST_NS = uniqueNamespace('e2e-own-burst');
const NAMESPACES = [NS, TENANT, STRICT_NS, BURST_NS];
const LEASE = `${NS}-controller`;
/** Pool names are cluster-wide: unique per run. */
const STRICT = `${NS}-strict`;
const GONE = `${NS}-gone`;
const BURST = `${NS}-burst`;
const POOLS = [STRICT, GONE, BURST];
const HOLD = 'e2e.vipannouncer.io/hold';
const prefixOf = (ip: string): string => `${ip}/32`;

async function routesOf(ip: string): Promise<BirdRoute[]> {
  return (await birdRoutes()).filter((r) => r.prefix === prefixOf(ip));
}

async function applyPool(name: string, spec: VipPoolSpec): Promise<void> {
  await kubectl(['apply', '-f', '-'], JSON.stringify({ apiVersion: 'vipannouncer.io/v1alpha1', kind: 'VipPool', metadata: { name }, spec }));
}

async function handMade(ns: string, name: string, spec: Partial<VipAnnouncementSpec> & { addresses: string[] }, meta: Record<string, unknown> = {}): Promise<void> {
  await kubectl(['apply', '-f', '-'], JSON.stringify({ apiVersion: 'vipannouncer.io/v1alpha1', kind: 'VipAnnouncement', metadata: { name, namespace: ns, ...meta }, spec: { externalTrafficPolicy: 'Cluster', ...spec } }));
}

/** The reason of a condition of the announcement ns/name, '(none)' when absent. */
async function reasonOf(ns: string, name: string, type = 'Advertised'): Promise<string> {
  return (await getVA(ns, name))?.status?.conditions?.find((c) => c.type === type)?.reason ?? '(none)';
}

/** Warning Events with this reason about ns/name. */
async function warnings(ns: string, name: string, reason: string): Promise<number> {
  const evs = (await core().listNamespacedEvent(ns)).body.items;
  return evs.filter((e) => e.type === 'Warning' && e.involvedObject.name === name && e.reason === reason).length;
}

/** Every lab node's report lists the prefix as refused for `announcement`, with this reason. */
async function refusedEverywhere(announcement: string, ip: string, reason: string): Promise<string> {
  const wrong: string[] = [];
  for (const n of lab().nodes) {
    const report = (await customObjects().getClusterCustomObject('vipannouncer.io', 'v1alpha1', 'vipspeakers', n.name)).body as VipSpeaker;
    const hit = (report.status?.exceptions ?? []).find((e) => e.announcement === announcement && e.prefix === prefixOf(ip));
    if (hit?.reason !== reason) wrong.push(`${n.name}: ${JSON.stringify(hit)}`);
  }
  return wrong.join('; ');
}

let podSerial = 0;
async function servedService(ns: string, name: string, annotations: Record<string, string>): Promise<void> {
  await createService({ namespace: ns, name, policy: 'Cluster', annotations });
  await createReadyPod({ namespace: ns, name: `${name}-pod`, app: name, node: lab().nodes[0].name, ip: `10.61.0.${++podSerial}` });
}

describe('address ownership', () => {
  const nodes = lab().nodes;
  const procs: OperatorProcess[] = [];
  const leaderElected = controllerConfig({ leaderElection: { enabled: true, leaseName: LEASE, leaseNamespace: 'kube-system', leaseDuration: '15s', renewDeadline: '10s', retryPeriod: '2s' } });
  let ctl: OperatorProcess;

  const startSpeakers = async (ownership: 'Enforced' | 'Unenforced'): Promise<void> => {
    for (const n of nodes) procs.push(await startOperator(`own-speaker-${ownership}-${n.name}`, 'speaker', speakerConfig(n, { addressOwnership: ownership })));
    for (const p of procs) await waitReady(p);
  };
  const startController = async (ownership: 'Enforced' | 'Unenforced'): Promise<void> => {
    ctl = await startOperator(`own-controller-${ownership}`, 'controller', { controller: { ...(leaderElected.controller as object), addressOwnership: ownership } }, { env: { POD_NAME: `own-controller-${ownership}` } });
    procs.push(ctl);
    await waitReady(ctl);
  };
  const startAll = async (ownership: 'Enforced' | 'Unenforced'): Promise<void> => {
    await startSpeakers(ownership);
    await startController(ownership);
  };
  const stopAll = async (): Promise<void> => {
    for (const p of procs.splice(0)) await p.stop();
  };

  before(async () => {
    await prepareSuite(NS, nodes);
    for (const ns of NAMESPACES.slice(1)) await ensureNamespace(ns);
    for (const ns of [STRICT_NS, BURST_NS]) await kubectl(['label', 'namespace', ns, '--overwrite', `${OWN_POOLS_LABEL}=true`]);
  });

  after(async () => {
    await stopAll();
    for (const ns of NAMESPACES) {
      for (const va of kubectlResult(['get', 'vipannouncements', '-n', ns, '-o', 'name']).stdout.split('\n').filter(Boolean)) {
        kubectlResult(['patch', '-n', ns, va, '--type=merge', '-p', '{"metadata":{"finalizers":null}}']);
      }
      await deleteNamespace(ns);
    }
    for (const pool of POOLS) {
      kubectlResult(['delete', 'vippool', pool, '--ignore-not-found', '--wait=false']);
      kubectlResult(['patch', 'vippool', pool, '--type=merge', '-p', '{"metadata":{"finalizers":null}}']);
    }
    kubectlResult(['delete', 'lease', LEASE, '-n', 'kube-system', '--ignore-not-found']);
    await ensureLabPool();
  });

  it('closed by default: with no VipPool nothing is allocated or announced, each says NoVipPool once, and the speakers refuse a forged Service announcement too', async () => {
    dropLabPool();
    await waitFor('the lab pool to be gone', async () => !(await getPool(LAB_POOL)), { timeoutMs: 60_000 });
    // The speakers alone first: what a tenant or a broken controller hands them directly, a
    // Service-backed spec (a running controller would delete it: its Service does not exist).
    await startSpeakers('Enforced');
    await handMade(NS, 'forged', { addresses: ['203.0.113.63'], serviceRef: { name: 'nobody' } });
    await waitUntilNoMismatch('every speaker to refuse the forged prefix', () => refusedEverywhere(`${NS}/forged`, '203.0.113.63', 'NoVipPool'), { timeoutMs: 60_000 });
    assert.deepEqual(await routesOf('203.0.113.63'), [], 'the forged prefix in BIRD');
    await startController('Enforced');
    await servedService(NS, 'req', { 'vipannouncer.io/loadBalancerIPs': '203.0.113.61' });
    await handMade(NS, 'hand', { addresses: ['203.0.113.62'] });
    await waitUntilNoMismatch('NoVipPool on the Service and the hand-made announcement, one Warning Event each', async () => {
      const wrong: string[] = [];
      for (const name of ['req', 'hand']) {
        const reason = await reasonOf(NS, name);
        const said = await warnings(NS, name, 'NoVipPool');
        if (reason !== 'NoVipPool' || said !== 1) wrong.push(`${name}: ${reason}, ${said} Warning Events`);
      }
      return wrong.join('; ');
    }, { timeoutMs: 90_000 });
    assert.deepEqual((await core().readNamespacedServiceStatus('req', NS)).body.status?.loadBalancer?.ingress ?? [], [], 'no ingress written');
    assert.deepEqual((await getVA(NS, 'req'))?.spec.addresses ?? [], [], 'nothing allocated');
    // The speakers' own check, per node: refused before BIRD could see anything.
    await waitUntilNoMismatch('every speaker to refuse the hand-made prefix', () => refusedEverywhere(`${NS}/hand`, '203.0.113.62', 'NoVipPool'), { timeoutMs: 60_000 });
    for (const ip of ['203.0.113.61', '203.0.113.62']) assert.deepEqual(await routesOf(ip), [], `${ip} in BIRD`);
    // The first pool lets them in (the positive control of the same setup).
    await ensureLabPool();
    await waitUntilNoMismatch('both addresses in BIRD from every node once a pool exists', async () => {
      const counts = await Promise.all(['203.0.113.61', '203.0.113.62'].map(async (ip) => (await routesOf(ip)).length));
      return counts.every((c) => c === nodes.length) ? '' : counts.join(',');
    }, { timeoutMs: 90_000 });
  });

  it('the opt-out (addressOwnership: Unenforced) announces with no pool, and says so on every announcement and in the metrics until a pool exists', async () => {
    await stopAll();
    dropLabPool();
    await waitFor('the lab pool to be gone', async () => !(await getPool(LAB_POOL)), { timeoutMs: 60_000 });
    await startAll('Unenforced');
    await waitUntilNoMismatch('both in BIRD, and AddressOwnership=False Unenforced on both announcements', async () => {
      const wrong: string[] = [];
      for (const [name, ip] of [['req', '203.0.113.61'], ['hand', '203.0.113.62']]) {
        if ((await routesOf(ip)).length !== nodes.length) wrong.push(`${ip} not in BIRD from every node`);
        const c = (await getVA(NS, name))?.status?.conditions?.find((x) => x.type === 'AddressOwnership');
        if (c?.status !== 'False' || c.reason !== 'Unenforced') wrong.push(`${name}: ${JSON.stringify(c)}`);
      }
      return wrong.join('; ');
    }, { timeoutMs: 90_000 });
    await waitFor('the controller gauge to count them', async () => (metricValue(await ctl.metrics(), 'vipannouncer_announcements_unenforced') ?? 0) >= 2, { timeoutMs: 30_000 });
    const speaker = procs.find((p) => p.name.includes('speaker')) ?? ctl;
    await waitFor('the speaker gauge to count them', async () => (metricValue(await speaker.metrics(), 'vipannouncer_speaker_unenforced_prefixes') ?? 0) >= 2, { timeoutMs: 30_000 });
    // Leaving the opt-out: the first pool ends it.
    await ensureLabPool();
    await waitUntilNoMismatch('the condition gone and the gauges at 0', async () => {
      const wrong: string[] = [];
      for (const name of ['req', 'hand']) if ((await reasonOf(NS, name, 'AddressOwnership')) !== '(none)') wrong.push(`${name} still Unenforced`);
      const g = metricValue(await ctl.metrics(), 'vipannouncer_announcements_unenforced');
      if (g !== 0) wrong.push(`controller gauge ${g}`);
      return wrong.join('; ');
    }, { timeoutMs: 60_000 });
    await stopAll();
    await startAll('Enforced');
  });

  it("one owner whatever the source: a hand-made holder keeps its address against another namespace's Service; two namespaces claiming one prefix are both refused until one yields", async () => {
    await handMade(NS, 'dns', { addresses: ['203.0.113.53'], communities: ['65000:53'] });
    await waitUntilNoMismatch('the hand-made DNS address in BIRD from every node', async () => ((await routesOf('203.0.113.53')).length === nodes.length ? '' : 'missing'), { timeoutMs: 60_000 });
    await servedService(TENANT, 'thief', { 'vipannouncer.io/loadBalancerIPs': '203.0.113.53', 'vipannouncer.io/communities': '65000:666' });
    await waitUntilNoMismatch('the thief refused (AddressInUse, one Warning Event)', async () => {
      const reason = await reasonOf(TENANT, 'thief');
      const said = await warnings(TENANT, 'thief', 'AddressInUse');
      return reason === 'AddressInUse' && said === 1 ? '' : `${reason}, ${said}`;
    }, { timeoutMs: 60_000 });
    const routes = await routesOf('203.0.113.53');
    assert.equal(routes.length, nodes.length);
    for (const r of routes) assert.deepEqual(r.communities, ['65000:53'], "the holder's route, not the thief's");
    await waitFor('the holder still Advertised', async () => (await reasonOf(NS, 'dns')) === 'Advertised', { timeoutMs: 60_000 });

    await handMade(NS, 'first', { addresses: ['203.0.113.54'] });
    await waitUntilNoMismatch('the first claim in BIRD', async () => ((await routesOf('203.0.113.54')).length === nodes.length ? '' : 'missing'), { timeoutMs: 60_000 });
    await handMade(TENANT, 'second', { addresses: ['203.0.113.54'] });
    await waitUntilNoMismatch('both refused by every speaker (ClaimedByAnotherNamespace), the later one AddressInUse', async () => {
      const wrong = [await refusedEverywhere(`${NS}/first`, '203.0.113.54', 'ClaimedByAnotherNamespace'), await refusedEverywhere(`${TENANT}/second`, '203.0.113.54', 'ClaimedByAnotherNamespace')].filter(Boolean);
      const second = await reasonOf(TENANT, 'second');
      if (second !== 'AddressInUse') wrong.push(`second: ${second}`);
      const first = await reasonOf(NS, 'first');
      if (first === 'Advertised') wrong.push('first: still Advertised');
      return wrong.join('; ');
    }, { timeoutMs: 60_000 });
    await waitUntilNoMismatch('the contested prefix gone from BIRD', async () => ((await routesOf('203.0.113.54')).length === 0 ? '' : 'still there'), { timeoutMs: 60_000 });
    await kubectl(['delete', 'vipannouncement', 'second', '-n', TENANT]);
    await waitUntilNoMismatch('the remaining owner back in BIRD', async () => ((await routesOf('203.0.113.54')).length === nodes.length ? '' : 'missing'), { timeoutMs: 60_000 });
  });

  it('communities by allowlist: only what the pool lists reaches BIRD, from a Service and from a hand-made spec alike', async () => {
    await applyPool(STRICT, {
      addresses: ['203.0.114.0/24'],
      serviceAllocation: { namespaces: [STRICT_NS] },
      advertisement: { communities: ['64512:1'], localPref: 120, allowServiceOverrides: true, allowedCommunities: ['65000:*'], allowedLocalPref: { min: 100, max: 200 } },
    });
    await servedService(STRICT_NS, 'svc', { 'vipannouncer.io/loadBalancerIPs': '203.0.114.10', 'vipannouncer.io/communities': '65000:10,3356:666', 'vipannouncer.io/largeCommunities': '65000:1:1', 'vipannouncer.io/localPref': '4000' });
    await handMade(STRICT_NS, 'forged', { addresses: ['203.0.114.11'], communities: ['3356:666', '65000:20'], largeCommunities: ['3356:1:1'], localPref: 4294967295 });
    const want: Record<string, { communities: string[]; localPref: number }> = { '203.0.114.10': { communities: ['64512:1', '65000:10'], localPref: 120 }, '203.0.114.11': { communities: ['64512:1', '65000:20'], localPref: 120 } };
    await waitUntilNoMismatch('BIRD to carry only the listed attributes', async () => {
      const wrong: string[] = [];
      for (const [ip, w] of Object.entries(want)) {
        const routes = await routesOf(ip);
        if (routes.length !== nodes.length) wrong.push(`${ip}: ${routes.length} routes`);
        for (const r of routes) {
          const got = [[...r.communities].sort(), r.largeCommunities, r.localPref];
          if (JSON.stringify(got) !== JSON.stringify([w.communities, [], w.localPref])) wrong.push(`${ip}: ${JSON.stringify(got)}`);
        }
      }
      return wrong.join('; ');
    }, { timeoutMs: 90_000 });
    await waitFor('the refused values reported on the Service', async () => (await warnings(STRICT_NS, 'svc', 'InvalidAnnotation')) > 0, { timeoutMs: 30_000 });
    // And on the hand-made announcement: its Ready condition and a Warning name what was left out.
    await waitFor('the refused values reported on the hand-made announcement', async () => (await reasonOf(STRICT_NS, 'forged', 'Ready')) === 'AttributeNotAllowed' && (await warnings(STRICT_NS, 'forged', 'AttributeNotAllowed')) > 0, { timeoutMs: 60_000 });
    const message = (await getVA(STRICT_NS, 'forged'))?.status?.conditions?.find((c) => c.type === 'Ready')?.message ?? '';
    for (const v of ['3356:666', '3356:1:1', '4294967295']) assert.ok(message.includes(v), `Ready does not name ${v}: ${message}`);
  });

  it("refused or terminating announcements neither block a pool's deletion nor count in its status", async () => {
    await applyPool(GONE, { addresses: ['203.0.115.0/24'], serviceAllocation: { namespaces: [STRICT_NS] } });
    // Refused: a namespace the pool does not select. Terminating: held open by a finalizer of ours.
    await handMade(TENANT, 'outsider', { addresses: ['203.0.115.5'] });
    await handMade(STRICT_NS, 'going', { addresses: ['203.0.115.6'] }, { finalizers: [HOLD] });
    await waitUntilNoMismatch('the pool to count the terminating one while it lives', async () => {
      const s = (await getPool(GONE))?.status;
      return s?.ipv4?.allocated === 1 ? '' : JSON.stringify(s?.ipv4);
    }, { timeoutMs: 60_000 });
    await kubectl(['delete', 'vipannouncement', 'going', '-n', STRICT_NS, '--wait=false']);
    await waitUntilNoMismatch('nothing counted', async () => {
      const s = (await getPool(GONE))?.status;
      return s?.ipv4?.allocated === 0 ? '' : JSON.stringify(s?.ipv4);
    }, { timeoutMs: 60_000 });
    await kubectl(['delete', 'vippool', GONE, '--wait=false']);
    await waitFor('the pool to be gone', async () => !(await getPool(GONE)), { timeoutMs: 60_000 });
    kubectlResult(['patch', 'vipannouncement', 'going', '-n', STRICT_NS, '--type=merge', '-p', '{"metadata":{"finalizers":null}}']);
  });

  it('a leader failover in the middle of a burst of creates hands out no address twice', async () => {
    await applyPool(BURST, { addresses: ['203.0.116.0/26'], serviceAllocation: { namespaces: [BURST_NS] } });
    const standby = await startOperator('own-controller-standby', 'controller', leaderElected, { env: { POD_NAME: 'own-controller-standby' } });
    procs.push(standby);
    await waitReady(standby);
    const names = Array.from({ length: 60 }, (_, i) => `b-${i}`);
    let killed = false;
    await inPool(names, 8, async (name) => {
      await createService({ namespace: BURST_NS, name, policy: 'Cluster' });
      // The leader dies without a word (no Lease release) a third of the way in.
      if (!killed && name === 'b-20') {
        killed = true;
        await ctl.kill();
      }
    });
    const snapshot = async (): Promise<Map<string, string[]>> => {
      const items = (await core().listNamespacedService(BURST_NS)).body.items;
      return new Map(items.map((svc) => [svc.metadata?.name ?? '', (svc.status?.loadBalancer?.ingress ?? []).map((i) => i.ip ?? '')]));
    };
    await waitUntilNoMismatch('every Service to get one address from the new leader', async () => {
      const got = [...(await snapshot()).values()].flat();
      return got.length === names.length ? '' : `${got.length} of ${names.length}`;
    }, { timeoutMs: 180_000 });
    const ingress = [...(await snapshot()).values()].flat();
    assert.equal(new Set(ingress).size, names.length, `an address handed out twice: ${ingress.sort().join(',')}`);
    const specs = (await Promise.all(names.map((n) => getVA(BURST_NS, n)))).flatMap((va) => va?.spec.addresses ?? []);
    assert.equal(specs.length, names.length);
    assert.equal(new Set(specs).size, names.length, 'announcements carry each address once');
  });
});
