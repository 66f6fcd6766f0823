// The speaker role, one per node, as a declared controller: makes its dedicated gobgpd
// originate exactly the paths the VipAnnouncements ask of this node, and reports back what
// GoBGP says in this node's VipSpeaker (sessions, prefixes missing from an adj-RIB-out, how far
// it has acted on the announcements). The controller folds the reports into each announcement.
// This file orchestrates; each step is a module of its own, a pure plan and a small executor:
//
// Two keys, both level-triggered and coalesced by the queue:
//   "table"   ordered steps over the BgpRouter:
//             1. BGP instance (start, or restart when ASN / router id / listen changed)   instanceStep.ts
//             2. import policy (every route from peers rejected; kept by the drift check)  instanceStep.ts
//             3. paths (the node table: nodeTable.ts; held ones; vs gobgpd's)              pathStep.ts
//             4. peers (add, re-create changed ones, delete unknown ones), after the paths
//                so that a session comes up with every route                                peerStep.ts
//             A sync after only announcements, pools or namespaces changed does the paths step
//             alone, against the table the previous sync left (a Service change then costs no
//             gobgpd listing); the start, the drift check, a Node or password change, a broken
//             GoBGP stream and any failure make the next sync a full one.
//   "status"  read peers and adj-RIB-outs, and server-side apply this node's VipSpeaker
//             status when it changed (at most one write per MIN_REPORT_GAP_MS), or a
//             heartbeat                                                                     reportWriter.ts
// Triggers: announcement or Node events, GoBGP peer events, a broken GoBGP stream
// (gobgpd restarted), a changed peer password file (peerPasswords.ts), and the drift-check period.
import type { SessionReport } from '../api/vipSpeaker';
import type { PeerConfig, SpeakerConfig } from '../config/types';
import { isServiceAnnouncement, nodeDraining, nodeEligible } from '../api/announces';
import { notEligibleReason, peersOfNode, type NotEligibleReason } from './nodePeers';
import { namespaceUninstalling, uninstallingByLookup, type NamespaceLookup } from '../api/uninstall';
import { GobgpError } from '../gobgp/client';
import type { BgpRouter } from '../gobgp/router';
import { FAMILIES, unicastFamily } from '../api/families';
import { canonicalIp, canonicalPrefix } from '../util/ip';
import type { PeerEvent, GobgpPeer, PathSpec } from '../gobgp/types';
import { watch, type CacheReader, type Caches, type ControllerDefinition, type KeyRequest, type ReconcileContext } from '../kube/controllerDefinition';
import type { ChangeType, Selector } from '../kube/informer';
import type { KubeWriter } from '../kube/kubeWriter';
import { objectKey } from '../kube/resources';
import { ExponentialRateLimiter, type Result } from '../kube/workqueue';
import { errorFields, type Log } from '../util/log';
import { LatencyTracker, metrics } from '../util/metrics';
import { scopedSignal, systemClock } from '../util/clock';
import { bgpIdentity } from './nodeIdentity';
import { ActedWatermark } from './actedWatermark';
import { holdVanished, type HeldPath } from './vanishedHold';
import { announcesFromNode, type NodePaths, type RefusedPrefix } from './pathsForNode';
import { NodeTable, type TableResult, type TableSources } from './nodeTable';
import { PeerPasswords, PASSWORD_POLL_MS } from './peerPasswords';
import { indexAdjOut, missingPrefixes, nodeReport, sessionReports, type AdjOutIndex } from './nodeReport';
import { pruneAdded, settledWatermark, type Settled } from './settledWatermark';
import { Cached, type CachedEndpointSlice, type CachedOwnNode, type CachedService, type SpeakerAnnouncement } from '../kube/cachedKinds';
import { SliceIndex } from '../intent/sliceIndex';
import { requestedAddressesOf, specsEqual } from '../intent/desiredAnnouncement';
import { DraftMemo } from './serviceAnnouncements';
import { SyncSpacing } from './syncSpacing';
import { syncImportPolicy, syncInstance } from './instanceStep';
import { PeerStep } from './peerStep';
import { PathStep } from './pathStep';
import { HEARTBEAT_MS, ReportWriter } from './reportWriter';
import { SessionSeries } from './sessionSeries';

export const TABLE = 'table';
export const STATUS = 'status';
/** The drift check's listing of gobgpd's table, apart from the table key so changes go on meanwhile. */
export const VERIFY = 'verify';
/**
 * How long withdrawing on shutdown may take in all: under the manager's own stop deadline
 * (20 s) and the Pod's grace period (30 s), so a stuck gobgpd ends in a logged failure and a
 * non-zero exit, not a SIGKILL.
 */
export const SHUTDOWN_DEADLINE_MS = 15_000;
/**
 * How long a prefix just added to gobgpd's table may take to reach the peers before a report
 * calls it missing; until then the report's watermark stays below its announcement
 * (settledWatermark.ts).
 */
const SETTLE_MAX_MS = 5_000;
/**
 * After a table change, when the adj-RIB-outs are read (gobgpd sends updates asynchronously);
 * such a read asks for the changed prefixes only, so it may come soon and be repeated.
 */
