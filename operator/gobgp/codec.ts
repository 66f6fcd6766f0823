// Pure translation between the project's GoBGP vocabulary (types.ts) and the
// v3 API's protobuf shapes (wire.ts). No I/O here, so every rule is unit-tested
// with plain objects. Encoders validate and throw InvalidSpecError before any
// request leaves the process; decoders accept anything gobgpd may send.
import { InvalidSpecError, type GobgpErrorKind } from './errors';
import { isIPv4, isIPv6 } from 'node:net';
import { communityParts, compareCommunities } from '../api/communities';
import type { Family } from '../api/families';
import { passwordFingerprint } from '../util/fingerprint';
import { bfdStateFromWire, checkBfd, decodeBfdConfig, encodeBfd } from './bfd';
import type {
  ApiVersion,
  GlobalSpec,
  ObservedPath,
  PathSpec,
  PeerEvent,
  PeerSpec,
  PeerState,
  GobgpPeer,
  SessionState,
} from './types';
import type {
  WireAddPathRequest,
  WireAddPathStreamRequest,
  WireAttribute,
  WireDeletePathRequest,
  WireDestination,
  WireFamily,
  WireGetBgpResponse,
  WireGlobal,
  WireLargeCommunity,
  WireListPathRequest,
  WirePath,
  WirePeer,
  WireTimestamp,
  WireWatchEventResponse,
} from './wire';
import { TYPE } from './wire';

/** A spec the client refuses to send; the message names the field, never a password. */
export { InvalidSpecError };

const UINT16_MAX = 0xffff;
const UINT32_MAX = 0xffffffff;

function fail(message: string): never {
  throw new InvalidSpecError(message);
}

function isUint(n: number, max: number): boolean {
  return Number.isInteger(n) && n >= 0 && n <= max;
}

/** 4 or 6 for an IP literal; zone ids ("fe80::1%eth0") are refused. */
function ipVersion(text: string): 4 | 6 | undefined {
  if (isIPv4(text)) return 4;
  if (!text.includes('%') && isIPv6(text)) return 6;
  return undefined;
}

/** gobgpd prints nil/unspecified addresses (Go's net.IP(nil).String() is "<nil>"). */
function isUnsetAddress(text: string | undefined): boolean {
  return text === undefined || text === '' || text === '<nil>' || text === '0.0.0.0' || text === '::';
}

function addressOrUndefined(text: string | undefined): string | undefined {
  return isUnsetAddress(text) ? undefined : text;
}

// ---- families ----------------------------------------------------------------

export function familyToWire(family: Family): WireFamily {
  switch (family) {
    case 'ipv4-unicast':
      return { afi: 'AFI_IP', safi: 'SAFI_UNICAST' };
    case 'ipv6-unicast':
      return { afi: 'AFI_IP6', safi: 'SAFI_UNICAST' };
    default:
      return fail(`unsupported family ${String(family)}`);
  }
}

/** undefined for families outside our vocabulary (gobgpd may hold others). */
export function familyFromWire(family: WireFamily | null | undefined): Family | undefined {
  if (!family || (family.safi !== 'SAFI_UNICAST' && family.safi !== 1)) return undefined;
  if (family.afi === 'AFI_IP' || family.afi === 1) return 'ipv4-unicast';
  if (family.afi === 'AFI_IP6' || family.afi === 2) return 'ipv6-unicast';
  return undefined;
}

// ---- communities -------------------------------------------------------------

/** "65000:100" → (65000 << 16) | 100, as CommunitiesAttribute carries it. */
export function parseCommunity(text: string): number {
  const [high, low] = communityParts(text, 'standard') ?? fail(`community "${text}" is not ASN:VALUE with both parts in 0..65535`);
  return high * 0x10000 + low;
}

export function formatCommunity(value: number): string {
  if (!isUint(value, UINT32_MAX)) fail(`community value ${value} is not a uint32`);
  return `${Math.floor(value / 0x10000)}:${value % 0x10000}`;
}

