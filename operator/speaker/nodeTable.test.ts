// The incremental node table decides as the full recomputation does. Over generated clusters
// (generatedClusters.ts) with the controller's announcements written, random changes — a
// Service asking for another address, or for none, deleted or added; a slice turning ready or
// not; an announcement edited, deleted or made by hand — are applied a few at a time, and after
// each step update() over the changed keys must equal full() of a fresh table, on every node.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { V1EndpointSlice, V1Service } from '@kubernetes/client-node';
import type { VipAnnouncement } from '../api/types';
import { nodeDraining, nodeEligible } from '../api/announces';
import type { CachedEndpointSlice, CachedService, SpeakerAnnouncement } from '../kube/cachedKinds';
import { objectKey } from '../kube/resources';
import { MapCache } from '../kube/testing';
import { serviceKeyOfSlice } from '../intent/sliceIndex';
import type { NodePaths } from './pathsForNode';
import { DraftMemo } from './serviceAnnouncements';
import { NodeTable, type TableSources } from './nodeTable';
import { ControllerRig, generate, NODES, rng, type Cluster } from './generatedClusters.testkit';

/** Everything of a result, order-independent where the result's order is not specified. */
function shown(p: NodePaths): unknown {
  return {
    paths: p.paths.map((x) => `${x.prefix} ${x.nextHop} c=${x.communities.join(' ')} lc=${x.largeCommunities.join(' ')} lp=${x.localPref ?? '-'}`),
    byAnnouncement: [...p.prefixesByAnnouncement].sort(([a], [b]) => (a < b ? -1 : 1)),
    conflicts: p.conflicts.map((c) => `${c.prefix} ${c.announcements.join(',')}`),
    invalid: p.invalid.map((x) => `${x.announcement} ${x.field} ${x.value}`).sort(),
    refused: p.refused.map((x) => `${x.announcement} ${x.prefix} ${x.reason}`).sort(),
  };
}

class World {
  readonly services = new MapCache<CachedService>();
  readonly slices = new MapCache<CachedEndpointSlice>();
  readonly announcements = new MapCache<SpeakerAnnouncement>();

  constructor(readonly cluster: Cluster, rig: ControllerRig) {
    for (const s of rig.services()) this.services.put(s);
    for (const s of cluster.slices) this.slices.put(s);
    for (const a of rig.vas().list()) this.announcements.put(a);
  }

  sources(node: string): TableSources {
    const n = this.cluster.nodes.find((x) => x.metadata?.name === node);
    return {
      services: this.services,
      announcements: this.announcements,
      slicesOf: (key) => this.slices.list().filter((s) => serviceKeyOfSlice(s) === key),
      pools: this.cluster.pools,
      namespaceLabels: (ns) => this.cluster.namespaces.find((x) => x.metadata?.name === ns)?.metadata?.labels,
      ownership: 'Enforced',
      loadBalancerClasses: [''],
      node: { name: node, eligible: nodeEligible(n), draining: nodeDraining(n) },
      nextHop: {},
    };
  }
}

/** One random change of the world, as informers deliver it (a new object); returns the changed key. */
function change(w: World, r: ReturnType<typeof rng>, step: number): string | undefined {
  const v4 = (): string => `10.0.0.${r.int(14)}`;
  const services = w.services.list();
  const kind = r.int(7);
  if (kind === 0 && services.length > 0) {
    const svc = structuredClone(r.pick(services)) as V1Service;
    const annotations = { ...(svc.metadata?.annotations ?? {}) };
    if (r.chance(0.7)) annotations['vipannouncer.io/loadBalancerIPs'] = r.chance(0.8) ? v4() : `${v4()},${v4()}`;
    else delete annotations['vipannouncer.io/loadBalancerIPs'];
    if (r.chance(0.2)) annotations['vipannouncer.io/communities'] = r.pick(['65000:7', '65000:8']);
    svc.metadata = { ...svc.metadata, annotations, resourceVersion: String(1000 + step) };
    w.services.put(svc);
    return objectKey(svc);
  }
  if (kind === 1 && services.length > 0) {
    const key = objectKey(r.pick(services));
    w.services.remove(key);
    return key;
  }
  if (kind === 2) {
    const ns = r.pick(['a', 'b']);
    const name = `new-${step}`;
    w.services.put({ metadata: { name, namespace: ns, uid: `uid-${name}`, labels: { tier: 'web' }, annotations: { 'vipannouncer.io/loadBalancerIPs': v4() } }, spec: { type: 'LoadBalancer', externalTrafficPolicy: 'Cluster', ipFamilies: ['IPv4'] }, status: {} });
    w.slices.put({ metadata: { name: `${name}-1`, namespace: ns, labels: { 'kubernetes.io/service-name': name } }, addressType: 'IPv4', endpoints: [{ addresses: ['10.9.99.1'], nodeName: r.pick(NODES), conditions: { ready: true, serving: true } }] });
    return `${ns}/${name}`;
  }
  const slices = w.slices.list();
  if (kind === 3 && slices.length > 0) {
    const slice = structuredClone(r.pick(slices)) as V1EndpointSlice;
    slice.endpoints = slice.endpoints.map((e) => ({ ...e, conditions: { ready: !e.conditions?.ready, serving: true } }));
    w.slices.put(slice);
    return serviceKeyOfSlice(slice);
  }
  const vas = w.announcements.list();
  if (kind === 4 && vas.length > 0) {
    const va = structuredClone(r.pick(vas));
    va.spec = { ...va.spec, addresses: r.chance(0.8) ? [v4()] : [] };
    w.announcements.put(va);
    return objectKey(va);
  }
  if (kind === 5 && vas.length > 0) {
    const key = objectKey(r.pick(vas));
    w.announcements.remove(key);
    return key;
  }
  if (kind === 6) {
    const ns = r.pick(['a', 'b']);
    const name = r.chance(0.5) && services.length > 0 ? (r.pick(services).metadata?.name ?? 'x') : `hand-new-${step}`;
    const va: VipAnnouncement = { apiVersion: 'vipannouncer.io/v1alpha1', kind: 'VipAnnouncement', metadata: { name, namespace: ns, labels: { tier: 'web' } }, spec: { addresses: [v4()], externalTrafficPolicy: 'Cluster' } };
    w.announcements.put(va);
    return `${ns}/${name}`;
  }
  return undefined;
}

