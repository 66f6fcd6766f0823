// GoBGP's v4 API carries the same information as v3 in other shapes: enum values
// prefixed with their type's name, and NLRI and path attributes as typed oneofs
// (NLRI{prefix}, Attribute{origin | next_hop | ...}) instead of google.protobuf.Any.
// These pure functions move requests from the v3 shapes the codec builds (wire.ts) to
// v4, and answers back, so every rule of the codec holds for both APIs unchanged.
import type {
  WireAttribute,
  WireDeletePathRequest,
  WireDestination,
  WireListPathRequest,
  WireNlri,
  WireListPolicyAssignmentRequest,
  WirePath,
  WirePeer,
  WirePeerState,
  WirePolicy,
  WirePolicyAssignment,
  WireResetPeerRequest,
  WireTableType,
  WireWatchEventResponse,
} from '../wire';
import { TYPE } from '../wire';

type Opt<T> = T | null | undefined;
type Enum = string | number;

export interface V4Prefix {
  prefix_len?: number;
  prefix?: string;
}
/** proto-loader sets the oneof's name ("prefix") next to the member. */
export interface V4Nlri {
  prefix?: Opt<V4Prefix>;
  nlri?: string;
}
export interface V4Attribute {
  origin?: Opt<{ origin?: number }>;
  as_path?: Opt<{ segments?: Array<{ type?: Enum; numbers?: number[] }> }>;
  next_hop?: Opt<{ next_hop?: string }>;
  local_pref?: Opt<{ local_pref?: number }>;
  communities?: Opt<{ communities?: number[] }>;
  mp_reach?: Opt<{ family?: WirePath['family']; next_hops?: string[]; nlris?: V4Nlri[] }>;
  large_communities?: Opt<{ communities?: Array<{ global_admin?: number; local_data1?: number; local_data2?: number }> }>;
  attr?: string;
}
export interface V4Path extends Omit<WirePath, 'nlri' | 'pattrs'> {
  nlri?: Opt<V4Nlri>;
  pattrs?: V4Attribute[];
}

// ---- enums ---------------------------------------------------------------------

export function tableTypeToV4(t: WireTableType): string {
  return `TABLE_TYPE_${t}`;
}

/**
 * A v4 enum value in v3's spelling: the type prefix stripped from a name; a number
 * (a value outside our subset) through `names`, v4's names by number without prefix.
 */
export function enumFromV4(value: Enum | null | undefined, prefix: string, names: readonly string[]): string | undefined {
  if (typeof value === 'string') return value.startsWith(prefix) ? value.slice(prefix.length) : value;
  if (typeof value === 'number') return names[value];
  return undefined;
}

const SESSION_STATES = ['UNKNOWN', 'IDLE', 'CONNECT', 'ACTIVE', 'OPENSENT', 'OPENCONFIRM', 'ESTABLISHED'];
const ADMIN_STATES = ['UNSPECIFIED', 'UP', 'DOWN', 'PFX_CT'];
const EVENT_TYPES = ['UNKNOWN', 'INIT', 'END_OF_INIT', 'STATE'];
const BFD_STATES = ['UNSPECIFIED', 'UP', 'DOWN', 'ADMIN_DOWN', 'INIT'];
const SEGMENT_TYPES = ['UNKNOWN', 'AS_SET', 'AS_SEQUENCE', 'AS_CONFED_SEQUENCE', 'AS_CONFED_SET'];

// ---- NLRI and attributes ---------------------------------------------------------

export function nlriToV4(nlri: Opt<WireNlri>): V4Nlri {
  if (nlri?.['@type'] !== TYPE.ipAddressPrefix) return {};
  return { prefix: { prefix_len: nlri.prefix_len ?? 0, prefix: nlri.prefix ?? '' } };
}

/** A v4 NLRI of another kind than a prefix stays "unknown" to the codec, as in v3. */
export function nlriFromV4(nlri: Opt<V4Nlri>): WireNlri {
  const p = nlri?.prefix;
  if (!p) return { type_url: 'type.googleapis.com/api.NLRI' };
  return { '@type': TYPE.ipAddressPrefix, prefix_len: p.prefix_len ?? 0, prefix: p.prefix ?? '' };
}