/** "65000:1:2" → LargeCommunity (RFC 8092: three uint32). */
export function parseLargeCommunity(text: string): WireLargeCommunity {
  const [global_admin, local_data1, local_data2] =
    communityParts(text, 'large') ?? fail(`large community "${text}" is not A:B:C with each part in 0..4294967295`);
  return { global_admin, local_data1, local_data2 };
}

export function formatLargeCommunity(c: WireLargeCommunity): string {
  return `${c.global_admin ?? 0}:${c.local_data1 ?? 0}:${c.local_data2 ?? 0}`;
}

// ---- uuid ----------------------------------------------------------------------

/** 16 bytes → "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx"; undefined when empty (ListPath never fills it). */
export function uuidFromBytes(bytes: Uint8Array | null | undefined): string | undefined {
  if (!bytes || bytes.length !== 16) return undefined;
  const hex = Buffer.from(bytes).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

export function uuidToBytes(uuid: string): Buffer {
  if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(uuid)) {
    fail(`path uuid "${uuid}" is not a UUID`);
  }
  return Buffer.from(uuid.replace(/-/g, ''), 'hex');
}

// ---- global --------------------------------------------------------------------

export function encodeGlobal(spec: GlobalSpec): WireGlobal {
  if (!isUint(spec.asn, UINT32_MAX) || spec.asn === 0) fail(`global asn ${spec.asn} must be in 1..4294967295`);
  if (!isIPv4(spec.routerId)) fail(`global routerId "${spec.routerId}" must be an IPv4 address`);
  if (spec.listenPort !== -1 && (!isUint(spec.listenPort, UINT16_MAX) || spec.listenPort === 0)) {
    fail(`global listenPort ${spec.listenPort} must be -1 (no listener) or 1..65535`);
  }
  for (const a of spec.listenAddresses) {
    if (ipVersion(a) === undefined) fail(`global listenAddresses: "${a}" is not an IP address`);
  }
  return {
    asn: spec.asn,
    router_id: spec.routerId,
    listen_port: spec.listenPort,
    listen_addresses: [...spec.listenAddresses],
  };
}

/** null while gobgpd has not been started: GetBgp then answers a zero Global (asn 0, router id ""). */
export function decodeGlobal(response: WireGetBgpResponse): GlobalSpec | null {
  const g = response.global;
  if (!g || !g.asn) return null;
  return {
    asn: g.asn,
    routerId: g.router_id ?? '',
    listenPort: g.listen_port ?? 0,
    listenAddresses: [...(g.listen_addresses ?? [])],
  };
}

/** True when the running config (from GetBgp) is what `wanted` asks for; no addresses means gobgpd's defaults. */
export function sameGlobal(wanted: GlobalSpec, running: GlobalSpec): boolean {
  const sorted = (l: string[]): string => [...l].sort().join(',');
  return (
    wanted.asn === running.asn &&
    wanted.routerId === running.routerId &&
    wanted.listenPort === running.listenPort &&
    (wanted.listenAddresses.length === 0 || sorted(wanted.listenAddresses) === sorted(running.listenAddresses))
  );
}

// ---- paths ---------------------------------------------------------------------

interface ParsedPrefix {
  address: string;
  length: number;
}

export function parsePrefix(text: string, family: Family): ParsedPrefix {
  const slash = text.indexOf('/');
  const address = slash < 0 ? text : text.slice(0, slash);
  const lengthText = slash < 0 ? '' : text.slice(slash + 1);
  const version = ipVersion(address);
  const want = family === 'ipv4-unicast' ? 4 : 6;
  if (version === undefined || !/^\d{1,3}$/.test(lengthText)) fail(`prefix "${text}" is not ADDRESS/LENGTH`);
  if (version !== want) fail(`prefix "${text}" is not an IPv${want} prefix (family ${family})`);
  const length = Number(lengthText);
  if (length > (want === 4 ? 32 : 128)) fail(`prefix "${text}" has a length beyond /${want === 4 ? 32 : 128}`);
  return { address, length };
}

