// Speaker and controller decide alike. Over generated clusters (pools, namespaces, Services of
// every kind, EndpointSlices, hand-made announcements, colliding requests), the real
// announcement controller is run over fakes until it writes nothing more; then, on every node:
//   - with those announcements in its cache, the speaker's paths are exactly pathsForNode over
//     the announcements (what the controller wrote is what the network gets);
//   - before any announcement exists (a first install, with or without the ingress an earlier
//     run wrote), no node announces a prefix it will not announce once the controller caught up
//     (attributes may still change: a Service that joins a shared address later adds its own).
// And the plain cases by name below.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { nodeDraining, nodeEligible } from '../api/announces';
import type { CachedEndpointSlice, CachedService, SpeakerAnnouncement } from '../kube/cachedKinds';
import { serviceKeyOfSlice } from '../intent/sliceIndex';
import { objectKey } from '../kube/resources';
import { pathsForNode, type NodePaths } from './pathsForNode';
import { poolPolicy } from './poolFilter';
import { DraftMemo, serviceAnnouncements, type ServiceAnnouncements } from './serviceAnnouncements';
import { ControllerRig, generate, NODES, type Cluster } from './generatedClusters.testkit';

const NEXT_HOP = {};

function speakerView(cluster: Cluster, services: readonly CachedService[], announcements: readonly SpeakerAnnouncement[]): ServiceAnnouncements {
  const bySvc = new Map<string, CachedEndpointSlice[]>();
  for (const s of cluster.slices as CachedEndpointSlice[]) {
    const k = serviceKeyOfSlice(s);
    if (k) bySvc.set(k, [...(bySvc.get(k) ?? []), s]);
  }
  return serviceAnnouncements({ services, slicesOf: (k) => bySvc.get(k) ?? [], announcements, loadBalancerClasses: [''] });
}

function paths(cluster: Cluster, nodeName: string, announcements: readonly SpeakerAnnouncement[], derived?: ServiceAnnouncements['derived']): NodePaths {
  const node = cluster.nodes.find((n) => n.metadata?.name === nodeName);
  const labels = (ns: string): Record<string, string> | undefined => cluster.namespaces.find((n) => n.metadata?.name === ns)?.metadata?.labels;
  const policy = poolPolicy(cluster.pools, labels, announcements, 'Enforced', derived);
  return pathsForNode(announcements, { name: nodeName, eligible: nodeEligible(node), draining: nodeDraining(node) }, NEXT_HOP, policy);
}

const prefixes = (p: NodePaths): string[] => p.paths.map((x) => x.prefix);
const show = (p: NodePaths): string[] => p.paths.map((x) => `${x.prefix} c=${x.communities.join(' ')} lc=${x.largeCommunities.join(' ')} lp=${x.localPref ?? '-'}`);

describe('speaker decides from Services as the controller does (property, generated clusters)', () => {
  const SEEDS = 400;

  it(`with the controller's announcements cached, the speaker announces exactly what they say (${SEEDS} clusters, every node)`, async () => {
    let derivedSeen = 0;
    for (let seed = 1; seed <= SEEDS; seed++) {
      const cluster = generate(seed);
      const rig = new ControllerRig(cluster);
      await rig.settle();
      const vas = rig.vas().list() as SpeakerAnnouncement[];
      const view = speakerView(cluster, rig.services(), vas);
      derivedSeen += view.derived.size;
      for (const n of NODES) {
        assert.deepEqual(show(paths(cluster, n, view.announcements, view.derived)), show(paths(cluster, n, vas)), `seed ${seed}, node ${n}`);
      }
    }
    // The property says something only if Services were actually derived.
    assert.ok(derivedSeen > SEEDS, `only ${derivedSeen} derived announcements in ${SEEDS} clusters`);
  });

  it(`before any announcement exists, no node announces a prefix it will not announce once the controller caught up (${SEEDS} clusters)`, async () => {
    let early = 0;
    for (let seed = 1; seed <= SEEDS; seed++) {
      const cluster = generate(seed);
      const rig = new ControllerRig(cluster);
      await rig.settle();
      const vas = rig.vas().list() as SpeakerAnnouncement[];
      const handmade = cluster.handmade as SpeakerAnnouncement[];
      for (const services of [cluster.services as CachedService[], rig.services()]) {
        // Hand-made announcements exist from the start; the controller's do not yet.
        const view = speakerView(cluster, services, handmade);
        for (const n of NODES) {
          const final = new Set(prefixes(paths(cluster, n, vas)));
          const now = prefixes(paths(cluster, n, view.announcements, view.derived));
          const extra = now.filter((p) => !final.has(p));
          assert.deepEqual(extra, [], `seed ${seed}, node ${n}: announced before the controller, but not after it`);
          early += now.length;
        }
      }
    }
    assert.ok(early > SEEDS, `only ${early} paths announced early in ${SEEDS} clusters`);
  });
});