export function attributeToV4(a: WireAttribute): V4Attribute {
  switch (a['@type']) {
    case TYPE.origin:
      return { origin: { origin: a.origin ?? 0 } };
    case TYPE.nextHop:
      return { next_hop: { next_hop: a.next_hop ?? '' } };
    case TYPE.localPref:
      return { local_pref: { local_pref: a.local_pref ?? 0 } };
    case TYPE.communities:
      return { communities: { communities: [...(a.communities ?? [])] } };
    case TYPE.largeCommunities:
      return { large_communities: { communities: [...(a.communities ?? [])] } };
    case TYPE.asPath:
      return { as_path: { segments: (a.segments ?? []).map((s) => ({ type: `TYPE_${String(s.type ?? 'UNKNOWN')}`, numbers: s.numbers ?? [] })) } };
    case TYPE.mpReach:
      return { mp_reach: { family: a.family, next_hops: [...(a.next_hops ?? [])], nlris: (a.nlris ?? []).map(nlriToV4) } };
    default:
      return {};
  }
}

/** The attribute in v3's shape; one outside our subset (MED, ...) stays unknown. */
export function attributeFromV4(a: V4Attribute): WireAttribute {
  if (a.origin) return { '@type': TYPE.origin, origin: a.origin.origin ?? 0 };
  if (a.next_hop) return { '@type': TYPE.nextHop, next_hop: a.next_hop.next_hop ?? '' };
  if (a.local_pref) return { '@type': TYPE.localPref, local_pref: a.local_pref.local_pref ?? 0 };
  if (a.communities) return { '@type': TYPE.communities, communities: a.communities.communities ?? [] };
  if (a.large_communities) return { '@type': TYPE.largeCommunities, communities: a.large_communities.communities ?? [] };
  if (a.as_path) {
    const segments = (a.as_path.segments ?? []).map((s) => ({
      type: (enumFromV4(s.type, 'TYPE_', SEGMENT_TYPES) ?? 'UNKNOWN') as 'AS_SEQUENCE',
      numbers: s.numbers ?? [],
    }));
    return { '@type': TYPE.asPath, segments };
  }
  if (a.mp_reach) {
    const m = a.mp_reach;
    return { '@type': TYPE.mpReach, family: m.family, next_hops: m.next_hops ?? [], nlris: (m.nlris ?? []).map(nlriFromV4) };
  }
  return { type_url: `type.googleapis.com/api.Attribute${a.attr ? `.${a.attr}` : ''}` };
}

// ---- paths -----------------------------------------------------------------------

export function pathToV4(path: WirePath): V4Path {
  return { ...path, nlri: nlriToV4(path.nlri), pattrs: (path.pattrs ?? []).map(attributeToV4) };
}

export function pathFromV4(path: V4Path): WirePath {
  return { ...path, nlri: nlriFromV4(path.nlri), pattrs: (path.pattrs ?? []).map(attributeFromV4) };
}

export function destinationFromV4(d: Opt<Omit<WireDestination, 'paths'> & { paths?: V4Path[] }>): WireDestination {
  return { prefix: d?.prefix ?? '', paths: (d?.paths ?? []).map(pathFromV4) };
}

export function deletePathToV4(r: WireDeletePathRequest): object {
  if ('uuid' in r) return { table_type: tableTypeToV4(r.table_type), uuid: r.uuid };
  return { table_type: tableTypeToV4(r.table_type), family: r.family, path: pathToV4(r.path) };
}

export function listPathToV4(r: WireListPathRequest): object {
  const prefixes = r.prefixes?.map((p) => ({ prefix: p.prefix, type: `TYPE_${p.type}` }));
  return { table_type: tableTypeToV4(r.table_type), name: r.name, family: r.family, ...(prefixes ? { prefixes } : {}), sort_type: `SORT_TYPE_${r.sort_type}` };
}

// ---- peers and events --------------------------------------------------------------

function peerStateFromV4(s: Opt<WirePeerState>): Opt<WirePeerState> {
  if (!s) return s;
  const out: WirePeerState = {
    ...s,
    session_state: (enumFromV4(s.session_state, 'SESSION_STATE_', SESSION_STATES) ?? 'UNKNOWN') as WirePeerState['session_state'],
    admin_state: enumFromV4(s.admin_state, 'ADMIN_STATE_', ADMIN_STATES) as WirePeerState['admin_state'],
  };
  if (s.bfd_state) {
    const bfd = (v: Enum | undefined): 'UP' => enumFromV4(v, 'BFD_SESSION_STATE_', BFD_STATES) as 'UP';
    out.bfd_state = { session_state: bfd(s.bfd_state.session_state), remote_session_state: bfd(s.bfd_state.remote_session_state) };
  }
  return out;
}

/** A v4 Peer in v3's shape (same fields; enum spellings differ). */
export function peerFromV4(peer: WirePeer): WirePeer {
  return { ...peer, state: peerStateFromV4(peer.state) };
}

export function watchEventFromV4(e: WireWatchEventResponse): WireWatchEventResponse {
  if (!e.peer) return e;
  const type = enumFromV4(e.peer.type, 'TYPE_', EVENT_TYPES) as 'INIT';
  return { ...e, peer: { type, peer: e.peer.peer ? peerFromV4(e.peer.peer) : e.peer.peer } };
}