const SETTLE_CHECK_MS = 50;
/** How long the shutdown's live read of the speaker's namespace may take. */
const UNINSTALL_CHECK_MS = 2_000;
/** Revisions awaited by the controller kept at most (past it, only the latest). */
const MAX_AWAITED = 4_096;

export interface SpeakerDeps {
  caches: Caches;
  router: BgpRouter;
  /** Writes this node's VipSpeaker as its field manager (speakerFieldManager(config.nodeName)). */
  writer: KubeWriter;
  config: SpeakerConfig;
  log: Log;
  /** Wall clock in ms (tests). */
  now?: () => number;
  /** Times event-to-announcement latency (tests look into it; default a new one). */
  latency?: LatencyTracker;
  /** Overall bound of the withdrawal on shutdown (default SHUTDOWN_DEADLINE_MS). */
  shutdownDeadlineMs?: number;
  /** How often password files are re-read (default PASSWORD_POLL_MS; 0: only by checkPasswords, for tests). */
  passwordPollMs?: number;
  /** Reads a password file's text (tests). */
  readPasswordFile?: (file: string) => string;
  /**
   * The namespace this speaker's Pod runs in (env POD_NAMESPACE). Once it is being deleted,
   * the product is being uninstalled: a stop then withdraws, graceful restart or not.
   */
  podNamespace?: string;
  /**
   * Reads that namespace from the API server at shutdown: `kubectl delete -k` removes the
   * ClusterRoles and the VipAnnouncer with the namespace, so the DaemonSet's Pods may stop
   * before the namespace cache heard of the deletion.
   */
  readNamespace?: (name: string, signal: AbortSignal) => Promise<NamespaceLookup>;
}

export interface SpeakerRole {
  controller: ControllerDefinition;
  /** gobgpd answered the last reconcile (part of /readyz). */
  gobgpReachable(): boolean;
  /** Re-read the password files now (the timer does it every passwordPollMs); returns the peers whose password changed. */
  checkPasswords(): string[];
  /** The configuration file's peers changed: applied live, re-peering only what changed. */
  replacePeers(peers: readonly PeerConfig[]): void;
  /**
   * After the controller's queue stopped: with withdrawOnShutdown, withdraw every path we
   * originate (routers move traffic to other nodes at once), within shutdownDeadlineMs;
   * otherwise leave gobgpd's table alone for graceful restart. Either way mark this node's
   * report Stopped (it counts for no announcement any more). Then close the router. Rejects when the routes could
   * not be withdrawn (gobgpd gone, deadline), so the manager's stop is unclean (exit 1).
   */
  shutdown(): Promise<void>;
}

export function speakerRole(deps: SpeakerDeps): SpeakerRole {
  const speaker = new SpeakerReconciler(deps);
  return {
    controller: speaker.definition(),
    gobgpReachable: () => speaker.gobgpOk,
    checkPasswords: () => speaker.passwords.poll(),
    replacePeers: (peers) => speaker.replacePeers(peers),
    shutdown: () => speaker.shutdown(),
  };
}

/** Only an exclusion, drain, BGP identity change of our Node (ASN, router id), or one changing which peers select it, matters to the table. */
export function nodeKeys(type: ChangeType, node: CachedOwnNode, old: CachedOwnNode | undefined, cfg: SpeakerConfig): KeyRequest[] {
  const identity = (n: CachedOwnNode | undefined): string => JSON.stringify(bgpIdentity(cfg, n));
  const matters =
    type !== 'MODIFIED' ||
    nodeEligible(node) !== nodeEligible(old) ||
    nodeDraining(node) !== nodeDraining(old) ||
    identity(node) !== identity(old) ||
    peersOfNode(cfg.peers, node).join() !== peersOfNode(cfg.peers, old).join();
  return matters ? [TABLE] : [];
}

/** What of a Service, besides its status, the speaker's decision reads (serviceAnnouncements.ts): other changes are no table sync. */
function serviceInput(svc: CachedService): string {
  const m = svc.metadata;
  return JSON.stringify([m?.labels, m?.annotations, m?.deletionTimestamp, m?.uid, svc.spec]);
}

/** Refusals not logged by the previous table sync (the drift check would repeat them every period). */
function newlyRefused(now: readonly RefusedPrefix[], before: readonly RefusedPrefix[]): RefusedPrefix[] {
  const seen = new Set(before.map((r) => `${r.announcement} ${r.prefix} ${r.reason}`));
  return now.filter((r) => !seen.has(`${r.announcement} ${r.prefix} ${r.reason}`));
}

/** What gobgpd said of its sessions and adj-RIB-outs at a read. */
interface Sessions {
  peers: GobgpPeer[] | undefined;
  adjOut: AdjOutIndex;
}

/** A peer's adj-RIB-out as last read, with the stale prefixes replaced by what was listed of them. */
export function refreshed(last: ReadonlySet<string> | undefined, stale: ReadonlySet<string>, listed: readonly string[]): Set<string> {
  const out = new Set(last ?? []);
  for (const p of stale) out.delete(p);
  for (const p of listed) out.add(p);
  return out;
}

function gobgpDown(err: unknown): boolean {
  return err instanceof GobgpError && (err.kind === 'unavailable' || err.kind === 'timeout' || err.kind === 'not-started');
}

