// The protobuf messages of proto/gobgp.proto as @grpc/proto-loader hands them
// over with LOADER_OPTIONS: snake_case keys, enums as names (a number when the
// value is not in our subset), uint64 as number, bytes as Buffer/Uint8Array,
// absent sub-messages as null. google.protobuf.Any is expanded: a known message
// is a plain object with an "@type" key (the same shape packs it on send); an
// Any of a type outside our subset stays { type_url, value }.
// Received data is untrusted: every field is optional and decoders default it.

/** proto-loader options the wire types below assume. */
export const LOADER_OPTIONS = {
  keepCase: true,
  longs: Number,
  enums: String,
  defaults: true,
  oneofs: true,
  // Makes protobufjs expand/pack google.protobuf.Any through "@type".
  json: true,
} as const;

export const TYPE_PREFIX = 'type.googleapis.com/apipb.';

export const TYPE = {
  ipAddressPrefix: `${TYPE_PREFIX}IPAddressPrefix`,
  origin: `${TYPE_PREFIX}OriginAttribute`,
  asPath: `${TYPE_PREFIX}AsPathAttribute`,
  nextHop: `${TYPE_PREFIX}NextHopAttribute`,
  localPref: `${TYPE_PREFIX}LocalPrefAttribute`,
  communities: `${TYPE_PREFIX}CommunitiesAttribute`,
  largeCommunities: `${TYPE_PREFIX}LargeCommunitiesAttribute`,
  mpReach: `${TYPE_PREFIX}MpReachNLRIAttribute`,
} as const;

type Enum<T extends string> = T | number;
type Opt<T> = T | null | undefined;

export interface WireFamily {
  afi?: Enum<'AFI_UNKNOWN' | 'AFI_IP' | 'AFI_IP6'>;
  safi?: Enum<'SAFI_UNKNOWN' | 'SAFI_UNICAST'>;
}

export type WireTableType = 'GLOBAL' | 'LOCAL' | 'ADJ_IN' | 'ADJ_OUT' | 'VRF';

export interface WireTimestamp {
  seconds?: number;
  nanos?: number;
}

// ---- Any payloads ----------------------------------------------------------

export interface WireIPAddressPrefix {
  '@type': typeof TYPE.ipAddressPrefix;
  prefix_len?: number;
  prefix?: string;
}
export interface WireOrigin {
  '@type': typeof TYPE.origin;
  origin?: number;
}
export interface WireAsSegment {
  type?: Enum<'UNKNOWN' | 'AS_SET' | 'AS_SEQUENCE' | 'AS_CONFED_SEQUENCE' | 'AS_CONFED_SET'>;
  numbers?: number[];
}
export interface WireAsPath {
  '@type': typeof TYPE.asPath;
  segments?: WireAsSegment[];
}
export interface WireNextHop {
  '@type': typeof TYPE.nextHop;
  next_hop?: string;
}
export interface WireLocalPref {
  '@type': typeof TYPE.localPref;
  local_pref?: number;
}
export interface WireCommunities {
  '@type': typeof TYPE.communities;
  communities?: number[];
}
export interface WireLargeCommunity {
  global_admin?: number;
  local_data1?: number;
  local_data2?: number;
}
export interface WireLargeCommunities {
  '@type': typeof TYPE.largeCommunities;
  communities?: WireLargeCommunity[];
}
export interface WireMpReach {
  '@type': typeof TYPE.mpReach;
  family?: Opt<WireFamily>;
  next_hops?: string[];
  nlris?: WireNlri[];
}
/** An Any whose type is not in our subset (another NLRI or attribute). */
export interface WireUnknownAny {
  '@type'?: undefined;
  type_url?: string;
  value?: Uint8Array;
}

export type WireNlri = WireIPAddressPrefix | WireUnknownAny;
export type WireAttribute =
  | WireOrigin
  | WireAsPath
  | WireNextHop
  | WireLocalPref
  | WireCommunities
  | WireLargeCommunities
  | WireMpReach
  | WireUnknownAny;

// ---- paths -----------------------------------------------------------------

export interface WirePath {
  nlri?: Opt<WireNlri>;
  pattrs?: WireAttribute[];
  age?: Opt<WireTimestamp>;
  best?: boolean;
  is_withdraw?: boolean;
  family?: Opt<WireFamily>;
  source_asn?: number;
  source_id?: string;
  filtered?: boolean;
  stale?: boolean;
  is_from_external?: boolean;
  neighbor_ip?: string;
  uuid?: Uint8Array;
  is_nexthop_invalid?: boolean;
  identifier?: number;
  local_identifier?: number;
}

export interface WireDestination {
  prefix?: string;
  paths?: WirePath[];
}

export interface WireAddPathRequest {
  table_type: WireTableType;
  path: WirePath;
}
export interface WireAddPathStreamRequest {
  table_type: WireTableType;
  paths: WirePath[];
}
export interface WireAddPathResponse {
  uuid?: Uint8Array;
}
/** Exactly one of path / uuid: with neither, gobgpd deletes every local path. */
export type WireDeletePathRequest =
  | { table_type: WireTableType; family: WireFamily; path: WirePath }
  | { table_type: WireTableType; uuid: Uint8Array };

