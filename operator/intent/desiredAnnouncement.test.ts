import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { V1Endpoint, V1EndpointSlice, V1Node, V1Service } from '@kubernetes/client-node';
import { EXCLUDE_FROM_LB_LABEL } from '../api/labels';
import { ANNOTATIONS, type VipAnnouncementSpec } from '../api/types';
import {
  desiredAnnouncement,
  type DesiredAnnouncement,
  type DesiredAnnouncementInput,
  eligibleNodeNames,
  specsEqual,
} from './desiredAnnouncement';

const UID = 'uid-web';

function service(o: {
  type?: string;
  lbClass?: string;
  policy?: string;
  loadBalancerIP?: string;
  ingress?: Array<{ ip?: string; hostname?: string }>;
  annotations?: Record<string, string>;
  ipFamilies?: string[];
  deleting?: boolean;
} = {}): V1Service {
  return {
    metadata: {
      name: 'web',
      namespace: 'shop',
      uid: UID,
      annotations: o.annotations,
      deletionTimestamp: o.deleting ? new Date('2024-01-01T00:00:00Z') : undefined,
    },
    spec: {
      type: 'type' in o ? o.type : 'LoadBalancer',
      loadBalancerClass: o.lbClass,
      externalTrafficPolicy: o.policy ?? 'Cluster',
      loadBalancerIP: o.loadBalancerIP,
      ipFamilies: o.ipFamilies,
    },
    status: o.ingress ? { loadBalancer: { ingress: o.ingress } } : undefined,
  };
}

type Cond = { ready?: boolean; serving?: boolean; terminating?: boolean } | undefined;

function ep(pod: string, node: string | undefined, conditions: Cond, address = `10.1.0.${pod.replace(/\D/g, '') || '0'}`): V1Endpoint {
  return {
    addresses: [address],
    conditions,
    nodeName: node,
    targetRef: { kind: 'Pod', namespace: 'shop', name: pod, uid: `uid-${pod}` },
  };
}

let sliceCount = 0;
function slice(endpoints: V1Endpoint[], o: { addressType?: string; ownerUid?: string; label?: string; namespace?: string } = {}): V1EndpointSlice {
  return {
    addressType: o.addressType ?? 'IPv4',
    metadata: {
      name: `web-${++sliceCount}`,
      namespace: o.namespace ?? 'shop',
      labels: { 'kubernetes.io/service-name': o.label ?? 'web' },
      ownerReferences: o.ownerUid === '' ? undefined : [
        { apiVersion: 'v1', kind: 'Service', name: o.label ?? 'web', uid: o.ownerUid ?? UID, controller: true, blockOwnerDeletion: true },
      ],
    },
    endpoints,
  };
}

function node(name: string, excluded = false): V1Node {
  return { metadata: { name, labels: excluded ? { [EXCLUDE_FROM_LB_LABEL]: '' } : {} } };
}

const NODES = [node('node-a'), node('node-b'), node('node-c'), node('node-x', true)];
const READY: Cond = { ready: true, serving: true, terminating: false };

function run(o: Partial<DesiredAnnouncementInput> & { service: V1Service }): DesiredAnnouncement {
  return desiredAnnouncement({ endpointSlices: [], nodes: NODES, config: { loadBalancerClasses: [''] }, ...o });
}

function announced(d: DesiredAnnouncement): Extract<DesiredAnnouncement, { kind: 'announce' }> {
  assert.equal(d.kind, 'announce');
  return d;
}

void describe('desiredAnnouncement: which Services are ours', () => {
  const cases: Array<{ name: string; svc: V1Service; classes: string[]; want: string }> = [
    { name: 'no class, "" handled', svc: service(), classes: [''], want: 'announce' },
    { name: 'no class, only a named class handled', svc: service(), classes: ['vipannouncer.io/bgp'], want: 'OtherLoadBalancerClass' },
    { name: 'matching class', svc: service({ lbClass: 'vipannouncer.io/bgp' }), classes: ['vipannouncer.io/bgp'], want: 'announce' },
    { name: 'one of several classes', svc: service({ lbClass: 'b' }), classes: ['', 'a', 'b'], want: 'announce' },
    { name: 'other class', svc: service({ lbClass: 'cloud.example/lb' }), classes: ['', 'vipannouncer.io/bgp'], want: 'OtherLoadBalancerClass' },
    { name: 'type ClusterIP (type changed away)', svc: service({ type: 'ClusterIP' }), classes: [''], want: 'NotLoadBalancer' },
    { name: 'type NodePort', svc: service({ type: 'NodePort' }), classes: [''], want: 'NotLoadBalancer' },
    { name: 'type unset', svc: service({ type: undefined }), classes: [''], want: 'NotLoadBalancer' },
    { name: 'being deleted', svc: service({ deleting: true }), classes: [''], want: 'Deleting' },
  ];
  for (const c of cases) {
    void it(c.name, () => {
      const d = run({ service: c.svc, config: { loadBalancerClasses: c.classes } });
      assert.equal(d.kind === 'ignore' ? d.reason : d.kind, c.want);
    });
  }
});