function checkPathSpec(spec: PathSpec): ParsedPrefix {
  familyToWire(spec.family);
  const prefix = parsePrefix(spec.prefix, spec.family);
  const want = spec.family === 'ipv4-unicast' ? 4 : 6;
  if (ipVersion(spec.nextHop) !== want) {
    fail(`path ${spec.prefix}: nextHop "${spec.nextHop}" must be an IPv${want} address`);
  }
  if (spec.localPref !== undefined && !isUint(spec.localPref, UINT32_MAX)) {
    fail(`path ${spec.prefix}: localPref ${spec.localPref} must be in 0..4294967295`);
  }
  return prefix;
}

/**
 * The Path message for a locally originated route: origin IGP, the next hop
 * (IPv4: NEXT_HOP; IPv6: MP_REACH_NLRI carrying the NLRI and the IPv6 next
 * hop, as gobgpd expects), then communities, large communities, local-pref.
 * AS_PATH is left to gobgpd (empty for iBGP, our ASN prepended for eBGP).
 */
export function encodePath(spec: PathSpec): WirePath {
  const prefix = checkPathSpec(spec);
  const family = familyToWire(spec.family);
  const nlri = { '@type': TYPE.ipAddressPrefix, prefix: prefix.address, prefix_len: prefix.length } as const;
  const pattrs: WireAttribute[] = [{ '@type': TYPE.origin, origin: 0 }];
  if (spec.family === 'ipv4-unicast') {
    pattrs.push({ '@type': TYPE.nextHop, next_hop: spec.nextHop });
  } else {
    pattrs.push({ '@type': TYPE.mpReach, family, next_hops: [spec.nextHop], nlris: [nlri] });
  }
  if (spec.communities.length > 0) {
    pattrs.push({ '@type': TYPE.communities, communities: spec.communities.map(parseCommunity) });
  }
  if (spec.largeCommunities.length > 0) {
    pattrs.push({ '@type': TYPE.largeCommunities, communities: spec.largeCommunities.map(parseLargeCommunity) });
  }
  if (spec.localPref !== undefined) pattrs.push({ '@type': TYPE.localPref, local_pref: spec.localPref });
  return { family, nlri, pattrs };
}

export function encodeAddPath(spec: PathSpec): WireAddPathRequest {
  return { table_type: 'GLOBAL', path: encodePath(spec) };
}

/** One AddPathStream message: every spec checked and encoded like AddPath's. */
export function encodeAddPathStream(specs: readonly PathSpec[]): WireAddPathStreamRequest {
  return { table_type: 'GLOBAL', paths: specs.map(encodePath) };
}

/**
 * By uuid (exactly the path AddPath created) or by spec (withdraws our local
 * path for that prefix, whatever its attributes). Never a request with
 * neither: gobgpd would read it as "delete every local path".
 */
export function encodeDeletePath(target: PathSpec | string): WireDeletePathRequest {
  if (typeof target === 'string') return { table_type: 'GLOBAL', uuid: uuidToBytes(target) };
  const prefix = checkPathSpec(target);
  const family = familyToWire(target.family);
  const nlri = { '@type': TYPE.ipAddressPrefix, prefix: prefix.address, prefix_len: prefix.length } as const;
  // gobgpd still wants a next hop unless is_withdraw is set; give both.
  const hop: WireAttribute =
    target.family === 'ipv4-unicast'
      ? { '@type': TYPE.nextHop, next_hop: target.nextHop }
      : { '@type': TYPE.mpReach, family, next_hops: [target.nextHop], nlris: [nlri] };
  return {
    table_type: 'GLOBAL',
    family,
    path: { family, nlri, is_withdraw: true, pattrs: [{ '@type': TYPE.origin, origin: 0 }, hop] },
  };
}

export type TableName = 'global' | 'adj-out';