class SpeakerReconciler {
  gobgpOk = false;
  /** The passwords to apply, kept in step with their files. */
  passwords: PeerPasswords;
  /** Replaced (peers only) when the configuration file's peers change: replacePeers. */
  private cfg: SpeakerConfig;
  private readonly router: BgpRouter;
  private readonly log: Log;
  private readonly now: () => number;
  private readonly nodeSelector: Selector;
  private readonly latency: LatencyTracker;
  /** Paths of vanished announcements still originated, by prefix (vanishedHold.ts). */
  private held = new Map<string, HeldPath>();
  private readonly sessionSeries: SessionSeries;
  private readonly peers: PeerStep;
  private readonly paths: PathStep;
  private readonly reports: ReportWriter;
  /** How far gobgpd's table reflects the announcements (actedWatermark.ts). */
  private readonly watermark = new ActedWatermark();
  /** Spec changes of announcements this node originates (or did), not reported acted on yet: the controller waits for them. */
  private readonly awaited = new Set<number>();
  /** Announcement key → the revision of its latest spec change. */
  private readonly specRvs = new Map<string, number>();
  /** What gobgpd said at the last read; re-read (in part: adjOutStale) after a table change, wholly after a peer event. */
  private sessions: Sessions | undefined;
  /** Prefixes a table sync changed since the last read: only these are read again. */
  private adjOutStale = new Set<string>();
  /** What the last table sync made gobgpd originate, per announcement. */
  private current: NodePaths | undefined;
  /** Whether that sync ran with this node allowed to announce (the report says so). */
  private currentEligible = false;
  /** And why not, when it was not. */
  private currentNotEligible: NotEligibleReason | undefined = 'NodeNotFound';
  private currentDraining = false;
  /** The next table sync runs every step and lists gobgpd's paths (see the header). */
  private fullNeeded = true;
  /** The open peer-event stream; undefined: open one at the next table sync. */
  private peerWatch: { cancel: () => void } | undefined;
  /**
   * The latest reconcile's ctx.enqueue. Peer events arrive outside any reconcile, and the
   * stream is only opened by a table reconcile, so one has always been captured by then;
   * taking the latest (not the first) follows the queue should the manager ever replace it.
   */
  private enqueue: (request: KeyRequest) => void = () => undefined;
  /** EndpointSlice → its Service, kept by the slice watch. */
  private readonly slices = new SliceIndex();
  /** Paths-only syncs back to back under a storm of events leave the process half its time. */
  private readonly spacing = new SyncSpacing();
  /** Each Service's derived announcement, kept while nothing it is made of changed. */
  private readonly drafts = new DraftMemo();
  /** The desired paths, kept between syncs: a change is decided again over its own keys only. */
  private readonly table = new NodeTable(this.drafts);
  /** Keys whose Service, slices or announcement changed since the last table sync. */
  private changed = new Set<string>();
  /** A pool or namespace changed: the next sync decides every key again. */
  private decideAll = true;

  constructor(private readonly deps: SpeakerDeps) {
    this.cfg = deps.config;
    this.router = deps.router;
    this.log = deps.log.child({ node: deps.config.nodeName });
    this.now = deps.now ?? Date.now;
    this.latency = deps.latency ?? new LatencyTracker();
    this.sessionSeries = new SessionSeries(deps.config.nodeName, deps.config.peers);
    this.nodeSelector = { fieldSelector: `metadata.name=${deps.config.nodeName}` };
    this.passwords = this.watchPasswords(deps.config.peers);
    this.peers = new PeerStep(deps.router, this.cfg, this.passwords, this.now);
    this.paths = new PathStep(deps.router, this.cfg.nodeName, this.now);
    this.reports = new ReportWriter(deps.writer, this.cfg.nodeName, () => this.node(), this.now);
  }

  private watchPasswords(peers: readonly PeerConfig[]): PeerPasswords {
    const passwords = new PeerPasswords({
      peers,
      nodeName: this.cfg.nodeName,
      log: this.log,
      // Before the first reconcile this enqueues nothing: the full sync reads the new password anyway.
      onChange: () => this.enqueueFull(),
      ...(this.deps.readPasswordFile ? { read: this.deps.readPasswordFile } : {}),
    });
    if (this.deps.passwordPollMs !== 0) passwords.start(this.deps.passwordPollMs ?? PASSWORD_POLL_MS);
    return passwords;
  }

  /**
   * New peers from the configuration file, applied without a restart: a full table sync adds,
   * re-creates and deletes only the peers that changed, so the other sessions stay up.
   */
  replacePeers(peers: readonly PeerConfig[]): void {
    this.passwords.stop();
    this.cfg = { ...this.cfg, peers: [...peers] };
    this.passwords = this.watchPasswords(this.cfg.peers);
    this.peers.reconfigure(this.cfg, this.passwords);
    this.sessionSeries.configure(this.cfg.peers);
    this.sessions = undefined;
    this.enqueueFull();
  }