describe('node table: incremental updates decide as a full recomputation (property)', () => {
  const SEEDS = 150;
  const STEPS = 12;

  it(`${SEEDS} generated clusters, ${STEPS} steps of random changes each, every node`, async () => {
    let partial = 0;
    for (let seed = 1; seed <= SEEDS; seed++) {
      const cluster = generate(seed);
      const rig = new ControllerRig(cluster);
      await rig.settle();
      const w = new World(cluster, rig);
      const r = rng(seed * 7919);
      const tables = new Map(NODES.map((n) => [n, new NodeTable(new DraftMemo())]));
      for (const [n, t] of tables) t.full(w.sources(n));
      for (let step = 0; step < STEPS; step++) {
        const changed = new Set<string>();
        for (let k = 1 + r.int(3); k > 0; k--) {
          const key = change(w, r, step * 10 + k);
          if (key) changed.add(key);
        }
        for (const [n, t] of tables) {
          const got = t.update(w.sources(n), changed);
          if (got.touched !== undefined) partial++;
          const want = new NodeTable(new DraftMemo()).full(w.sources(n));
          assert.deepEqual(shown(got.paths), shown(want.paths), `seed ${seed}, step ${step}, node ${n}, changed ${[...changed].join(' ')}`);
        }
      }
    }
    assert.ok(partial > SEEDS * STEPS, `only ${partial} partial updates`);
  });

  it('a change touches only its own prefixes: one Service moving to another address touches its old and new prefix', () => {
    const w = new World({ pools: [], namespaces: [], nodes: [], services: [], slices: [], handmade: [] }, { services: () => [], vas: () => new MapCache() } as unknown as ControllerRig);
    const svc = (name: string, ip: string): CachedService => ({ metadata: { name, namespace: 'a', uid: `uid-${name}`, annotations: { 'vipannouncer.io/loadBalancerIPs': ip } }, spec: { type: 'LoadBalancer', externalTrafficPolicy: 'Cluster', ipFamilies: ['IPv4'] }, status: {} });
    for (let i = 1; i <= 20; i++) {
      w.services.put(svc(`s${i}`, `10.0.1.${i}`));
      w.slices.put({ metadata: { name: `s${i}-1`, namespace: 'a', labels: { 'kubernetes.io/service-name': `s${i}` } }, addressType: 'IPv4', endpoints: [{ addresses: ['10.9.0.1'], nodeName: 'n1', conditions: { ready: true } }] });
    }
    const src = { ...w.sources('n1'), ownership: 'Unenforced' as const, node: { name: 'n1', eligible: true } };
    const table = new NodeTable(new DraftMemo());
    assert.equal(table.full(src).paths.paths.length, 20);
    w.services.put(svc('s7', '10.0.1.77'));
    const got = table.update(src, new Set(['a/s7']));
    assert.deepEqual([...(got.touched ?? [])].sort(), ['10.0.1.7/32', '10.0.1.77/32']);
    assert.equal(got.paths.paths.length, 20);
    assert.ok(got.paths.paths.some((p) => p.prefix === '10.0.1.77/32'));
    assert.ok(!got.paths.paths.some((p) => p.prefix === '10.0.1.7/32'));
  });
});
