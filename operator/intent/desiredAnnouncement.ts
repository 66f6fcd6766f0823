// Service + its EndpointSlices + Nodes → the VipAnnouncement spec the controller
// wants. Computed from scratch on every call, so event order cannot matter.
import type { V1EndpointConditions } from '@kubernetes/client-node';
import { SPEC_LIMITS, type AllocationMode, type TrafficPolicy, type VipAnnouncementSpec } from '../api/types';
import { parseAddressList, parseServiceAnnotations } from './annotations';
import { compareIPs, parseAnnounceableIP, type ParsedIP } from '../util/ip';
import type { Problem } from './problem';
import { sortedUnique } from '../util/lists';
import { SERVICE_NAME_LABEL } from '../api/labels';
import { nodeDraining, nodeEligible } from '../api/announces';
import type { CachedService, CachedEndpointSlice, CachedNode } from '../kube/cachedKinds';

export interface ControllerSelection {
  /** loadBalancerClass values handled; '' stands for Services without a class. */
  loadBalancerClasses: readonly string[];
}

export interface DesiredAnnouncementInput {
  service: CachedService;
  endpointSlices: readonly CachedEndpointSlice[];
  /**
   * Nodes known, for who may announce a Local Service. Undefined: every node with a serving
   * endpoint counts (a speaker knows only its own Node, and gates itself by it).
   */
  nodes?: readonly CachedNode[];
  config: ControllerSelection;
  /**
   * How the addresses of this Service's announcement were chosen last time (its
   * vipannouncer.io/allocation annotation); undefined when there is no announcement or it
   * predates the annotation.
   */
  previousMode?: AllocationMode;
}

export type IgnoreReason = 'NotLoadBalancer' | 'OtherLoadBalancerClass' | 'Deleting';

export type DesiredAnnouncement =
  | { kind: 'ignore'; reason: IgnoreReason }
  | {
      kind: 'announce';
      spec: VipAnnouncementSpec;
      problems: Problem[];
      /** What status.loadBalancer.ingress[].ip of the Service should list (= spec.addresses). */
      ingressIPs: string[];
      /** The valid requested addresses (family-checked); undefined when nothing is requested. */
      requested?: ParsedIP[];
      mode: AllocationMode;
    };

/**
 * The announcement for a Service, or 'ignore' when it is not ours.
 *
 * Addresses: the requested ones (spec.loadBalancerIP ∪ the loadBalancerIPs annotation)
 * when any is requested; otherwise the IPs already in status.loadBalancer.ingress (an
 * address assigned elsewhere is adopted and kept, like an existing allocation) — unless
 * the announcement says its addresses were requested: that ingress is our own echo of a
 * request that is gone, and adopting it would announce the address forever. Ingress is
 * not merged with a request for the same reason. (With pools, poolAllocation.ts replaces
 * the addresses by the allocation.)
 *
 * "Announce nowhere" is explicit in the spec: Local with `nodes: []`, Cluster with
 * `endpoints.serving: 0`. A spec without `endpoints` (hand-made) is not gated on endpoints.
 */
export function desiredAnnouncement(input: DesiredAnnouncementInput): DesiredAnnouncement {
  const { service, config } = input;
  const ignored = ignoreReason(service, config);
  if (ignored) return { kind: 'ignore', reason: ignored };

  const { values, problems } = parseServiceAnnotations(service.metadata?.annotations);
  const chosen = announcedAddresses(service, values.loadBalancerIPs, input.previousMode, problems);
  const addresses = chosen.addresses;
  const policy: TrafficPolicy = service.spec?.externalTrafficPolicy === 'Local' ? 'Local' : 'Cluster';
  const endpoints = endpointsOf(service, input.endpointSlices);

  const spec: VipAnnouncementSpec = {
    serviceRef: service.metadata?.uid
      ? { name: service.metadata.name ?? '', uid: service.metadata.uid }
      : { name: service.metadata?.name ?? '' },
    addresses,
    externalTrafficPolicy: policy,
    endpoints: { ready: endpoints.ready, serving: endpoints.serving },
  };
  if (policy === 'Local') {
    const known = input.nodes;
    const eligible = known ? new Set(eligibleNodeNames(known)) : undefined;
    spec.nodes = eligible ? endpoints.servingNodes.filter((n) => eligible.has(n)) : endpoints.servingNodes;
  }
  if (values.communities) spec.communities = values.communities;
  if (values.largeCommunities) spec.largeCommunities = values.largeCommunities;
  if (values.localPref !== undefined) spec.localPref = values.localPref;

  return { kind: 'announce', spec, problems, ingressIPs: [...addresses], mode: chosen.mode, ...(chosen.requested ? { requested: chosen.requested } : {}) };
}

