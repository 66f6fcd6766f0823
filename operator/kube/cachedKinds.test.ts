// The caches' shapes, checked twice. At compile time: every `@ts-expect-error` line below reads
// a field its cache drops, and `tsc` fails the moment such a read compiles (a shape's type that
// kept the field, or a cache reader typed wider than its shape). At run time: what each shape's
// trim leaves has no key outside its declared type (the key lists are checked against the types
// with `satisfies`, so a type and its list cannot drift apart).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { V1EndpointSlice, V1Namespace, V1Node, V1Service } from '@kubernetes/client-node';
import type { VipPool } from '../api/pool';
import type { VipAnnouncement } from '../api/types';
import type { VipSpeaker } from '../api/vipSpeaker';
import {
  Cached,
  type CachedAnnouncement,
  type CachedEndpointSlice,
  type CachedNode,
  type CachedNodeStatus,
  type CachedPool,
  type CachedService,
  type CachedServiceSpec,
  type CachedServiceStatus,
  type CachedSpeakerReport,
  type SpeakerAnnouncement,
} from './cachedKinds';
import type { CacheShape } from './cacheShape';
import type { CacheReader } from './controllerDefinition';
import type { KubeObject } from './resources';
import { FakeCaches } from './testing';

type Keys<T> = Record<keyof T, true>;
type MetaOf<T extends { metadata?: object }> = NonNullable<T['metadata']>;
type LabelsOf<T extends { metadata?: { labels?: object } }> = NonNullable<MetaOf<T>['labels']>;

const BIG = 'x'.repeat(64 * 1024);

/** V1ObjectMeta's keys but managedFields: what every cached Kubernetes kind's metadata may hold. */
const META_KEYS = {
  annotations: true, creationTimestamp: true, deletionGracePeriodSeconds: true, deletionTimestamp: true, finalizers: true, generateName: true,
  generation: true, labels: true, name: true, namespace: true, ownerReferences: true, resourceVersion: true, selfLink: true, uid: true,
} satisfies Keys<MetaOf<CachedService>>;
const SLICE_META_KEYS = META_KEYS satisfies Keys<MetaOf<CachedEndpointSlice>>;
const NODE_META_KEYS = META_KEYS satisfies Keys<MetaOf<CachedNode>>;
const ANNOUNCEMENT_META_KEYS = {
  annotations: true, creationTimestamp: true, deletionTimestamp: true, generation: true, labels: true, name: true, namespace: true, ownerReferences: true, resourceVersion: true, uid: true,
} satisfies Keys<MetaOf<SpeakerAnnouncement>>;
const POOL_META_KEYS = {
  annotations: true, creationTimestamp: true, deletionTimestamp: true, finalizers: true, generation: true, name: true, namespace: true, ownerReferences: true, resourceVersion: true, uid: true,
} satisfies Keys<MetaOf<CachedPool>>;
const SLICE_LABEL_KEYS = { 'kubernetes.io/service-name': true } satisfies Keys<LabelsOf<CachedEndpointSlice>>;
const NODE_LABEL_KEYS = { 'node.kubernetes.io/exclude-from-external-load-balancers': true } satisfies Keys<LabelsOf<CachedNode>>;
const NODE_STATUS_KEYS = {
  addresses: true, allocatable: true, capacity: true, conditions: true, config: true, daemonEndpoints: true, nodeInfo: true, phase: true,
} satisfies Keys<CachedNodeStatus>;
const SERVICE_SPEC_KEYS = {
  type: true, loadBalancerClass: true, loadBalancerIP: true, ipFamilies: true, ipFamilyPolicy: true, externalTrafficPolicy: true, selector: true, ports: true,
} satisfies Keys<CachedServiceSpec>;
const SERVICE_PORT_KEYS = { port: true, protocol: true } satisfies Keys<NonNullable<CachedServiceSpec['ports']>[number]>;
const SERVICE_STATUS_KEYS = { loadBalancer: true } satisfies Keys<CachedServiceStatus>;
const SERVICE_INGRESS_KEYS = { ip: true } satisfies Keys<NonNullable<NonNullable<CachedServiceStatus['loadBalancer']>['ingress']>[number]>;

interface Declared {
  top: Record<string, true>;
  meta: Record<string, true>;
  /** Undefined: every label may stay (a selector reads them). */
  labels?: Record<string, true>;
}

