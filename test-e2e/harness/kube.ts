// Typed helpers that create real objects in the lab's API server. There is no
// kubelet in the lab, so a test marks a Pod Ready by patching its status, and
// the real EndpointSlice controller takes it from there.
import * as k8s from '@kubernetes/client-node';
import path from 'node:path';
import { REPO_ROOT, kubectl, lab, type LabNode } from './lab';
import { ensureLabPool } from './labPool';
import type { VipPool } from '../../operator/api/pool';
import type { VipAnnouncement } from '../../operator/api/types';
import { inParallel } from '../../operator/util/parallel';

let cached: k8s.KubeConfig | undefined;

export function kubeConfig(): k8s.KubeConfig {
  if (!cached) {
    cached = new k8s.KubeConfig();
    cached.loadFromFile(lab().kubeconfig);
  }
  return cached;
}

export function core(): k8s.CoreV1Api {
  return kubeConfig().makeApiClient(k8s.CoreV1Api);
}

export function discovery(): k8s.DiscoveryV1Api {
  return kubeConfig().makeApiClient(k8s.DiscoveryV1Api);
}

export function customObjects(): k8s.CustomObjectsApi {
  return kubeConfig().makeApiClient(k8s.CustomObjectsApi);
}

/** Request options of a JSON merge patch. */
export const MERGE = { headers: { 'Content-Type': k8s.PatchUtils.PATCH_FORMAT_JSON_MERGE_PATCH } };
const STRATEGIC = { headers: { 'Content-Type': k8s.PatchUtils.PATCH_FORMAT_STRATEGIC_MERGE_PATCH } };

/** HTTP status of a client-node error, if it is one. */
export function statusOf(err: unknown): number | undefined {
  if (typeof err === 'object' && err !== null && 'statusCode' in err) {
    const s = err.statusCode;
    return typeof s === 'number' ? s : undefined;
  }
  return undefined;
}

export async function ignoreNotFound(p: Promise<unknown>): Promise<void> {
  try {
    await p;
  } catch (err) {
    if (statusOf(err) !== 404) throw err;
  }
}

export async function ensureNamespace(name: string): Promise<void> {
  try {
    await core().createNamespace({ metadata: { name } });
  } catch (err) {
    if (statusOf(err) !== 409) throw err;
  }
}

/** A namespace name no earlier run used (deleted namespaces linger while they empty). */
export function uniqueNamespace(prefix: string): string {
  return `${prefix}-${Date.now().toString(36)}`;
}

/** Deletes a namespace and waits until it is gone (the namespace controller empties it). */
export async function deleteNamespace(name: string): Promise<void> {
  await ignoreNotFound(core().deleteNamespace(name));
}

/** The boot id ensureNode gives a lab node (a kubelet reports the kernel's); setNodeBootID simulates a reboot. */
export const labBootID = (name: string): string => `lab-boot-${name}`;

export async function setNodeBootID(name: string, bootID: string): Promise<void> {
  await core().patchNodeStatus(name, { status: { nodeInfo: { bootID } } }, undefined, undefined, undefined, undefined, undefined, MERGE);
}

export async function ensureNode(name: string, address: string, labels: Record<string, string> = {}): Promise<void> {
  const body: k8s.V1Node = { metadata: { name, labels: { 'kubernetes.io/hostname': name, ...labels } } };
  try {
    await core().createNode(body);
  } catch (err) {
    if (statusOf(err) !== 409) throw err;
    await core().patchNode(name, { metadata: { labels: body.metadata?.labels } }, undefined, undefined, undefined, undefined, undefined, STRATEGIC);
  }
  await core().patchNodeStatus(
    name,
    {
      status: {
        addresses: [
          { type: 'InternalIP', address },
          { type: 'Hostname', address: name },
        ],
        conditions: [{ type: 'Ready', status: 'True', reason: 'LabNode', message: 'simulated node', lastHeartbeatTime: new Date(), lastTransitionTime: new Date() }],
        // Speakers announce a graceful restart only within one boot of their node.
        nodeInfo: { bootID: labBootID(name) },
      },
    },
    undefined, undefined, undefined, undefined, undefined, MERGE,
  );
}

export interface ServiceOptions {
  namespace: string;
  name: string;
  app?: string;
  type?: 'LoadBalancer' | 'ClusterIP';
  policy?: 'Local' | 'Cluster';
  loadBalancerClass?: string;
  annotations?: Record<string, string>;
  /** PreferDualStack gives the Service both families (the lab's API server is dual-stack). */
  dualStack?: boolean;
}