  definition(): ControllerDefinition {
    return {
      name: 'speaker',
      leaderElected: false,
      concurrency: 2,
      // gobgpd may be starting next to us: retry quickly, never give up, never exit.
      rateLimiter: new ExponentialRateLimiter(100, 5_000),
      // The drift check: compare gobgpd's table and our report with the desired state.
      requeueAllPeriodMs: this.cfg.driftCheckPeriodMs,
      watches: [
        watch({ shape: Cached.speakerAnnouncements, toKeys: (type, va, old) => this.announcementKeys(type, va, old) }),
        // What Services ask for is announced before (and without) their announcement: a Service
        // or slice change is a table sync (serviceAnnouncements.ts).
        watch({ shape: Cached.services, toKeys: (type, svc, old) => this.serviceKeys(type, svc, old) }),
        watch({ shape: Cached.endpointSlices, toKeys: (type, slice, old) => this.sliceKeys(type, slice, old) }),
        watch({ shape: Cached.ownNode, selector: this.nodeSelector, toKeys: (type, n, old) => this.full(nodeKeys(type, n, old, this.cfg)) }),
        // What the pools allow: every change of a pool, and a namespace's labels (selectors).
        // (The controller's status writes to a pool change nothing here.)
        watch({ shape: Cached.pools, toKeys: (type, pool, old) => this.all(type === 'MODIFIED' && pool.metadata.generation === old?.metadata.generation ? [] : [TABLE]) }),
        watch({ shape: Cached.namespaces, toKeys: (type, ns, old) => this.all(type === 'MODIFIED' && JSON.stringify(ns.metadata?.labels ?? {}) === JSON.stringify(old?.metadata?.labels ?? {}) ? [] : [TABLE]) }),
      ],
      fullSyncKeys: () => [...this.full([TABLE, STATUS]), VERIFY],
      reconcile: (key, ctx) => this.reconcile(key, ctx),
    };
  }

  /**
   * Every event moves the acted-on watermark; only spec and deletion changes need the table
   * looked at again. A watermark moved by other events (the controller's status writes, or
   * announcements this node never originates) waits for the next write or heartbeat: no one
   * waits for it, and writing it at once would make every status write a report write.
   */
  private announcementKeys(type: ChangeType, va: SpeakerAnnouncement, old: SpeakerAnnouncement | undefined): KeyRequest[] {
    const specChanged = type !== 'MODIFIED' || JSON.stringify(va.spec) !== JSON.stringify(old?.spec) || va.metadata.deletionTimestamp !== old?.metadata.deletionTimestamp;
    // The controller writing down what this speaker already announces from the Service (a
    // first install: one such write per Service): acted on as it arrives, no table sync.
    const echo = specChanged && type !== 'DELETED' && this.echoesDraft(va, old);
    this.watermark.observe(va.metadata.resourceVersion, specChanged && !echo);
    if (!specChanged) {
      // A hand-made announcement's labels are what pools' serviceSelectors match.
      if (type !== 'MODIFIED' || JSON.stringify(va.metadata.labels ?? {}) === JSON.stringify(old?.metadata.labels ?? {})) return [];
      this.changed.add(objectKey(va));
      return [TABLE];
    }
    // An echo too: the next table sync, whatever asks for it, decides with it.
    this.changed.add(objectKey(va));
    const rv = Number(va.metadata.resourceVersion) || 0;
    if (type === 'DELETED') this.specRvs.delete(objectKey(va));
    else this.specRvs.set(objectKey(va), rv);
    const here = { name: this.cfg.nodeName, eligible: true };
    if (announcesFromNode(va, here) || (old !== undefined && announcesFromNode(old, here))) this.awaitRevision(rv);
    if (echo) return [STATUS];
    this.latency.touch(objectKey(va));
    return [TABLE];
  }

  /**
   * Whether the announcement says exactly what the last table sync derived for its Service
   * (same spec, and its addresses claim nothing new): the table already reflects it.
   */
  private echoesDraft(va: SpeakerAnnouncement, old: SpeakerAnnouncement | undefined): boolean {
    const key = objectKey(va);
    const draft = this.drafts.peek(key);
    if (!draft || !isServiceAnnouncement(va) || !specsEqual(draft.a.spec, va.spec)) return false;
    if (old !== undefined && !isServiceAnnouncement(old)) return false;
    // Every address it lists or stops listing was this key's alone: a contested one is announced
    // only as the announcements say, so this one may change who announces it.
    return [...(va.spec.addresses ?? []), ...(old?.spec.addresses ?? [])].every((a) => this.drafts.claimedOnlyBy(a, key));
  }

  private serviceKeys(type: ChangeType, svc: CachedService, old: CachedService | undefined): KeyRequest[] {
    if (type === 'MODIFIED' && old && serviceInput(svc) === serviceInput(old)) {
      // Only the status moved (the controller writing the ingress, mostly): it matters only to
      // an automatic address with no announcement yet.
      if (JSON.stringify(svc.status) === JSON.stringify(old.status) || !this.ingressMatters(svc)) return [];
    }
    this.latency.touch(objectKey(svc));
    this.changed.add(objectKey(svc));
    return [TABLE];
  }

  /** Whether the Service's ingress can change what it announces (serviceAnnouncements.ts: an automatic address with no announcement). */
  private ingressMatters(svc: CachedService): boolean {
    if (requestedAddressesOf(svc, { loadBalancerClasses: this.cfg.loadBalancerClasses }).length > 0) return false;
    return this.announcements().get(objectKey(svc)) === undefined;
  }

