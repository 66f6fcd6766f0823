// Address pools on the lab, BIRD's table being the proof: Services get addresses from pools
// and their routes carry the pool's attributes; what no pool allows never reaches BIRD and
// says why; 100 Services into 90 free addresses; release. Its namespaces are left out of the
// lab's pool (harness/labPool.ts), and every pool of its own is deleted at the end.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import type { V1Service } from '@kubernetes/client-node';
import { birdRoutes, type BirdRoute } from './harness/bird';
import { applyPool, removePools } from './harness/pools';
import { REPO_ROOT, kubectl, kubectlResult, lab, labCommand, waitFor, waitUntilNoMismatch } from './harness/lab';
import { core, deleteNamespace, discovery, ensureNamespace, ensureNode, getAnnouncement as getVA, getPool, inPool, serviceBody, statusOf, uniqueNamespace, type ServiceOptions } from './harness/kube';
import { OWN_POOLS_LABEL } from './harness/labPool';
import { controllerConfig, speakerConfig, startOperator, waitReady, type OperatorProcess } from './harness/operator';

const NS = uniqueNamespace('e2e-pools');
const OTHER_NS = uniqueNamespace('e2e-pools-other');
const BULK_NS = uniqueNamespace('e2e-pools-bulk');
const SHRINK_NS = uniqueNamespace('e2e-pools-shrink');
const RESTART_NS = uniqueNamespace('e2e-pools-restart');
const LEASE = `${NS}-controller`;
/** Pool names are cluster-wide: unique per run. */
const MAIN = `${NS}-main`;
const BULK = `${NS}-bulk`;
const SHRINK = `${NS}-shrink`;
const RESTART = `${NS}-restart`;
const POOLS = [MAIN, BULK, SHRINK, RESTART];
const NAMESPACES = [NS, OTHER_NS, BULK_NS, SHRINK_NS, RESTART_NS];
const MAIN_ATTRS = { communities: ['64512:701'], largeCommunities: ['64512:7:1'], localPref: 170 };


/** A LoadBalancer Service (Cluster policy); without endpoints it is allocated but not announced. */
async function service(o: ServiceOptions, spec: Partial<NonNullable<V1Service['spec']>> = {}): Promise<void> {
  const body = serviceBody(o);
  body.spec = { ...body.spec, ...spec };
  await core().createNamespacedService(o.namespace, body);
}

let podSerial = 0;
/**
 * One ready endpoint for the Service, in a slice written by hand (the EndpointSlice controller
 * leaves slices of another manager alone): no kubelet gives pods IPv6 addresses in the lab.
 */
async function serving(ns: string, svc: string, family: 'IPv4' | 'IPv6' = 'IPv4'): Promise<void> {
  const n = ++podSerial;
  const address = family === 'IPv4' ? `10.64.0.${n}` : `fd00:64::${n.toString(16)}`;
  await discovery().createNamespacedEndpointSlice(ns, {
    metadata: { name: `${svc}-manual-${family.toLowerCase()}`, namespace: ns, labels: { 'kubernetes.io/service-name': svc, 'endpointslice.kubernetes.io/managed-by': 'e2e.vipannouncer.io' } },
    addressType: family,
    ports: [{ name: 'http', port: 8080, protocol: 'TCP' }],
    endpoints: [{ addresses: [address], nodeName: lab().nodes[0].name, conditions: { ready: true, serving: true, terminating: false } }],
  });
}

async function ingressOf(ns: string, name: string): Promise<string[]> {
  return ((await core().readNamespacedServiceStatus(name, ns)).body.status?.loadBalancer?.ingress ?? []).map((i) => i.ip ?? '');
}

/** BIRD's routes for a prefix (one per node announcing it). */
async function routesOf(prefix: string): Promise<BirdRoute[]> {
  return (await birdRoutes()).filter((r) => r.prefix === prefix);
}

async function warningReasons(ns: string, name: string): Promise<string[]> {
  const evs = (await core().listNamespacedEvent(ns)).body.items;
  return evs.filter((e) => e.type === 'Warning' && e.involvedObject.name === name).map((e) => e.reason ?? '');
}

/** The Advertised condition's reason on the announcement of ns/name. */
async function advertisedReason(ns: string, name: string): Promise<string> {
  const va = await getVA(ns, name);
  return va?.status?.conditions?.find((c) => c.type === 'Advertised')?.reason ?? '(none)';
}

