// The typed configuration the rest of the program reads, with every default
// filled in. Durations are milliseconds and say so in their names, because BGP
// timers are whole seconds on the wire and a unit mix-up there is silent.
import { inspect } from 'node:util';
import type { Family } from '../api/families';
import type { LabelSelector } from '../api/pool';

export type Role = 'controller' | 'speaker' | 'all';

const REDACTED = '<redacted>';

/**
 * A secret string that cannot leak by accident: String(), JSON.stringify and
 * util.inspect (hence console.log and tslog) all print "<redacted>"; only
 * reveal() returns the value, at the one place that hands it to gobgpd.
 */
export class Secret {
  readonly #value: string;
  constructor(value: string) {
    this.#value = value;
  }
  reveal(): string {
    return this.#value;
  }
  toString(): string {
    return REDACTED;
  }
  toJSON(): string {
    return REDACTED;
  }
  [inspect.custom](): string {
    return REDACTED;
  }
}

export interface LeaderElectionConfig {
  enabled: boolean;
  leaseName: string;
  leaseNamespace: string;
  leaseDurationMs: number;
  renewDeadlineMs: number;
  retryPeriodMs: number;
}

/**
 * Enforced (default): no VipPool, no allocation and no announcement. Unenforced: while no pool
 * exists, addresses are announced unchecked, as before pools (a migration's opt-out).
 */
export type AddressOwnership = 'Enforced' | 'Unenforced';

export interface ControllerConfig {
  addressOwnership: AddressOwnership;
  /** "" stands for Services without spec.loadBalancerClass. */
  loadBalancerClasses: string[];
  resyncPeriodMs: number;
  /** The only namespace the installer writes to (the speakers' ConfigMap and DaemonSet). */
  speakerNamespace: string;
  leaderElection: LeaderElectionConfig;
}

export interface PeerConfig {
  address: string;
  asn: number;
  port: number;
  localAddress?: string;
  /** eBGP multihop TTL; absent means directly connected. */
  multihopTtl?: number;
  /** TCP MD5 password (inline, or read from passwordFile at load; the speaker re-reads the file). */
  password?: Secret;
  /** As written in the file. */
  passwordFile?: string;
  /** passwordFile resolved to an absolute path (set with passwordFile, by the speaker's load). */
  passwordPath?: string;
  holdTimeMs: number;
  keepaliveIntervalMs: number;
  connectRetryMs: number;
  gracefulRestart: { enabled: boolean; restartTimeMs: number };
  families: Family[];
  passive: boolean;
  /** BFD for the session; needs GoBGP's v4 API. Absent intervals and multiplier: gobgpd's defaults. */
  bfd: { enabled: boolean; minTxIntervalMs?: number; minRxIntervalMs?: number; detectMultiplier?: number; multihop: boolean };
  /** The nodes that peer with this neighbor, by their Node's labels; absent: every node. */
  nodeSelector?: LabelSelector;
}

/** A Node label or annotation (exactly one) holding a per-node value. */
export interface NodeValueSource {
  label?: string;
  annotation?: string;
}

export interface SpeakerConfig {
  nodeName: string;
  /**
   * The file's controller.loadBalancerClasses: the speaker decides from the Services the
   * controller handles (the installer renders the controller's own list into the speakers' file).
   */
  loadBalancerClasses: string[];
  /** As the controller's: with no pool, Enforced refuses every prefix. */
  addressOwnership: AddressOwnership;
  asn: number;
  /** Absent: the speaker uses its Node's InternalIP. */
  routerId?: string;
  /** A Node label or annotation holding this node's AS number (each peer's local AS); absent on the Node: asn. */
  asnFrom?: NodeValueSource;
  listenPort: number;
  /** Empty: every address. */
  listenAddresses: string[];
  /** api: which GoBGP gRPC API to speak; 'auto' asks the daemon once per connection. */
  gobgp: { target: string; timeoutMs: number; api: 'v3' | 'v4' | 'auto' };
  /** Absent family: 0.0.0.0 / ::, i.e. the session's local address. */
  nextHop: { ipv4?: string; ipv6?: string };
  withdrawOnShutdown: boolean;
  driftCheckPeriodMs: number;
  peers: PeerConfig[];
}

export interface ListenConfig {
  /** "host:port" as written. */
  bindAddress: string;
  host: string;
  port: number;
}

export interface MetricsConfig extends ListenConfig {
  /** HTTPS + TokenReview/SubjectAccessReview; false: plain HTTP to anyone (lab, debugging). */
  secure: boolean;
  /** Both or neither; neither: a self-signed certificate made at start. */
  certFile?: string;
  keyFile?: string;
}

export interface VipAnnouncerConfig {
  controller: ControllerConfig;
  /** Absent when the file has no speaker section (allowed for the controller role only). */
  speaker?: SpeakerConfig;
  metrics: MetricsConfig;
  /** /healthz and /readyz. */
  health: ListenConfig;
}