  private sliceKeys(type: ChangeType, slice: CachedEndpointSlice, old: CachedEndpointSlice | undefined): KeyRequest[] {
    const services = this.slices.update(type, slice, old);
    for (const key of services) {
      this.latency.touch(key);
      this.changed.add(key);
    }
    return services.length > 0 ? [TABLE] : [];
  }

  /** `keys`, and the table sync they ask for (if any) is a full one. */
  private full<K extends KeyRequest>(keys: K[]): K[] {
    if (keys.length > 0) this.fullNeeded = true;
    return keys;
  }

  /** `keys`, and the table sync they ask for (if any) decides every key again. */
  private all<K extends KeyRequest>(keys: K[]): K[] {
    if (keys.length > 0) this.decideAll = true;
    return keys;
  }

  private enqueueFull(afterMs?: number): void {
    this.fullNeeded = true;
    this.enqueue(afterMs === undefined ? TABLE : { key: TABLE, afterMs });
  }

  private awaitRevision(rv: number): void {
    if (this.awaited.size >= MAX_AWAITED) {
      const latest = Math.max(...this.awaited);
      this.awaited.clear();
      this.awaited.add(latest);
    }
    this.awaited.add(rv);
  }

  private async reconcile(key: string, ctx: ReconcileContext): Promise<Result> {
    this.enqueue = (request) => ctx.enqueue(request);
    try {
      if (key === TABLE) {
        const full = this.fullNeeded || this.paths.unknown;
        const wait = this.spacing.wait(full, this.now());
        if (wait > 0) {
          ctx.enqueue({ key: TABLE, afterMs: wait });
          return undefined;
        }
        const started = this.now();
        await this.syncTable(ctx);
        // A full sync (the start, the drift check) is no storm: the change after it waits for nothing.
        if (!full) this.spacing.done(started, this.now());
        this.gobgpOk = true;
      } else if (key === VERIFY) {
        await this.verifyTable(ctx);
      } else {
        // Reads gobgpd itself, and says whether it answered.
        await this.syncStatus(ctx);
      }
    } catch (err) {
      if (key === TABLE) this.forgetTable();
      if (gobgpDown(err)) {
        this.gobgpOk = false;
        // gobgpd may come back restarted: re-open the stream with the next table sync; the
        // report says at once that no session can be vouched for.
        this.stopPeerWatch();
        this.sessions = undefined;
        ctx.enqueue(STATUS);
        ctx.log.warn('gobgpd unreachable; retrying', { target: this.cfg.gobgp.target, ...errorFields(err) });
      }
      throw err;
    }
    return undefined;
  }

  private announcements(): CacheReader<SpeakerAnnouncement> {
    return this.deps.caches.informer(Cached.speakerAnnouncements);
  }

  private node(): CachedOwnNode | undefined {
    return this.deps.caches.informer(Cached.ownNode, this.nodeSelector).get(this.cfg.nodeName);
  }

  // --- table: BGP instance → paths → peers ------------------------------------------------

  /** What gobgpd holds is not known any more: the next sync lists it and runs every step. */
  private forgetTable(): void {
    this.fullNeeded = true;
    this.paths.forget();
    this.table.forget();
  }

  private async syncTable(ctx: ReconcileContext): Promise<void> {
    const token = this.watermark.syncStarted();
    const node = this.node();
    const full = this.fullNeeded || this.paths.unknown;
    this.fullNeeded = false;
    // gobgpd's table is listed when nothing is known of it (the start, after a failure or a
    // broken stream) or BGP was (re)started; the drift check lists it apart (verifyTable).
    const unknown = this.paths.unknown;
    const started = full && (await syncInstance(this.router, this.cfg, node, ctx.log));
    if (full) await syncImportPolicy(this.router, ctx.log);
    if (started || !this.peerWatch) this.watchPeers();
    const notEligible = notEligibleReason(node, this.cfg.peers);
    const eligible = notEligible === undefined;
    const draining = nodeDraining(node);
    const everything = full || this.decideAll;
    const changedKeys = this.changed;
    this.changed = new Set();
    this.decideAll = false;
    const decided = this.desiredPaths(eligible, draining, everything ? undefined : changedKeys);
    const desired = decided.paths;
    for (const c of desired.conflicts) ctx.log.warn('announcements share an address with different attributes; merged', { ...c });
    for (const v of desired.invalid) ctx.log.warn('value not announced', { ...v });
    for (const r of newlyRefused(desired.refused, this.current?.refused ?? [])) ctx.log.warn('prefix refused: no VipPool allows it here, or another namespace claims it', { ...r });
    const { paths, scope } = this.withHeld(decided, eligible, everything ? undefined : changedKeys, ctx);
    const changed = await this.paths.sync(paths, unknown || started, ctx.log, scope);
    // Peers after paths: a session that comes up finds every route there (as kube-vip sends
    // them with the session), instead of coming up empty while a cold start's table is computed.
    if (full) await this.peers.sync(node, (running, selected) => this.reports.previousReport(running, selected, ctx.log, ctx.signal), ctx.log);
    this.drafts.commit();
    this.recordLatency(desired, changed);
    this.current = desired;
    this.currentEligible = eligible;
    this.currentNotEligible = notEligible;
    this.currentDraining = draining;
    this.watermark.syncDone(token);
    // The next report reads again only what this sync may have changed in the adj-RIB-outs.
    if (scope && changed) this.staleAdjOut(scope);
    else if (changed || !scope) this.sessions = undefined;
    this.publishCounts(decided);
    // gobgpd sends updates to its peers asynchronously: after a change, read the
    // adj-RIB-out once it has settled, so the report is written once, not twice.
    ctx.enqueue(changed ? { key: STATUS, afterMs: SETTLE_CHECK_MS } : STATUS);
  }

