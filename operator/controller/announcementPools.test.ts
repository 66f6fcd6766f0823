// The announcement controller once VipPools exist, driven through its definition with fakes:
// allocation recorded in the cluster, one owner per address, release, hand-made announcements.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { V1Service } from '@kubernetes/client-node';
import type { VipPool } from '../api/pool';
import type { VipAnnouncement } from '../api/types';
import type { AddressOwnership } from '../config/types';
import type { ControllerDefinition } from '../kube/controllerDefinition';
import { Resources } from '../kube/resources';
import { FakeCaches, FakeEventSink, FakeKubeWriter, type WriterCall } from '../kube/testing';
import { nullLogger } from '../util/log';
import { metrics } from '../util/metrics';
import { announcementController } from './announcementController';

const NOW = new Date('2030-01-01T00:00:00Z');

function pool(name: string, addresses: string[], spec: Partial<VipPool['spec']> = {}): VipPool {
  return { apiVersion: 'vipannouncer.io/v1alpha1', kind: 'VipPool', metadata: { name, generation: 1 }, spec: { addresses, ...spec } };
}

function service(name: string, annotations: Record<string, string> = {}, ns = 'shop', spec: Partial<NonNullable<V1Service['spec']>> = {}): V1Service {
  return {
    metadata: { name, namespace: ns, uid: `uid-${ns}-${name}`, annotations },
    spec: { type: 'LoadBalancer', externalTrafficPolicy: 'Cluster', ipFamilies: ['IPv4'], ipFamilyPolicy: 'SingleStack', ports: [{ port: 80, protocol: 'TCP' }], ...spec },
  };
}

/** A controller over fakes whose caches can play the API server (store what was applied). */
class Rig {
  readonly caches = new FakeCaches();
  readonly writer = new FakeKubeWriter();
  readonly events = new FakeEventSink();
  readonly enqueued: string[] = [];
  def: ControllerDefinition;
  ownership: AddressOwnership = 'Enforced';

  /** No pool, and the migration's opt-out. */
  static unenforced(): Rig {
    const rig = new Rig();
    rig.ownership = 'Unenforced';
    rig.def = rig.term();
    return rig;
  }

  constructor(...pools: VipPool[]) {
    for (const p of pools) this.caches.informer<VipPool>(Resources.vipPools).put(p);
    this.def = this.term();
  }

  /** A term without onStart (its table is built from the caches on first use). */
  private term(): ControllerDefinition {
    return announcementController({ caches: this.caches, writer: this.writer, events: this.events, config: { loadBalancerClasses: [''], resyncPeriodMs: 0, addressOwnership: this.ownership }, listAnnouncements: () => Promise.resolve([]), now: () => NOW });
  }

  /**
   * A new controller term (restart, failover) over the same caches; `apiServer` is what a fresh
   * LIST returns (default: the caches, i.e. caches that do not lag).
   */
  async fresh(apiServer?: VipAnnouncement[]): Promise<ControllerDefinition> {
    const listAnnouncements = (): Promise<VipAnnouncement[]> => Promise.resolve(apiServer ?? this.caches.informer<VipAnnouncement>(Resources.vipAnnouncements).list());
    this.def = announcementController({ caches: this.caches, writer: this.writer, events: this.events, config: { loadBalancerClasses: [''], resyncPeriodMs: 0, addressOwnership: this.ownership }, listAnnouncements, now: () => NOW });
    await this.def.onStart?.(new AbortController().signal);
    return this.def;
  }

  put(...svcs: V1Service[]): void {
    for (const s of svcs) this.caches.informer<V1Service>(Resources.services).put(s);
  }

  async reconcile(...keys: string[]): Promise<WriterCall[]> {
    const from = this.writer.calls.length;
    await Promise.all(keys.map((key) => this.def.reconcile(key, { log: nullLogger(), signal: new AbortController().signal, enqueue: (r) => this.enqueued.push(typeof r === 'string' ? r : r.key) })));
    return this.writer.calls.slice(from);
  }