function ignoreReason(service: CachedService, config: ControllerSelection): IgnoreReason | undefined {
  if (service.metadata?.deletionTimestamp) return 'Deleting';
  if (service.spec?.type !== 'LoadBalancer') return 'NotLoadBalancer';
  if (!config.loadBalancerClasses.includes(service.spec.loadBalancerClass ?? '')) return 'OtherLoadBalancerClass';
  return undefined;
}

/**
 * The valid addresses a Service of ours requests (annotation ∪ spec.loadBalancerIP), canonical;
 * none when it requests none or is not ours. The allocator keeps them out of automatic
 * allocation, so a request is never lost to whichever Service happened to be reconciled first.
 */
export function requestedAddressesOf(service: CachedService, config: ControllerSelection): string[] {
  if (ignoreReason(service, config)) return [];
  const { values } = parseServiceAnnotations(service.metadata?.annotations);
  return (requestedAddresses(service, values.loadBalancerIPs, []) ?? []).map((ip) => ip.address);
}

/** Names of nodes a Cluster-policy announcement is expected from: eligible and not draining, sorted. */
export function clusterNodeNames(nodes: readonly CachedNode[]): string[] {
  return eligibleNodeNames(nodes.filter((n) => !nodeDraining(n)));
}

/** Names of draining (cordoned) nodes, sorted. */
export function drainingNodeNames(nodes: readonly CachedNode[]): string[] {
  return sortedUnique(nodes.filter((n) => n.metadata?.name && nodeDraining(n)).map((n) => n.metadata?.name ?? ''));
}

/** Names of nodes a speaker may announce from: known and not excluded, sorted. */
export function eligibleNodeNames(nodes: readonly CachedNode[]): string[] {
  const names = nodes
    .filter((n) => n.metadata?.name && nodeEligible(n))
    .map((n) => n.metadata?.name ?? '');
  return sortedUnique(names);
}

export interface EndpointSummary {
  ready: number;
  serving: number;
  /** Nodes hosting a serving endpoint, sorted, unique. */
  servingNodes: string[];
}

/**
 * Counts the Service's endpoints across its slices. Conditions per the EndpointSlice
 * API: nil ready means ready; nil serving means "same as ready"; an endpoint counts as
 * serving when ready, or serving while terminating (graceful drain keeps the route).
 * A dual-stack pod appears in one slice per family; it is counted once.
 */
export function endpointsOf(service: CachedService, slices: readonly CachedEndpointSlice[]): EndpointSummary {
  const byEndpoint = new Map<string, { ready: boolean; serving: boolean; node?: string }>();
  for (const slice of slices) {
    if (!sliceBelongsTo(slice, service)) continue;
    if (slice.addressType === 'FQDN') continue;
    for (const ep of slice.endpoints ?? []) {
      const c: V1EndpointConditions = ep.conditions ?? {};
      const ready = c.ready ?? true;
      const terminating = c.terminating ?? false;
      const serving = ready || ((c.serving ?? ready) && terminating);
      const t = ep.targetRef;
      const key = t?.uid || (t?.name ? `${t.kind ?? ''}/${t.namespace ?? ''}/${t.name}` : '');
      const id = key !== '' ? `ref:${key}` : `addr:${slice.addressType}/${ep.addresses?.[0] ?? ''}`;
      const seen = byEndpoint.get(id);
      // Slices of the two families may disagree for a moment; the better report wins.
      byEndpoint.set(id, {
        ready: ready || (seen?.ready ?? false),
        serving: serving || (seen?.serving ?? false),
        node: ep.nodeName ?? seen?.node,
      });
    }
  }
  let ready = 0;
  let serving = 0;
  const nodes: string[] = [];
  for (const ep of byEndpoint.values()) {
    if (ep.ready) ready++;
    if (ep.serving) {
      serving++;
      if (ep.node) nodes.push(ep.node);
    }
  }
  return { ready, serving, servingNodes: sortedUnique(nodes) };
}

/** A slice is the Service's by its controlling ownerReference, else by the service-name label. */
export function sliceBelongsTo(slice: CachedEndpointSlice, service: CachedService): boolean {
  const svcMeta = service.metadata;
  const meta = slice.metadata;
  if (!svcMeta?.name) return false;
  if (meta?.namespace && svcMeta.namespace && meta.namespace !== svcMeta.namespace) return false;
  const owner = meta?.ownerReferences?.find((o) => o.kind === 'Service' && o.controller);
  if (owner) {
    // A different uid is a slice left over from an earlier Service of the same name.
    return owner.name === svcMeta.name && (!owner.uid || !svcMeta.uid || owner.uid === svcMeta.uid);
  }
  return meta?.labels?.[SERVICE_NAME_LABEL] === svcMeta.name;
}