export function encodeListPath(family: Family, table: TableName, peerAddress?: string, prefixes?: readonly string[]): WireListPathRequest {
  if (table === 'adj-out' && (peerAddress === undefined || ipVersion(peerAddress) === undefined)) {
    fail(`adj-out listing needs a peer address, got ${peerAddress === undefined ? 'none' : `"${peerAddress}"`}`);
  }
  if (table !== 'global' && table !== 'adj-out') fail(`unknown table ${String(table)}`);
  return {
    table_type: table === 'global' ? 'GLOBAL' : 'ADJ_OUT',
    name: table === 'adj-out' ? (peerAddress ?? '') : '',
    family: familyToWire(family),
    ...(prefixes && prefixes.length > 0 ? { prefixes: prefixes.map((prefix) => ({ prefix, type: 'EXACT' as const })) } : {}),
    sort_type: 'PREFIX',
  };
}

/**
 * Local = originated on this gobgpd through the API: gobgpd gives such paths
 * an empty source, which it prints as neighbor_ip "<nil>" (source_asn 0);
 * is_from_external marks paths injected from outside BGP (zebra, MRT) that
 * share that empty source. Learned paths carry the peer's address.
 */
export function isLocalPath(path: WirePath): boolean {
  return isUnsetAddress(path.neighbor_ip) && !path.is_from_external;
}

/** undefined for a path outside our vocabulary (another family or NLRI type). */
export function decodePath(path: WirePath): ObservedPath | undefined {
  const nlri = path.nlri;
  const family = familyFromWire(path.family);
  if (!nlri || nlri['@type'] !== TYPE.ipAddressPrefix || family === undefined) return undefined;
  const attrs = decodeAttributes(path.pattrs ?? []);
  const observed: ObservedPath = {
    prefix: `${nlri.prefix ?? ''}/${nlri.prefix_len ?? 0}`,
    family,
    nextHop: attrs.nextHop,
    communities: attrs.communities.sort(compareCommunities),
    largeCommunities: attrs.largeCommunities.sort(compareCommunities),
    local: isLocalPath(path),
  };
  if (attrs.localPref !== undefined) observed.localPref = attrs.localPref;
  if (attrs.asPath !== undefined) observed.asPath = attrs.asPath;
  return withPathIdentity(observed, path);
}

/** best, uuid and the neighbor a path was learned from, when gobgpd reports them. */
function withPathIdentity(observed: ObservedPath, path: WirePath): ObservedPath {
  if (path.best !== undefined) observed.best = path.best;
  const uuid = uuidFromBytes(path.uuid);
  if (uuid !== undefined) observed.uuid = uuid;
  const neighbor = addressOrUndefined(path.neighbor_ip);
  if (neighbor !== undefined) observed.neighbor = neighbor;
  return observed;
}

interface DecodedAttributes {
  nextHop: string;
  communities: string[];
  largeCommunities: string[];
  localPref?: number;
  asPath?: number[];
}

function decodeAttributes(pattrs: readonly WireAttribute[]): DecodedAttributes {
  const out: DecodedAttributes = { nextHop: '', communities: [], largeCommunities: [] };
  for (const attr of pattrs) {
    switch (attr['@type']) {
      case TYPE.nextHop:
        out.nextHop = attr.next_hop ?? '';
        break;
      case TYPE.mpReach:
        // The first next hop is the global one; a link-local may follow.
        out.nextHop = attr.next_hops?.[0] ?? '';
        break;
      case TYPE.communities:
        out.communities.push(...(attr.communities ?? []).map(formatCommunity));
        break;
      case TYPE.largeCommunities:
        out.largeCommunities.push(...(attr.communities ?? []).map(formatLargeCommunity));
        break;
      case TYPE.localPref:
        out.localPref = attr.local_pref ?? 0;
        break;
      case TYPE.asPath:
        out.asPath = (attr.segments ?? []).flatMap((s) => s.numbers ?? []);
        break;
      default:
        break;
    }
  }
  return out;
}

