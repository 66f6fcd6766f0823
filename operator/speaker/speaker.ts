// The speaker role, one per node: makes its dedicated gobgpd originate exactly
// the paths the VipAnnouncements ask of this node, and reports back, per
// announcement, what GoBGP says (session states, prefixes in each adj-RIB-out).
//
// Two keys, both level-triggered and coalesced by the queue:
//   "table"   ensure gobgpd is started and peered as configured, then diff
//             pathsForNode(all announcements) against gobgpd's local paths
//   "status"  read peers and adj-RIB-outs once, and server-side apply this
//             node's status.speakers entry of every announcement whose entry changed
// Triggers: announcement or Node events, GoBGP peer events, a broken GoBGP
// stream (gobgpd restarted), and the drift-check period.
import type { KubeConfig, V1Node } from '@kubernetes/client-node';
import { API_VERSION, KIND, type SpeakerStatus, type VipAnnouncement } from '../api/types';
import type { SpeakerConfig } from '../config/types';
import { globalSpecOf, peerSpecOf } from '../config/specs';
import { GobgpClient, GobgpError } from '../gobgp/client';
import type { Family, PathSpec, PeerState } from '../gobgp/types';
import { isNotFound, ResourceClient } from '../kube/apply';
import type { Informer } from '../kube/informer';
import { OperatorBase } from '../kube/operatorBase';
import { objectKey, Resources } from '../kube/resources';
import { ExponentialRateLimiter, type Result } from '../kube/workqueue';
import { errorFields, type Log } from '../util/log';
import { inParallel } from '../util/parallel';
import { LatencyTracker, metrics } from '../util/metrics';
import { EXCLUDE_FROM_LB_LABEL } from '../controller/desiredAnnouncement';
import { diffTable } from './diffTable';
import { peerConfigDiffers } from './peerConfig';
import { pathsForNode, type NodePaths } from './pathsForNode';
import { OwnEntries } from './ownEntries';
import { entrySettled, indexAdjOut, speakerEntry } from './speakerStatus';

const TABLE = 'table';
const STATUS = 'status';
const FAMILIES: Family[] = ['ipv4-unicast', 'ipv6-unicast'];
/** Concurrent status writes to the API server. */
const STATUS_WRITE_CONCURRENCY = 16;
/** Concurrent DeletePath calls to gobgpd. */
const GOBGP_CONCURRENCY = 32;
/** After a table change, how long an entry waits for gobgpd to finish sending before it is written anyway. */
const SETTLE_MAX_MS = 5_000;
/**
 * How long a status write may stay unseen by the cache before the cached entry counts again.
 * Long: under load the API server closes slow watches and the cache can lag by tens of
 * seconds; a shorter wait rewrites hundreds of unchanged entries into that same load.
 */
const PENDING_WRITE_TTL_MS = 120_000;

export interface SpeakerOptions {
  kubeConfig: KubeConfig;
  logger: Log;
  config: SpeakerConfig;
}

export function speakerFieldManager(node: string): string {
  return `vip-announcer-speaker-${node}`.slice(0, 128);
}

/** The Node's first IPv4 InternalIP: the default router id. */
export function internalIPv4(node: V1Node | undefined): string | undefined {
  return (node?.status?.addresses ?? []).find((a) => a.type === 'InternalIP' && /^\d+\.\d+\.\d+\.\d+$/.test(a.address))?.address;
}

export class Speaker extends OperatorBase {
  private readonly cfg: SpeakerConfig;
  private readonly gobgp: GobgpClient;
  private readonly announcements: ResourceClient<VipAnnouncement>;
  private readonly latency = new LatencyTracker();
  private vas!: Informer<VipAnnouncement>;
  private nodes!: Informer<V1Node>;
  /** What the last table sync made gobgpd originate, per announcement. */
  private current: NodePaths | undefined;
  /** Our entries as last written, per announcement key. */
  private readonly written: OwnEntries;
  private cancelWatch: (() => void) | undefined;
  private gobgpOk = false;
  /** When the last table sync changed gobgpd's table (ms since epoch). */
  private tableChangedAt = 0;
  private configured = false;