  /**
   * The desired paths with those of vanished announcements still held (vanishedHold.ts), and the
   * prefixes that can differ in gobgpd: those the change touched, held or no longer held
   * (undefined: any).
   */
  private withHeld(decided: TableResult, eligible: boolean, changedKeys: ReadonlySet<string> | undefined, ctx: ReconcileContext): { paths: PathSpec[]; scope: Set<string> | undefined } {
    const heldBefore = [...this.held.keys()];
    const services = this.deps.caches.informer(Cached.services);
    const announcements = this.announcements();
    const hold = holdVanished({
      previous: this.current,
      desired: decided.paths.paths,
      // A Service or its announcement still there: not vanished (a changed spec withdraws at once).
      present: { has: (key) => announcements.get(key) !== undefined || services.get(key) !== undefined },
      ...(changedKeys ? { changed: changedKeys } : {}),
      eligible,
      held: this.held,
      now: this.now(),
    });
    this.held = hold.held;
    if (hold.recheckInMs !== undefined) ctx.enqueue({ key: TABLE, afterMs: hold.recheckInMs });
    const scope = decided.touched && new Set([...decided.touched, ...heldBefore, ...this.held.keys()]);
    return { paths: hold.paths, scope };
  }

  /**
   * The drift check's look at gobgpd: its local paths against what the table syncs left there.
   * Listing 10,000 paths takes a while; under its own key, changes are synced meanwhile (and a
   * sync that ran during the listing makes it inconclusive: the next period looks again).
   * Anything else there, or missing, makes the next table sync list and repair it.
   */
  private async verifyTable(ctx: ReconcileContext): Promise<void> {
    const before = this.paths.version;
    if (this.paths.unknown) return;
    const listed = await this.paths.localPaths();
    if (this.paths.version !== before || this.paths.unknown) return;
    const drift = this.paths.drift(listed);
    if (drift.add.length + drift.remove.length === 0) return;
    ctx.log.warn('gobgpd\'s table differs from what this speaker set; repairing', { missing: drift.add.length, unexpected: drift.remove.length });
    this.forgetTable();
    ctx.enqueue(TABLE);
  }

  private publishCounts(decided: TableResult): void {
    for (const f of FAMILIES) {
      metrics.announcedPrefixes.set({ node: this.cfg.nodeName, family: f }, decided.paths.paths.filter((p) => p.family === f).length);
    }
    // No policy: no pool and Unenforced; every prefix goes out unchecked, and says so.
    metrics.unenforcedPrefixes.set({ node: this.cfg.nodeName }, decided.unenforced ? decided.paths.paths.length : 0);
  }

  /** Every key decided again (changed undefined), or only the changed keys' part of the previous paths (nodeTable.ts). */
  private desiredPaths(eligible: boolean, draining: boolean, changed: ReadonlySet<string> | undefined): TableResult {
    const namespaces = this.deps.caches.informer(Cached.namespaces);
    const slices = this.deps.caches.informer(Cached.endpointSlices);
    const sources: TableSources = {
      services: this.deps.caches.informer(Cached.services),
      announcements: this.announcements(),
      slicesOf: (key) => this.slices.slicesOf(key, slices),
      pools: this.deps.caches.informer(Cached.pools).list(),
      namespaceLabels: (ns) => namespaces.get(ns)?.metadata?.labels,
      ownership: this.cfg.addressOwnership,
      loadBalancerClasses: this.cfg.loadBalancerClasses,
      node: { name: this.cfg.nodeName, eligible, draining },
      nextHop: this.cfg.nextHop,
    };
    return changed && this.table.known ? this.table.update(sources, changed) : this.table.full(sources);
  }

  private watchPeers(): void {
    this.stopPeerWatch();
    const w = { cancel: (): void => undefined };
    this.peerWatch = w;
    w.cancel = this.router.watchPeerEvents(
      (event) => this.onPeerEvent(event),
      (err) => {
        if (this.peerWatch !== w) return;
        this.peerWatch = undefined;
        // A broken stream usually means gobgpd restarted: rebuild config and paths.
        this.log.warn('GoBGP event stream ended; re-checking gobgpd', errorFields(err));
        this.forgetTable();
        this.enqueueFull(200);
      },
    );
  }

  private stopPeerWatch(): void {
    this.peerWatch?.cancel();
    this.peerWatch = undefined;
  }

  private onPeerEvent(event: PeerEvent): void {
    if (event.type === 'end-of-init') return;
    const peer = event.peer;
    this.sessionSeries.publish(peer);
    this.log.info('peer state', { peer: peer.address, state: peer.state });
    this.sessions = undefined;
    this.enqueue(STATUS);
    // The adj-RIB-out fills just after a session comes up.
    if (peer.state === 'Established') this.enqueue({ key: STATUS, afterMs: 1_000 });
  }

