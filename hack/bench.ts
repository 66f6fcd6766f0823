// make bench: figures on the real lab (run through hack/bench.sh, which boots it), issue 13's shapes:
// 1,000 Services × 3 nodes (default), BENCH_SERVICES=10000, LAB_NODE_COUNT=20.
//   cold start: controller and speakers start together, N Services with ready endpoints and no
//     VipAnnouncement yet → every announcement correct, BIRD holds every route, every status
//     Advertised; per announcement BIRD's route → Advertised; status writes meanwhile
//   changes: Service change → VipAnnouncement update, → route change in BIRD (p50/p99)
//   restart: controller and speakers restart, gobgpd keeps running → withdrawals in BIRD meanwhile
// Each phase prints CPU seconds and peak RSS per process, and the API writes by verb (audit log);
// the end prints issue 21's goals table for the shape run (1,000 × 3, 10,000 × 3, 1,000 × 20),
// each figure met / MISSED, never tuned by measuring something else. "After the node's session
// is up" is BIRD's own clock: its "State changed to up" for the node's session → the last of
// the bench's routes from that node. "Route → Advertised, steady state" is per Service change:
// BIRD holds the changed route → the announcement says Advertised for that generation.
// BENCH_SERVICES (default 1000) and BENCH_CHANGES (default 100) size it. BENCH_POOLS=1: the
// Services request nothing and get their addresses from a VipPool (198.20.0.0/16); the changes
// request addresses of a second pool (198.18.0.0/15, autoAssign false).
// The controller and the speakers run as in a cluster: with tokens of their own
// ServiceAccounts under the shipped config/rbac, not as the lab's admin, and the speakers keep
// their routes on SIGTERM (withdrawOnShutdown false, what the installer renders for a rollout).
// They run with the V8 heap flags the shipped manifests set (NODE_OPTIONS, heapFlags.ts) for the
// controller's 384Mi limit and the sample VipAnnouncer's 512Mi (SPEAKER_LIMIT); BENCH_V8_FLAGS=0: V8's defaults;
// BENCH_NODE_OPTIONS='...': those flags instead (to compare others).
import { closeSync, existsSync, openSync, readFileSync, readSync, statSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import path from 'node:path';
import type { VipAnnouncement } from '../operator/api/types';
import { birdLogOffset, birdLogSince, birdNextHops, birdc } from '../test-e2e/harness/bird';
import { kubectl, lab, REPO_ROOT, waitFor, type LabNode } from '../test-e2e/harness/lab';
import { core, createReadyPod, createService, ensureNamespace, ensureNode, inPool, kubeConfig } from '../test-e2e/harness/kube';
import { controllerConfig, speakerConfig, startOperator, waitReady, type OperatorProcess } from '../test-e2e/harness/operator';
import { ensureLabPool } from '../test-e2e/harness/labPool';
import { Informer } from '../operator/kube/informer';
import { Resources } from '../operator/kube/resources';
import { auditBetween, auditMark, describeDelta, finalSample, recordFinal, snapshot, statusWrites, type AuditMark, type Snapshot } from './benchProfile';
import { serviceAccountKubeconfig } from '../test-e2e/harness/serviceAccount';
import { nodeOptionsFor } from '../operator/installer/heapFlags';

const N = Number(process.env.BENCH_SERVICES ?? 1000);
const CHANGES = Number(process.env.BENCH_CHANGES ?? 100);
/** Services (and their Pods) created at once: the API server, not the bench, should be the limit. */
const CREATE_CONCURRENCY = Number(process.env.BENCH_CREATE_CONCURRENCY ?? 32);
/** BENCH_CPU_PROFILE_DIR=dir: the operator processes write V8 CPU profiles there on exit. */
const PROFILE = process.env.BENCH_CPU_PROFILE_DIR ? { nodeArgs: ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CPU_PROFILE_DIR}`] } : {};
const NS = `bench-${Date.now().toString(36)}`;
const V8_FLAGS = process.env.BENCH_V8_FLAGS !== '0';
/** BENCH_NODE_OPTIONS: other flags to measure, for every process, instead of the shipped ones. */
const OTHER_FLAGS = process.env.BENCH_NODE_OPTIONS;
const heapEnv = (memoryLimit: string): { env?: Record<string, string> } =>
  OTHER_FLAGS !== undefined ? { env: { NODE_OPTIONS: OTHER_FLAGS } } : V8_FLAGS ? { env: { NODE_OPTIONS: nodeOptionsFor(memoryLimit) ?? '' } } : {};
const POOLS = process.env.BENCH_POOLS === '1';
/** The speaker's memory limit in config/samples/vipannouncer_v1alpha1_vipannouncer.yaml. */
const SPEAKER_LIMIT = '512Mi';
const vip = (i: number): string => `198.18.${Math.floor(i / 250)}.${(i % 250) + 1}`;
const moved = (i: number): string => `198.19.${Math.floor(i / 250)}.${(i % 250) + 1}`;
const podIP = (i: number): string => `10.250.${Math.floor(i / 250)}.${(i % 250) + 1}`;

function pct(xs: number[], p: number): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))];
}

const loadavg = (): string => readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');

// Observed through a watch: polling LISTs of 1,000 objects would load the API
// server more than the operator does and distort the figures.
let announcements: Informer<VipAnnouncement>;
const listVAs = (): VipAnnouncement[] => announcements.list();
const keyOf = (va: VipAnnouncement): string => `${va.metadata.namespace ?? ''}/${va.metadata.name}`;
const isAdvertised = (va: VipAnnouncement): boolean => va.status?.conditions?.some((c) => c.type === 'Advertised' && c.status === 'True') ?? false;

/** Announcements whose status says Advertised now, and when each first did (epoch ms, seen by the watch). */
const advertisedNow = new Set<string>();
const advertisedSince = new Map<string, number>();

/** BIRD's "N of N routes for M networks" for IPv4: cheap enough to ask every few ms. */
async function birdCounts(): Promise<{ routes: number; networks: number }> {
  const out = await birdc('show', 'route', 'count', 'table', 'master4');
  const m = /(\d+) of \d+ routes for (\d+) networks/.exec(out);
  return { routes: Number(m?.[1] ?? 0), networks: Number(m?.[2] ?? 0) };
}

// BIRD's route log (hack/lab.sh: `debug { routes }`), e.g.
//   2026-11-30 12:47:09.123 <TRACE> node_1.ipv4 > added [best] 198.18.0.1/32 unicast
const ROUTE_LINE = /^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(?:\.\d+)?) <TRACE> (node_\d+)\.ipv4 > (added|updated|removed|ignored)(?: \[[^\]]*\])? (\S+)/;

interface RouteEvent { at: number; protocol: string; action: string; prefix: string }

function birdRouteEvents(offset: number): RouteEvent[] {
  const out: RouteEvent[] = [];
  for (const line of birdLogSince(offset)) {
    const m = ROUTE_LINE.exec(line);
    // BIRD logs local time, as this process reads a date without a zone.
    if (m) out.push({ at: new Date(m[1].replace(' ', 'T')).getTime(), protocol: m[2], action: m[3], prefix: m[4] });
  }
  return out;
}

/**
 * Follows BIRD's route log as BIRD writes it: which sessions hold each prefix now, and when
 * (BIRD's own millisecond timestamps). Reading a file costs the bench far less than starting
 * birdc every few ms, which on 2 cores would compete with the processes being measured.
 */
class BirdTail {
  private offset = birdLogOffset();
  private rest = '';
  private readonly file = path.join(lab().dir, 'logs', 'bird-routes.log');
  /** prefix → the protocols (node sessions) holding it. */
  readonly held = new Map<string, Set<string>>();
  /** prefix → when the latest added/updated/removed event for it happened (epoch ms). */
  readonly lastAt = new Map<string, number>();

  poll(): void {
    const size = existsSync(this.file) ? statSync(this.file).size : 0;
    if (size <= this.offset) return;
    const buf = Buffer.alloc(size - this.offset);
    const fd = openSync(this.file, 'r');
    try {
      readSync(fd, buf, 0, buf.length, this.offset);
    } finally {
      closeSync(fd);
    }
    this.offset = size;
    const lines = (this.rest + buf.toString('utf8')).split('\n');
    this.rest = lines.pop() ?? '';
    for (const line of lines) {
      const m = ROUTE_LINE.exec(line);
      if (!m || m[3] === 'ignored') continue;
      const set = this.held.get(m[4]) ?? new Set<string>();
      if (m[3] === 'removed') set.delete(m[2]);
      else set.add(m[2]);
      this.held.set(m[4], set);
      this.lastAt.set(m[4], new Date(m[1].replace(' ', 'T')).getTime());
    }
  }

  /** Prefixes held by exactly `hops` sessions. */
  fullyHeld(hops: number): number {
    let n = 0;
    for (const set of this.held.values()) if (set.size === hops) n++;
    return n;
  }
}

/** The operator processes running now: a wait ends at once, with its log, when one of them died. */
let live: OperatorProcess[] = [];

async function until(what: string, check: () => boolean | Promise<boolean>, timeoutMs: number, intervalMs = 20): Promise<void> {
  await waitFor(what, async () => {
    const dead = live.find((p) => p.exited());
    if (dead) return dead;
    return (await check()) ? 'ok' : false;
  }, { timeoutMs, intervalMs }).then((r) => {
    if (r !== 'ok') throw new Error(`${r.name} exited while waiting for ${what}:\n${r.log().slice(-3000)}`);
  });
}

async function phase(label: string, since: Snapshot): Promise<Snapshot> {
  const now = await snapshot();
  console.log(`  ${label}`);
  for (const line of describeDelta(since, now)) console.log(line);
  return now;
}

/** Automatic allocation from one pool; the changes' requests inside another that allocates nothing itself. */
async function createPools(): Promise<void> {
  const pool = (name: string, addresses: string[], autoAssign: boolean): object => ({
    apiVersion: 'vipannouncer.io/v1alpha1', kind: 'VipPool', metadata: { name: `${NS}-${name}` }, spec: { addresses, autoAssign, serviceAllocation: { namespaces: [NS] } },
  });
  await kubectl(['wait', '--for=condition=Established', '--timeout=60s', 'crd/vippools.vipannouncer.io']);
  await kubectl(['apply', '-f', '-'], JSON.stringify({ apiVersion: 'v1', kind: 'List', items: [pool('auto', ['198.20.0.0/16'], true), pool('requests', ['198.18.0.0/15'], false)] }));
}

let controllerCreds: { kubeconfig: string };
let speakerCreds: { kubeconfig: string };

/** The controller and one speaker per node, started together (suffix names a restart's processes). */
async function startAll(nodes: LabNode[], suffix: string): Promise<OperatorProcess[]> {
  return Promise.all([
    startOperator(`bench-controller${suffix}`, 'controller', controllerConfig(), { ...PROFILE, ...controllerCreds, ...heapEnv('384Mi') }),
    ...nodes.map((n) => startOperator(`bench-speaker-${n.name}${suffix}`, 'speaker',
      speakerConfig(n, { driftCheckPeriod: '30s', withdrawOnShutdown: false }), { ...PROFILE, ...speakerCreds, ...heapEnv(SPEAKER_LIMIT) })),
  ]);
}

/** SIGTERM each process after sampling it: VmHWM is its peak RSS over its whole life. */
async function stopAll(procs: OperatorProcess[]): Promise<void> {
  for (const p of procs) if (!p.exited()) recordFinal(p.name, p.pid);
  await Promise.all(procs.map((p) => p.stop()));
}

/** Waits until no status write (VipAnnouncement status, VipSpeaker) reached the audit log for quietMs. */
async function statusQuiet(from: AuditMark, quietMs: number, timeoutMs: number): Promise<void> {
  let mark = from;
  let lastWrite = Date.now();
  const deadline = Date.now() + timeoutMs;
  while (Date.now() - lastWrite < quietMs && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 250));
    const now = auditMark();
    if (statusWrites(auditBetween(mark, now)).total > 0) lastWrite = Date.now();
    mark = now;
  }
}

/** The Advertised condition is True and speaks of this generation of the announcement. */
function advertisedAtGeneration(va: VipAnnouncement): boolean {
  const c = va.status?.conditions?.find((x) => x.type === 'Advertised');
  return c?.status === 'True' && (c.observedGeneration ?? va.status?.observedGeneration) === va.metadata.generation;
}

// BIRD's session log, e.g. "2026-12-07 20:53:51.199 <TRACE> node_1: State changed to up".
const SESSION_UP = /^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(?:\.\d+)?) <TRACE> (node_\d+): State changed to up/;

/**
 * Per node session: from when it came up (or the start, if it was up already) to its last route
 * of `prefixes` in; the worst node, and every node's figure.
 */
function firstRoutesAfterSession(offset: number, startEpoch: number, prefixes: ReadonlySet<string>): { worst: number; detail: string } {
  const up = new Map<string, number>();
  for (const line of birdLogSince(offset)) {
    const m = SESSION_UP.exec(line);
    if (m && !up.has(m[2])) up.set(m[2], new Date(m[1].replace(' ', 'T')).getTime());
  }
  const last = new Map<string, number>();
  for (const ev of birdRouteEvents(offset)) {
    if ((ev.action === 'added' || ev.action === 'updated') && prefixes.has(ev.prefix)) last.set(ev.protocol, Math.max(last.get(ev.protocol) ?? 0, ev.at));
  }
  const perNode = [...last].map(([protocol, at]) => ({ protocol, seconds: (at - (up.get(protocol) ?? startEpoch)) / 1000 })).sort((a, b) => a.protocol.localeCompare(b.protocol, 'en', { numeric: true }));
  const worst = Math.max(...perNode.map((n) => n.seconds));
  const shown = perNode.length <= 5 ? perNode : [...perNode].sort((a, b) => b.seconds - a.seconds).slice(0, 3);
  return { worst, detail: `${perNode.length <= 5 ? '' : 'slowest: '}${shown.map((n) => `${n.protocol} ${n.seconds.toFixed(2)} s`).join(', ')}` };
}

interface GoalRow { figure: string; measured: string; goal: string; verdict: string }
const goals: GoalRow[] = [];
function goal(figure: string, measured: string, goalText: string | undefined, met: boolean | undefined): void {
  goals.push({ figure, measured, goal: goalText ?? '—', verdict: goalText === undefined || met === undefined ? 'no goal here' : met ? 'MET' : 'MISSED' });
}

async function main(): Promise<void> {
  const tBench = performance.now();
  const l = lab();
  const nodes = l.nodes;
  const shape = `${N.toLocaleString('en')} × ${nodes.length}`;
  console.log(`bench ${shape}${POOLS ? ' (addresses from a VipPool)' : ''}; V8 ${OTHER_FLAGS !== undefined ? `flags ${OTHER_FLAGS} (BENCH_NODE_OPTIONS)` : V8_FLAGS ? `heap flags as shipped (speakers: ${nodeOptionsFor(SPEAKER_LIMIT) ?? 'none'})` : 'defaults (BENCH_V8_FLAGS=0)'}; load average at start ${loadavg()}`);
  await kubectl(['apply', '-f', path.join(REPO_ROOT, 'crds')]);
  await kubectl(['wait', '--for=condition=Established', '--timeout=60s', 'crd/vipannouncements.vipannouncer.io']);
  for (const n of nodes) await ensureNode(n.name, n.address);
  await ensureNamespace(NS);
  await ensureNamespace('vip-announcer');
  await kubectl(['apply', '-k', path.join(REPO_ROOT, 'config', 'rbac')]);
  // Closed by default: requested addresses need a pool too (the lab's, as the e2e suites use).
  if (POOLS) await createPools();
  else await ensureLabPool();
  controllerCreds = { kubeconfig: await serviceAccountKubeconfig('vip-announcer', 'vip-announcer-controller', '4h') };
  speakerCreds = { kubeconfig: await serviceAccountKubeconfig('vip-announcer', 'vip-announcer-speaker', '4h') };

  const tCreate = performance.now();
  console.log(`creating ${N} LoadBalancer Services with a Ready pod each (Cluster policy${POOLS ? ', addresses from a pool' : ''}), ${CREATE_CONCURRENCY} at a time …`);
  const idx = Array.from({ length: N }, (_, i) => i);
  await inPool(idx, CREATE_CONCURRENCY, async (i) => {
    await Promise.all([
      createService({ namespace: NS, name: `svc-${i}`, policy: 'Cluster', annotations: POOLS ? {} : { 'vipannouncer.io/loadBalancerIPs': vip(i) } }),
      createReadyPod({ namespace: NS, name: `pod-${i}`, app: `svc-${i}`, node: nodes[i % nodes.length].name, ip: podIP(i) }),
    ]);
  });
  console.log(`  created in ${((performance.now() - tCreate) / 1000).toFixed(1)} s; waiting for ${N} EndpointSlices with a ready endpoint …`);
  // Polled every few seconds: a LIST of 10,000 slices is not free, and setup is not measured.
  let readySlices = 0;
  await waitFor(`${N} EndpointSlices with a ready endpoint`, async () => {
    const out = await kubectl(['get', 'endpointslices', '-n', NS, '-o', 'jsonpath={range .items[*]}{.endpoints[*].conditions.ready}{"\\n"}{end}']);
    readySlices = out.split('\n').filter((s) => s.includes('true')).length;
    return readySlices >= N;
  }, { timeoutMs: 3_600_000, intervalMs: 3000 });
  console.log(`  setup done in ${((performance.now() - tCreate) / 1000).toFixed(1)} s`);

  announcements = new Informer<VipAnnouncement>(kubeConfig(), Resources.vipAnnouncements, { namespace: NS });
  let vaWatch: ((va: VipAnnouncement) => void) | undefined;
  announcements.onChange((type, va) => {
    const key = keyOf(va);
    if (type !== 'DELETED' && isAdvertised(va)) {
      advertisedNow.add(key);
      if (!advertisedSince.has(key)) advertisedSince.set(key, Date.now());
    } else advertisedNow.delete(key);
    if (type !== 'DELETED') vaWatch?.(va);
  });
  announcements.start();
  await announcements.whenSynced();

  let procs: OperatorProcess[] = [];
  try {
    // ---- cold start: controller and speakers together, no VipAnnouncement yet.
    const wantHops = nodes.length;
    // BIRD's own routes (the upstream offers) are in the counts too: the bench's come on top.
    const base = await birdCounts();
    let snap = await snapshot();
    const coldAudit = snap.audit;
    const coldBird = birdLogOffset();
    const tail = new BirdTail();
    const t0 = performance.now();
    const t0Epoch = Date.now();
    procs = await startAll(nodes, '');
    live = procs;
    const since = (): number => (performance.now() - t0) / 1000;
    // Progress at big shapes: a run stopped by a deadline still says how far it got.
    const heartbeat = setInterval(() => {
      tail.poll();
      console.log(`    … ${since().toFixed(0)} s: ${listVAs().length} announcements, BIRD holds ${tail.fullyHeld(wantHops)} prefixes from every node, ${advertisedNow.size} Advertised; load ${loadavg()}`);
    }, 30_000);
    let ctlStart = NaN;
    let birdAll = NaN;
    // Both clocks run at once: the controller's figure is not delayed by waiting for BIRD.
    const ctlDone = until('all announcements', () => {
      const vas = listVAs();
      return vas.length === N && vas.every((v) => (v.spec.endpoints?.serving ?? 0) > 0 && v.spec.addresses?.length === 1);
    }, 3_600_000, 20).then(() => { ctlStart = since(); });
    await until('BIRD to hold every route', () => {
      tail.poll();
      return tail.fullyHeld(wantHops) >= N;
    }, 3_600_000, 5);
    // When BIRD logged the last route in (its clock), not when this process noticed.
    birdAll = (Math.max(...tail.lastAt.values()) - t0Epoch) / 1000;
    await ctlDone;
    const c = await birdCounts();
    if (c.networks !== base.networks + N || c.routes !== base.routes + N * wantHops) {
      throw new Error(`BIRD's log says every route is in, its table says ${c.routes - base.routes} routes for ${c.networks - base.networks} networks`);
    }
    // The count says how many; this says they are the right ones.
    const hops = await birdNextHops();
    const wrong = listVAs().filter((va) => (hops.get(`${va.spec.addresses?.[0] ?? ''}/32`) ?? []).length !== wantHops);
    if (wrong.length > 0) throw new Error(`BIRD lacks next hops for ${wrong.length} VIPs, e.g. ${wrong[0].metadata.name}`);
    await until('every status Advertised', () => advertisedNow.size === N, 3_600_000);
    const statusAll = since();
    await statusQuiet(coldAudit, 3000, 120_000);
    clearInterval(heartbeat);
    const coldStatus = statusWrites(auditBetween(coldAudit, auditMark()));
    snap = await phase(`cold start: all ${N} announcements correct ${ctlStart.toFixed(2)} s, BIRD holds every route ${birdAll.toFixed(2)} s, every status Advertised ${statusAll.toFixed(2)} s (then until status writes stop: ${since().toFixed(2)} s)`, snap);

    // Per node: its BGP session up in BIRD → its last route in (a session already up counts from the start).
    const afterSession = firstRoutesAfterSession(coldBird, t0Epoch, new Set(listVAs().map((va) => `${va.spec.addresses?.[0] ?? ''}/32`)));

    // Per announcement: BIRD's first route for its address → the watch sees Advertised.
    const firstHeld = new Map<string, number>();
    for (const ev of birdRouteEvents(coldBird)) {
      if ((ev.action === 'added' || ev.action === 'updated') && !firstHeld.has(ev.prefix)) firstHeld.set(ev.prefix, ev.at);
    }
    const lag: number[] = [];
    let unmatched = 0;
    for (const va of listVAs()) {
      const held = firstHeld.get(`${va.spec.addresses?.[0] ?? ''}/32`);
      const adv = advertisedSince.get(keyOf(va));
      if (held === undefined || adv === undefined || held < t0Epoch - 1000) unmatched++;
      else lag.push((adv - held) / 1000);
    }
    if (unmatched > 0) console.log(`    (${unmatched} announcements without a BIRD route or an Advertised time in the log: left out of the per-announcement figure)`);

    // ---- changes: Service change → announcement, → route in BIRD.
    const ctlLat: number[] = [];
    const routeLat: number[] = [];
    const advLat: number[] = [];
    // Change k moves Service k/2 away (even k) and back (odd k): every change is a real one.
    for (let k = 0; k < CHANGES; k++) {
      const i = Math.floor(k / 2) % N;
      const want = k % 2 === 0 ? moved(i) : vip(i);
      let vaAt: number | undefined;
      let advAt: number | undefined;
      vaWatch = (va): void => {
        if (va.metadata.name !== `svc-${i}` || va.spec.addresses?.[0] !== want) return;
        vaAt ??= performance.now();
        if (advAt === undefined && advertisedAtGeneration(va)) advAt = Date.now();
      };
      // The previous change's withdrawal of this address must be through first, or its
      // routes, not yet gone, would count as this change's.
      await until(`${want} withdrawn before change ${k}`, () => {
        tail.poll();
        return (tail.held.get(`${want}/32`)?.size ?? 0) === 0;
      }, 30_000, 5);
      const tc = performance.now();
      const tcEpoch = Date.now();
      await core().patchNamespacedService(`svc-${i}`, NS, { metadata: { annotations: { 'vipannouncer.io/loadBalancerIPs': want } } },
        undefined, undefined, undefined, undefined, undefined, { headers: { 'Content-Type': 'application/merge-patch+json' } });
      await until(`route change ${k}`, () => {
        tail.poll();
        return tail.held.get(`${want}/32`)?.size === wantHops;
      }, 30_000, 2);
      routeLat.push((tail.lastAt.get(`${want}/32`) ?? NaN) - tcEpoch);
      await until(`announcement change ${k}`, () => vaAt !== undefined, 30_000, 2);
      ctlLat.push((vaAt ?? NaN) - tc);
      await until(`Advertised after change ${k}`, () => advAt !== undefined, 60_000, 5);
      advLat.push(((advAt ?? NaN) - (tail.lastAt.get(`${want}/32`) ?? NaN)) / 1000);
    }
    vaWatch = undefined;
    snap = await phase(`changes: ${CHANGES} Service changes`, snap);
    // Every status true again before the restart, so the restart starts from a settled state.
    await until('every status Advertised after the changes', () => advertisedNow.size === N, 300_000);

    // ---- restart: controller and speakers stop (SIGTERM) and start again; gobgpd keeps running.
    const ourPrefixes = new Set(listVAs().map((va) => `${va.spec.addresses?.[0] ?? ''}/32`));
    const restartBird = birdLogOffset();
    const first = procs;
    await stopAll(first);
    const tr = performance.now();
    procs = await startAll(nodes, '-r');
    live = procs;
    // Until the restarted processes are ready and every status says Advertised, their status
    // writes stopped, and past the End-of-RIB exchange: a stale route a new session did not
    // refresh would be gone by then.
    await Promise.all(procs.map((p) => waitReady(p, 3_600_000)));
    await until('every status Advertised after the restart', () => advertisedNow.size === N, 3_600_000);
    const restartStatus = (performance.now() - tr) / 1000;
    await statusQuiet(snap.audit, 3000, 120_000);
    await new Promise((r) => setTimeout(r, 5000));
    const withdrawn = birdRouteEvents(restartBird).filter((ev) => ev.action === 'removed' && ourPrefixes.has(ev.prefix));
    snap = await phase(`restart: controller and speakers restarted; all ready and every status Advertised ${restartStatus.toFixed(2)} s; BIRD withdrew ${withdrawn.length} routes`, snap);
    await stopAll(procs);
    live = [];

    // ---- figures.
    const peak = (name: string): number => finalSample(name)?.peakRssMB ?? NaN;
    const ctlPeak = Math.max(peak('bench-controller'), peak('bench-controller-r'));
    const spkPeaks = nodes.map((n) => Math.max(peak(`bench-speaker-${n.name}`), peak(`bench-speaker-${n.name}-r`)));
    const spkPeak = Math.max(...spkPeaks);
    const cpu = (name: string): number => finalSample(name)?.cpuSeconds ?? NaN;
    const ms = (x: number): string => `${x.toFixed(1)} ms`;
    const s = (x: number): string => `${x.toFixed(2)} s`;
    const is = (services: number, n: number): boolean => N === services && nodes.length === n;

    // Issue 21's goals, per shape (undefined: no goal for this shape; the figure is printed anyway).
    const byShape = <T>(small: T, big: T, wide: T): T | undefined => (is(1000, 3) ? small : is(10000, 3) ? big : is(1000, 20) ? wide : undefined);
    goal('controller: start → all announcements correct', s(ctlStart), undefined, undefined);
    goal('controller: Service change → announcement', `p50 ${ms(pct(ctlLat, 50))}, p99 ${ms(pct(ctlLat, 99))}`, undefined, undefined);
    const sessionGoal = byShape(0.3, undefined, undefined);
    goal('1. first install → every route at the router, after the node\'s session is up (worst node)', `${s(afterSession.worst)} (${afterSession.detail})`, sessionGoal === undefined ? undefined : `≤ ${sessionGoal} s`, sessionGoal === undefined ? undefined : afterSession.worst <= sessionGoal);
    const firstGoal = byShape(undefined, 6, 5);
    goal('1. first install → every route at the router, from the start', s(birdAll), firstGoal === undefined ? undefined : `≤ ${firstGoal} s`, firstGoal === undefined ? undefined : birdAll <= firstGoal);
    const changeGoal = byShape(50, 100, 100);
    goal('2. Service change → route in BIRD, p99 (steady state)', `p50 ${ms(pct(routeLat, 50))}, p99 ${ms(pct(routeLat, 99))}`, changeGoal === undefined ? undefined : `≤ ${changeGoal} ms`, changeGoal === undefined ? undefined : pct(routeLat, 99) <= changeGoal);
    const advGoal = byShape([0.3, 1], [0.5, 2], [0.5, 2]);
    goal('3. route → Advertised, steady state, p50 / p99', `${s(pct(advLat, 50))} / ${s(pct(advLat, 99))}`, advGoal === undefined ? undefined : `≤ ${advGoal[0]} s / ≤ ${advGoal[1]} s`, advGoal === undefined ? undefined : pct(advLat, 50) <= advGoal[0] && pct(advLat, 99) <= advGoal[1]);
    goal('3. route → Advertised at the cold start, p50 / p99', `${s(pct(lag, 50))} / ${s(pct(lag, 99))}`, undefined, undefined);
    const statusGoal = byShape(15, 120, 30);
    const statusKinds = [...coldStatus.byKind].map(([k, n]) => `${k} ${n}`).join(', ');
    goal('4. cold start → every status true', `${s(statusAll)}; ${coldStatus.total} status writes (${statusKinds || 'none'}), ${(coldStatus.total / statusAll).toFixed(0)}/s`, statusGoal === undefined ? undefined : `≤ ${statusGoal} s`, statusGoal === undefined ? undefined : statusAll <= statusGoal);
    const rssGoal = byShape<[number, number] | undefined>([120, 80], [150, 100], undefined);
    goal('5. peak RSS: controller', `${ctlPeak.toFixed(0)} MB`, rssGoal ? `≤ ${rssGoal[0]} MB` : undefined, rssGoal ? ctlPeak <= rssGoal[0] : undefined);
    goal('5. peak RSS: each speaker (max)', `${spkPeak.toFixed(0)} MB (min ${Math.min(...spkPeaks).toFixed(0)})`, rssGoal ? `≤ ${rssGoal[1]} MB` : undefined, rssGoal ? spkPeak <= rssGoal[1] : undefined);
    goal('6. restart with gobgpd running → routes withdrawn in BIRD', String(withdrawn.length), '0', withdrawn.length === 0);

    console.log('');
    console.log(`vip-announcer benchmark, ${shape}${POOLS ? ' with addresses from a VipPool' : ''}, ${CHANGES} changes; ${((performance.now() - tBench) / 1000).toFixed(0)} s; load average at end ${loadavg()}`);
    console.log(`  CPU s over the run: controller ${cpu('bench-controller').toFixed(1)} + restart ${cpu('bench-controller-r').toFixed(1)}; speakers ${nodes.map((n) => `${cpu(`bench-speaker-${n.name}`).toFixed(1)}+${cpu(`bench-speaker-${n.name}-r`).toFixed(1)}`).join(', ')}`);
    const w = [Math.max(...goals.map((g) => g.figure.length)), Math.max(...goals.map((g) => g.measured.length)), Math.max(...goals.map((g) => g.goal.length))];
    const row = (a: string, b: string, c: string, d: string): string => `  ${a.padEnd(w[0])} | ${b.padEnd(w[1])} | ${c.padEnd(w[2])} | ${d}`;
    console.log(row('figure', 'measured', 'goal', 'verdict'));
    console.log(row('-'.repeat(w[0]), '-'.repeat(w[1]), '-'.repeat(w[2]), '-------'));
    for (const g of goals) console.log(row(g.figure, g.measured, g.goal, g.verdict));
  } finally {
    vaWatch = undefined;
    await announcements.stop();
    await stopAll(procs);
  }
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.stack : String(err));
  process.exit(1);
});
