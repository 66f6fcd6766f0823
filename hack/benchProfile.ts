// Where the time of a benchmark phase went: CPU seconds and peak RSS per process (from
// /proc/PID/stat and /proc/PID/status), the API writes by verb and resource (from the lab
// API server's audit log) and its reads (from its apiserver_request_total counter).
// Printed after each phase of `make bench`, so a slow figure comes with the process and
// the writes that explain it.
import { closeSync, existsSync, openSync, readdirSync, readFileSync, readSync, statSync } from 'node:fs';
import path from 'node:path';
import { kubectl, lab } from '../test-e2e/harness/lab';
import { auditLogPath, type AuditEvent } from '../test-e2e/harness/audit';

const CLOCK_TICKS = 100;

export interface ProcessSample {
  cpuSeconds: number;
  /** VmHWM: the process's peak resident set so far, in MB. */
  peakRssMB: number;
}

/**
 * A place in the audit log: the writes after it belong to the next phase. The API server
 * rotates the log (100 MB), renaming it: the inode finds the renamed file's rest.
 */
export interface AuditMark {
  ino: number;
  offset: number;
}

export interface Snapshot {
  procs: Map<string, ProcessSample>;
  reads: Map<string, number>;
  audit: AuditMark;
}

export function sampleProcess(pid: number): ProcessSample | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the parenthesised command name; utime and stime are fields 14 and 15.
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const hwm = /^VmHWM:\s+(\d+) kB$/m.exec(status);
    return { cpuSeconds: (Number(rest[11]) + Number(rest[12])) / CLOCK_TICKS, peakRssMB: Number(hwm?.[1] ?? 0) / 1024 };
  } catch {
    return undefined;
  }
}

/**
 * The last sample of processes that have exited: /proc forgets them, so the bench samples a
 * process right before it stops it, and later snapshots still count its CPU and peak.
 */
const finals = new Map<string, ProcessSample>();

export function recordFinal(name: string, pid: number): ProcessSample | undefined {
  const s = sampleProcess(pid);
  if (s) finals.set(name, s);
  return s;
}

export function finalSample(name: string): ProcessSample | undefined {
  return finals.get(name);
}

/** Every process the lab and the benchmark started, by name (plus this process as "bench"). */
function processes(): Map<string, number> {
  const dir = path.join(lab().dir, 'pids');
  const out = new Map<string, number>([['bench', process.pid]]);
  for (const f of readdirSync(dir)) {
    if (!f.endsWith('.pid')) continue;
    const pid = Number(readFileSync(path.join(dir, f), 'utf8').trim());
    if (pid > 0) out.set(f.slice(0, -4), pid);
  }
  return out;
}

async function apiserverReads(): Promise<Map<string, number>> {
  const text = await kubectl(['get', '--raw', '/metrics']);
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (!line.startsWith('apiserver_request_total{')) continue;
    const labels = Object.fromEntries([...line.matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1], m[2]]));
    if (labels.verb !== 'GET' && labels.verb !== 'LIST') continue;
    const value = Number(line.slice(line.lastIndexOf(' ') + 1));
    const what = `${labels.verb} ${labels.resource}${labels.subresource ? '/' + labels.subresource : ''}`;
    out.set(what, (out.get(what) ?? 0) + value);
  }
  return out;
}

export function auditMark(): AuditMark {
  const file = auditLogPath();
  if (!existsSync(file)) return { ino: 0, offset: 0 };
  const st = statSync(file);
  return { ino: st.ino, offset: st.size };
}

function readRange(file: string, from: number, to: number): string {
  if (to <= from) return '';
  const buf = Buffer.alloc(to - from);
  const fd = openSync(file, 'r');
  try {
    readSync(fd, buf, 0, buf.length, from);
  } finally {
    closeSync(fd);
  }
  return buf.toString('utf8');
}

/** The audit events written between two marks (whole lines only), across a rotation. */
export function auditBetween(from: AuditMark, to: AuditMark): AuditEvent[] {
  const file = auditLogPath();
  if (!existsSync(file)) return [];
  let text: string;
  if (from.ino === to.ino) {
    text = readRange(file, from.offset, to.offset);
  } else {
    // Rotated in between: the rest of the renamed file, then the new one from its start.
    const dir = path.dirname(file);
    const old = readdirSync(dir).map((f) => path.join(dir, f)).find((f) => f !== file && statSync(f).ino === from.ino);
    text = (old ? readRange(old, from.offset, statSync(old).size) + '\n' : '') + readRange(file, 0, to.offset);
  }
  const out: AuditEvent[] = [];
  for (const line of text.split('\n')) {
    if (!line) continue;
    try {
      const e = JSON.parse(line) as AuditEvent;
      if (e.stage === 'ResponseComplete') out.push(e);
    } catch {
      // A line cut by the window's end: it belongs to the next phase.
    }
  }
  return out;
}