const prefixOf = (ip: string): string => (ip.includes(':') ? `${ip}/128` : `${ip}/32`);

describe('address pools', () => {
  const nodes = lab().nodes;
  const procs: OperatorProcess[] = [];
  const leaderElected = controllerConfig({ leaderElection: { enabled: true, leaseName: LEASE, leaseNamespace: 'kube-system', leaseDuration: '15s', renewDeadline: '10s', retryPeriod: '2s' } });
  const startController = async (name: string): Promise<OperatorProcess> => startOperator(name, 'controller', leaderElected, { env: { POD_NAME: name } });

  before(async () => {
    await kubectl(['apply', '-f', path.join(REPO_ROOT, 'crds')]);
    await kubectl(['wait', '--for=condition=Established', '--timeout=60s', 'crd/vipannouncements.vipannouncer.io', 'crd/vippools.vipannouncer.io']);
    for (const n of nodes) await ensureNode(n.name, n.address);
    for (const ns of NAMESPACES) {
      await ensureNamespace(ns);
      await kubectl(['label', 'namespace', ns, '--overwrite', `${OWN_POOLS_LABEL}=true`]);
    }
    await applyPool(MAIN, { addresses: ['100.64.1.0/24', '2001:db8:64::/120'], serviceAllocation: { namespaces: [NS] }, advertisement: MAIN_ATTRS });
    await applyPool(BULK, { addresses: ['100.64.2.0-100.64.2.89'], serviceAllocation: { namespaces: [BULK_NS] } });
    await applyPool(SHRINK, { addresses: ['100.64.3.0/29'], serviceAllocation: { namespaces: [SHRINK_NS] } });
    await applyPool(RESTART, { addresses: ['100.64.8.0/22'], serviceAllocation: { namespaces: [RESTART_NS] } });
    procs.push(await startController('pools-controller-1'));
    for (const n of nodes) procs.push(await startOperator(`pools-speaker-${n.name}`, 'speaker', speakerConfig(n)));
    for (const p of procs) await waitReady(p);
  });

  after(async () => {
    for (const ns of NAMESPACES) await deleteNamespace(ns);
    // The controller releases the finalizers once the Services are gone; if it cannot, removePools does it by hand.
    try {
      await removePools(POOLS);
    } finally {
      for (const p of procs) await p.stop();
      kubectlResult(['delete', 'lease', LEASE, '-n', 'kube-system', '--ignore-not-found']);
    }
  });

  it('Services with no request get IPv4, IPv6 and dual-stack addresses, announced with the pool attributes', async () => {
    await service({ namespace: NS, name: 'v4' }, { ipFamilyPolicy: 'SingleStack', ipFamilies: ['IPv4'] });
    await service({ namespace: NS, name: 'v6' }, { ipFamilyPolicy: 'SingleStack', ipFamilies: ['IPv6'] });
    await service({ namespace: NS, name: 'dual', dualStack: true });
    for (const [name, family] of [['v4', 'IPv4'], ['v6', 'IPv6'], ['dual', 'IPv4']] as const) await serving(NS, name, family);
    const want: Record<string, number> = { v4: 1, v6: 1, dual: 2 };
    const got = new Map<string, string[]>();
    await waitUntilNoMismatch('each Service to get its addresses in its ingress', async () => {
      for (const name of Object.keys(want)) got.set(name, await ingressOf(NS, name));
      return Object.entries(want).filter(([n, count]) => got.get(n)?.length !== count).map(([n]) => `${n}: ${JSON.stringify(got.get(n))}`).join('; ');
    });
    assert.match(got.get('v4')?.[0] ?? '', /^100\.64\.1\./);
    assert.match(got.get('v6')?.[0] ?? '', /^2001:db8:64::/);
    const all = [...got.values()].flat();
    assert.equal(new Set(all).size, all.length, 'no address twice');
    await waitUntilNoMismatch('BIRD to hold every address from every node with the pool attributes', async () => {
      const wrong: string[] = [];
      for (const ip of all) {
        const routes = await routesOf(prefixOf(ip));
        if (routes.length !== nodes.length) wrong.push(`${ip}: ${routes.length} routes`);
        for (const r of routes) {
          const attrs = { communities: r.communities, largeCommunities: r.largeCommunities, localPref: r.localPref };
          if (JSON.stringify(attrs) !== JSON.stringify(MAIN_ATTRS)) wrong.push(`${ip}: ${JSON.stringify(attrs)}`);
        }
      }
      return wrong.join('; ');
    });
  });

  it('a request outside every pool, from an unselected namespace, a hijack and a hand-made foreign announcement: none reaches BIRD, each says why', async () => {
    await service({ namespace: NS, name: 'victim', annotations: { 'vipannouncer.io/loadBalancerIPs': '100.64.1.200' } });
    await serving(NS, 'victim');
    await waitUntilNoMismatch('the victim to be in BIRD', async () => ((await routesOf('100.64.1.200/32')).length === nodes.length ? '' : 'missing'));
    const before = JSON.stringify(await routesOf('100.64.1.200/32'));
    await service({ namespace: NS, name: 'outside', annotations: { 'vipannouncer.io/loadBalancerIPs': '198.51.100.99' } });
    await service({ namespace: OTHER_NS, name: 'unselected', annotations: { 'vipannouncer.io/loadBalancerIPs': '100.64.1.201' } });
    await service({ namespace: NS, name: 'hijack', annotations: { 'vipannouncer.io/loadBalancerIPs': '100.64.1.200' } });
    await kubectl(['apply', '-f', '-'], JSON.stringify({ apiVersion: 'vipannouncer.io/v1alpha1', kind: 'VipAnnouncement', metadata: { name: 'handmade', namespace: NS }, spec: { addresses: ['100.64.1.200'], externalTrafficPolicy: 'Cluster', communities: ['65535:666'], localPref: 4294967295 } }));
    const cases: Array<[string, string, string]> = [
      [NS, 'outside', 'AddressNotAllowed'],
      [OTHER_NS, 'unselected', 'AddressNotAllowed'],
      [NS, 'hijack', 'AddressInUse'],
    ];
    await waitUntilNoMismatch('each refused Service to have its condition and Warning Event', async () => {
      const wrong: string[] = [];
      for (const [ns, name, reason] of cases) {
        const adv = await advertisedReason(ns, name);
        const warnings = await warningReasons(ns, name);
        if (adv !== reason || !warnings.includes(reason)) wrong.push(`${ns}/${name}: ${adv} [${warnings.join(',')}]`);
      }
      const handmade = await advertisedReason(NS, 'handmade');
      if (handmade !== 'AddressNotAllowed') wrong.push(`handmade: ${handmade}`);
      return wrong.join('; ');
    });
    for (const prefix of ['198.51.100.99/32', '100.64.1.201/32']) assert.deepEqual(await routesOf(prefix), [], `${prefix} in BIRD`);
    assert.equal(JSON.stringify(await routesOf('100.64.1.200/32')), before, "the victim's route and attributes are unchanged");
    assert.deepEqual(await ingressOf(NS, 'hijack'), []);
  });

  it('100 Services at once into 90 free addresses: 90 unique, 10 PoolExhausted; deleting 10 lets the waiting ones in', async () => {
    const names = Array.from({ length: 100 }, (_, i) => `bulk-${i}`);
    await inPool(names, 16, (name) => service({ namespace: BULK_NS, name }));
    const ingress = new Map<string, string[]>();
    const read = async (): Promise<void> => {
      await inPool(names, 16, async (n) => {
        try {
          ingress.set(n, await ingressOf(BULK_NS, n));
        } catch (err) {
          if (statusOf(err) !== 404) throw err;
          ingress.delete(n);
        }
      });
    };
    await waitUntilNoMismatch('90 Services with an address and 10 PoolExhausted', async () => {
      await read();
      const given = [...ingress.values()].flat();
      const exhausted = (await Promise.all(names.map(async (n) => ((await advertisedReason(BULK_NS, n)) === 'PoolExhausted' ? n : '')))).filter(Boolean);
      return given.length === 90 && exhausted.length === 10 ? '' : `${given.length} given, ${exhausted.length} exhausted`;
    }, { timeoutMs: 120_000 });
    const given = [...ingress.values()].flat();
    assert.equal(new Set(given).size, 90, 'every address once');
    const waiting = names.filter((n) => (ingress.get(n) ?? []).length === 0);
    const gone = names.filter((n) => !waiting.includes(n)).slice(0, 10);
    for (const n of gone) await core().deleteNamespacedService(n, BULK_NS);
    await waitUntilNoMismatch('the 10 waiting Services to get addresses', async () => {
      await read();
      const now = [...ingress.values()].flat();
      const without = waiting.filter((n) => (ingress.get(n) ?? []).length === 0);
      return without.length === 0 && new Set(now).size === 90 && now.length === 90 ? '' : `${without.length} still waiting, ${now.length} given`;
    }, { timeoutMs: 120_000 });
  });

  it('removing the request releases the address: gone from BIRD, and allocatable again', async () => {
    await service({ namespace: NS, name: 'req', annotations: { 'vipannouncer.io/loadBalancerIPs': '100.64.1.250' } });
    await serving(NS, 'req');
    await waitUntilNoMismatch('the requested address in BIRD', async () => ((await routesOf('100.64.1.250/32')).length === nodes.length ? '' : 'missing'));
    await kubectl(['annotate', 'service', 'req', '-n', NS, 'vipannouncer.io/loadBalancerIPs-']);
    await waitUntilNoMismatch('the former request gone from BIRD and the Service on another address', async () => {
      const routes = await routesOf('100.64.1.250/32');
      const ips = await ingressOf(NS, 'req');
      return routes.length === 0 && ips.length === 1 && ips[0] !== '100.64.1.250' ? '' : `${routes.length} routes, ingress ${ips.join(',')}`;
    });
    await service({ namespace: NS, name: 'taker', annotations: { 'vipannouncer.io/loadBalancerIPs': '100.64.1.250' } });
    await waitUntilNoMismatch('another Service to get the released address', async () => {
      const ips = await ingressOf(NS, 'taker');
      return JSON.stringify(ips) === JSON.stringify(['100.64.1.250']) ? '' : ips.join(',');
    });
  });

  it('a pool being deleted waits while addresses are held and says so; it goes once they are released', async () => {
    await kubectl(['delete', 'vippool', BULK, '--wait=false']);
    await waitUntilNoMismatch('DeletionBlocked on the pool', async () => {
      const c = (await getPool(BULK))?.status?.conditions?.find((x) => x.type === 'DeletionBlocked');
      return c?.status === 'True' ? '' : JSON.stringify(c);
    });
    const held = (await Promise.all(Array.from({ length: 100 }, (_, i) => getVA(BULK_NS, `bulk-${i}`)))).flatMap((va) => va?.spec.addresses ?? []);
    assert.equal(held.length, 90, 'allocations of a pool being deleted stay');
    await deleteNamespace(BULK_NS);
    await waitFor('the pool to be gone', async () => !(await getPool(BULK)), { timeoutMs: 120_000 });
  });

  it('sharing: the same allow-shared-ip key and no common port share an address; without the key it is AddressInUse', async () => {
    const shared = { 'vipannouncer.io/loadBalancerIPs': '100.64.1.150', 'vipannouncer.io/allow-shared-ip': 'front' };
    await service({ namespace: NS, name: 'share-http', annotations: shared });
    await service({ namespace: NS, name: 'share-dns', annotations: shared }, { ports: [{ name: 'dns', port: 53, targetPort: 53, protocol: 'UDP' }] });
    await service({ namespace: NS, name: 'share-nokey', annotations: { 'vipannouncer.io/loadBalancerIPs': '100.64.1.150' } }, { ports: [{ name: 'https', port: 443, targetPort: 443, protocol: 'TCP' }] });
    await service({ namespace: NS, name: 'share-sameport', annotations: shared });
    for (const name of ['share-http', 'share-dns']) await serving(NS, name);
    await waitUntilNoMismatch('both key holders on the address, the others refused', async () => {
      const wrong: string[] = [];
      for (const name of ['share-http', 'share-dns']) if (JSON.stringify(await ingressOf(NS, name)) !== '["100.64.1.150"]') wrong.push(`${name}: ${(await ingressOf(NS, name)).join(',')}`);
      for (const name of ['share-nokey', 'share-sameport']) if ((await advertisedReason(NS, name)) !== 'AddressInUse') wrong.push(`${name}: ${await advertisedReason(NS, name)}`);
      const routes = await routesOf('100.64.1.150/32');
      if (routes.length !== nodes.length) wrong.push(`${routes.length} routes`);
      return wrong.join('; ');
    });
  });

  it('a pool edit that still covers an allocation keeps it; one that drops it moves it (gone from BIRD)', async () => {
    for (const name of ['a', 'b']) {
      await service({ namespace: SHRINK_NS, name });
      await serving(SHRINK_NS, name);
    }
    await waitUntilNoMismatch('a and b on the first two addresses, in BIRD', async () => {
      const got = [await ingressOf(SHRINK_NS, 'a'), await ingressOf(SHRINK_NS, 'b')].flat().sort();
      const routes = (await routesOf('100.64.3.0/32')).length + (await routesOf('100.64.3.1/32')).length;
      return JSON.stringify(got) === '["100.64.3.0","100.64.3.1"]' && routes === 2 * nodes.length ? '' : `${got.join(',')}; ${routes} routes`;
    });
    const holderOf0 = JSON.stringify(await ingressOf(SHRINK_NS, 'a')) === '["100.64.3.0"]' ? 'a' : 'b';
    const other = holderOf0 === 'a' ? 'b' : 'a';
    await applyPool(SHRINK, { addresses: ['100.64.3.1-100.64.3.7'], serviceAllocation: { namespaces: [SHRINK_NS] } });
    await waitUntilNoMismatch('the Service on .0 moved; .0 gone from BIRD; the other untouched', async () => {
      const moved = await ingressOf(SHRINK_NS, holderOf0);
      const kept = await ingressOf(SHRINK_NS, other);
      const zero = (await routesOf('100.64.3.0/32')).length;
      return JSON.stringify(moved) === '["100.64.3.2"]' && JSON.stringify(kept) === '["100.64.3.1"]' && zero === 0 ? '' : `${moved.join(',')} / ${kept.join(',')} / .0 routes ${zero}`;
    });
  });

  it('200 allocated Services keep every address across a controller restart, a leader failover and an API server restart', async () => {
    const names = Array.from({ length: 200 }, (_, i) => `r-${i}`);
    await inPool(names, 16, (name) => service({ namespace: RESTART_NS, name }));
    const snapshot = async (): Promise<Map<string, string>> => {
      const items = (await core().listNamespacedService(RESTART_NS)).body.items;
      return new Map(items.map((svc) => [svc.metadata?.name ?? '', (svc.status?.loadBalancer?.ingress ?? []).map((i) => i.ip).join(',')]));
    };
    await waitUntilNoMismatch('200 Services with an address each', async () => {
      const got = [...(await snapshot()).values()].filter(Boolean);
      return got.length === 200 && new Set(got).size === 200 ? '' : `${got.length} given, ${new Set(got).size} unique`;
    }, { timeoutMs: 120_000 });
    const before = await snapshot();
    let probe = 0;
    /** A new Service gets an address: the active controller has rebuilt its table and works; nothing else moved. */
    const unchanged = async (what: string): Promise<void> => {
      const name = `probe-${++probe}`;
      await service({ namespace: RESTART_NS, name });
      await waitUntilNoMismatch(`${what}: the probe Service gets an address`, async () => ((await ingressOf(RESTART_NS, name)).length === 1 ? '' : 'none yet'), { timeoutMs: 60_000 });
      const after = await snapshot();
      const moved = names.filter((n) => after.get(n) !== before.get(n));
      assert.deepEqual(moved, [], `${what}: addresses changed`);
      assert.ok(!names.some((n) => before.get(n) === after.get(name)), `${what}: the probe got a held address`);
    };
    const [first] = procs;
    await first.stop();
    procs.splice(procs.indexOf(first), 1);
    const second = await startController('pools-controller-2');
    const standby = await startController('pools-controller-3');
    procs.push(second, standby);
    await unchanged('controller restart');
    await second.stop();
    procs.splice(procs.indexOf(second), 1);
    await unchanged('leader failover');
    // A leader that cannot renew while the API server is down exits (a Deployment restarts it);
    // a standby takes over once it is back.
    procs.push(await startController('pools-controller-4'));
    await labCommand('restart-apiserver', '2');
    await unchanged('API server restart');
  });
});
