// The VipAnnouncement API (vipannouncer.io/v1alpha1), as plain TypeScript types.
// crds/vipannouncements.vipannouncer.io.yaml is the schema the API server enforces;
// these types mirror it for the code.

import type { Family } from './families';
import type { LabelSelector } from './pool';

export const GROUP = 'vipannouncer.io';
export const VERSION = 'v1alpha1';
export const API_VERSION = `${GROUP}/${VERSION}`;
export const KIND = 'VipAnnouncement';
export const PLURAL = 'vipannouncements';

/** Annotation prefix on Services. */
export const ANNOTATION_PREFIX = 'vipannouncer.io/';
export const ANNOTATIONS = {
  loadBalancerIPs: `${ANNOTATION_PREFIX}loadBalancerIPs`,
  communities: `${ANNOTATION_PREFIX}communities`,
  largeCommunities: `${ANNOTATION_PREFIX}largeCommunities`,
  localPref: `${ANNOTATION_PREFIX}localPref`,
  /** Allocate from this VipPool only. */
  pool: `${ANNOTATION_PREFIX}pool`,
  /** Services with the same key (and compatible ports and policy) may share an address. */
  allowSharedIP: `${ANNOTATION_PREFIX}allow-shared-ip`,
} as const;

/**
 * On a VipAnnouncement the controller made: how its addresses were chosen. Requested ones are
 * released as soon as the request goes (they are never adopted as an allocation); Automatic
 * ones (and Adopted ones, found in the Service's ingress before any announcement existed) are
 * kept while a pool that selects the Service still covers them.
 */
export const ALLOCATION_ANNOTATION = `${ANNOTATION_PREFIX}allocation`;
export type AllocationMode = 'Requested' | 'Automatic' | 'Adopted';

export type TrafficPolicy = 'Local' | 'Cluster';

export interface ObjectMeta {
  name: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
  generation?: number;
  creationTimestamp?: string;
  deletionTimestamp?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  ownerReferences?: OwnerReference[];
}

export interface OwnerReference {
  apiVersion: string;
  kind: string;
  name: string;
  uid: string;
  controller?: boolean;
  blockOwnerDeletion?: boolean;
}

export interface VipAnnouncementSpec {
  /** The Service this announcement was made for; absent on a hand-made announcement. */
  serviceRef?: { name: string; uid?: string };
  /** IPv4 and IPv6 addresses, announced as /32 and /128. Absent: none, as empty. */
  addresses?: string[];
  externalTrafficPolicy: TrafficPolicy;
  /**
   * Local policy: the nodes with a serving endpoint (sorted). Cluster: absent or empty (an
   * empty list left by an earlier Local apply stays, as server-side apply gives it no owner).
   */
  nodes?: string[];
  /** Endpoint counts across the Service's slices. */
  endpoints?: { ready: number; serving: number };
  /** Standard communities, "ASN:value". */
  communities?: string[];
  /** Large communities, "global:local1:local2". */
  largeCommunities?: string[];
  localPref?: number;
}

/** metav1.Condition */
export interface Condition {
  type: string;
  status: 'True' | 'False' | 'Unknown';
  reason: string;
  message: string;
  lastTransitionTime: string;
  observedGeneration?: number;
}

export interface PeerStatus {
  address: string;
  asn: number;
  /** GoBGP session state: Idle, Connect, Active, OpenSent, OpenConfirm, Established. */
  state: string;
  /** Prefixes of this announcement present in the adj-RIB-out towards this peer. */
  advertised: string[];
  /** BFD session state (Up, Down, Init, AdminDown, Unknown), for peers with BFD enabled. */
  bfd?: string;
}

export interface SpeakerStatus {
  node: string;
  /** Prefixes this node originates for the announcement. */
  addresses: string[];
  /** Prefixes this node was asked for and refuses: in no VipPool that allows them. */
  refused?: RefusedPrefixStatus[];
  peers: PeerStatus[];
  lastUpdateTime?: string;
}

export interface RefusedPrefixStatus {
  prefix: string;
  /** NotInPool, PoolDoesNotSelect, HeldByService, ClaimedByAnotherNamespace or NoVipPool. */
  reason: string;
}

export interface VipAnnouncementStatus {
  observedGeneration?: number;
  conditions?: Condition[];
  /** Number of speakers whose every prefix is in the adj-RIB-out of an Established peer. */
  advertisedBy?: number;
  /** At most MAX_SPEAKER_ENTRIES nodes, those not advertising first (controller-derived). */
  speakers?: SpeakerStatus[];
  /** Nodes with an entry that status.speakers does not show (past the cap). */
  speakersOmitted?: number;
}

export interface VipAnnouncement {
  apiVersion: typeof API_VERSION;
  kind: typeof KIND;
  metadata: ObjectMeta;
  spec: VipAnnouncementSpec;
  status?: VipAnnouncementStatus;
}

/**
 * Bounds the CRD enforces (maxItems). Code that writes a spec keeps within them,
 * so the API server never rejects what the controller computed.
 */
export const SPEC_LIMITS = {
  addresses: 32,
  communities: 32,
  largeCommunities: 32,
} as const;

/** Condition types the controller owns on a VipAnnouncement. */
export const CONDITION_TYPES = {
  /** Data-plane truth: the addresses are in the adj-RIB-out of Established peers where expected. */
  advertised: 'Advertised',
  /** Summary for generic tooling (kubectl wait, kstatus): Advertised and nothing in the input was rejected. */
  ready: 'Ready',
  /** Present only while no VipPool exists and addressOwnership is Unenforced: False, reason Unenforced. */
  addressOwnership: 'AddressOwnership',
} as const;