void describe('desiredAnnouncement: addresses', () => {
  const A = ANNOTATIONS.loadBalancerIPs;
  const cases: Array<{ name: string; svc: V1Service; addresses: string[]; problems?: string[] }> = [
    { name: 'none anywhere', svc: service(), addresses: [] },
    { name: 'from status.loadBalancer.ingress', svc: service({ ingress: [{ ip: '203.0.113.10' }, { hostname: 'lb.example' }] }), addresses: ['203.0.113.10'] },
    { name: 'from spec.loadBalancerIP', svc: service({ loadBalancerIP: '203.0.113.11' }), addresses: ['203.0.113.11'] },
    { name: 'from the annotation', svc: service({ annotations: { [A]: '2001:db8::10,203.0.113.12' } }), addresses: ['203.0.113.12', '2001:db8::10'] },
    {
      name: 'loadBalancerIP ∪ annotation; ingress ignored when a request exists',
      svc: service({ loadBalancerIP: '203.0.113.11', annotations: { [A]: '203.0.113.12,203.0.113.11' }, ingress: [{ ip: '203.0.113.99' }] }),
      addresses: ['203.0.113.11', '203.0.113.12'],
    },
    {
      name: 'IPv6 canonicalised and ordered after IPv4',
      svc: service({ annotations: { [A]: '2001:DB8:0:0::0010, 2001:db8::9,198.51.100.7' } }),
      addresses: ['198.51.100.7', '2001:db8::9', '2001:db8::10'],
    },
    {
      name: 'bad loadBalancerIP and bad annotation entries are problems, not announced',
      svc: service({ loadBalancerIP: '203.0.113.300', annotations: { [A]: '127.0.0.1,203.0.113.12' } }),
      addresses: ['203.0.113.12'],
      problems: ['InvalidAddress vipannouncer.io/loadBalancerIPs 127.0.0.1', 'InvalidAddress spec.loadBalancerIP 203.0.113.300'],
    },
    {
      name: 'a request with only bad values announces nothing (no fallback to ingress)',
      svc: service({ annotations: { [A]: 'bogus' }, ingress: [{ ip: '203.0.113.99' }] }),
      addresses: [],
      problems: ['InvalidAddress vipannouncer.io/loadBalancerIPs bogus'],
    },
    {
      name: 'bad ingress IP reported',
      svc: service({ ingress: [{ ip: '0.0.0.0' }, { ip: '203.0.113.10' }] }),
      addresses: ['203.0.113.10'],
      problems: ['InvalidAddress status.loadBalancer.ingress 0.0.0.0'],
    },
    {
      name: 'family the Service does not have is left out',
      svc: service({ annotations: { [A]: '203.0.113.12,2001:db8::10' }, ipFamilies: ['IPv4'] }),
      addresses: ['203.0.113.12'],
      problems: ['InvalidAddress spec.ipFamilies 2001:db8::10'],
    },
    {
      name: 'dual-stack Service keeps both',
      svc: service({ annotations: { [A]: '203.0.113.12,2001:db8::10' }, ipFamilies: ['IPv6', 'IPv4'] }),
      addresses: ['203.0.113.12', '2001:db8::10'],
    },
  ];
  for (const c of cases) {
    void it(c.name, () => {
      const d = announced(run({ service: c.svc }));
      assert.deepEqual(d.spec.addresses, c.addresses);
      assert.deepEqual(d.ingressIPs, c.addresses);
      assert.deepEqual(d.problems.map((p) => `${p.reason} ${p.source} ${p.value}`), c.problems ?? []);
    });
  }

  void it('more addresses than the CRD allows are cut and reported', () => {
    const many = Array.from({ length: 40 }, (_, i) => `203.0.113.${i + 1}`).join(',');
    const d = announced(run({ service: service({ annotations: { [A]: many } }) }));
    assert.equal(d.spec.addresses?.length, 32);
    assert.equal(d.problems.length, 1);
    assert.equal(d.problems[0].reason, 'InvalidAddress');
  });
});