  /** The API server's view after these calls: applied announcements and ingress land in the caches. */
  store(calls: readonly WriterCall[]): void {
    for (const c of calls) {
      if (c.op === 'apply') {
        const va = c.body as VipAnnouncement;
        this.caches.informer<VipAnnouncement>(Resources.vipAnnouncements).put({ ...va, metadata: { ...va.metadata, uid: `va-${va.metadata.name}`, generation: 1 } });
      }
      if (c.op === 'mergePatchStatus') {
        const svc = this.caches.informer<V1Service>(Resources.services).get(`${c.namespace}/${c.name}`);
        if (svc) this.put({ ...svc, status: c.body as V1Service['status'] });
      }
    }
  }

  /** Reconcile and store until nothing is written (a settled cluster). */
  async settle(...keys: string[]): Promise<void> {
    for (let i = 0; i < 5; i++) {
      const calls = await this.reconcile(...keys);
      this.store(calls);
      if (!calls.some((c) => c.op === 'apply' || c.op === 'mergePatchStatus')) return;
    }
  }

  announced(key: string): string[] {
    return this.caches.informer<VipAnnouncement>(Resources.vipAnnouncements).get(key)?.spec.addresses ?? [];
  }
}

const handMade = (ns: string, name: string, address: string): VipAnnouncement => ({ apiVersion: 'vipannouncer.io/v1alpha1', kind: 'VipAnnouncement', metadata: { name, namespace: ns, generation: 1 }, spec: { addresses: [address], externalTrafficPolicy: 'Cluster' } });

/** A condition of the summary these calls wrote for the announcement `name`. */
const conditionOf = (calls: readonly WriterCall[], name: string, type: string): { status: string; reason: string } | undefined =>
  (calls.find((c) => c.op === 'applyStatus' && c.name === name)?.body as VipAnnouncement | undefined)?.status?.conditions?.find((c) => c.type === type);

const applied = (calls: readonly WriterCall[]): VipAnnouncement[] => calls.filter((c) => c.op === 'apply').map((c) => c.body as VipAnnouncement);

