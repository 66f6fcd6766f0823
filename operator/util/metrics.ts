// Prometheus metrics of both roles (one registry per process; `all` mode shares it).
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export const registry = new Registry();
collectDefaultMetrics({ register: registry, prefix: 'vipannouncer_process_' });

const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

export const metrics = {
  reconcileDuration: new Histogram({
    name: 'vipannouncer_reconcile_duration_seconds',
    help: 'Time one reconcile of a key took, by controller and outcome.',
    labelNames: ['controller', 'outcome'] as const,
    buckets: LATENCY_BUCKETS,
    registers: [registry],
  }),
  queueDepth: new Gauge({
    name: 'vipannouncer_workqueue_depth',
    help: 'Keys waiting in the work queue, by controller.',
    labelNames: ['controller'] as const,
    registers: [registry],
  }),
  reconcileTotal: new Counter({
    name: 'vipannouncer_reconcile_total',
    help: 'Reconciles, by controller and outcome (success, requeue, error).',
    labelNames: ['controller', 'outcome'] as const,
    registers: [registry],
  }),
  rejectedWrites: new Gauge({
    name: 'vipannouncer_rejected_writes',
    help: 'Objects whose last write the API server refused as invalid (422) and that are not retried until their inputs change, by controller.',
    labelNames: ['controller'] as const,
    registers: [registry],
  }),
  unenforced: new Gauge({
    name: 'vipannouncer_announcements_unenforced',
    help: 'VipAnnouncements announced without an address-ownership check: no VipPool exists and addressOwnership is Unenforced (leader only). Anything above 0 is a migration in progress.',
    registers: [registry],
  }),
  unenforcedPrefixes: new Gauge({
    name: 'vipannouncer_speaker_unenforced_prefixes',
    help: "Prefixes this node originates without an address-ownership check (no VipPool, speaker.addressOwnership Unenforced).",
    labelNames: ['node'],
    registers: [registry],
  }),
  notAdvertised: new Gauge({
    name: 'vipannouncer_announcements_not_advertised',
    help: 'VipAnnouncements whose Advertised condition is not True (leader only; 0 on a standby).',
    registers: [registry],
  }),
  leaderTerms: new Counter({
    name: 'vipannouncer_leader_terms_total',
    help: 'Terms this process started as leader.',
    registers: [registry],
  }),
  isLeader: new Gauge({
    name: 'vipannouncer_leader',
    help: '1 while this process holds the Lease.',
    registers: [registry],
  }),
  eventToAnnouncement: new Histogram({
    name: 'vipannouncer_event_to_announcement_seconds',
    help: 'From the first event that touched a key to the write that made it effective (controller: VipAnnouncement written; speaker: gobgpd table changed).',
    labelNames: ['role'] as const,
    buckets: LATENCY_BUCKETS,
    registers: [registry],
  }),
  sessionUp: new Gauge({
    name: 'vipannouncer_bgp_session_up',
    help: '1 when the BGP session to the peer is Established.',
    labelNames: ['node', 'peer'] as const,
    registers: [registry],
  }),
  peerPasswordProblem: new Gauge({
    name: 'vipannouncer_peer_password_problem',
    help: "1 while the peer's password file cannot be used (unreadable, empty, over 80 bytes); gobgpd keeps the last good password meanwhile.",
    labelNames: ['node', 'peer'] as const,
    registers: [registry],
  }),
  announcedPrefixes: new Gauge({
    name: 'vipannouncer_announced_prefixes',
    help: 'Prefixes this node originates in gobgpd.',
    labelNames: ['node', 'family'] as const,
    registers: [registry],
  }),
  gobgpOperations: new Counter({
    name: 'vipannouncer_gobgp_path_operations_total',
    help: 'Paths added to (AddPathStream) and deleted from (DeletePath) gobgpd.',
    labelNames: ['node', 'op'] as const,
    registers: [registry],
  }),
  statusWrites: new Counter({
    name: 'vipannouncer_status_writes_total',
    help: 'Status writes, by role: the controller to VipAnnouncements, a speaker to its VipSpeaker.',
    labelNames: ['role'] as const,
    registers: [registry],
  }),
  announcementWrites: new Counter({
    name: 'vipannouncer_announcement_writes_total',
    help: 'VipAnnouncement creates, updates and deletes by the controller.',
    labelNames: ['op'] as const,
    registers: [registry],
  }),
  eventsDropped: new Counter({
    name: 'vipannouncer_events_dropped_total',
    help: 'Kubernetes Events not recorded, by cause: object_cap (too many queued for one object), queue_cap (queue full), discarded (leadership lost or shutdown), failed (the write failed).',
    labelNames: ['cause'] as const,
    registers: [registry],
  }),
};

/**
 * Remembers when a key was first touched by an event since its last effective
 * write, to measure event-to-announcement latency.
 */
export class LatencyTracker {
  private readonly since = new Map<string, number>();
  touch(key: string, now = performance.now()): void {
    if (!this.since.has(key)) this.since.set(key, now);
  }
  /** Seconds since the key was first touched, or undefined; forgets the key. */
  done(key: string, now = performance.now()): number | undefined {
    const t = this.since.get(key);
    this.since.delete(key);
    return t === undefined ? undefined : (now - t) / 1000;
  }
  forget(key: string): void {
    this.since.delete(key);
  }
  clear(): void {
    this.since.clear();
  }
  /** The keys being timed (a copy: done() may be called while iterating it). */
  keys(): string[] {
    return [...this.since.keys()];
  }
  /** Keys being timed. */
  get size(): number {
    return this.since.size;
  }
}