export function serviceBody(o: ServiceOptions): k8s.V1Service {
  const type = o.type ?? 'LoadBalancer';
  return {
    metadata: { name: o.name, namespace: o.namespace, annotations: o.annotations },
    spec: {
      type,
      selector: { app: o.app ?? o.name },
      ports: [{ name: 'http', port: 80, targetPort: 8080, protocol: 'TCP' }],
      ...(type === 'LoadBalancer'
        ? { externalTrafficPolicy: o.policy ?? 'Cluster', allocateLoadBalancerNodePorts: false }
        : {}),
      ...(o.loadBalancerClass ? { loadBalancerClass: o.loadBalancerClass } : {}),
      ...(o.dualStack ? { ipFamilyPolicy: 'PreferDualStack', ipFamilies: ['IPv4', 'IPv6'] } : {}),
    },
  };
}

export async function createService(o: ServiceOptions): Promise<k8s.V1Service> {
  return (await core().createNamespacedService(o.namespace, serviceBody(o))).body;
}

/** An EndpointSlice made by hand (a Service without a selector, or one that exists before its Service). */
export function manualSlice(ns: string, name: string, service: string, endpoints: { ip: string; node: string; ready: boolean }[]): k8s.V1EndpointSlice {
  return {
    metadata: { name, namespace: ns, labels: { 'kubernetes.io/service-name': service, 'endpointslice.kubernetes.io/managed-by': 'e2e.vipannouncer.io' } },
    addressType: 'IPv4',
    ports: [{ name: 'http', port: 8080, protocol: 'TCP' }],
    endpoints: endpoints.map((e) => ({ addresses: [e.ip], nodeName: e.node, conditions: { ready: e.ready, serving: e.ready, terminating: false } })),
  };
}

export interface PodOptions {
  namespace: string;
  name: string;
  app: string;
  node: string;
  ip?: string;
}

export async function createPod(o: PodOptions): Promise<void> {
  await core().createNamespacedPod(o.namespace, {
    metadata: { name: o.name, namespace: o.namespace, labels: { app: o.app } },
    spec: {
      nodeName: o.node,
      containers: [{ name: 'app', image: 'registry.invalid/app:lab', ports: [{ containerPort: 8080 }] }],
      terminationGracePeriodSeconds: 0,
      automountServiceAccountToken: false,
    },
  });
}

/** What a kubelet would report: Running, with the given readiness. */
export async function setPodReady(namespace: string, name: string, ip: string, ready: boolean): Promise<void> {
  const now = new Date();
  const st = ready ? 'True' : 'False';
  await core().patchNamespacedPodStatus(
    name,
    namespace,
    {
      status: {
        phase: 'Running',
        podIP: ip,
        podIPs: [{ ip }],
        conditions: [
          { type: 'Ready', status: st, lastTransitionTime: now },
          { type: 'ContainersReady', status: st, lastTransitionTime: now },
          { type: 'PodScheduled', status: 'True', lastTransitionTime: now },
        ],
      },
    },
    undefined, undefined, undefined, undefined, undefined, STRATEGIC,
  );
}

export async function createReadyPod(o: PodOptions & { ip: string }): Promise<void> {
  await createPod(o);
  await setPodReady(o.namespace, o.name, o.ip, true);
}

/** Runs `fn` over items with at most `limit` in flight (the operator's own helper). */
export const inPool = inParallel;

/** What a suite that runs operators needs first: the CRDs established, the lab's pool, its Nodes, its namespace. */
export async function prepareSuite(namespace: string, nodes: readonly Pick<LabNode, 'name' | 'address'>[]): Promise<void> {
  await kubectl(['apply', '-f', path.join(REPO_ROOT, 'crds')]);
  await kubectl(['wait', '--for=condition=Established', '--timeout=60s', 'crd/vipannouncements.vipannouncer.io', 'crd/vipspeakers.vipannouncer.io']);
  await ensureLabPool();
  for (const n of nodes) await ensureNode(n.name, n.address);
  await ensureNamespace(namespace);
}

/** A VipAnnouncement as the API server holds it now, or undefined. */
export async function getAnnouncement(ns: string, name: string): Promise<VipAnnouncement | undefined> {
  try {
    return (await customObjects().getNamespacedCustomObject('vipannouncer.io', 'v1alpha1', ns, 'vipannouncements', name)).body as VipAnnouncement;
  } catch (err) {
    if (statusOf(err) === 404) return undefined;
    throw err;
  }
}

/** A VipPool as the API server holds it now, or undefined. */
export async function getPool(name: string): Promise<VipPool | undefined> {
  try {
    return (await customObjects().getClusterCustomObject('vipannouncer.io', 'v1alpha1', 'vippools', name)).body as VipPool;
  } catch (err) {
    if (statusOf(err) === 404) return undefined;
    throw err;
  }
}
