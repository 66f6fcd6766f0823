// make bench: figures on the real lab (run through hack/bench.sh, which boots it).
//   1. controller: time from start to every announcement correct, N pre-existing Services
//   2. controller: p50/p99 from a Service change to the VipAnnouncement update
//   3. speakers:   time from start until BIRD holds every route, and until every status says Advertised
//   4. speakers:   p50/p99 from a Service change to the route change in BIRD
// BENCH_SERVICES (default 1000) and BENCH_CHANGES (default 100) size it. BENCH_POOLS=1: the
// Services request nothing and get their addresses from a VipPool (198.20.0.0/16); the changes
// request addresses of a second pool (198.18.0.0/15, autoAssign false).
// The controller and the speakers run as in a cluster: with tokens of their own
// ServiceAccounts under the shipped config/rbac, not as the lab's admin.
import { performance } from 'node:perf_hooks';
import type { VipAnnouncement } from '../operator/api/types';
import { birdNextHops, birdc } from '../test-e2e/harness/bird';
import { kubectl, lab, REPO_ROOT, waitFor } from '../test-e2e/harness/lab';
import { core, createReadyPod, createService, ensureNamespace, ensureNode, inPool, kubeConfig } from '../test-e2e/harness/kube';
import { controllerConfig, speakerConfig, startOperator, waitReady, type OperatorProcess } from '../test-e2e/harness/operator';
import path from 'node:path';
import { Informer } from '../operator/kube/informer';
import { Resources } from '../operator/kube/resources';
import { describeDelta, snapshot, type Snapshot } from './benchProfile';
import { serviceAccountKubeconfig } from '../test-e2e/harness/serviceAccount';