export function decodeDestination(destination: WireDestination | null | undefined): ObservedPath[] {
  const out: ObservedPath[] = [];
  for (const p of destination?.paths ?? []) {
    const decoded = decodePath(p);
    if (decoded) out.push(decoded);
  }
  return out;
}

// ---- peers ---------------------------------------------------------------------

function checkPeerSpec(spec: PeerSpec): void {
  const who = `peer ${spec.address}`;
  if (ipVersion(spec.address) === undefined) fail(`peer address "${spec.address}" is not an IP address`);
  if (!isUint(spec.asn, UINT32_MAX) || spec.asn === 0) fail(`${who}: asn ${spec.asn} must be in 1..4294967295`);
  if (spec.port !== undefined && (!isUint(spec.port, UINT16_MAX) || spec.port === 0)) {
    fail(`${who}: port ${spec.port} must be in 1..65535`);
  }
  if (spec.multihopTtl !== undefined && !isUint(spec.multihopTtl, 255)) {
    fail(`${who}: multihopTtl ${spec.multihopTtl} must be in 0..255`);
  }
  // RFC 4271: hold time is 0 or at least 3 seconds.
  if (spec.holdTime !== undefined && (!isUint(spec.holdTime, UINT16_MAX) || (spec.holdTime > 0 && spec.holdTime < 3))) {
    fail(`${who}: holdTime ${spec.holdTime} must be 0 or 3..65535`);
  }
  if (spec.keepaliveInterval !== undefined && !isUint(spec.keepaliveInterval, UINT16_MAX)) {
    fail(`${who}: keepaliveInterval ${spec.keepaliveInterval} must be in 0..65535`);
  }
  if (spec.connectRetry !== undefined && !isUint(spec.connectRetry, UINT16_MAX)) {
    fail(`${who}: connectRetry ${spec.connectRetry} must be in 0..65535`);
  }
  const restart = spec.gracefulRestart?.restartTime;
  if (restart !== undefined && !isUint(restart, 4095)) {
    fail(`${who}: gracefulRestart.restartTime ${restart} must be in 0..4095`);
  }
  if (spec.families.length === 0) fail(`${who}: at least one family is needed`);
  spec.families.forEach(familyToWire);
  if (spec.localAddress !== undefined && ipVersion(spec.localAddress) === undefined) {
    fail(`${who}: localAddress "${spec.localAddress}" is not an IP address`);
  }
  if (spec.password !== undefined && typeof spec.password !== 'string') fail(`${who}: password must be a string`);
  // gobgpd only logs "failed to set md5: invalid argument" and runs the session without MD5.
  if (typeof spec.password === 'string' && Buffer.byteLength(spec.password, 'utf8') > TCP_MD5_MAX_KEY_BYTES) {
    fail(`${who}: password must be at most ${TCP_MD5_MAX_KEY_BYTES} bytes (the kernel's TCP MD5 key limit)`);
  }
}

/** TCP_MD5SIG_MAXKEYLEN of Linux. */
export const TCP_MD5_MAX_KEY_BYTES = 80;

/**
 * How long a restarting gobgpd waits for a router's End-of-RIB before it sends its paths.
 * We originate and accept nothing from the router, so there is nothing to wait for but the
 * router's own readiness; short, because a router without graceful restart never sends one.
 */
export const GR_DEFERRAL_SECONDS = 5;

/**
 * Zero timers are left to gobgpd's defaults. `api` is the API the request is
 * for: BFD exists only in v4, so a v3 request asking for it is refused.
 */