// ---- routing policy ----------------------------------------------------------------

/** A policy in either API's spelling: the same fields, enum values differ. */
export interface AnyPolicy {
  name?: string;
  statements?: Array<{ name?: string; conditions?: Opt<{ route_type?: Enum }>; actions?: Opt<{ route_action?: Enum }> }>;
}
export interface AnyPolicyAssignment {
  name?: string;
  direction?: Enum;
  policies?: AnyPolicy[];
  default_action?: Enum;
}

/** Each API's names of the policy enums, by number. */
interface PolicyEnums {
  actions: readonly string[];
  routeTypes: readonly string[];
  directions: readonly string[];
}
const V3_POLICY: PolicyEnums = {
  actions: ['NONE', 'ACCEPT', 'REJECT'],
  routeTypes: ['ROUTE_TYPE_NONE', 'ROUTE_TYPE_INTERNAL', 'ROUTE_TYPE_EXTERNAL', 'ROUTE_TYPE_LOCAL'],
  directions: ['UNKNOWN', 'IMPORT', 'EXPORT'],
};
const V4_POLICY: PolicyEnums = {
  actions: ['ROUTE_ACTION_UNSPECIFIED', 'ROUTE_ACTION_ACCEPT', 'ROUTE_ACTION_REJECT'],
  routeTypes: ['ROUTE_TYPE_UNSPECIFIED', 'ROUTE_TYPE_INTERNAL', 'ROUTE_TYPE_EXTERNAL', 'ROUTE_TYPE_LOCAL'],
  directions: ['POLICY_DIRECTION_UNSPECIFIED', 'POLICY_DIRECTION_IMPORT', 'POLICY_DIRECTION_EXPORT'],
};

/** An enum value from one list of names to the other (same numbers); a number is looked up in `to`. */
export function renameEnum(value: Enum | null | undefined, from: readonly string[], to: readonly string[]): string | undefined {
  const index = typeof value === 'number' ? value : typeof value === 'string' ? from.indexOf(value) : -1;
  return to[index];
}

function renamePolicy(p: AnyPolicy, from: PolicyEnums, to: PolicyEnums): AnyPolicy {
  return {
    name: p.name ?? '',
    statements: (p.statements ?? []).map((st) => ({
      name: st.name ?? '',
      conditions: st.conditions && { route_type: renameEnum(st.conditions.route_type, from.routeTypes, to.routeTypes) ?? to.routeTypes[0] },
      actions: st.actions && { route_action: renameEnum(st.actions.route_action, from.actions, to.actions) ?? to.actions[0] },
    })),
  };
}

function renameAssignment(a: AnyPolicyAssignment, from: PolicyEnums, to: PolicyEnums): AnyPolicyAssignment {
  return {
    name: a.name ?? '',
    direction: renameEnum(a.direction, from.directions, to.directions) ?? to.directions[0],
    policies: (a.policies ?? []).map((p) => renamePolicy(p, from, to)),
    default_action: renameEnum(a.default_action, from.actions, to.actions) ?? to.actions[0],
  };
}

export function policyToV4(p: WirePolicy): AnyPolicy {
  return renamePolicy(p, V3_POLICY, V4_POLICY);
}

/** A v4 Policy in v3's shape; its enum values are v3's names by construction. */
export function policyFromV4(p: Opt<AnyPolicy>): Opt<WirePolicy> {
  return p ? (renamePolicy(p, V4_POLICY, V3_POLICY) as WirePolicy) : p;
}

export function assignmentToV4(a: WirePolicyAssignment): AnyPolicyAssignment {
  return renameAssignment(a, V3_POLICY, V4_POLICY);
}

export function assignmentFromV4(a: Opt<AnyPolicyAssignment>): Opt<WirePolicyAssignment> {
  return a ? (renameAssignment(a, V4_POLICY, V3_POLICY) as WirePolicyAssignment) : a;
}

export function listPolicyAssignmentToV4(r: WireListPolicyAssignmentRequest): object {
  return { name: r.name, direction: renameEnum(r.direction, V3_POLICY.directions, V4_POLICY.directions) };
}

/** v3 numbers the soft-reset directions from IN = 0, v4 from an UNSPECIFIED 0 that gobgpd refuses. */
export function resetPeerToV4(r: WireResetPeerRequest): object {
  return { ...r, direction: renameEnum(r.direction, ['IN', 'OUT', 'BOTH'], ['DIRECTION_IN', 'DIRECTION_OUT', 'DIRECTION_BOTH']) };
}