const N = Number(process.env.BENCH_SERVICES ?? 1000);
const CHANGES = Number(process.env.BENCH_CHANGES ?? 100);
/** BENCH_CPU_PROFILE_DIR=dir: the operator processes write V8 CPU profiles there on exit. */
const PROFILE = process.env.BENCH_CPU_PROFILE_DIR ? { nodeArgs: ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CPU_PROFILE_DIR}`] } : {};
const NS = `bench-${Date.now().toString(36)}`;
const POOLS = process.env.BENCH_POOLS === '1';
const vip = (i: number): string => `198.18.${Math.floor(i / 250)}.${(i % 250) + 1}`;
const moved = (i: number): string => `198.19.${Math.floor(i / 250)}.${(i % 250) + 1}`;

function pct(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)];
}

// Observed through a watch: polling LISTs of 1,000 objects would load the API
// server more than the operator does and distort the figures.
let announcements: Informer<VipAnnouncement>;
const listVAs = (): VipAnnouncement[] => announcements.list();

/** BIRD's "N of N routes for M networks" for IPv4: cheap enough to ask every few ms. */
async function birdCounts(): Promise<{ routes: number; networks: number }> {
  const out = await birdc('show', 'route', 'count', 'table', 'master4');
  const m = /(\d+) of \d+ routes for (\d+) networks/.exec(out);
  return { routes: Number(m?.[1] ?? 0), networks: Number(m?.[2] ?? 0) };
}

/** The operator processes of the run: a wait ends at once, with its log, when one of them died. */
const procs: OperatorProcess[] = [];

async function until(what: string, check: () => boolean | Promise<boolean>, timeoutMs: number, intervalMs = 20): Promise<void> {
  await waitFor(what, async () => {
    const dead = procs.find((p) => p.exited());
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

async function changeLatencies(label: string, observe: (i: number) => Promise<boolean>): Promise<number[]> {
  const out: number[] = [];
  for (let k = 0; k < CHANGES; k++) {
    const i = k % N;
    const t0 = performance.now();
    await core().patchNamespacedService(`svc-${i}`, NS, { metadata: { annotations: { 'vipannouncer.io/loadBalancerIPs': k % 2 === 0 ? moved(i) : vip(i) } } },
      undefined, undefined, undefined, undefined, undefined, { headers: { 'Content-Type': 'application/merge-patch+json' } });
    await until(`${label} change ${k}`, () => observe(k), 30_000, 2);
    out.push(performance.now() - t0);
  }
  return out;
}

async function main(): Promise<void> {
  const l = lab();
  await kubectl(['apply', '-f', path.join(REPO_ROOT, 'crds')]);
  await kubectl(['wait', '--for=condition=Established', '--timeout=60s', 'crd/vipannouncements.vipannouncer.io']);
  for (const n of l.nodes) await ensureNode(n.name, n.address);
  await ensureNamespace(NS);
  await ensureNamespace('vip-announcer');
  await kubectl(['apply', '-k', path.join(REPO_ROOT, 'config', 'rbac')]);
  if (POOLS) await createPools();
  const controllerCreds = { kubeconfig: await serviceAccountKubeconfig('vip-announcer', 'vip-announcer-controller', '2h') };
  const speakerCreds = { kubeconfig: await serviceAccountKubeconfig('vip-announcer', 'vip-announcer-speaker', '2h') };
  console.log(`creating ${N} LoadBalancer Services with a Ready pod each (Cluster policy${POOLS ? ', addresses from a pool' : ''}) …`);
  const idx = Array.from({ length: N }, (_, i) => i);
  await inPool(idx, 24, async (i) => {
    await createService({ namespace: NS, name: `svc-${i}`, policy: 'Cluster', annotations: POOLS ? {} : { 'vipannouncer.io/loadBalancerIPs': vip(i) } });
    await createReadyPod({ namespace: NS, name: `pod-${i}`, app: `svc-${i}`, node: l.nodes[i % l.nodes.length].name, ip: `10.250.${Math.floor(i / 250)}.${(i % 250) + 1}` });
  });
  await waitFor('every EndpointSlice', async () => {
    const slices = (await kubectl(['get', 'endpointslices', '-n', NS, '-o', 'name'])).split('\n').filter(Boolean);
    return slices.length >= N;
  }, { timeoutMs: 300_000 });

  announcements = new Informer<VipAnnouncement>(kubeConfig(), Resources.vipAnnouncements, { namespace: NS });
  announcements.start();
  await announcements.whenSynced();

  try {
    // 1. controller start → all announcements correct.
    let snap = await snapshot();
    const t0 = performance.now();
    const ctl = await startOperator('bench-controller', 'controller', controllerConfig(), { ...PROFILE, ...controllerCreds });
    procs.push(ctl);
    await until('all announcements', () => {
      const vas = listVAs();
      return vas.length === N && vas.every((v) => (v.spec.endpoints?.serving ?? 0) > 0 && v.spec.addresses?.length === 1);
    }, 300_000, 5);
    const ctlStart = (performance.now() - t0) / 1000;
    snap = await phase(`controller: start → all ${N} announcements correct: ${ctlStart.toFixed(2)} s`, snap);
    await waitReady(ctl);
    await until('controller idle (ingress and summaries written)', () => listVAs().every((v) => (v.status?.conditions?.length ?? 0) > 0), 300_000);
    snap = await phase(`controller: then until every summary is written: ${((performance.now() - t0) / 1000).toFixed(2)} s`, snap);

    // 2. Service change → VipAnnouncement update.
    const ctlLat = await changeLatencies('controller', (k) => {
      const i = k % N;
      const va = announcements.get(`${NS}/svc-${i}`);
      return Promise.resolve(va?.spec.addresses?.[0] === (k % 2 === 0 ? moved(i) : vip(i)));
    });
    snap = await phase(`controller: ${CHANGES} changes`, snap);

    // 3. speakers start → BIRD holds every route; → every status Advertised.
    const t1 = performance.now();
    for (let i = 0; i < l.nodes.length; i++) procs.push(await startOperator(`bench-speaker-${l.nodes[i].name}`, 'speaker', speakerConfig(l.nodes[i], { driftCheckPeriod: '30s' }), { ...PROFILE, ...speakerCreds }));
    const wantHops = l.nodes.length;
    await until('BIRD to hold every route', async () => {
      const c = await birdCounts();
      return c.networks === N && c.routes === N * wantHops;
    }, 300_000);
    const birdAll = (performance.now() - t1) / 1000;
    // The count says how many; this says they are the right ones.
    const hops = await birdNextHops();
    const wrong = listVAs().filter((va) => (hops.get(`${va.spec.addresses?.[0] ?? ''}/32`) ?? []).length !== wantHops);
    if (wrong.length > 0) throw new Error(`BIRD lacks next hops for ${wrong.length} VIPs, e.g. ${wrong[0].metadata.name}`);
    snap = await phase(`speakers: start → BIRD holds all routes: ${birdAll.toFixed(2)} s`, snap);
    await until('every status Advertised', () => {
      return listVAs().every((v) => v.status?.conditions?.some((c) => c.type === 'Advertised' && c.status === 'True') ?? false);
    }, 300_000);
    const statusAll = (performance.now() - t1) / 1000;
    snap = await phase(`speakers: start → every status Advertised: ${statusAll.toFixed(2)} s`, snap);

    // 4. Service change → route change in BIRD.
    const routeLat = await changeLatencies('route', async (k) => {
      const i = k % N;
      const want = k % 2 === 0 ? moved(i) : vip(i);
      const out = await birdc('show', 'route', `${want}/32`);
      return (out.match(/\[node_/g)?.length ?? 0) === wantHops;
    });
    await phase(`end to end: ${CHANGES} changes`, snap);

    const ms = (x: number): string => `${x.toFixed(1)} ms`;
    console.log('');
    console.log(`vip-announcer benchmark on this machine (${N} Services${POOLS ? ' with addresses from a VipPool' : ''}, ${CHANGES} changes each)`);
    console.log(`  controller: start → all ${N} announcements correct:      ${ctlStart.toFixed(2)} s   (goal < 5 s)`);
    console.log(`  controller: Service change → announcement  p50 ${ms(pct(ctlLat, 50))}  p99 ${ms(pct(ctlLat, 99))}   (goal p99 < 100 ms)`);
    console.log(`  speakers:   start → BIRD holds all ${N} routes (ECMP x${wantHops}): ${birdAll.toFixed(2)} s   (goal < 5 s)`);
    console.log(`  speakers:   start → every status Advertised:            ${statusAll.toFixed(2)} s`);
    console.log(`  end to end: Service change → route in BIRD  p50 ${ms(pct(routeLat, 50))}  p99 ${ms(pct(routeLat, 99))}   (goal p99 < 250 ms)`);
  } finally {
    await announcements.stop();
    await Promise.all(procs.map((p) => p.stop()));
  }
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.stack : String(err));
  process.exit(1);
});