  constructor(opts: SpeakerOptions) {
    super({
      name: 'speaker',
      kubeConfig: opts.kubeConfig,
      logger: opts.logger.child({ node: opts.config.nodeName }),
      concurrency: 2,
      resyncPeriodMs: opts.config.driftCheckPeriodMs,
      // gobgpd may be starting next to us: retry quickly, never give up, never exit.
      rateLimiter: new ExponentialRateLimiter(100, 5_000),
      onHandled: (_key, ms, outcome) => {
        metrics.reconcileDuration.observe({ role: 'speaker', outcome }, ms / 1000);
        metrics.queueDepth.set({ role: 'speaker' }, this.queueDepth());
      },
    });
    this.cfg = opts.config;
    this.written = new OwnEntries(Math.max(PENDING_WRITE_TTL_MS, 2 * opts.config.driftCheckPeriodMs));
    this.gobgp = new GobgpClient(opts.config.gobgp.target, { timeoutMs: opts.config.gobgp.timeoutMs });
    this.announcements = new ResourceClient<VipAnnouncement>(opts.kubeConfig, Resources.vipAnnouncements, speakerFieldManager(opts.config.nodeName));
  }

  get nodeName(): string {
    return this.cfg.nodeName;
  }

  /** gobgpd answered the last call (part of /readyz). */
  gobgpReachable(): boolean {
    return this.gobgpOk;
  }

  protected override init(): Promise<void> {
    this.vas = this.informer<VipAnnouncement>(Resources.vipAnnouncements);
    this.vas.onChange((type, va, old) => {
      const key = objectKey(va);
      // Our own status writes come back here too; only spec, deletion and a
      // lost entry of ours need the table or the status looked at again.
      const specChanged = type !== 'MODIFIED' || JSON.stringify(va.spec) !== JSON.stringify(old?.spec) || va.metadata.deletionTimestamp !== old?.metadata.deletionTimestamp;
      if (specChanged) {
        this.latency.touch(key);
        this.enqueue(TABLE);
      }
      if (type === 'DELETED') {
        this.written.forget(key);
        return;
      }
      const lost = this.written.observe(key, va.metadata.resourceVersion, this.storedEntry(va), Date.now());
      if (specChanged || lost) this.enqueue(STATUS);
    });
    this.nodes = this.informer<V1Node>(Resources.nodes, { fieldSelector: `metadata.name=${this.cfg.nodeName}` });
    this.nodes.onChange((type, node, old) => {
      const excluded = (n: V1Node | undefined): boolean => EXCLUDE_FROM_LB_LABEL in (n?.metadata?.labels ?? {});
      if (type !== 'MODIFIED' || excluded(node) !== excluded(old) || internalIPv4(node) !== internalIPv4(old)) this.enqueue(TABLE);
    });
    return Promise.resolve();
  }

  protected override keysForFullSync(): Iterable<string> {
    // The drift check: compare gobgpd's table and our status entries with the desired state.
    return [TABLE, STATUS];
  }

  protected override async reconcile(key: string): Promise<Result> {
    try {
      const r = key === TABLE ? await this.syncTable() : await this.syncStatus();
      this.gobgpOk = true;
      return r;
    } catch (err) {
      if (err instanceof GobgpError && (err.kind === 'unavailable' || err.kind === 'timeout' || err.kind === 'not-started')) {
        this.gobgpOk = false;
        this.configured = false;
        this.log.warn('gobgpd unreachable; retrying', { target: this.cfg.gobgp.target, ...errorFields(err) });
      }
      throw err;
    }
  }

  private node(): V1Node | undefined {
    return this.nodes.get(this.cfg.nodeName);
  }

