// VipSpeaker (vipannouncer.io/v1alpha1, cluster-scoped): one per node, named after it, written
// only by that node's speaker. crds/vipspeakers.vipannouncer.io.yaml is the schema the API
// server enforces; the caps below mirror its maxItems. Lists hold exceptions only (prefixes
// missing, refused), so a report's size grows with what is wrong, never with what is right.
import type { Family } from './families';
import type { API_VERSION } from './types';

export const SPEAKER_REPORT_KIND = 'VipSpeaker';
export const SPEAKER_REPORT_PLURAL = 'vipspeakers';

/** Caps of the report's lists (the CRD's maxItems); past them only the counts grow. */
export const REPORT_LIMITS = {
  sessions: 64,
  missingPerSession: 32,
  exceptions: 64,
} as const;

/** Seconds between heartbeats when nothing else was written. */
export const HEARTBEAT_SECONDS = 10;
/** A report whose heartbeat is older than this many heartbeats no longer counts. */
export const STALE_AFTER_HEARTBEATS = 3;

export interface SessionReport {
  address: string;
  asn: number;
  /** GoBGP session state; Unknown while gobgpd does not answer. */
  state: string;
  bfd?: string;
  /** The families configured for the peer: only their prefixes are expected in its adj-RIB-out. */
  families?: Family[];
  /**
   * Prefixes this node originates that are not in this peer's adj-RIB-out although the
   * session is Established (empty when it is not: the state says it all). First
   * REPORT_LIMITS.missingPerSession, sorted.
   */
  missing?: string[];
  /** How many prefixes are missing in all (more than listed when truncated). */
  missingCount?: number;
}

export interface ReportException {
  /** The announcement key, namespace/name. */
  announcement: string;
  prefix: string;
  /** NotInPool, PoolDoesNotSelect, HeldByService, ClaimedByAnotherNamespace, NoVipPool (refused by the pools) or Invalid. */
  reason: string;
}

export interface VipSpeakerStatus {
  /** Running, or Stopped by a shutdown that withdrew its routes (the node then counts for no announcement; a stop that keeps them leaves Running). */
  phase?: 'Running' | 'Stopped';
  /** Whether gobgpd answered the last read; false: every session shows Unknown. */
  gobgpReachable?: boolean;
  /**
   * Whether gobgpd's table was last synced with the node allowed to announce (Node present, not
   * excluded). The controller counts a node only once its report says so, so status never runs
   * ahead of a node that was just included; absent (an older speaker): eligible.
   */
  eligible?: boolean;
  /** Why not, when not eligible: NodeNotFound, ExcludedByLabel, or NoPeerSelectsNode (no peer's nodeSelector selects it). */
  notEligibleReason?: 'NodeNotFound' | 'ExcludedByLabel' | 'NoPeerSelectsNode';
  /** Whether that sync ran with the node draining (cordoned): Cluster-policy prefixes withdrawn. Absent: false. */
  draining?: boolean;
  sessions?: SessionReport[];
  sessionsTotal?: number;
  sessionsEstablished?: number;
  /** Prefixes this node's gobgpd originates. */
  originated?: number;
  /** Distinct originated prefixes missing from at least one Established peer's adj-RIB-out. */
  missing?: number;
  /** Prefixes asked of this node and not originated: first REPORT_LIMITS.exceptions. */
  exceptions?: ReportException[];
  exceptionsCount?: number;
  /**
   * The acted-on watermark: every VipAnnouncement event up to this resourceVersion (an etcd
   * revision, compared as an integer) is reflected in gobgpd's table and in this report.
   */
  announcementsResourceVersion?: string;
  /** Renewed every HEARTBEAT_SECONDS when nothing else was written. */
  heartbeatTime?: string;
}

export interface VipSpeaker {
  apiVersion: typeof API_VERSION;
  kind: typeof SPEAKER_REPORT_KIND;
  metadata: { name: string; uid?: string; resourceVersion?: string; ownerReferences?: { apiVersion: string; kind: string; name: string; uid: string }[] };
  status?: VipSpeakerStatus;
}