/** Fails when `obj` holds a key its declared type does not have. */
function assertWithin(what: string, obj: KubeObject, declared: Declared): void {
  const outside = (where: string, o: object | undefined, keys: Record<string, true>): string[] => Object.keys(o ?? {}).filter((k) => !keys[k]).map((k) => `${where}.${k}`);
  const meta = obj.metadata;
  const extra = [
    ...outside(what, obj, declared.top),
    ...outside(`${what}.metadata`, meta, declared.meta),
    ...(declared.labels ? outside(`${what}.metadata.labels`, meta?.labels, declared.labels) : []),
    ...Object.keys(meta?.annotations ?? {}).filter((k) => !k.startsWith('vipannouncer.io/')).map((k) => `${what}.metadata.annotations.${k}`),
  ];
  assert.deepEqual(extra, [], `${what}: kept outside its declared type`);
}

/** Metadata as the API server serves it, with everything the caches drop. */
function servedMeta(name: string, namespace?: string) {
  return {
    name,
    ...(namespace ? { namespace } : {}),
    uid: `uid-${name}`,
    resourceVersion: '7',
    generation: 2,
    managedFields: [{ manager: 'kubectl', operation: 'Apply', fieldsV1: { 'f:metadata': {} } }],
    labels: { app: 'web', 'kubernetes.io/service-name': 'web', 'endpointslice.kubernetes.io/managed-by': 'endpointslice-controller.k8s.io', 'node.kubernetes.io/exclude-from-external-load-balancers': '', 'kubernetes.io/hostname': name },
    annotations: { 'vipannouncer.io/loadBalancerIPs': '192.0.2.1', 'kubectl.kubernetes.io/last-applied-configuration': BIG, 'example.com/blob': BIG },
  };
}

function trimmed<T extends KubeObject>(shape: CacheShape<T>, served: KubeObject): T {
  return shape.trim(structuredClone(served));
}

const service: V1Service = { apiVersion: 'v1', kind: 'Service', metadata: servedMeta('web', 'shop'), spec: { type: 'LoadBalancer', ports: [{ port: 80 }] }, status: { loadBalancer: { ingress: [{ ip: '192.0.2.1' }] } } };
/** The spec fields of `fullService` that decisions read, ports aside: kept as they are. */
const readSpec = {
  type: 'LoadBalancer',
  loadBalancerClass: 'vipannouncer.io/bgp',
  loadBalancerIP: '192.0.2.9',
  ipFamilies: ['IPv4', 'IPv6'],
  ipFamilyPolicy: 'PreferDualStack',
  externalTrafficPolicy: 'Local',
  selector: { app: 'shop', tier: 'front', blob: BIG },
};
/** A Service as a tenant may write it: every spec and status field filled, most of them read by nothing. */
const fullService: V1Service = {
  apiVersion: 'v1',
  kind: 'Service',
  metadata: servedMeta('shop-front', 'shop'),
  spec: {
    ...readSpec,
    ports: Array.from({ length: 50 }, (_, i) => ({ name: `p${i}`, protocol: 'TCP', port: 8000 + i, targetPort: `http-${i}`, nodePort: 30000 + i, appProtocol: 'http' })),
    externalIPs: Array.from({ length: 100 }, (_, i) => `198.51.100.${i}`),
    sessionAffinity: 'ClientIP',
    sessionAffinityConfig: { clientIP: { timeoutSeconds: 60 } },
    clusterIP: '10.96.0.9',
    clusterIPs: ['10.96.0.9', 'fd00::9'],
    loadBalancerSourceRanges: ['0.0.0.0/0'],
    allocateLoadBalancerNodePorts: true,
    healthCheckNodePort: 32000,
    internalTrafficPolicy: 'Cluster',
    publishNotReadyAddresses: false,
  },
  status: {
    loadBalancer: { ingress: [{ ip: '192.0.2.9', hostname: 'shop.example.com', ports: [{ port: 8000, protocol: 'TCP', error: BIG }] }] },
    conditions: [{ type: 'Blob', status: 'True', reason: 'Tenant', message: BIG, lastTransitionTime: new Date(0) }],
  },
};
const slice: V1EndpointSlice = { apiVersion: 'discovery.k8s.io/v1', kind: 'EndpointSlice', metadata: servedMeta('web-abc', 'shop'), addressType: 'IPv4', endpoints: [{ addresses: ['10.0.0.1'], nodeName: 'n1' }] };
const node: V1Node = {
  apiVersion: 'v1',
  kind: 'Node',
  metadata: servedMeta('n1'),
  spec: {},
  status: { addresses: [{ type: 'InternalIP', address: '10.0.0.1' }], images: [{ names: ['big'], sizeBytes: 1 }], volumesInUse: ['v'], volumesAttached: [{ name: 'v', devicePath: '/d' }], conditions: [] },
};
const namespace: V1Namespace = { apiVersion: 'v1', kind: 'Namespace', metadata: servedMeta('shop') };
const announcement: VipAnnouncement = {
  apiVersion: 'vipannouncer.io/v1alpha1',
  kind: 'VipAnnouncement',
  metadata: servedMeta('web', 'shop'),
  spec: { addresses: ['192.0.2.1'], externalTrafficPolicy: 'Cluster' },
  status: { observedGeneration: 2, advertisedBy: 1, speakers: [{ node: 'n1', addresses: ['192.0.2.1/32'], peers: [] }] },
};
const pool: VipPool = { apiVersion: 'vipannouncer.io/v1alpha1', kind: 'VipPool', metadata: { ...servedMeta('p'), finalizers: ['vipannouncer.io/pool'] }, spec: { addresses: ['192.0.2.0/24'] } };
const report: VipSpeaker = { apiVersion: 'vipannouncer.io/v1alpha1', kind: 'VipSpeaker', metadata: servedMeta('n1') };