export function encodePeer(spec: PeerSpec, api: ApiVersion = 'v3'): WirePeer {
  checkPeerSpec(spec);
  checkBfd(spec.bfd, `peer ${spec.address}`, api);
  const gr = spec.gracefulRestart?.enabled === true;
  const peer: WirePeer = {
    conf: { neighbor_address: spec.address, peer_asn: spec.asn, ...(spec.localAsn !== undefined ? { local_asn: spec.localAsn } : {}), auth_password: spec.password ?? '' },
    timers: {
      config: {
        connect_retry: spec.connectRetry ?? 0,
        hold_time: spec.holdTime ?? 0,
        keepalive_interval: spec.keepaliveInterval ?? 0,
      },
    },
    transport: {
      remote_port: spec.port ?? 0,
      passive_mode: spec.passive === true,
      local_address: spec.localAddress ?? '',
    },
    // Graceful restart needs the per-family flag as well as the peer-level one.
    afi_safis: [...new Set(spec.families)].map((f) => ({
      config: { family: familyToWire(f), enabled: true },
      mp_graceful_restart: { config: { enabled: gr } },
    })),
  };
  if (spec.multihopTtl) peer.ebgp_multihop = { enabled: true, multihop_ttl: spec.multihopTtl };
  if (spec.gracefulRestart) {
    // On a real restart (gobgpd restarted, peer re-created, the Pod replaced, the node's boot
    // unchanged) the OPEN says "restarting, forwarding preserved" (R and F bits; gobgpd ties
    // both to local_restarting) and gobgpd sends its paths and End-of-RIB only after the
    // router's End-of-RIB; without the F bit a router would drop the stale routes it held the
    // moment the session is back (RFC 4724 section 4.2). On a cold boot neither is set: the
    // node forwards nothing it held before, so the router must drop what it kept at once.
    // notification_enabled: the N bit of RFC 8538, so a Cease (gobgpd stopping) keeps them too.
    // A router that does not do graceful restart sends no End-of-RIB: gobgpd would then hold
    // our paths back for its selection-deferral default (360 s) instead of the short one here.
    peer.graceful_restart = {
      enabled: gr,
      restart_time: spec.gracefulRestart.restartTime ?? 0,
      local_restarting: gr && spec.gracefulRestart.restarting === true,
      notification_enabled: gr,
      deferral_time: gr ? GR_DEFERRAL_SECONDS : 0,
    };
  }
  if (api === 'v4' && spec.bfd) peer.bfd = encodeBfd(spec.bfd);
  return peer;
}

const SESSION_STATES: Record<string, SessionState> = {
  UNKNOWN: 'Unknown',
  IDLE: 'Idle',
  CONNECT: 'Connect',
  ACTIVE: 'Active',
  OPENSENT: 'OpenSent',
  OPENCONFIRM: 'OpenConfirm',
  ESTABLISHED: 'Established',
};
const SESSION_STATE_NUMBERS: SessionState[] = Object.values(SESSION_STATES);

export function sessionStateFromWire(state: string | number | undefined): SessionState {
  if (typeof state === 'number') return SESSION_STATE_NUMBERS[state] ?? 'Unknown';
  return SESSION_STATES[state ?? 'UNKNOWN'] ?? 'Unknown';
}

function timestampToDate(ts: WireTimestamp | null | undefined): Date | undefined {
  if (!ts || !ts.seconds) return undefined;
  return new Date(ts.seconds * 1000 + Math.floor((ts.nanos ?? 0) / 1e6));
}

/** The session part of a Peer (ListPeer or a watch event). */
export function decodePeerState(peer: WirePeer): PeerState | undefined {
  const address = addressOrUndefined(peer.conf?.neighbor_address) ?? addressOrUndefined(peer.state?.neighbor_address);
  if (address === undefined) return undefined;
  const state = sessionStateFromWire(peer.state?.session_state);
  const out: PeerState = { address, asn: peer.conf?.peer_asn || peer.state?.peer_asn || 0, state };
  // Before Established, gobgpd reports the configured (often unset) address here.
  const local = addressOrUndefined(peer.transport?.local_address);
  if (local !== undefined && state === 'Established') out.localAddress = local;
  const routerId = addressOrUndefined(peer.state?.router_id);
  if (routerId !== undefined) out.routerId = routerId;
  const admin = peer.state?.admin_state;
  if (admin !== undefined) out.adminDown = admin === 'DOWN' || admin === 1 || peer.conf?.admin_down === true;
  if (peer.bfd?.enabled) out.bfd = bfdStateFromWire(peer.state?.bfd_state?.session_state);
  return out;
}

