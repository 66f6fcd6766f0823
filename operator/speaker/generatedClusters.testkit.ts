// Generated clusters for the speaker's property tests (not loaded by the program): pools,
// namespaces, nodes, Services of every kind, EndpointSlices and hand-made announcements from a
// seed, and the real announcement controller over fakes to write the announcements.
import assert from 'node:assert/strict';
import type { V1EndpointSlice, V1Namespace, V1Node, V1Service } from '@kubernetes/client-node';
import type { VipPool } from '../api/pool';
import type { VipAnnouncement } from '../api/types';
import { announcementController } from '../controller/announcementController';
import type { ControllerDefinition } from '../kube/controllerDefinition';
import { Resources, objectKey } from '../kube/resources';
import { FakeCaches, FakeEventSink, FakeKubeWriter, type MapCache, type WriterCall } from '../kube/testing';
import type { CachedService } from '../kube/cachedKinds';
import { nullLogger } from '../util/log';

export const NOW = new Date('2030-01-01T00:00:00Z');
export const NODES = ['n1', 'n2', 'n3'];

/** A small deterministic generator (mulberry32): a failing seed is replayed exactly. */
export function rng(seed: number): { int: (n: number) => number; pick: <T>(xs: readonly T[]) => T; chance: (p: number) => boolean } {
  let a = seed >>> 0;
  const next = (): number => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return { int: (n) => Math.floor(next() * n), pick: (xs) => xs[Math.floor(next() * xs.length)], chance: (p) => next() < p };
}

export interface Cluster {
  pools: VipPool[];
  namespaces: V1Namespace[];
  nodes: V1Node[];
  services: V1Service[];
  slices: V1EndpointSlice[];
  handmade: VipAnnouncement[];
}

export function generate(seed: number): Cluster {
  const r = rng(seed);
  const v4 = (i: number): string => `10.0.0.${i}`;
  const pools: VipPool[] = [
    pool('wide', ['10.0.0.0/29'], { autoAssign: true }, r.chance(0.5) ? { communities: ['65000:1'], allowServiceOverrides: r.chance(0.5), allowedCommunities: ['65000:*'], allowedLocalPref: { min: 100, max: 300 } } : {}),
    pool('team-a', ['10.0.0.8/30'], { namespaces: ['a'], ...(r.chance(0.5) ? { serviceSelector: { matchLabels: { tier: 'web' } } } : {}) }, r.chance(0.5) ? { localPref: 150, allowServiceOverrides: true, allowedLocalPref: { min: 50, max: 500 } } : {}),
    pool('v6', ['2001:db8::/125'], { namespaceSelector: { matchLabels: { team: 'b' } } }),
  ];
  if (r.chance(0.3)) pools[1].metadata.deletionTimestamp = NOW.toISOString();
  if (r.chance(0.3)) pools[0].spec.autoAssign = false;
  const namespaces: V1Namespace[] = ['a', 'b'].map((n) => ({ metadata: { name: n, labels: { team: n } } }));
  const nodes: V1Node[] = NODES.map((name): V1Node => {
    const labels: Record<string, string> = r.chance(0.15) ? { 'node.kubernetes.io/exclude-from-external-load-balancers': '' } : {};
    return { metadata: { name, labels }, spec: r.chance(0.15) ? { unschedulable: true } : {} };
  });
  const services: V1Service[] = [];
  const slices: V1EndpointSlice[] = [];
  const count = 3 + r.int(8);
  for (let i = 0; i < count; i++) {
    const ns = r.pick(['a', 'b']);
    const name = `s${i}`;
    const annotations: Record<string, string> = {};
    const dual = r.chance(0.2);
    if (r.chance(0.5)) annotations['vipannouncer.io/loadBalancerIPs'] = r.chance(0.85) ? v4(r.int(14)) : r.pick(['2001:db8::3', 'nonsense', `${v4(r.int(14))},${v4(r.int(14))}`]);
    if (r.chance(0.15)) annotations['vipannouncer.io/pool'] = r.pick(['wide', 'team-a', 'none']);
    if (r.chance(0.25)) annotations['vipannouncer.io/communities'] = r.pick(['65000:7', '65001:1', 'bad', '65000:9,65000:10']);
    if (r.chance(0.15)) annotations['vipannouncer.io/localPref'] = r.pick(['120', '400', 'x']);
    if (r.chance(0.2)) annotations['vipannouncer.io/allow-shared-ip'] = 'k';
    services.push({
      metadata: { name, namespace: ns, uid: `uid-${ns}-${name}`, labels: r.chance(0.5) ? { tier: 'web' } : { tier: 'db' }, annotations },
      spec: {
        type: r.chance(0.9) ? 'LoadBalancer' : 'ClusterIP',
        ...(r.chance(0.1) ? { loadBalancerClass: 'other' } : {}),
        externalTrafficPolicy: r.chance(0.5) ? 'Local' : 'Cluster',
        ipFamilies: dual ? ['IPv4', 'IPv6'] : ['IPv4'],
        ipFamilyPolicy: dual ? 'PreferDualStack' : 'SingleStack',
        ports: [{ port: r.pick([80, 443]), protocol: 'TCP' }],
        selector: { app: name },
      },
      status: {},
    });
    for (let s = r.int(3); s > 0; s--) {
      slices.push({
        metadata: { name: `${name}-${s}`, namespace: ns, labels: { 'kubernetes.io/service-name': name } },
        addressType: 'IPv4',
        endpoints: Array.from({ length: 1 + r.int(2) }, (_, e) => {
          const ready = r.chance(0.6);
          return { addresses: [`10.9.${i}.${s * 10 + e}`], nodeName: r.pick(NODES), targetRef: { kind: 'Pod', name: `${name}-${s}-${e}`, namespace: ns, uid: `pod-${i}-${s}-${e}` }, conditions: { ready, serving: ready || r.chance(0.5), terminating: !ready && r.chance(0.5) } };
        }),
      });
    }
  }
  const handmade: VipAnnouncement[] = [];
  for (let h = r.int(3); h > 0; h--) {
    const ns = r.pick(['a', 'b']);
    // Sometimes the name of a Service: the hand-made one holds it.
    const name = r.chance(0.3) ? `s${r.int(count)}` : `hand-${h}`;
    if (handmade.some((x) => x.metadata.namespace === ns && x.metadata.name === name)) continue;
    handmade.push({ apiVersion: 'vipannouncer.io/v1alpha1', kind: 'VipAnnouncement', metadata: { name, namespace: ns, labels: { tier: r.pick(['web', 'db']) } }, spec: { addresses: [v4(r.int(14))], externalTrafficPolicy: 'Cluster', ...(r.chance(0.3) ? { communities: ['65000:3'] } : {}) } });
  }
  return { pools, namespaces, nodes, services, slices, handmade };
}