describe('announcement controller with pools', () => {
  it('allocates an address for a Service that requests none, records it in the announcement and the ingress', async () => {
    const rig = new Rig(pool('web', ['192.0.2.10-192.0.2.20']));
    rig.put(service('a'));
    const first = applied(await rig.reconcile('shop/a'));
    assert.deepEqual(first[0].spec.addresses, ['192.0.2.10']);
    assert.equal(first[0].metadata.annotations?.['vipannouncer.io/allocation'], 'Automatic');
    await rig.settle('shop/a');
    assert.deepEqual(rig.caches.informer<V1Service>(Resources.services).get('shop/a')?.status?.loadBalancer?.ingress?.map((i) => i.ip), ['192.0.2.10']);
  });

  it('100 Services at once into 90 free addresses: 90 unique, 10 PoolExhausted; deleting 10 lets the waiting ones in', async () => {
    const rig = new Rig(pool('small', ['192.0.2.0-192.0.2.89']));
    const keys = Array.from({ length: 100 }, (_, i) => `shop/s${i}`);
    rig.put(...keys.map((k) => service(k.slice(5))));
    // All reconciles run before the caches see any write.
    const specs = applied(await rig.reconcile(...keys));
    const given = specs.flatMap((va) => va.spec.addresses ?? []);
    assert.equal(given.length, 90, JSON.stringify(specs.map((s) => [s.metadata.name, s.spec.addresses])));
    assert.equal(new Set(given).size, 90);
    await rig.settle(...keys);
    const waiting = keys.filter((k) => rig.announced(k).length === 0);
    assert.equal(waiting.length, 10);
    const problems = rig.events.events.filter((e) => e.type === 'Problems' && e.reason === 'PoolExhausted');
    assert.deepEqual([...new Set(problems.map((e) => e.object))].sort(), [...waiting].sort());
    const summary = rig.caches.informer<VipAnnouncement>(Resources.vipAnnouncements).get(waiting[0]);
    assert.ok(summary, 'the waiting Service has an announcement');

    const gone = keys.filter((k) => !waiting.includes(k)).slice(0, 10);
    for (const k of gone) {
      rig.caches.informer<V1Service>(Resources.services).remove(k);
      rig.caches.informer<VipAnnouncement>(Resources.vipAnnouncements).remove(k);
    }
    rig.enqueued.length = 0;
    await rig.reconcile(...gone);
    assert.deepEqual([...new Set(rig.enqueued)].sort(), [...waiting].sort(), 'a freed address brings the waiting Services back');
    await rig.settle(...waiting);
    const now = keys.filter((k) => !gone.includes(k)).flatMap((k) => rig.announced(k));
    assert.equal(now.length, 90);
    assert.equal(new Set(now).size, 90);
  });

  it('a restarted controller (new term, table rebuilt from the caches) moves no address', async () => {
    const rig = new Rig(pool('web', ['192.0.2.0/28']));
    const keys = ['shop/a', 'shop/b', 'shop/c'];
    rig.put(...keys.map((k) => service(k.slice(5))));
    await rig.settle(...keys);
    const before = keys.map((k) => rig.announced(k));
    rig.caches.informer<V1Service>(Resources.services).remove('shop/a');
    await rig.fresh();
    rig.put(service('d'));
    // The new Service comes first and must not take a held address.
    await rig.settle('shop/d', 'shop/b', 'shop/c');
    assert.deepEqual(['shop/b', 'shop/c'].map((k) => rig.announced(k)), before.slice(1));
    assert.ok(!before.flat().slice(1).includes(rig.announced('shop/d')[0]));
    assert.deepEqual(rig.announced('shop/d'), ['192.0.2.3']);
  });

  it('a request outside every pool is AddressNotAllowed; a hijack is AddressInUse and the holder is untouched', async () => {
    const rig = new Rig(pool('web', ['192.0.2.0/24']));
    rig.put(service('victim', { 'vipannouncer.io/loadBalancerIPs': '192.0.2.50' }));
    await rig.settle('shop/victim');
    rig.put(service('outside', { 'vipannouncer.io/loadBalancerIPs': '8.8.8.8' }), service('thief', { 'vipannouncer.io/loadBalancerIPs': '192.0.2.50' }, 'evil'));
    await rig.settle('shop/outside', 'evil/thief', 'shop/victim');
    assert.deepEqual(rig.announced('shop/victim'), ['192.0.2.50']);
    assert.deepEqual(rig.announced('shop/outside'), []);
    assert.deepEqual(rig.announced('evil/thief'), []);
    const reasons = (key: string): string[] => rig.events.events.filter((e) => e.object === key && e.type === 'Problems').map((e) => e.reason);
    assert.ok(reasons('shop/outside').includes('AddressNotAllowed'));
    assert.ok(reasons('evil/thief').includes('AddressInUse'));
    const cond = rig.caches.informer<VipAnnouncement>(Resources.vipAnnouncements).get('evil/thief');
    assert.deepEqual(cond?.spec.addresses ?? [], []);
  });

  it('removing the request releases the address at once (never re-adopted from the ingress) and it is allocatable again', async () => {
    const rig = new Rig(pool('web', ['192.0.2.0/30']));
    rig.put(service('a', { 'vipannouncer.io/loadBalancerIPs': '192.0.2.0' }));
    await rig.settle('shop/a');
    assert.deepEqual(rig.announced('shop/a'), ['192.0.2.0']);
    const svc = rig.caches.informer<V1Service>(Resources.services).get('shop/a');
    rig.put({ ...service('a'), status: svc?.status });
    await rig.settle('shop/a');
    assert.deepEqual(rig.announced('shop/a'), ['192.0.2.1'], 'a fresh automatic allocation, not the former request');
    rig.put(service('b'));
    await rig.settle('shop/b');
    assert.deepEqual(rig.announced('shop/b'), ['192.0.2.0']);
  });

  it('a pool edit that still covers an allocation keeps it; one that drops it moves it', async () => {
    const rig = new Rig(pool('web', ['192.0.2.0/29']));
    rig.put(service('a'), service('b'));
    await rig.settle('shop/a', 'shop/b');
    rig.caches.informer<VipPool>(Resources.vipPools).put(pool('web', ['192.0.2.1-192.0.2.7']));
    await rig.settle('shop/a', 'shop/b');
    assert.deepEqual(rig.announced('shop/b'), ['192.0.2.1'], 'still covered: unchanged');
    assert.deepEqual(rig.announced('shop/a'), ['192.0.2.2'], '192.0.2.0 left the pool: moved');
    const moved = rig.events.events.filter((e) => e.reason === 'AddressReleased');
    assert.deepEqual(moved.map((e) => [e.object, e.type]), [['shop/a', 'Warning']], 'said once, on the Service that moved');
    assert.match(moved[0].message, /192\.0\.2\.0 .*now 192\.0\.2\.2/);
  });

  it('a hand-made announcement for a foreign address is AddressNotAllowed; one inside a selecting pool is fine', async () => {
    const rig = new Rig(pool('web', ['192.0.2.0/24'], { serviceAllocation: { namespaces: ['shop'] } }));
    rig.put(service('victim', { 'vipannouncer.io/loadBalancerIPs': '192.0.2.50' }));
    await rig.settle('shop/victim');
    const vas = rig.caches.informer<VipAnnouncement>(Resources.vipAnnouncements);
    vas.put(handMade('shop', 'steal', '192.0.2.50')).put(handMade('evil', 'outside', '192.0.2.60')).put(handMade('shop', 'fine', '192.0.2.70'));
    const calls = await rig.reconcile('shop/steal', 'evil/outside', 'shop/fine');
    const advertised = (name: string): { reason?: string } | undefined =>
      (calls.find((c) => c.op === 'applyStatus' && c.name === name)?.body as VipAnnouncement | undefined)?.status?.conditions?.find((c) => c.type === 'Advertised');
    assert.equal(advertised('steal')?.reason, 'AddressNotAllowed');
    assert.equal(advertised('outside')?.reason, 'AddressNotAllowed');
    assert.equal(advertised('fine')?.reason, 'Pending');
    assert.ok(rig.events.events.some((e) => e.object === 'shop/steal' && e.reason === 'AddressNotAllowed' && /Service shop\/victim/.test(e.message)));
    // An automatic allocation never takes the address the allowed hand-made one holds.
    rig.caches.informer<VipPool>(Resources.vipPools).put(pool('web', ['192.0.2.70/32', '192.0.2.71/32'], { serviceAllocation: { namespaces: ['shop'] } }));
    rig.put(service('next'));
    await rig.settle('shop/next');
    assert.deepEqual(rig.announced('shop/next'), ['192.0.2.71']);
  });
});