/** ListPeer entry → status. conf.auth_password comes back in clear: only its presence and fingerprint are kept. */
export function decodePeer(peer: WirePeer): GobgpPeer | undefined {
  const state = decodePeerState(peer);
  if (!state) return undefined;
  const families: Family[] = [];
  const prefixes: GobgpPeer['prefixes'] = [];
  for (const a of peer.afi_safis ?? []) {
    const family = familyFromWire(a.config?.family ?? a.state?.family);
    if (family === undefined) continue;
    if (a.config?.enabled !== false) families.push(family);
    prefixes.push({
      family,
      received: a.state?.received ?? 0,
      accepted: a.state?.accepted ?? 0,
      advertised: a.state?.advertised ?? 0,
    });
  }
  const timers = peer.timers?.config;
  const config: GobgpPeer['config'] = {
    address: state.address,
    asn: state.asn,
    families,
    hasPassword: (peer.conf?.auth_password ?? '') !== '',
  };
  const fingerprint = passwordFingerprint(peer.conf?.auth_password);
  if (fingerprint !== undefined) config.passwordFingerprint = fingerprint;
  // gobgpd reports the global AS for a peer given none.
  if (peer.conf?.local_asn) config.localAsn = peer.conf.local_asn;
  if (peer.transport?.remote_port) config.port = peer.transport.remote_port;
  if (peer.ebgp_multihop?.enabled) config.multihopTtl = peer.ebgp_multihop.multihop_ttl ?? 0;
  if (timers?.hold_time !== undefined) config.holdTime = timers.hold_time;
  if (timers?.keepalive_interval !== undefined) config.keepaliveInterval = timers.keepalive_interval;
  if (timers?.connect_retry !== undefined) config.connectRetry = timers.connect_retry;
  if (peer.graceful_restart) {
    config.gracefulRestart = {
      enabled: peer.graceful_restart.enabled === true,
      restartTime: peer.graceful_restart.restart_time ?? 0,
    };
  }
  if (peer.transport) config.passive = peer.transport.passive_mode === true;
  const bfd = decodeBfdConfig(peer.bfd);
  if (bfd !== undefined) config.bfd = bfd;
  // Once established gobgpd reports the session's address instead of the configured one.
  const local = addressOrUndefined(peer.transport?.local_address);
  if (local !== undefined && state.state !== 'Established') config.localAddress = local;
  const status: GobgpPeer = { ...state, config, prefixes };
  const since = timestampToDate(peer.timers?.state?.uptime);
  if (since !== undefined && state.state === 'Established') status.establishedSince = since;
  return status;
}

export function decodePeerEvent(response: WireWatchEventResponse): PeerEvent | undefined {
  const ev = response.peer;
  if (!ev) return undefined;
  if (ev.type === 'END_OF_INIT' || ev.type === 2) return { type: 'end-of-init' };
  let type: 'init' | 'state';
  if (ev.type === 'INIT' || ev.type === 1) type = 'init';
  else if (ev.type === 'STATE' || ev.type === 3) type = 'state';
  else return undefined;
  const peer = ev.peer ? decodePeerState(ev.peer) : undefined;
  return peer ? { type, peer } : undefined;
}

// ---- errors --------------------------------------------------------------------

export type { GobgpErrorKind };

export function errorKind(code: number | undefined, details: string): GobgpErrorKind {
  if (code === 14) return 'unavailable';
  if (code === 4) return 'timeout';
  if (code === 1) return 'cancelled';
  if (code === 0) return 'ended';
  if (details.includes("hasn't started yet")) return 'not-started';
  if (details.includes("can't overwrite the existing peer")) return 'exists';
  if (
    details.includes("doesn't exist") ||
    details.includes("can't delete a peer configuration") ||
    details.includes("can't find a specified path")
  ) {
    return 'not-found';
  }
  if (code === 5) return 'not-found';
  if (code === 6) return 'exists';
  return 'rejected';
}