void test('every shape keeps no key outside its declared type', () => {
  const svc = trimmed(Cached.services, fullService);
  assertWithin('Service', svc, { top: { apiVersion: true, kind: true, metadata: true, spec: true, status: true } satisfies Keys<CachedService>, meta: META_KEYS });
  const outside = (o: object | undefined, keys: Record<string, true>): string[] => Object.keys(o ?? {}).filter((k) => !keys[k]);
  assert.deepEqual(outside(svc.spec, SERVICE_SPEC_KEYS), [], 'Service spec kept outside its declared type');
  assert.deepEqual((svc.spec?.ports ?? []).flatMap((p) => outside(p, SERVICE_PORT_KEYS)), [], 'Service ports kept outside their declared type');
  assert.deepEqual(outside(svc.status, SERVICE_STATUS_KEYS), [], 'Service status kept outside its declared type');
  assert.deepEqual((svc.status?.loadBalancer?.ingress ?? []).flatMap((i) => outside(i, SERVICE_INGRESS_KEYS)), [], 'Service ingress kept outside its declared type');
  assertWithin('Namespace', trimmed(Cached.namespaces, namespace), { top: { apiVersion: true, kind: true, metadata: true, spec: true, status: true }, meta: META_KEYS });
  assertWithin('EndpointSlice', trimmed(Cached.endpointSlices, slice), {
    top: { apiVersion: true, kind: true, metadata: true, addressType: true, endpoints: true, ports: true } satisfies Keys<CachedEndpointSlice>,
    meta: SLICE_META_KEYS,
    labels: SLICE_LABEL_KEYS,
  });
  const n = trimmed(Cached.nodes, node);
  assertWithin('Node', n, { top: { apiVersion: true, kind: true, metadata: true, spec: true, status: true } satisfies Keys<CachedNode>, meta: NODE_META_KEYS, labels: NODE_LABEL_KEYS });
  assert.deepEqual(Object.keys(n.status ?? {}).filter((k) => !(NODE_STATUS_KEYS as Record<string, true>)[k]), [], 'Node status kept outside its declared type');
  assertWithin('VipAnnouncement (controller)', trimmed(Cached.announcements, announcement), { top: { apiVersion: true, kind: true, metadata: true, spec: true, status: true } satisfies Keys<CachedAnnouncement>, meta: ANNOUNCEMENT_META_KEYS });
  assertWithin('VipAnnouncement (speaker)', trimmed(Cached.speakerAnnouncements, announcement), { top: { apiVersion: true, kind: true, metadata: true, spec: true } satisfies Keys<SpeakerAnnouncement>, meta: ANNOUNCEMENT_META_KEYS });
  assertWithin('VipPool', trimmed(Cached.pools, pool), { top: { apiVersion: true, kind: true, metadata: true, spec: true, status: true } satisfies Keys<CachedPool>, meta: POOL_META_KEYS, labels: {} });
  assertWithin('VipSpeaker', trimmed(Cached.speakerReports, report), { top: { apiVersion: true, kind: true, metadata: true, status: true }, meta: { annotations: true, name: true, uid: true, resourceVersion: true, ownerReferences: true } satisfies Keys<MetaOf<CachedSpeakerReport>>, labels: {} });
});