interface ChosenAddresses {
  addresses: string[];
  requested?: ParsedIP[];
  mode: AllocationMode;
}

function announcedAddresses(service: CachedService, annotated: ParsedIP[] | undefined, previousMode: AllocationMode | undefined, problems: Problem[]): ChosenAddresses {
  const requested = requestedAddresses(service, annotated, problems);
  if (requested) {
    const valid = limited(ofServiceFamilies(service, requested, problems), problems);
    return { addresses: valid.map((ip) => ip.address), requested: valid, mode: 'Requested' };
  }
  // The request is gone: its addresses are released, and stay so ("Requested" with none).
  if (previousMode === 'Requested') return { addresses: [], mode: 'Requested' };
  const ingress = (service.status?.loadBalancer?.ingress ?? []).map((i) => i.ip ?? '').filter((ip) => ip !== '');
  const adopted = parseAddressList(ingress.join(','), 'status.loadBalancer.ingress', 'InvalidAddress', problems);
  return { addresses: limited(ofServiceFamilies(service, adopted, problems), problems).map((ip) => ip.address), mode: previousMode ?? 'Adopted' };
}

function limited(chosen: ParsedIP[], problems: Problem[]): ParsedIP[] {
  const unique = [...new Map(chosen.map((ip) => [ip.address, ip])).values()].sort(compareIPs);
  if (unique.length > SPEC_LIMITS.addresses) {
    const dropped = unique.slice(SPEC_LIMITS.addresses).map((ip) => ip.address);
    problems.push({
      reason: 'InvalidAddress',
      source: 'addresses',
      value: dropped.join(','),
      message: `at most ${SPEC_LIMITS.addresses} addresses are announced; ${dropped.length} left out`,
    });
  }
  return unique.slice(0, SPEC_LIMITS.addresses);
}

/** The addresses the Service asks for (annotation ∪ spec.loadBalancerIP), or undefined when it asks for none. */
function requestedAddresses(service: CachedService, annotated: ParsedIP[] | undefined, problems: Problem[]): ParsedIP[] | undefined {
  const lbIP = service.spec?.loadBalancerIP?.trim();
  if (!lbIP) return annotated;
  const requested = [...(annotated ?? [])];
  const parsed = parseAnnounceableIP(lbIP);
  if (parsed.ok) requested.push(parsed.ip);
  else problems.push({ reason: 'InvalidAddress', source: 'spec.loadBalancerIP', value: lbIP, message: `"${lbIP}": ${parsed.reason}` });
  return requested;
}

/** kube-proxy only forwards a VIP of a family the Service has; announcing another is a black hole. */
function ofServiceFamilies(service: CachedService, ips: ParsedIP[], problems: Problem[]): ParsedIP[] {
  const families = service.spec?.ipFamilies;
  if (!families || families.length === 0) return ips;
  return ips.filter((ip) => {
    if (families.includes(ip.family === 4 ? 'IPv4' : 'IPv6')) return true;
    problems.push({
      reason: 'InvalidAddress',
      source: 'spec.ipFamilies',
      value: ip.address,
      message: `"${ip.address}" is IPv${ip.family} but the Service's ipFamilies are ${families.join(', ')}`,
    });
    return false;
  });
}

/**
 * True when two specs announce the same thing: sets compare as sets, absent lists of
 * communities equal empty ones, an absent policy is the CRD default (Cluster).
 * Absent lists equal empty ones: server-side apply removes a list whose owned items all
 * went, and keeps an empty one it never recorded an owner for (also under Cluster).
 */
export function specsEqual(a: VipAnnouncementSpec, b: VipAnnouncementSpec): boolean {
  const set = (xs: readonly string[] | undefined): string => sortedUnique(xs ?? []).join(',');
  return (
    (a.serviceRef?.name ?? null) === (b.serviceRef?.name ?? null) &&
    (a.serviceRef?.uid ?? null) === (b.serviceRef?.uid ?? null) &&
    set(a.addresses) === set(b.addresses) &&
    (a.externalTrafficPolicy ?? 'Cluster') === (b.externalTrafficPolicy ?? 'Cluster') &&
    set(a.nodes) === set(b.nodes) &&
    (a.endpoints?.ready ?? null) === (b.endpoints?.ready ?? null) &&
    (a.endpoints?.serving ?? null) === (b.endpoints?.serving ?? null) &&
    set(a.communities) === set(b.communities) &&
    set(a.largeCommunities) === set(b.largeCommunities) &&
    (a.localPref ?? null) === (b.localPref ?? null)
  );
}