describe('closed by default: no pool, no allocation and no announcement', () => {
  it('a request, an automatic Service and a hand-made announcement get nothing, each NoVipPool with one Warning Event; the first pool lets them in', async () => {
    const rig = new Rig();
    rig.put(service('req', { 'vipannouncer.io/loadBalancerIPs': '192.0.2.10' }), service('auto'), { ...service('adopt'), status: { loadBalancer: { ingress: [{ ip: '192.0.2.77' }] } } });
    rig.caches.informer<VipAnnouncement>(Resources.vipAnnouncements).put(handMade('infra', 'dns', '192.0.2.53'));
    const keys = ['shop/req', 'shop/auto', 'shop/adopt', 'infra/dns'];
    await rig.settle(...keys);
    await rig.settle(...keys);
    for (const key of ['shop/req', 'shop/auto', 'shop/adopt']) assert.deepEqual(rig.announced(key), [], key);
    const calls = await rig.reconcile(...keys);
    assert.deepEqual(calls.filter((c) => c.op === 'apply'), []);
    // Problems become Warning Events, each once (EventRecorder.problems remembers what it said).
    const warnings = rig.events.events.filter((e) => e.type === 'Problems');
    for (const key of keys) assert.deepEqual([...new Set(warnings.filter((e) => e.object === key).map((e) => e.reason))], ['NoVipPool'], key);
    assert.match(warnings[0].message, /no VipPool exists/);
    assert.equal(rig.caches.informer<V1Service>(Resources.services).get('shop/adopt')?.status?.loadBalancer?.ingress?.length ?? 0, 0, 'an adopted ingress is not kept');
    rig.caches.informer<VipPool>(Resources.vipPools).put(pool('web', ['192.0.2.0/24']));
    await rig.settle(...keys);
    assert.deepEqual(rig.announced('shop/req'), ['192.0.2.10']);
    const auto = [...rig.announced('shop/auto'), ...rig.announced('shop/adopt')];
    assert.equal(new Set(auto).size, 2, `automatic: ${auto.join(',')}`);
  });

  it('the summaries say NoVipPool (Advertised and Ready False)', async () => {
    const rig = new Rig();
    rig.caches.informer<VipAnnouncement>(Resources.vipAnnouncements).put(handMade('infra', 'dns', '192.0.2.53'));
    const calls = await rig.reconcile('infra/dns');
    for (const type of ['Advertised', 'Ready']) assert.deepEqual([conditionOf(calls, 'dns', type)?.status, conditionOf(calls, 'dns', type)?.reason], ['False', 'NoVipPool'], type);
  });
});