  private recordLatency(desired: NodePaths, changed: boolean): void {
    const before = this.current?.prefixesByAnnouncement;
    for (const key of this.latency.keys()) {
      if (!desired.prefixesByAnnouncement.has(key) && before?.has(key) !== true) continue;
      const seconds = this.latency.done(key);
      if (seconds !== undefined && changed) metrics.eventToAnnouncement.observe({ role: 'speaker' }, seconds);
    }
    // Every announcement's change touches a key; those this node never originates would
    // otherwise stay in the tracker forever.
    this.latency.clear();
  }

  // --- status: this node's VipSpeaker ----------------------------------------------------

  private async syncStatus(ctx: ReconcileContext): Promise<void> {
    const current = this.current;
    if (!current) {
      ctx.enqueue(TABLE);
      return;
    }
    const sessions = (this.sessions = await this.currentSessions());
    const now = this.now();
    const configured = peersOfNode(this.cfg.peers, this.node()).flatMap((i) => this.cfg.peers[i] ?? []);
    const read = { current, peers: sessions.peers, configured, adjOut: sessions.adjOut };
    // One read of the sessions serves both the settle decision and the report.
    const sessionFacts = sessionReports(read);
    const settled = this.settled(sessionFacts, current, now);
    const report = nodeReport({ ...read, watermark: settled.watermark, leaveOut: settled.leaveOut, eligible: this.currentEligible, notEligibleReason: this.currentNotEligible, draining: this.currentDraining }, sessionFacts);
    // Held back by prefixes gobgpd is still sending: read the adj-RIB-outs again shortly.
    const unsettled = settled.holdReport || (settled.watermark < this.watermark.value() && this.paths.addedAt.size > 0);
    // Only the prefixes still missing, or just added, can change what the adj-RIB-outs hold.
    if (unsettled) this.staleAdjOut([...missingPrefixes(sessionFacts), ...this.paths.addedAt.keys()]);
    const wait = this.reports.wait(report, now, settled.holdReport, this.awaited, SETTLE_CHECK_MS);
    if (wait > 0) {
      ctx.log.debug('report waits', { waitMs: wait, unsettled, holdReport: settled.holdReport, watermark: settled.watermark, acted: this.watermark.value() });
      ctx.enqueue({ key: STATUS, afterMs: unsettled ? Math.min(wait, SETTLE_CHECK_MS) : wait });
      return;
    }
    await this.reports.write(report, ctx.signal, this.reports.pace(report, this.awaited));
    for (const rv of this.awaited) if (rv <= settled.watermark) this.awaited.delete(rv);
    ctx.enqueue({ key: STATUS, afterMs: unsettled ? SETTLE_CHECK_MS : HEARTBEAT_MS });
  }

  private settled(sessions: readonly SessionReport[], current: NodePaths, now: number): Settled {
    pruneAdded(this.paths.addedAt, now, SETTLE_MAX_MS);
    return settledWatermark({
      acted: this.watermark.value(),
      written: Number(this.reports.written?.announcementsResourceVersion ?? 0),
      missing: missingPrefixes(sessions),
      prefixesByAnnouncement: current.prefixesByAnnouncement,
      specRv: (key) => this.specRvs.get(key) ?? (Number(this.announcements().get(key)?.metadata.resourceVersion) || 0),
      addedAt: this.paths.addedAt,
      now,
      settleMs: SETTLE_MAX_MS,
    });
  }

  /** Prefixes whose adj-RIB-out entries the next report reads again (the rest are as last read). */
  private staleAdjOut(prefixes: Iterable<string>): void {
    if (!this.sessions) return;
    for (const p of prefixes) this.adjOutStale.add(p);
  }

  /** What gobgpd says now: all of it, or only the stale prefixes against the last read. */
  private async currentSessions(): Promise<Sessions> {
    const last = this.sessions;
    const stale = this.adjOutStale;
    this.adjOutStale = new Set();
    if (!last?.peers) return this.readSessions();
    if (stale.size === 0) return last;
    const fresh = await this.rereadAdjOut(last, stale);
    return fresh ?? this.readSessions();
  }

  /**
   * The stale prefixes of each established peer's adj-RIB-out (ListPath with prefixes), the rest
   * as last read; undefined when the established peers changed (then everything is read).
   */
  private async rereadAdjOut(last: Sessions, stale: ReadonlySet<string>): Promise<Sessions | undefined> {
    try {
      const peers = await this.router.listPeers();
      const established = peers.filter((p) => p.state === 'Established');
      if (established.length !== last.adjOut.size || established.some((p) => !last.adjOut.has(canonicalIp(p.address) ?? p.address))) return undefined;
      this.publishPeers(peers);
      const byFamily = new Map(FAMILIES.map((f) => [f, [...stale].filter((p) => unicastFamily(p.includes(':') ? 6 : 4) === f)]));
      const adjOut = new Map<string, ReadonlySet<string>>();
      for (const p of established) {
        const address = canonicalIp(p.address) ?? p.address;
        const asked = FAMILIES.flatMap((f) => {
          const prefixes = byFamily.get(f) ?? [];
          return prefixes.length > 0 ? [this.router.listPath(f, 'adj-out', p.address, prefixes)] : [];
        });
        const listed = (await Promise.all(asked)).flat();
        adjOut.set(address, refreshed(last.adjOut.get(address), stale, listed.map((x) => canonicalPrefix(x.prefix) ?? x.prefix)));
      }
      return { peers, adjOut };
    } catch (err) {
      if (!gobgpDown(err)) throw err;
      this.gobgpOk = false;
      return { peers: undefined, adjOut: new Map() };
    }
  }