  /** gobgpd started with our global config and exactly our peers (rebuilt after a restart). */
  private async ensureConfigured(): Promise<void> {
    const bgp = await this.gobgp.getBgp();
    if (!bgp) {
      const global = globalSpecOf(this.cfg, internalIPv4(this.node()));
      this.log.info('starting BGP in gobgpd', { asn: global.asn, routerId: global.routerId, port: global.listenPort });
      await this.gobgp.startBgp(global);
      this.configured = false;
    }
    if (!this.configured) {
      const current = new Map((await this.gobgp.listPeers()).map((p) => [p.address, p]));
      const existing = new Set(current.keys());
      const wanted = new Set(this.cfg.peers.map((p) => p.address));
      for (const p of this.cfg.peers) {
        const spec = peerSpecOf(p);
        const have = current.get(p.address);
        if (have) {
          const differs = peerConfigDiffers(spec, have.config);
          if (differs.length === 0) continue;
          // gobgpd has no in-place update for these: re-create the peer (its session restarts).
          this.log.info('peer configuration changed; re-creating it', { peer: p.address, fields: differs });
          await this.gobgp.deletePeer(p.address);
        }
        this.log.info('adding peer', { peer: p.address, asn: p.asn, port: p.port });
        await this.gobgp.addPeer(spec);
      }
      for (const address of existing) {
        if (wanted.has(address)) continue;
        this.log.info('deleting peer not in the configuration', { peer: address });
        await this.gobgp.deletePeer(address);
      }
      this.configured = true;
      this.watchPeers();
    }
  }

  private watchPeers(): void {
    this.cancelWatch?.();
    this.cancelWatch = this.gobgp.watchPeerEvents(
      (event) => {
        if (event.type === 'end-of-init') return;
        const peer = event.peer;
        metrics.sessionUp.set({ node: this.cfg.nodeName, peer: peer.address }, peer.state === 'Established' ? 1 : 0);
        this.log.info('peer state', { peer: peer.address, state: peer.state });
        this.enqueue(STATUS);
        // The adj-RIB-out fills just after a session comes up.
        if (peer.state === 'Established') this.enqueueAfter(STATUS, 1_000);
      },
      (err) => {
        // A broken stream usually means gobgpd restarted: rebuild config and paths.
        if (this.cancelWatch === undefined) return;
        this.cancelWatch = undefined;
        this.configured = false;
        this.log.warn('GoBGP event stream ended; re-checking gobgpd', errorFields(err));
        this.enqueueAfter(TABLE, 200);
      },
    );
  }

  private async syncTable(): Promise<Result> {
    await this.ensureConfigured();
    const node = this.node();
    const eligible = node !== undefined && !(EXCLUDE_FROM_LB_LABEL in (node.metadata?.labels ?? {}));
    const desired = pathsForNode(this.vas.list(), { name: this.cfg.nodeName, eligible }, this.cfg.nextHop);
    for (const c of desired.conflicts) this.log.warn('announcements share an address with different attributes; merged', { ...c });
    for (const v of desired.invalid) this.log.warn('value not announced', { ...v });

    const observed = (await Promise.all(FAMILIES.map((f) => this.gobgp.listPath(f, 'global')))).flat();
    const diff = diffTable(desired.paths, observed);
    // gobgpd serves API calls concurrently; one at a time would make a cold
    // start with thousands of VIPs take seconds per node.
    // One streaming call for all additions: unary calls cost the speaker about
    // a millisecond of CPU each, seconds per node on a cold start.
    await this.gobgp.addPaths(diff.add);
    metrics.gobgpOperations.inc({ node: this.cfg.nodeName, op: 'add' }, diff.add.length);
    await inParallel(diff.remove, GOBGP_CONCURRENCY, async (p) => {
      await this.gobgp.deletePath(p);
      metrics.gobgpOperations.inc({ node: this.cfg.nodeName, op: 'delete' });
    });
    if (diff.add.length + diff.remove.length > 0) {
      this.tableChangedAt = Date.now();
      this.log.info('gobgpd table updated', { added: diff.add.length, removed: diff.remove.length, paths: desired.paths.length });
    }
    const touched = new Set<string>([...desired.prefixesByAnnouncement.keys(), ...(this.current?.prefixesByAnnouncement.keys() ?? [])]);
    for (const key of touched) {
      const seconds = this.latency.done(key);
      if (seconds !== undefined && diff.add.length + diff.remove.length > 0) metrics.eventToAnnouncement.observe({ role: 'speaker' }, seconds);
    }
    this.current = desired;
    for (const f of FAMILIES) {
      metrics.announcedPrefixes.set({ node: this.cfg.nodeName, family: f }, desired.paths.filter((p: PathSpec) => p.family === f).length);
    }
    // gobgpd sends updates to its peers asynchronously: after a change, read the
    // adj-RIB-out once it has settled, so each entry is written once, not twice.
    if (diff.add.length + diff.remove.length > 0) this.enqueueAfter(STATUS, 500);
    else this.enqueue(STATUS);
    return undefined;
  }