void describe('desiredAnnouncement: endpoints and nodes', () => {
  const cases: Array<{
    name: string;
    policy: 'Local' | 'Cluster';
    slices: V1EndpointSlice[];
    ready: number;
    serving: number;
    nodes?: string[];
  }> = [
    { name: 'no slices, Local: announce nowhere', policy: 'Local', slices: [], ready: 0, serving: 0, nodes: [] },
    { name: 'no slices, Cluster: serving 0', policy: 'Cluster', slices: [], ready: 0, serving: 0 },
    {
      name: 'ready endpoints, Local: sorted unique nodes',
      policy: 'Local',
      slices: [slice([ep('p1', 'node-c', READY), ep('p2', 'node-a', READY), ep('p3', 'node-a', READY)])],
      ready: 3,
      serving: 3,
      nodes: ['node-a', 'node-c'],
    },
    {
      name: 'ready endpoints, Cluster: no nodes field',
      policy: 'Cluster',
      slices: [slice([ep('p1', 'node-c', READY), ep('p2', 'node-a', READY)])],
      ready: 2,
      serving: 2,
    },
    {
      name: 'conditions nil: ready (API default)',
      policy: 'Local',
      slices: [slice([ep('p1', 'node-b', undefined), ep('p2', 'node-c', {})])],
      ready: 2,
      serving: 2,
      nodes: ['node-b', 'node-c'],
    },
    {
      name: 'unready, not terminating: neither ready nor serving',
      policy: 'Local',
      slices: [slice([ep('p1', 'node-a', { ready: false, serving: false, terminating: false }), ep('p2', 'node-b', READY)])],
      ready: 1,
      serving: 1,
      nodes: ['node-b'],
    },
    {
      name: 'terminating but still serving: serving, not ready (graceful drain)',
      policy: 'Local',
      slices: [slice([ep('p1', 'node-a', { ready: false, serving: true, terminating: true })])],
      ready: 0,
      serving: 1,
      nodes: ['node-a'],
    },
    {
      name: 'terminating and not serving: neither',
      policy: 'Local',
      slices: [slice([ep('p1', 'node-a', { ready: false, serving: false, terminating: true })])],
      ready: 0,
      serving: 0,
      nodes: [],
    },
    {
      name: 'terminating, serving nil: serving follows ready (false)',
      policy: 'Cluster',
      slices: [slice([ep('p1', 'node-a', { ready: false, terminating: true })])],
      ready: 0,
      serving: 0,
    },
    {
      name: 'excluded and unknown nodes are dropped (Local), endpoints still counted',
      policy: 'Local',
      slices: [slice([ep('p1', 'node-x', READY), ep('p2', 'node-zz', READY), ep('p3', 'node-b', READY), ep('p4', undefined, READY)])],
      ready: 4,
      serving: 4,
      nodes: ['node-b'],
    },
    {
      name: 'only on excluded nodes: Local announces nowhere',
      policy: 'Local',
      slices: [slice([ep('p1', 'node-x', READY)])],
      ready: 1,
      serving: 1,
      nodes: [],
    },
    {
      name: 'dual-stack: a pod in both family slices counts once',
      policy: 'Local',
      slices: [
        slice([ep('p1', 'node-a', READY, '10.1.0.1'), ep('p2', 'node-b', READY, '10.1.0.2')]),
        slice([ep('p1', 'node-a', READY, 'fd00::1'), ep('p2', 'node-b', { ready: false, serving: false }, 'fd00::2')], { addressType: 'IPv6' }),
      ],
      ready: 2,
      serving: 2,
      nodes: ['node-a', 'node-b'],
    },
    {
      name: 'slices of other Services are ignored (defensive)',
      policy: 'Local',
      slices: [
        slice([ep('p1', 'node-a', READY)], { ownerUid: 'uid-old-web' }), // earlier Service of the same name
        slice([ep('p2', 'node-b', READY)], { label: 'api' }),
        slice([ep('p3', 'node-c', READY)], { namespace: 'other' }),
        slice([ep('p4', 'node-c', READY)], { addressType: 'FQDN' }),
        slice([ep('p5', 'node-a', READY)], { ownerUid: '' }), // no owner: label decides, and it matches
      ],
      ready: 1,
      serving: 1,
      nodes: ['node-a'],
    },
  ];
  for (const c of cases) {
    void it(c.name, () => {
      const d = announced(run({ service: service({ policy: c.policy }), endpointSlices: c.slices }));
      assert.equal(d.spec.externalTrafficPolicy, c.policy);
      assert.deepEqual(d.spec.endpoints, { ready: c.ready, serving: c.serving });
      assert.deepEqual(d.spec.nodes, c.nodes);
      assert.equal('nodes' in d.spec, c.policy === 'Local');
    });
  }

  void it('policy change Local → Cluster drops nodes', () => {
    const slices = [slice([ep('p1', 'node-a', READY)])];
    const local = announced(run({ service: service({ policy: 'Local' }), endpointSlices: slices }));
    const cluster = announced(run({ service: service({ policy: 'Cluster' }), endpointSlices: slices }));
    assert.deepEqual(local.spec.nodes, ['node-a']);
    assert.equal(cluster.spec.nodes, undefined);
    assert.equal(specsEqual(local.spec, cluster.spec), false);
  });
});

