// Where the time of a benchmark phase went: CPU seconds per process (from
// /proc/PID/stat) and the API server's requests by verb and resource (from its
// apiserver_request_total counter). Printed after each phase of `make bench`,
// so a slow figure comes with the process and the writes that explain it.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { kubectl, lab } from '../test-e2e/harness/lab';

const CLOCK_TICKS = 100;

export interface Snapshot {
  cpu: Map<string, number>;
  requests: Map<string, number>;
}

function cpuSecondsOf(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the parenthesised command name; utime and stime are fields 14 and 15.
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(rest[11]) + Number(rest[12])) / CLOCK_TICKS;
  } catch {
    return undefined;
  }
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

async function apiserverRequests(): Promise<Map<string, number>> {
  const text = await kubectl(['get', '--raw', '/metrics']);
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (!line.startsWith('apiserver_request_total{')) continue;
    const labels = Object.fromEntries([...line.matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1], m[2]]));
    const value = Number(line.slice(line.lastIndexOf(' ') + 1));
    if (labels.verb === 'WATCH') continue;
    const what = `${labels.verb} ${labels.resource}${labels.subresource ? '/' + labels.subresource : ''}`;
    out.set(what, (out.get(what) ?? 0) + value);
  }
  return out;
}

export async function snapshot(): Promise<Snapshot> {
  const cpu = new Map<string, number>();
  for (const [name, pid] of processes()) {
    const s = cpuSecondsOf(pid);
    if (s !== undefined) cpu.set(name, s);
  }
  return { cpu, requests: await apiserverRequests() };
}

/** "apiserver 6.1 s, etcd 1.2 s, …" and "PATCH vipannouncements 1000, …" between two snapshots. */
export function describeDelta(before: Snapshot, after: Snapshot, minRequests = 10): string[] {
  const cpu = [...after.cpu]
    .map(([name, s]) => [name, s - (before.cpu.get(name) ?? 0)] as const)
    .filter(([, s]) => s >= 0.05)
    .sort((a, b) => b[1] - a[1])
    .map(([name, s]) => `${name} ${s.toFixed(1)}`);
  const req = [...after.requests]
    .map(([what, n]) => [what, n - (before.requests.get(what) ?? 0)] as const)
    .filter(([, n]) => n >= minRequests)
    .sort((a, b) => b[1] - a[1])
    .map(([what, n]) => `${what} ${n}`);
  return [`    CPU s:    ${cpu.join(', ') || '-'}`, `    requests: ${req.join(', ') || '-'}`];
}