export interface WireListPathRequest {
  table_type: WireTableType;
  name: string;
  family: WireFamily;
  /** Only these prefixes (exact match); absent or empty: every prefix. */
  prefixes?: { prefix: string; type: 'EXACT' }[];
  sort_type: 'NONE' | 'PREFIX';
}
export interface WireListPathResponse {
  destination?: Opt<WireDestination>;
}

// ---- global ------------------------------------------------------------------

export interface WireGlobal {
  asn?: number;
  router_id?: string;
  listen_port?: number;
  listen_addresses?: string[];
}
export interface WireGetBgpResponse {
  global?: Opt<WireGlobal>;
}

// ---- peers -------------------------------------------------------------------

export interface WirePeerConf {
  auth_password?: string;
  description?: string;
  local_asn?: number;
  neighbor_address?: string;
  peer_asn?: number;
  admin_down?: boolean;
}
export type WireSessionState =
  | 'UNKNOWN'
  | 'IDLE'
  | 'CONNECT'
  | 'ACTIVE'
  | 'OPENSENT'
  | 'OPENCONFIRM'
  | 'ESTABLISHED';
export interface WirePeerState {
  local_asn?: number;
  neighbor_address?: string;
  peer_asn?: number;
  session_state?: Enum<WireSessionState>;
  admin_state?: Enum<'UP' | 'DOWN' | 'PFX_CT'>;
  flops?: number;
  router_id?: string;
  /** v4 only; session states with the v4 prefix stripped (see v4/translate.ts). */
  bfd_state?: Opt<{ session_state?: Enum<WireBfdSessionState>; remote_session_state?: Enum<WireBfdSessionState> }>;
}
export type WireBfdSessionState = 'UNSPECIFIED' | 'UP' | 'DOWN' | 'ADMIN_DOWN' | 'INIT';
/** v4 only: BfdPeerConfig; intervals in microseconds, port the destination port (0: 3784). */
export interface WireBfdConfig {
  enabled?: boolean;
  port?: number;
  desired_minimum_tx_interval?: number;
  required_minimum_receive?: number;
  detection_multiplier?: number;
}
export interface WireTimers {
  config?: Opt<{ connect_retry?: number; hold_time?: number; keepalive_interval?: number }>;
  state?: Opt<{ negotiated_hold_time?: number; uptime?: Opt<WireTimestamp>; downtime?: Opt<WireTimestamp> }>;
}
export interface WireTransport {
  local_address?: string;
  local_port?: number;
  passive_mode?: boolean;
  remote_address?: string;
  remote_port?: number;
}
export interface WireAfiSafi {
  mp_graceful_restart?: Opt<{ config?: Opt<{ enabled?: boolean }> }>;
  config?: Opt<{ family?: Opt<WireFamily>; enabled?: boolean }>;
  state?: Opt<{
    family?: Opt<WireFamily>;
    enabled?: boolean;
    received?: number;
    accepted?: number;
    advertised?: number;
  }>;
}
export interface WirePeer {
  conf?: Opt<WirePeerConf>;
  ebgp_multihop?: Opt<{ enabled?: boolean; multihop_ttl?: number }>;
  state?: Opt<WirePeerState>;
  timers?: Opt<WireTimers>;
  transport?: Opt<WireTransport>;
  graceful_restart?: Opt<{ enabled?: boolean; restart_time?: number; deferral_time?: number; notification_enabled?: boolean; local_restarting?: boolean }>;
  afi_safis?: WireAfiSafi[];
  bfd?: Opt<WireBfdConfig>;
}
export interface WireListPeerResponse {
  peer?: Opt<WirePeer>;
}

// ---- events ------------------------------------------------------------------

export interface WireWatchEventRequest {
  peer: Record<string, never>;
}
export interface WireWatchEventResponse {
  peer?: Opt<{ type?: Enum<'UNKNOWN' | 'INIT' | 'END_OF_INIT' | 'STATE'>; peer?: Opt<WirePeer> }>;
  event?: string;
}

// ---- routing policy ----------------------------------------------------------

export type WireRouteAction = Enum<'NONE' | 'ACCEPT' | 'REJECT'>;
export type WireRouteType = Enum<'ROUTE_TYPE_NONE' | 'ROUTE_TYPE_INTERNAL' | 'ROUTE_TYPE_EXTERNAL' | 'ROUTE_TYPE_LOCAL'>;
export type WirePolicyDirection = Enum<'UNKNOWN' | 'IMPORT' | 'EXPORT'>;

export interface WireStatement {
  name?: string;
  conditions?: Opt<{ route_type?: WireRouteType }>;
  actions?: Opt<{ route_action?: WireRouteAction }>;
}
export interface WirePolicy {
  name?: string;
  statements?: WireStatement[];
}
export interface WirePolicyAssignment {
  name?: string;
  direction?: WirePolicyDirection;
  policies?: WirePolicy[];
  default_action?: WireRouteAction;
}
export interface WireListPolicyResponse {
  policy?: Opt<WirePolicy>;
}
export interface WireListPolicyAssignmentRequest {
  name: string;
  direction: WirePolicyDirection;
}
export interface WireResetPeerRequest {
  address: string;
  communication: string;
  soft: boolean;
  direction: Enum<'IN' | 'OUT' | 'BOTH'>;
}
export interface WireListPolicyAssignmentResponse {
  assignment?: Opt<WirePolicyAssignment>;
}