export function pool(name: string, addresses: string[], allocation: NonNullable<VipPool['spec']['serviceAllocation']> & { autoAssign?: boolean }, advertisement: NonNullable<VipPool['spec']['advertisement']> = {}): VipPool {
  const { autoAssign, ...serviceAllocation } = allocation;
  return { apiVersion: 'vipannouncer.io/v1alpha1', kind: 'VipPool', metadata: { name, generation: 1 }, spec: { addresses, ...(autoAssign !== undefined ? { autoAssign } : {}), serviceAllocation, advertisement } };
}

/** The real announcement controller over fakes that play the API server. */
export class ControllerRig {
  readonly caches = new FakeCaches();
  readonly writer = new FakeKubeWriter();
  readonly def: ControllerDefinition;
  private rv = 100;

  constructor(readonly cluster: Cluster) {
    for (const p of cluster.pools) this.caches.informer<VipPool>(Resources.vipPools).put(p);
    for (const n of cluster.namespaces) this.caches.informer<V1Namespace>(Resources.namespaces).put(n);
    for (const n of cluster.nodes) this.caches.informer<V1Node>(Resources.nodes).put(n);
    for (const s of cluster.services) this.caches.informer<V1Service>(Resources.services).put(structuredClone(s));
    for (const s of cluster.slices) this.caches.informer<V1EndpointSlice>(Resources.endpointSlices).put(s);
    for (const h of cluster.handmade) this.vas().put({ ...h, metadata: { ...h.metadata, resourceVersion: String(this.rv++), generation: 1 } });
    this.def = announcementController({ caches: this.caches, writer: this.writer, events: new FakeEventSink(), config: { loadBalancerClasses: [''], resyncPeriodMs: 0, addressOwnership: 'Enforced' }, listAnnouncements: () => Promise.resolve(this.vas().list()), now: () => NOW });
    // The informers' initial lists, through the controller's watches (its indexes).
    for (const w of this.def.watches) {
      if (w.shape.resource.plural === 'endpointslices') for (const s of cluster.slices) w.toKeys('ADDED', s, undefined);
      if (w.shape.resource.plural === 'services') for (const s of cluster.services) w.toKeys('ADDED', s, undefined);
    }
  }

  vas(): MapCache<VipAnnouncement> {
    return this.caches.informer<VipAnnouncement>(Resources.vipAnnouncements);
  }

  services(): CachedService[] {
    return this.caches.informer<V1Service>(Resources.services).list();
  }

  /** Reconcile every key and store what was written, until a pass writes nothing. */
  async settle(): Promise<void> {
    for (let pass = 0; pass < 8; pass++) {
      const keys = new Set([...this.cluster.services.map(objectKey), ...this.vas().keys()]);
      const calls: WriterCall[] = [];
      for (const key of [...keys].sort()) {
        const from = this.writer.calls.length;
        await this.def.reconcile(key, { log: nullLogger(), signal: new AbortController().signal, enqueue: () => undefined });
        const mine = this.writer.calls.slice(from);
        this.store(mine);
        calls.push(...mine);
      }
      if (!calls.some((c) => c.op === 'apply' || c.op === 'delete' || (c.op === 'mergePatchStatus' && c.resource === 'services'))) return;
    }
    assert.fail('the controller did not settle in 8 passes');
  }

  private store(calls: readonly WriterCall[]): void {
    for (const c of calls) {
      if (c.op === 'apply' && c.resource === 'vipannouncements') {
        const va = c.body as VipAnnouncement;
        this.vas().put({ ...va, metadata: { ...va.metadata, uid: `va-${va.metadata.name}`, generation: 1, resourceVersion: String(this.rv++) } });
      } else if (c.op === 'delete' && c.resource === 'vipannouncements') {
        this.caches.informer<VipAnnouncement>(Resources.vipAnnouncements).remove(`${c.namespace}/${c.name}`);
      } else if (c.op === 'mergePatchStatus' && c.resource === 'services') {
        const svc = this.caches.informer<V1Service>(Resources.services).get(`${c.namespace}/${c.name}`);
        if (svc) this.caches.informer<V1Service>(Resources.services).put({ ...svc, status: c.body as V1Service['status'] });
      }
    }
  }
}