void describe('desiredAnnouncement: full spec', () => {
  void it('Service with annotations', () => {
    const svc = service({
      policy: 'Local',
      loadBalancerIP: '203.0.113.10',
      annotations: {
        [ANNOTATIONS.communities]: 'no-export,65000:100',
        [ANNOTATIONS.largeCommunities]: '65000:1:2',
        [ANNOTATIONS.localPref]: '200',
      },
    });
    const d = announced(run({ service: svc, endpointSlices: [slice([ep('p1', 'node-a', READY)])] }));
    const want: VipAnnouncementSpec = {
      serviceRef: { name: 'web', uid: UID },
      addresses: ['203.0.113.10'],
      externalTrafficPolicy: 'Local',
      endpoints: { ready: 1, serving: 1 },
      nodes: ['node-a'],
      communities: ['65000:100', '65535:65281'],
      largeCommunities: ['65000:1:2'],
      localPref: 200,
    };
    assert.deepEqual(d.spec, want);
    assert.deepEqual(d.problems, []);
  });

  void it('bad annotation values become problems; the rest still applies', () => {
    const svc = service({ loadBalancerIP: '203.0.113.10', annotations: { [ANNOTATIONS.communities]: '65000:70000', [ANNOTATIONS.localPref]: 'high' } });
    const d = announced(run({ service: svc }));
    assert.deepEqual(d.spec.addresses, ['203.0.113.10']);
    assert.equal(d.spec.communities, undefined);
    assert.equal(d.spec.localPref, undefined);
    assert.deepEqual(d.problems.map((p) => [p.reason, p.source, p.value]), [
      ['InvalidAnnotation', ANNOTATIONS.communities, '65000:70000'],
      ['InvalidAnnotation', ANNOTATIONS.localPref, 'high'],
    ]);
  });

  void it('same input, any slice order: same spec (level-triggered)', () => {
    const s1 = slice([ep('p1', 'node-b', READY)]);
    const s2 = slice([ep('p2', 'node-a', READY)]);
    const a = announced(run({ service: service({ policy: 'Local' }), endpointSlices: [s1, s2] }));
    const b = announced(run({ service: service({ policy: 'Local' }), endpointSlices: [s2, s1] }));
    assert.deepEqual(a, b);
  });
});

void describe('eligibleNodeNames', () => {
  void it('drops excluded nodes (label present with any value) and sorts', () => {
    assert.deepEqual(eligibleNodeNames([node('b'), node('a'), node('x', true), { metadata: { name: 'y', labels: { [EXCLUDE_FROM_LB_LABEL]: 'false' } } }]), ['a', 'b']);
  });
});

void describe('specsEqual', () => {
  const base: VipAnnouncementSpec = {
    serviceRef: { name: 'web', uid: UID },
    addresses: ['203.0.113.10', '2001:db8::10'],
    externalTrafficPolicy: 'Local',
    nodes: ['node-a', 'node-b'],
    endpoints: { ready: 2, serving: 2 },
    communities: ['65000:100'],
  };
  const cases: Array<[string, VipAnnouncementSpec, boolean]> = [
    ['identical', { ...base }, true],
    ['sets in another order', { ...base, addresses: ['2001:db8::10', '203.0.113.10'], nodes: ['node-b', 'node-a'] }, true],
    ['communities emptied', { ...base, communities: [] }, false],
    ['node removed', { ...base, nodes: ['node-a'] }, false],
    ['address added', { ...base, addresses: [...(base.addresses ?? []), '203.0.113.11'] }, false],
    ['endpoint count changed', { ...base, endpoints: { ready: 1, serving: 2 } }, false],
    ['localPref added', { ...base, localPref: 100 }, false],
    ['serviceRef uid changed', { ...base, serviceRef: { name: 'web', uid: 'other' } }, false],
    ['policy changed', { ...base, externalTrafficPolicy: 'Cluster' }, false],
  ];
  for (const [name, other, want] of cases) {
    void it(name, () => assert.equal(specsEqual(base, other), want));
  }
  void it('empty communities equal absent ones', () => {
    const rest: VipAnnouncementSpec = { ...base };
    delete rest.communities;
    assert.equal(specsEqual({ ...rest, communities: [] }, rest), true);
  });
  // Server-side apply drops empty lists, so what comes back from the API server
  // lacks them; comparing [] with absent as different would update forever.
  void it('nodes [] equals absent nodes, addresses [] equals absent addresses', () => {
    const rest: VipAnnouncementSpec = { ...base };
    delete rest.nodes;
    assert.equal(specsEqual({ ...rest, nodes: [] }, rest), true);
    const noAddr: VipAnnouncementSpec = { ...base };
    delete noAddr.addresses;
    assert.equal(specsEqual({ ...noAddr, addresses: [] }, noAddr), true);
    assert.equal(specsEqual({ ...rest, nodes: ['node-a'] }, rest), false);
  });
});
