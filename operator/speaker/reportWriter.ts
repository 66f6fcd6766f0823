// This node's VipSpeaker, apart from the table: when a report is written (reportWait), the
// server-side applies of the object (owned by our Node) and of its status, and reading back
// the previous speaker's report once (graceful restart decides on it).
import { API_VERSION } from '../api/types';
import { kubeTime } from '../api/time';
import { HEARTBEAT_SECONDS, SPEAKER_REPORT_KIND, type VipSpeakerStatus } from '../api/vipSpeaker';
import { MANAGED_BY, MANAGED_BY_LABEL } from '../api/labels';
import type { GobgpPeer } from '../gobgp/types';
import { isNotFound } from '../kube/apply';
import type { CachedNode } from '../kube/cachedKinds';
import type { KubeWriter } from '../kube/kubeWriter';
import { Resources, type KubeObject } from '../kube/resources';
import { errorFields, type Log } from '../util/log';
import { metrics } from '../util/metrics';
import type { PreviousReport } from './gracefulRestart';
import { awaitedPassed, onlyWatermarkMoved, reportChanged, reportUrgent } from './nodeReport';

/** At most one report write per node this often: a burst of changes is one write. */
export const MIN_REPORT_GAP_MS = 250;
/** A report that only moves the watermark past many changes (a cold start's progress) at most this often. */
export const PROGRESS_GAP_MS = 500;
/** Up to this many changes the controller waits for make a report urgent at MIN_REPORT_GAP_MS: steady-state changes, one by one. */
export const FEW_CHANGES = 4;
export const HEARTBEAT_MS = HEARTBEAT_SECONDS * 1_000;
/**
 * How far ahead of the pace a write may go: a lone change after a quiet moment is reported at
 * once, a storm of changes at the pace above (the generic cell rate algorithm's tolerance).
 */
export const REPORT_BURST_MS = 500;

export class ReportWriter {
  /** The report as last written, and when (ms); undefined: not written by this process. */
  private lastWritten: VipSpeakerStatus | undefined;
  private writtenAt = 0;
  /** When the next write is due at the pace (earlier by up to REPORT_BURST_MS). */
  private dueAt = 0;
  /** The VipSpeaker object exists with our metadata (created by this process or found). */
  private objectApplied = false;
  /**
   * This node's report as last written, by this process or (read back once at the first apply)
   * the one before it: whether an added peer is a graceful restart. undefined: not known yet.
   */
  private lastReport: { status?: PreviousReport } | undefined;

  constructor(
    private readonly writer: KubeWriter,
    private readonly nodeName: string,
    private readonly node: () => CachedNode | undefined,
    private readonly now: () => number,
  ) {}

  /** What this process last wrote; undefined before its first write. */
  get written(): VipSpeakerStatus | undefined {
    return this.lastWritten;
  }

  /**
   * How long the report waits: not at all when nothing was written yet; until the heartbeat
   * when nothing changed (or only the watermark, past nothing awaited); a moment while gobgpd
   * is still sending a prefix of an announcement already reported (unless a session changed);
   * else until the pace allows it (dueAt; a watermark-only report counts for longer).
   */
  wait(report: VipSpeakerStatus, now: number, holdReport: boolean, awaited: ReadonlySet<number>, settleCheckMs: number): number {
    const written = this.lastWritten;
    if (!written) return 0;
    const since = now - this.writtenAt;
    if (!reportChanged(written, report)) return Math.max(0, HEARTBEAT_MS - since);
    const sessionsMoved = sessionStates(written) !== sessionStates(report);
    if (!sessionsMoved && holdReport) return settleCheckMs;
    // Only the watermark moved, past nothing the controller waits for: carried by the heartbeat.
    if (!reportUrgent(written, report, awaited)) return Math.max(0, HEARTBEAT_MS - since);
    return Math.max(0, this.dueAt - REPORT_BURST_MS - now);
  }