  private async syncStatus(): Promise<Result> {
    const current = this.current;
    if (!current) {
      this.enqueue(TABLE);
      return undefined;
    }
    const peers: PeerState[] = await this.gobgp.listPeers();
    for (const p of peers) metrics.sessionUp.set({ node: this.cfg.nodeName, peer: p.address }, p.state === 'Established' ? 1 : 0);
    const adjOut = new Map<string, string[]>();
    for (const p of peers) {
      if (p.state !== 'Established') continue;
      const paths = (await Promise.all(FAMILIES.map((f) => this.gobgp.listPath(f, 'adj-out', p.address)))).flat();
      adjOut.set(p.address, paths.map((x) => x.prefix));
    }
    const adjOutIndex = indexAdjOut(adjOut);
    const now = new Date();
    const writes: { va: VipAnnouncement; entry: SpeakerStatus | null }[] = [];
    const settling = now.getTime() - this.tableChangedAt < SETTLE_MAX_MS;
    let deferred = 0;
    for (const va of this.vas.list()) {
      const key = objectKey(va);
      const entry = speakerEntry(this.cfg.nodeName, current.prefixesByAnnouncement.get(key) ?? [], peers, adjOutIndex, now);
      if (!this.written.needsWrite(key, this.storedEntry(va), entry, now.getTime())) continue;
      if (settling && !entrySettled(entry)) deferred++;
      else writes.push({ va, entry });
    }
    if (deferred > 0) this.enqueueAfter(STATUS, 500);
    await inParallel(writes, STATUS_WRITE_CONCURRENCY, (w) => this.writeEntry(w.va, w.entry));
    if (writes.length + deferred > 0) this.log.debug('status entries written', { count: writes.length, deferred });
    return undefined;
  }

  private storedEntry(va: VipAnnouncement): SpeakerStatus | null {
    return (va.status?.speakers ?? []).find((s) => s.node === this.cfg.nodeName) ?? null;
  }

  private async writeEntry(va: VipAnnouncement, entry: SpeakerStatus | null): Promise<void> {
    const key = objectKey(va);
    try {
      // Server-side apply with this node's own field manager: applying no entry
      // releases (removes) ours and leaves every other speaker's alone.
      const written = await this.announcements.applyStatus({
        apiVersion: API_VERSION,
        kind: KIND,
        metadata: { name: va.metadata.name, namespace: va.metadata.namespace },
        status: { speakers: entry ? [entry] : [] },
      });
      metrics.statusWrites.inc({ role: 'speaker' });
      this.written.recordWrite(key, entry, written.metadata.resourceVersion, Date.now());
    } catch (err) {
      if (isNotFound(err)) {
        this.written.forget(key);
        return;
      }
      throw err;
    }
  }

  /**
   * Graceful stop. withdrawOnShutdown: withdraw every path we originate (the
   * routers move traffic to other nodes at once) and drop our status entries;
   * otherwise leave gobgpd's table alone for graceful restart.
   */
  async stopSpeaker(): Promise<void> {
    await this.shutdown();
    this.cancelWatch?.();
    this.cancelWatch = undefined;
    if (this.cfg.withdrawOnShutdown) {
      try {
        const observed = (await Promise.all(FAMILIES.map((f) => this.gobgp.listPath(f, 'global')))).flat();
        const diff = diffTable([], observed);
        for (const p of diff.remove) await this.gobgp.deletePath(p);
        this.log.info('withdrew routes on shutdown', { removed: diff.remove.length });
        const mine = this.vas.list().filter((va) => (va.status?.speakers ?? []).some((s) => s.node === this.cfg.nodeName));
        await Promise.all(mine.map((va) => this.writeEntry(va, null).catch(() => undefined)));
      } catch (err) {
        this.log.warn('could not withdraw routes on shutdown', errorFields(err));
      }
    } else {
      this.log.info('keeping routes in gobgpd on shutdown (graceful restart)');
    }
    this.gobgp.close();
  }
}