  private publishPeers(peers: readonly GobgpPeer[]): void {
    this.sessionSeries.retainListed(peers);
    for (const p of peers) this.sessionSeries.publish(p);
  }

  /** Sessions and adj-RIB-outs; no peers when gobgpd does not answer (every session Unknown). */
  private async readSessions(): Promise<Sessions> {
    try {
      const peers = await this.router.listPeers();
      this.publishPeers(peers);
      const adjOut = new Map<string, string[]>();
      for (const p of peers) {
        if (p.state !== 'Established') continue;
        const paths = (await Promise.all(FAMILIES.map((f) => this.router.listPath(f, 'adj-out', p.address)))).flat();
        adjOut.set(p.address, paths.map((x) => x.prefix));
      }
      this.gobgpOk = true;
      return { peers, adjOut: indexAdjOut(adjOut) };
    } catch (err) {
      if (!gobgpDown(err)) throw err;
      this.gobgpOk = false;
      return { peers: undefined, adjOut: new Map() };
    }
  }

  // --- shutdown -------------------------------------------------------------------------

  async shutdown(): Promise<void> {
    this.stopPeerWatch();
    this.passwords.stop();
    const ms = this.deps.shutdownDeadlineMs ?? SHUTDOWN_DEADLINE_MS;
    const deadline = scopedSignal(systemClock, ms, []);
    try {
      const uninstalling = this.uninstalling() || (await this.uninstallingLive(deadline.signal));
      if (uninstalling) this.log.info('the speaker\'s namespace is being uninstalled (deleted, or annotated vipannouncer.io/uninstall): withdrawing routes on shutdown', { namespace: this.deps.podNamespace });
      if (!withdrawsOnStop(this.cfg.withdrawOnShutdown, uninstalling)) {
        // gobgpd keeps the routes and the router holds them: the report stays true as it is.
        this.log.info('keeping routes in gobgpd on shutdown (graceful restart); this node counts until its report goes stale');
        return;
      }
      await this.withdrawWithinDeadline(deadline.signal, ms);
      await untilAborted(this.reports.markStopped(deadline.signal), deadline.signal).catch((err: unknown) => {
        this.log.warn('could not mark this node\'s VipSpeaker Stopped; the controller stops counting it once its heartbeat is stale', { deadlineMs: ms, ...errorFields(err) });
      });
    } finally {
      deadline.dispose();
      this.router.close();
    }
  }

  /** Our own namespace is being deleted, as the namespace cache (kept for the pool filter) says. */
  private uninstalling(): boolean {
    const ns = this.deps.podNamespace;
    if (!ns) return false;
    return namespaceUninstalling(this.deps.caches.informer(Cached.namespaces).get(ns));
  }

  /** The cache did not say so: ask the API server (at most UNINSTALL_CHECK_MS of the deadline). */
  private async uninstallingLive(signal: AbortSignal): Promise<boolean> {
    const ns = this.deps.podNamespace;
    const read = this.deps.readNamespace;
    if (!ns || !read) return false;
    const check = scopedSignal(systemClock, UNINSTALL_CHECK_MS, [signal]);
    try {
      const lookup = await untilAborted(read(ns, check.signal), check.signal).catch((): NamespaceLookup => ({ kind: 'unknown' }));
      if (lookup.kind !== 'found') this.log.info('the speaker\'s namespace read at shutdown', { namespace: ns, result: lookup.kind });
      return uninstallingByLookup(lookup);
    } finally {
      check.dispose();
    }
  }

  /** Rejects when the routes could not all be withdrawn (the process then exits non-zero). */
  private async withdrawWithinDeadline(signal: AbortSignal, ms: number): Promise<void> {
    await untilAborted(this.paths.withdrawAll(signal, this.log), signal).catch((err: unknown) => {
      this.log.error('could not withdraw routes on shutdown', { deadlineMs: ms, ...errorFields(err) });
      throw err;
    });
  }
}

/**
 * Whether a stopping speaker withdraws its routes: when configured to, and always on an
 * uninstall. A rollout, a drain or a restart keeps them (graceful restart holds them at the
 * router until the next speaker takes over); an uninstall that kept them would leave every
 * route at the routers for the restart time with nothing behind it.
 */
export function withdrawsOnStop(withdrawOnShutdown: boolean, uninstalling: boolean): boolean {
  return withdrawOnShutdown || uninstalling;
}

/** `work`, or the signal's reason as soon as it aborts (gRPC calls take no signal). */
function untilAborted<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  let onAbort = (): void => undefined;
  const aborted = new Promise<never>((_, reject) => {
    onAbort = () => reject(signal.reason instanceof Error ? signal.reason : new Error('aborted'));
    if (signal.aborted) onAbort();
    else signal.addEventListener('abort', onAbort, { once: true });
  });
  return Promise.race([work, aborted]).finally(() => signal.removeEventListener('abort', onAbort));
}