describe('one owner per address, whatever the source', () => {
  const infra = pool('shared', ['192.0.2.0/24'], { serviceAllocation: { namespaces: ['shop', 'infra', 'evil'] } });

  /** infra/dns holds 192.0.2.53 by hand; then `ns`/`name` requests it. */
  const requestHeld = async (ns: string, name: string): Promise<Rig> => {
    const rig = new Rig(infra);
    rig.caches.informer<VipAnnouncement>(Resources.vipAnnouncements).put(handMade('infra', 'dns', '192.0.2.53'));
    await rig.reconcile('infra/dns');
    rig.put(service(name, { 'vipannouncer.io/loadBalancerIPs': '192.0.2.53' }, ns));
    await rig.settle(`${ns}/${name}`);
    return rig;
  };

  it("a hand-made holder blocks another namespace's request (AddressInUse); the holder stays", async () => {
    const rig = await requestHeld('evil', 'thief');
    assert.deepEqual(rig.announced('evil/thief'), []);
    assert.ok(rig.events.events.some((e) => e.object === 'evil/thief' && e.reason === 'AddressInUse' && /VipAnnouncement infra\/dns/.test(e.message)));
    const calls = await rig.reconcile('infra/dns');
    assert.equal(conditionOf(calls, 'dns', 'Advertised')?.reason, 'Pending', 'the hand-made holder is untouched');
  });

  it('in its own namespace a request still beats a hand-made announcement, which is then refused', async () => {
    const rig = await requestHeld('infra', 'dns-svc');
    assert.deepEqual(rig.announced('infra/dns-svc'), ['192.0.2.53']);
    assert.equal(conditionOf(await rig.reconcile('infra/dns'), 'dns', 'Advertised')?.reason, 'AddressNotAllowed');
  });

  it('two namespaces hand-making one address: the first holder keeps it, the other is AddressInUse, also after a new term', async () => {
    const rig = new Rig(infra);
    const vas = rig.caches.informer<VipAnnouncement>(Resources.vipAnnouncements);
    vas.put({ ...handMade('infra', 'dns', '192.0.2.53'), metadata: { name: 'dns', namespace: 'infra', generation: 1, creationTimestamp: '2026-01-01T00:00:00Z' } });
    await rig.reconcile('infra/dns');
    vas.put({ ...handMade('evil', 'dns', '192.0.2.53'), metadata: { name: 'dns', namespace: 'evil', generation: 1, creationTimestamp: '2026-02-01T00:00:00Z' } });
    for (const term of [false, true]) {
      if (term) await rig.fresh();
      const calls = await rig.reconcile('evil/dns', 'infra/dns');
      const reasons = (ns: string): string | undefined => (calls.find((c) => c.op === 'applyStatus' && c.namespace === ns)?.body as VipAnnouncement | undefined)?.status?.conditions?.find((c) => c.type === 'Advertised')?.reason;
      assert.equal(reasons('evil'), 'AddressInUse', `evil, new term: ${term}`);
      assert.notEqual(reasons('infra'), 'AddressInUse', `infra, new term: ${term}`);
    }
  });
});

