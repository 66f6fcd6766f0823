// Where a kind lives in the API, and the minimal shape every object has.

export interface ResourceRef {
  /** API group; "" for the core group (/api/v1). */
  group: string;
  version: string;
  /** Lower-case plural used in the URL path. */
  plural: string;
  kind: string;
  namespaced: boolean;
}

/** The metadata fields the plumbing reads. Compatible with client-node's V1ObjectMeta and our api types. */
export interface ObjectMetaLike {
  name?: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
  generation?: number;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata?: ObjectMetaLike;
}

export const Resources = {
  services: { group: '', version: 'v1', plural: 'services', kind: 'Service', namespaced: true },
  nodes: { group: '', version: 'v1', plural: 'nodes', kind: 'Node', namespaced: false },
  pods: { group: '', version: 'v1', plural: 'pods', kind: 'Pod', namespaced: true },
  events: { group: '', version: 'v1', plural: 'events', kind: 'Event', namespaced: true },
  namespaces: { group: '', version: 'v1', plural: 'namespaces', kind: 'Namespace', namespaced: false },
  endpointSlices: {
    group: 'discovery.k8s.io',
    version: 'v1',
    plural: 'endpointslices',
    kind: 'EndpointSlice',
    namespaced: true,
  },
  leases: { group: 'coordination.k8s.io', version: 'v1', plural: 'leases', kind: 'Lease', namespaced: true },
  vipAnnouncements: {
    group: 'vipannouncer.io',
    version: 'v1alpha1',
    plural: 'vipannouncements',
    kind: 'VipAnnouncement',
    namespaced: true,
  },
  vipPools: { group: 'vipannouncer.io', version: 'v1alpha1', plural: 'vippools', kind: 'VipPool', namespaced: false },
  vipSpeakers: { group: 'vipannouncer.io', version: 'v1alpha1', plural: 'vipspeakers', kind: 'VipSpeaker', namespaced: false },
} as const satisfies Record<string, ResourceRef>;

export function apiVersionOf(res: Pick<ResourceRef, 'group' | 'version'>): string {
  return res.group ? `${res.group}/${res.version}` : res.version;
}

/**
 * The URL path of a collection or an object:
 * /api/v1/namespaces/ns/services[/name[/status]], /apis/g/v/plural (all namespaces or cluster-scoped).
 */
export function resourcePath(
  res: Pick<ResourceRef, 'group' | 'version' | 'plural'>,
  namespace?: string,
  name?: string,
  subresource?: string,
): string {
  let p = res.group ? `/apis/${res.group}/${res.version}` : `/api/${res.version}`;
  if (namespace) p += `/namespaces/${encodeURIComponent(namespace)}`;
  p += `/${res.plural}`;
  if (name !== undefined) {
    if (!name) throw new Error(`empty object name for ${res.plural}`);
    p += `/${encodeURIComponent(name)}`;
    if (subresource) p += `/${subresource}`;
  }
  return p;
}

/** The cache/queue key of an object: "namespace/name", or "name" when cluster-scoped. */
export function objectKey(obj: KubeObject): string {
  const name = obj.metadata?.name ?? '';
  const ns = obj.metadata?.namespace;
  return ns ? `${ns}/${name}` : name;
}

/** Split a key made by objectKey. */
export function splitKey(key: string): { namespace?: string; name: string } {
  const i = key.indexOf('/');
  return i < 0 ? { name: key } : { namespace: key.slice(0, i), name: key.slice(i + 1) };
}
