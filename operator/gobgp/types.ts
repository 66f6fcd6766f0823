// The GoBGP-facing vocabulary the rest of the code speaks. The clients in this
// folder turn these into the v3 or v4 API's protobuf messages and back.

import type { Family } from '../api/families';

/** A locally originated path, as the speaker wants it in gobgpd's global RIB. */
export interface PathSpec {
  /** "203.0.113.10/32" or "2001:db8::10/128". */
  prefix: string;
  family: Family;
  nextHop: string;
  /** Standard communities, "65000:100". Sorted numerically, part by part ("65000:20" before "65000:100"). */
  communities: string[];
  /** Large communities, "65000:1:2". Sorted numerically, part by part. */
  largeCommunities: string[];
  localPref?: number;
}

/** A path as read back from gobgpd (global RIB or adj-RIB-out). */
export interface ObservedPath extends PathSpec {
  /** True when the path was originated through the API on this gobgpd (not learned from a peer). */
  local: boolean;
  /** Opaque identity GoBGP needs to delete exactly this path (its UUID when known). */
  uuid?: string;
  /** Best path for its prefix (global RIB). */
  best?: boolean;
  /** Flattened AS_PATH as GoBGP holds it (adj-RIB-out shows our ASN prepended for eBGP). */
  asPath?: number[];
  /** Address of the peer the path was learned from; absent for local paths. */
  neighbor?: string;
}

export type SessionState =
  | 'Unknown'
  | 'Idle'
  | 'Connect'
  | 'Active'
  | 'OpenSent'
  | 'OpenConfirm'
  | 'Established';

/** Which GoBGP gRPC API a daemon serves: v3 (package apipb) or v4 (package api). */
export type ApiVersion = 'v3' | 'v4';

/** BFD on a BGP session (GoBGP's v4 API, gobgpd 4.5 or later); absent fields are gobgpd's defaults. */
export interface BfdSpec {
  enabled: boolean;
  /** Desired minimum interval between our control packets (gobgpd's default 1000 ms). */
  minTxIntervalMs?: number;
  /** Required minimum interval between the peer's control packets (default 1000 ms). */
  minRxIntervalMs?: number;
  /** Intervals without a packet before the session is declared down (default 3). */
  detectMultiplier?: number;
  /** Multihop BFD (RFC 5883): control packets go to port 4784 instead of 3784. */
  multihop?: boolean;
}

/** RFC 5880 session states; Unknown when gobgpd has no BFD session for the peer yet. */
export type BfdState = 'Up' | 'Down' | 'Init' | 'AdminDown' | 'Unknown';

export interface PeerSpec {
  address: string;
  asn: number;
  /** Our AS number on this session (GoBGP's neighbor local-as); absent: the global one. */
  localAsn?: number;
  port?: number;
  /** eBGP multihop TTL; 0 or absent means directly connected. */
  multihopTtl?: number;
  /** TCP MD5 password; never logged. */
  password?: string;
  holdTime?: number;
  keepaliveInterval?: number;
  connectRetry?: number;
  /**
   * restarting: this node comes back from a restart that kept it forwarding (the R and F bits
   * of RFC 4724); false on a cold boot. Decided by speaker/gracefulRestart.ts.
   */
  gracefulRestart?: { enabled: boolean; restartTime?: number; restarting?: boolean };
  families: Family[];
  passive?: boolean;
  /** Local address to bind the session to. */
  localAddress?: string;
  /** BFD for this session; only the v4 API carries it. */
  bfd?: BfdSpec;
}

export interface PeerState {
  address: string;
  asn: number;
  state: SessionState;
  /** Local address of the established session, when GoBGP reports it. */
  localAddress?: string;
  /** BGP identifier the peer sent in its OPEN, once known. */
  routerId?: string;
  /** True when the peer is administratively shut down in gobgpd. */
  adminDown?: boolean;
  /** The BFD session's state, for peers with BFD enabled. */
  bfd?: BfdState;
}

/** A peer as listed by gobgpd: session state plus the configuration gobgpd holds. */
export interface GobgpPeer extends PeerState {
  /**
   * The configuration as gobgpd reports it back. gobgpd fills its defaults in
   * (hold 90, keepalive 30, connect-retry 120), so compare with that in mind.
   * The password is never kept: only whether one is set and, when gobgpd reports it (GoBGP
   * 3.x and 4.x do, in clear), its fingerprint (util/fingerprint.ts) to compare with.
   */
  config: Omit<PeerSpec, 'password'> & { hasPassword: boolean; passwordFingerprint?: string };
  /** Per-family counters; advertised is filled by gobgpd only for established sessions. */
  prefixes: { family: Family; received: number; accepted: number; advertised: number }[];
  /** When the session last became Established (absent when it never was). */
  establishedSince?: Date;
}

/**
 * One WatchEvent peer notification. A new watch first replays every configured
 * peer as 'init', then 'end-of-init'; afterwards each FSM transition is a 'state'.
 */
export type PeerEvent =
  | { type: 'init'; peer: PeerState }
  | { type: 'end-of-init' }
  | { type: 'state'; peer: PeerState };

export interface GlobalSpec {
  asn: number;
  routerId: string;
  /** BGP listen port; -1 makes gobgpd not listen at all (outbound sessions only). */
  listenPort: number;
  listenAddresses: string[];
}

/** What a policy decides for a route (none: no decision, the next policy or the default decides). */
export type RouteAction = 'none' | 'accept' | 'reject';

/** Where a path came from, as GoBGP's route-type condition tells: originated by this daemon, iBGP or eBGP. */
export type RouteOrigin = 'local' | 'internal' | 'external';

/** One policy statement as far as the speaker manages it: an optional route-type condition and a decision. */
export interface StatementSpec {
  name: string;
  /** Absent: every route matches. */
  routeType?: RouteOrigin;
  action: RouteAction;
}

export interface PolicySpec {
  name: string;
  statements: StatementSpec[];
}

/** The policies applied, in order, to every route entering the global RIB, and the decision when none decides. */
export interface ImportPolicySpec {
  policies: PolicySpec[];
  defaultAction: RouteAction;
}