describe('communities by allowlist', () => {
  it("a Service's own attributes are kept only as far as the pool lists them; the rest is left out and reported", async () => {
    const advertisement = { allowServiceOverrides: true, allowedCommunities: ['64512:*'], allowedLocalPref: { min: 100, max: 200 } };
    const rig = new Rig(pool('web', ['192.0.2.0/24'], { advertisement }));
    rig.put(service('a', { 'vipannouncer.io/communities': '64512:7,3356:666,65535:666', 'vipannouncer.io/largeCommunities': '64512:1:1', 'vipannouncer.io/localPref': '4294967295' }));
    await rig.settle('shop/a');
    const va = rig.caches.informer<VipAnnouncement>(Resources.vipAnnouncements).get('shop/a');
    assert.deepEqual([va?.spec.communities, va?.spec.largeCommunities, va?.spec.localPref], [['64512:7'], undefined, undefined]);
    const said = rig.events.events.filter((e) => e.object === 'shop/a' && e.reason === 'InvalidAnnotation').map((e) => e.message);
    assert.ok(said.some((m) => /3356:666/.test(m) && /allowedCommunities/.test(m)), said.join(' | '));
    assert.ok(said.some((m) => /65535:666/.test(m) && /allowWellKnownCommunities/.test(m)), said.join(' | '));
    assert.ok(said.some((m) => /4294967295/.test(m) && /allowedLocalPref/.test(m)), said.join(' | '));
    assert.ok(said.some((m) => /64512:1:1/.test(m)), said.join(' | '));
  });

  it('a hand-made spec\'s own attributes the pool does not list are reported on it (AttributeNotAllowed); its address stays', async () => {
    const advertisement = { allowServiceOverrides: true, allowedCommunities: ['64512:*'] };
    const rig = new Rig(pool('web', ['192.0.2.0/24'], { advertisement }));
    const va = handMade('shop', 'dns', '192.0.2.53');
    va.spec = { ...va.spec, communities: ['64512:7', '3356:666'], localPref: 4000 };
    rig.caches.informer<VipAnnouncement>(Resources.vipAnnouncements).put(va);
    const calls = await rig.reconcile('shop/dns');
    const ready = (calls.find((c) => c.op === 'applyStatus' && c.name === 'dns')?.body as VipAnnouncement | undefined)?.status?.conditions?.find((c) => c.type === 'Ready');
    assert.equal(ready?.reason, 'AttributeNotAllowed', JSON.stringify(ready));
    assert.match(ready?.message ?? '', /spec\.communities.*3356:666/);
    const said = rig.events.events.filter((e) => e.object === 'shop/dns' && e.reason === 'AttributeNotAllowed').map((e) => e.message);
    assert.ok(said.some((m) => /3356:666/.test(m) && /allowedCommunities/.test(m)), said.join(' | '));
    assert.ok(said.some((m) => /4000/.test(m) && /allowedLocalPref/.test(m)), said.join(' | '));
    assert.ok(!said.some((m) => /64512:7/.test(m)), 'a listed community was reported');
    // The address is still its own: an automatic allocation does not take it.
    rig.caches.informer<VipPool>(Resources.vipPools).put(pool('web', ['192.0.2.53/32', '192.0.2.54/32'], { advertisement }));
    rig.put(service('next'));
    await rig.settle('shop/next');
    assert.deepEqual(rig.announced('shop/next'), ['192.0.2.54']);
  });
});