// ---------------------------------------------------------------------------------------------
// VipAnnouncer (vipannouncer.io/v1alpha1, cluster-scoped): how the speakers are installed.
// crds/vipannouncers.vipannouncer.io.yaml is the schema the API server enforces.

export const INSTALLER_KIND = 'VipAnnouncer';
export const INSTALLER_PLURAL = 'vipannouncers';


export interface SecretKeyRef {
  /** A Secret in the speaker namespace (spec.namespace). */
  name: string;
  key: string;
}

export interface VipAnnouncerPeer {
  address: string;
  asn: number;
  port?: number;
  /** eBGP multihop TTL; absent means directly connected. */
  multihopTtl?: number;
  /** TCP MD5 password, mounted into the speaker and referenced as a passwordFile. */
  passwordSecretRef?: SecretKeyRef;
  /** Durations ("90s", "1m30s"), whole seconds. */
  holdTime?: string;
  keepaliveInterval?: string;
  connectRetry?: string;
  gracefulRestart?: { enabled?: boolean; restartTime?: string };
  families?: Family[];
  passive?: boolean;
  /** BFD on the session (needs a gobgpd of GoBGP 4.5 or later); intervals are durations ("300ms"). */
  bfd?: { enabled?: boolean; minTxInterval?: string; minRxInterval?: string; detectMultiplier?: number; multihop?: boolean };
  /** The nodes that peer with this neighbor (a rack's top-of-rack routers), by Node labels; absent: every node. */
  nodeSelector?: LabelSelector;
}

export interface Toleration {
  key?: string;
  operator?: 'Exists' | 'Equal';
  value?: string;
  effect?: 'NoSchedule' | 'PreferNoSchedule' | 'NoExecute';
  tolerationSeconds?: number;
}

export interface ResourceRequirements {
  requests?: Record<string, string>;
  limits?: Record<string, string>;
}

export interface VipAnnouncerSpec {
  /** Local AS number of every speaker. */
  asn: number;
  peers: VipAnnouncerPeer[];
  /** NodeInternalIP (the only policy today): each speaker's router id is its Node's IPv4 InternalIP. */
  routerIdPolicy?: 'NodeInternalIP';
  /** A Node label or annotation (exactly one) holding the node's AS number (per rack or per node); absent on a Node: asn. */
  asnFrom?: { label?: string; annotation?: string };
  /** SessionLocalAddress (default): gobgpd sends the session's local address; Fixed: the given addresses. */
  nextHop?: { policy?: 'SessionLocalAddress' | 'Fixed'; ipv4?: string; ipv6?: string };
  listenPort?: number;
  /** Namespace of the speaker ConfigMap and DaemonSet (default vip-announcer); immutable. */
  namespace?: string;
  speaker?: {
    nodeSelector?: Record<string, string>;
    tolerations?: Toleration[];
    image?: string;
    gobgpdImage?: string;
    imagePullPolicy?: 'Always' | 'IfNotPresent' | 'Never';
    /** Port of /metrics (HTTPS, authenticated) on the host network. */
    metricsPort?: number;
    /** Port of /healthz and /readyz (plain HTTP, reveal nothing) on the host network. */
    healthProbePort?: number;
    /**
     * Where the host-network listeners bind. PodIP (default): the node's address the Pod
     * reports (status.podIP), the one Prometheus and the kubelet use; AllAddresses: every
     * address of the node (0.0.0.0 and ::).
     */
    metricsBindPolicy?: 'PodIP' | 'AllAddresses';
    /** A kubernetes.io/tls Secret (tls.crt, tls.key) in the speakers' namespace for /metrics; absent: self-signed. */
    metricsCertSecretRef?: { name: string };
    /**
     * true: a stopping speaker Pod withdraws its node's routes first; false (default): they
     * stay at the router for the graceful-restart time, so a rollout moves no traffic.
     */
    withdrawOnShutdown?: boolean;
    /**
     * Enforced (default): while no VipPool exists the speakers announce nothing. Unenforced:
     * they announce unchecked while no pool exists (a migration only; README, Upgrading to pools).
     */
    addressOwnership?: 'Enforced' | 'Unenforced';
    resources?: ResourceRequirements;
    gobgpdResources?: ResourceRequirements;
  };
}

export interface VipAnnouncerStatus {
  observedGeneration?: number;
  conditions?: Condition[];
  /** sha256 of the speaker config last applied (the pod template annotation). */
  configHash?: string;
  desiredSpeakers?: number;
  readySpeakers?: number;
  updatedSpeakers?: number;
}

export interface VipAnnouncer {
  apiVersion: typeof API_VERSION;
  kind: typeof INSTALLER_KIND;
  metadata: ObjectMeta;
  spec: VipAnnouncerSpec;
  status?: VipAnnouncerStatus;
}

/** Condition types the installer owns on a VipAnnouncer. */
export const INSTALLER_CONDITION_TYPES = {
  /** The configuration is valid, applied, and every speaker runs it. */
  ready: 'Ready',
  /** From the DaemonSet status: every scheduled speaker is updated and ready. */
  speakersRolledOut: 'SpeakersRolledOut',
  /** The API server enforces tenant isolation: config/admission's policies, bound with Deny. */
  admissionPolicies: 'AdmissionPoliciesEnforced',
} as const;