describe('serviceAnnouncements: the cases by name', () => {
  const svc = (name: string, annotations: Record<string, string>, ns = 'a', rv = '1'): CachedService => ({
    metadata: { name, namespace: ns, uid: `uid-${name}`, resourceVersion: rv, annotations },
    spec: { type: 'LoadBalancer', externalTrafficPolicy: 'Cluster', ipFamilies: ['IPv4'] },
    status: {},
  });
  const va = (name: string, addresses: string[], ns = 'a', serviceRef = true): SpeakerAnnouncement => ({
    apiVersion: 'vipannouncer.io/v1alpha1',
    kind: 'VipAnnouncement',
    metadata: { name, namespace: ns, resourceVersion: '5' },
    spec: { ...(serviceRef ? { serviceRef: { name } } : {}), addresses, externalTrafficPolicy: 'Cluster' },
  });
  const run = (services: CachedService[], announcements: SpeakerAnnouncement[] = []): Map<string, string[]> => {
    const out = serviceAnnouncements({ services, slicesOf: () => [], announcements, loadBalancerClasses: [''] });
    return new Map(out.announcements.map((a) => [objectKey(a), a.spec.addresses ?? []]));
  };
  const asks = (ip: string): Record<string, string> => ({ 'vipannouncer.io/loadBalancerIPs': ip });

  it('a requested address is taken from the Service before any announcement exists', () => {
    assert.deepEqual(run([svc('web', asks('192.0.2.1'))]).get('a/web'), ['192.0.2.1']);
  });

  it('an address two Services request waits for the announcements, then follows them', () => {
    const services = [svc('one', asks('192.0.2.1')), svc('two', asks('192.0.2.1'), 'b')];
    const before = run(services);
    assert.deepEqual([before.get('a/one'), before.get('b/two')], [[], []]);
    const after = run(services, [va('one', ['192.0.2.1']), va('two', [], 'b')]);
    assert.deepEqual([after.get('a/one'), after.get('b/two')], [['192.0.2.1'], []]);
  });

  it('an automatic address: the announcement\'s, else the ingress the controller wrote (one per family)', () => {
    const withIngress = (ips: string[]): CachedService => ({ ...svc('web', {}), status: { loadBalancer: { ingress: ips.map((ip) => ({ ip })) } } });
    assert.deepEqual(run([withIngress(['192.0.2.7'])]).get('a/web'), ['192.0.2.7']);
    assert.deepEqual(run([withIngress(['192.0.2.7', '192.0.2.8'])]).get('a/web'), [], 'two of a family: which one stays is the allocator\'s call');
    assert.deepEqual(run([withIngress(['192.0.2.7'])], [va('web', ['192.0.2.9'])]).get('a/web'), ['192.0.2.9']);
  });

  it('a hand-made announcement that holds a Service\'s name is left as it is', () => {
    const out = run([svc('web', asks('192.0.2.1'))], [va('web', ['192.0.2.50'], 'a', false)]);
    assert.deepEqual(out.get('a/web'), ['192.0.2.50']);
  });

  it('a Service that is not ours (another class, not a LoadBalancer) derives nothing: its stored announcement, if any, decides', () => {
    const other: CachedService = { ...svc('web', asks('192.0.2.1')), spec: { type: 'LoadBalancer', loadBalancerClass: 'other', externalTrafficPolicy: 'Cluster' } };
    assert.equal(run([other]).get('a/web'), undefined);
    assert.deepEqual(run([other], [va('web', ['192.0.2.1'])]).get('a/web'), ['192.0.2.1']);
  });

  it('the memo re-derives a Service only when its object, its slices or its announcement\'s addresses changed, and gives what a fresh call gives', () => {
    const memo = new DraftMemo();
    const calls = (services: CachedService[], announcements: SpeakerAnnouncement[] = []): string => {
      const input = { services, slicesOf: (): CachedEndpointSlice[] => [], announcements, loadBalancerClasses: [''] };
      const memoed = JSON.stringify(serviceAnnouncements(input, memo).announcements);
      assert.equal(memoed, JSON.stringify(serviceAnnouncements(input).announcements));
      return memoed;
    };
    const web = svc('web', asks('192.0.2.1'));
    calls([web]);
    // The same object (an informer replaces an object, never changes it in place): the draft is kept.
    web.metadata = { ...web.metadata, annotations: asks('192.0.2.2') };
    assert.match(JSON.stringify(serviceAnnouncements({ services: [web], slicesOf: () => [], announcements: [], loadBalancerClasses: [''] }, memo).announcements), /192\.0\.2\.1/);
    // A new object is a new draft.
    assert.match(calls([svc('web', asks('192.0.2.2'))]), /192\.0\.2\.2/);
    // The announcement replaced by a status write, or with new addresses: the same as a fresh call either way.
    const again = svc('web', asks('192.0.2.2'));
    calls([again], [va('web', ['192.0.2.2'])]);
    calls([again], [{ ...va('web', ['192.0.2.2']), metadata: { name: 'web', namespace: 'a', resourceVersion: '6' } }]);
    calls([again], [va('web', ['192.0.2.3'])]);
  });
});