/** "patch vipannouncements/status" for an audit event. */
export function writeKind(e: AuditEvent): string {
  const o = e.objectRef ?? {};
  return `${e.verb} ${o.resource ?? '?'}${o.subresource ? '/' + o.subresource : ''}`;
}

/** Who wrote: the operator's ServiceAccounts, the lab's controllers, or the bench (lab-admin). */
function writer(e: AuditEvent): string {
  const u = e.user.username;
  if (u.endsWith(':vip-announcer-controller')) return 'controller';
  if (u.endsWith(':vip-announcer-speaker')) return 'speaker';
  if (u === 'lab-admin') return 'bench';
  if (u.startsWith('system:serviceaccount:kube-system:') || u === 'system:kube-controller-manager') return 'kcm';
  return u;
}

/** Status writes as issue 13 counts them: VipAnnouncement status and any VipSpeaker write, by verb. */
export function statusWrites(events: AuditEvent[]): { total: number; byKind: Map<string, number> } {
  const byKind = new Map<string, number>();
  let total = 0;
  for (const e of events) {
    const o = e.objectRef ?? {};
    if (!((o.resource === 'vipannouncements' && o.subresource === 'status') || o.resource === 'vipspeakers')) continue;
    total++;
    byKind.set(writeKind(e), (byKind.get(writeKind(e)) ?? 0) + 1);
  }
  return { total, byKind };
}

export async function snapshot(): Promise<Snapshot> {
  const procs = new Map(finals);
  for (const [name, pid] of processes()) {
    const s = sampleProcess(pid);
    if (s !== undefined) procs.set(name, s);
  }
  return { procs, reads: await apiserverReads(), audit: auditMark() };
}

const mb = (x: number): string => `${x.toFixed(0)}`;

/** CPU seconds and peak RSS per process, writes by verb (and writer), reads, between two snapshots. */
export function describeDelta(before: Snapshot, after: Snapshot, minReads = 10): string[] {
  const cpu = [...after.procs]
    .map(([name, s]) => [name, s.cpuSeconds - (before.procs.get(name)?.cpuSeconds ?? 0)] as const)
    .filter(([, s]) => s >= 0.05)
    .sort((a, b) => b[1] - a[1])
    .map(([name, s]) => `${name} ${s.toFixed(1)}`);
  // Peak RSS of the operator's processes only: the lab's own are not under test.
  const rss = [...after.procs]
    .filter(([name]) => name.startsWith('bench-'))
    .map(([name, s]) => `${name} ${mb(s.peakRssMB)}`);
  const writes = new Map<string, Map<string, number>>();
  for (const e of auditBetween(before.audit, after.audit)) {
    const byWriter = writes.get(writeKind(e)) ?? new Map<string, number>();
    byWriter.set(writer(e), (byWriter.get(writer(e)) ?? 0) + 1);
    writes.set(writeKind(e), byWriter);
  }
  const total = (m: Map<string, number>): number => [...m.values()].reduce((a, b) => a + b, 0);
  const w = [...writes]
    .sort((a, b) => total(b[1]) - total(a[1]))
    .map(([kind, by]) => `${kind} ${total(by)} (${[...by].sort((a, b) => b[1] - a[1]).map(([who, n]) => `${who} ${n}`).join(', ')})`);
  const reads = [...after.reads]
    .map(([what, n]) => [what, n - (before.reads.get(what) ?? 0)] as const)
    .filter(([, n]) => n >= minReads)
    .sort((a, b) => b[1] - a[1])
    .map(([what, n]) => `${what} ${n}`);
  return [
    `    CPU s:       ${cpu.join(', ') || '-'}`,
    `    peak RSS MB: ${rss.join(', ') || '-'}`,
    `    writes:      ${w.join('; ') || '-'}`,
    `    reads:       ${reads.join(', ') || '-'}`,
  ];
}