void test('what decisions read survives the trim', () => {
  const svc = trimmed(Cached.services, service);
  assert.deepEqual(svc.metadata?.labels, service.metadata?.labels, 'pools select Services by every label');
  assert.equal(svc.metadata?.annotations?.['vipannouncer.io/loadBalancerIPs'], '192.0.2.1');
  assert.deepEqual(svc.spec, service.spec);
  assert.deepEqual(svc.status, service.status);
  // What allocation, sharing and the ingress read, and nothing else a tenant wrote. The selector
  // stays whole: Local Services share an address only with the same selector (allocator.ts mayShare).
  const full = trimmed(Cached.services, fullService);
  assert.deepEqual(full.spec, { ...readSpec, ports: Array.from({ length: 50 }, (_, i) => ({ protocol: 'TCP', port: 8000 + i })) });
  assert.deepEqual(full.status, { loadBalancer: { ingress: [{ ip: '192.0.2.9' }] } });
  assert.deepEqual(trimmed(Cached.endpointSlices, slice).metadata?.labels, { 'kubernetes.io/service-name': 'web' });
  const n = trimmed(Cached.nodes, node);
  assert.deepEqual(n.metadata?.labels, { 'node.kubernetes.io/exclude-from-external-load-balancers': '' });
  assert.deepEqual(n.status, { addresses: [{ type: 'InternalIP', address: '10.0.0.1' }], conditions: [] });
  assert.deepEqual(trimmed(Cached.namespaces, namespace).metadata?.labels, namespace.metadata?.labels, 'namespaceSelectors read every label');
  const va = trimmed(Cached.announcements, announcement);
  assert.deepEqual(va.status, announcement.status, 'the controller folds reports into the status it reads');
  const spk = trimmed(Cached.speakerAnnouncements, announcement);
  assert.deepEqual(spk.spec, announcement.spec);
  assert.deepEqual(spk.metadata.labels, announcement.metadata.labels, 'serviceSelectors read a hand-made announcement\'s labels');
  assert.equal('status' in spk, false, 'the speaker caches no status');
  assert.deepEqual(trimmed(Cached.pools, pool).metadata.finalizers, ['vipannouncer.io/pool']);
});

void test('reading a field a cache drops does not compile (and is undefined anyway)', () => {
  const caches = new FakeCaches();
  caches.informer<VipAnnouncement>(Cached.announcements.resource).put(trimmed(Cached.speakerAnnouncements, announcement));
  const speakerCache: CacheReader<SpeakerAnnouncement> = caches.informer(Cached.speakerAnnouncements);
  const va = speakerCache.get('shop/web');
  assert.ok(va);
  const svc = trimmed(Cached.services, fullService);
  const sl = trimmed(Cached.endpointSlices, slice);
  const n = trimmed(Cached.nodes, node);
  const p = trimmed(Cached.pools, pool);
  const dropped: unknown[] = [
    // @ts-expect-error the speaker never caches an announcement's status
    va.status,
    // @ts-expect-error ...nor does its cache reader hand one out
    caches.informer(Cached.speakerAnnouncements).list()[0]?.status,
    // @ts-expect-error no cache keeps managedFields
    svc.metadata?.managedFields,
    // @ts-expect-error annotations outside vipannouncer.io/ are dropped
    svc.metadata?.annotations?.['example.com/blob'],
    // @ts-expect-error ...kubectl's last-applied copy too
    va.metadata.annotations?.['kubectl.kubernetes.io/last-applied-configuration'],
    // @ts-expect-error a Service keeps the spec fields decisions read: not externalIPs
    svc.spec?.externalIPs,
    // @ts-expect-error ...nor sessionAffinity
    svc.spec?.sessionAffinity,
    // @ts-expect-error ...nor a port's targetPort (sharing compares protocol and port)
    svc.spec?.ports?.[0]?.targetPort,
    // @ts-expect-error ...nor the status conditions
    svc.status?.conditions,
    // @ts-expect-error ...nor an ingress entry's hostname (only its ip)
    svc.status?.loadBalancer?.ingress?.[0]?.hostname,
    // @ts-expect-error an EndpointSlice keeps only the service-name label
    sl.metadata?.labels?.app,
    // @ts-expect-error a Node keeps only the exclusion label
    n.metadata?.labels?.['kubernetes.io/hostname'],
    // @ts-expect-error nor kubelet's image inventory
    n.status?.images,
    // @ts-expect-error a pool's labels are read by nothing
    p.metadata.labels,
  ];
  assert.deepEqual(dropped, Array.from({ length: dropped.length }, () => undefined));
});