describe('a new leader starts from the truth', () => {
  it("each term rebuilds its table from a fresh LIST, not from a standby's lagging cache", async () => {
    const rig = new Rig(pool('web', ['192.0.2.0/28']));
    const keys = ['shop/a', 'shop/b', 'shop/c'];
    rig.put(...keys.map((k) => service(k.slice(5))));
    await rig.settle(...keys);
    const truth = rig.caches.informer<VipAnnouncement>(Resources.vipAnnouncements).list();
    const held = truth.flatMap((va) => va.spec.addresses ?? []);
    // The standby's cache has not seen the last leader's write for c yet.
    rig.caches.informer<VipAnnouncement>(Resources.vipAnnouncements).remove('shop/c');
    rig.caches.informer<V1Service>(Resources.services).remove('shop/c');
    await rig.fresh(truth);
    rig.put(service('d'));
    await rig.settle('shop/d');
    assert.ok(!held.includes(rig.announced('shop/d')[0]), `d got ${rig.announced('shop/d').join(',')}, held: ${held.join(',')}`);
  });
});

describe('announcement controller without pools, addressOwnership Unenforced (a migration)', () => {
  it('announces a requested address outside any pool, and releases it when the request goes (no re-adoption of its own ingress)', async () => {
    const rig = Rig.unenforced();
    rig.put(service('a', { 'vipannouncer.io/loadBalancerIPs': '203.0.113.10' }));
    await rig.settle('shop/a');
    assert.deepEqual(rig.announced('shop/a'), ['203.0.113.10']);
    const svc = rig.caches.informer<V1Service>(Resources.services).get('shop/a');
    assert.deepEqual(svc?.status?.loadBalancer?.ingress?.map((i) => i.ip), ['203.0.113.10']);
    rig.put({ ...service('a'), status: svc?.status });
    await rig.settle('shop/a');
    assert.deepEqual(rig.announced('shop/a'), []);
    assert.deepEqual(rig.caches.informer<V1Service>(Resources.services).get('shop/a')?.status?.loadBalancer?.ingress, []);
  });

  it('says so on every announcement it lets through (AddressOwnership=False, Unenforced) and in the gauge', async () => {
    const rig = Rig.unenforced();
    rig.put(service('a', { 'vipannouncer.io/loadBalancerIPs': '203.0.113.10' }));
    rig.caches.informer<VipAnnouncement>(Resources.vipAnnouncements).put(handMade('infra', 'dns', '203.0.113.53'));
    await rig.settle('shop/a');
    const calls = await rig.reconcile('shop/a', 'infra/dns');
    for (const name of ['a', 'dns']) {
      const c = conditionOf(calls, name, 'AddressOwnership');
      assert.deepEqual([c?.status, c?.reason], ['False', 'Unenforced'], name);
    }
    assert.equal((await metrics.unenforced.get()).values[0]?.value, 2);
    // The first pool ends it: enforced again, the condition goes.
    rig.caches.informer<VipPool>(Resources.vipPools).put(pool('web', ['203.0.113.0/24']));
    const after = await rig.reconcile('infra/dns');
    assert.equal(conditionOf(after, 'dns', 'AddressOwnership'), undefined);
    assert.equal(conditionOf(after, 'dns', 'Advertised')?.reason, 'Pending');
  });

  it('keeps adopting an ingress address some other implementation assigned', async () => {
    const rig = Rig.unenforced();
    rig.put({ ...service('a'), status: { loadBalancer: { ingress: [{ ip: '203.0.113.77' }] } } });
    await rig.settle('shop/a');
    assert.deepEqual(rig.announced('shop/a'), ['203.0.113.77']);
    assert.equal(rig.caches.informer<VipAnnouncement>(Resources.vipAnnouncements).get('shop/a')?.metadata.annotations?.['vipannouncer.io/allocation'], 'Adopted');
  });
});