  /**
   * How much of the write pace the report takes: MIN_REPORT_GAP_MS, or PROGRESS_GAP_MS when it
   * only moves the watermark past more than FEW_CHANGES awaited revisions (a cold start's
   * progress: many reports, each worth little alone).
   */
  pace(report: VipSpeakerStatus, awaited: Iterable<number>): number {
    const written = this.lastWritten;
    if (!written || !onlyWatermarkMoved(written, report)) return MIN_REPORT_GAP_MS;
    return awaitedPassed(written, report, awaited, FEW_CHANGES) > FEW_CHANGES ? PROGRESS_GAP_MS : MIN_REPORT_GAP_MS;
  }

  /**
   * Server-side apply of our report (status subresource), creating the object first if needed;
   * `paceMs`: what of the write pace it takes (pace(); MIN_REPORT_GAP_MS by default).
   */
  async write(report: VipSpeakerStatus, signal?: AbortSignal, paceMs = MIN_REPORT_GAP_MS): Promise<void> {
    const now = this.now();
    if (!this.objectApplied) await this.applyObject(signal);
    // bootID: the next speaker of this node tells a restart from a cold boot by it (gracefulRestart.ts).
    const bootID = this.node()?.status?.nodeInfo?.bootID;
    const body = {
      apiVersion: API_VERSION,
      kind: SPEAKER_REPORT_KIND,
      metadata: { name: this.nodeName },
      status: { ...report, ...(bootID ? { bootID } : {}), heartbeatTime: kubeTime(new Date(now)) },
    };
    try {
      await this.writer.applyStatus(Resources.vipSpeakers, body, { signal });
    } catch (err) {
      // Deleted meanwhile: create it again with the next write.
      if (isNotFound(err)) this.objectApplied = false;
      throw err;
    }
    metrics.statusWrites.inc({ role: 'speaker' });
    this.dueAt = Math.max(this.dueAt, now) + paceMs;
    this.lastWritten = report;
    this.writtenAt = now;
    this.lastReport = { status: body.status };
  }

  /**
   * Only after a withdrawal: until then the report truthfully says "advertised". A stop
   * that keeps the routes (graceful restart, a rollout) leaves the report Running instead:
   * gobgpd still originates them and the router holds them; the next speaker takes the report
   * over, and a speaker that never comes back goes stale after three heartbeats.
   */
  async markStopped(signal: AbortSignal): Promise<void> {
    if (!this.lastWritten) return;
    await this.write({ ...this.lastWritten, phase: 'Stopped' }, signal);
  }

  /**
   * The report the previous speaker of this node left, read back once by applying the object
   * (server-side apply answers with the whole object; no `get` needed). Only read when a peer
   * is missing from gobgpd (`configured` peers, `running` in gobgpd). Unreadable: treated as
   * a cold boot.
   */
  async previousReport(running: readonly GobgpPeer[], configured: number, log: Log, signal?: AbortSignal): Promise<PreviousReport | undefined> {
    if (this.lastReport === undefined && running.length < configured) {
      try {
        await this.applyObject(signal);
      } catch (err) {
        log.warn('could not read this node\'s previous report; peers are added as after a cold boot', errorFields(err));
        this.lastReport = {};
      }
    }
    return this.lastReport?.status;
  }

  /** The object, owned by our Node (deleting the Node collects it). */
  private async applyObject(signal?: AbortSignal): Promise<void> {
    const uid = this.node()?.metadata?.uid;
    const ownerReferences = uid ? [{ apiVersion: 'v1', kind: 'Node', name: this.nodeName, uid }] : undefined;
    const metadata = { name: this.nodeName, labels: { [MANAGED_BY_LABEL]: MANAGED_BY }, ...(ownerReferences ? { ownerReferences } : {}) };
    const applied = await this.writer.apply<KubeObject & { status?: PreviousReport }>(Resources.vipSpeakers, { apiVersion: API_VERSION, kind: SPEAKER_REPORT_KIND, metadata }, { signal });
    this.lastReport ??= { status: applied.status };
    // Without our Node in the cache, the owner is added by the next write.
    this.objectApplied = ownerReferences !== undefined;
  }
}

/** The sessions' states as one comparable string. */
function sessionStates(report: VipSpeakerStatus): string {
  return JSON.stringify({ reachable: report.gobgpReachable, sessions: (report.sessions ?? []).map((x) => [x.address, x.state, x.bfd]) });
}
