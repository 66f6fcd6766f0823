// make bench: figures on the real lab (run through hack/bench.sh, which boots it).
//   1. controller: time from start to every announcement correct, N pre-existing Services
//   2. controller: p50/p99 from a Service change to the VipAnnouncement update
//   3. speakers:   time from start until BIRD holds every route, and until every status says Advertised
//   4. speakers:   p50/p99 from a Service change to the route change in BIRD
// BENCH_SERVICES (default 1000) and BENCH_CHANGES (default 100) size it.
import { performance } from 'node:perf_hooks';
import type { VipAnnouncement } from '../operator/api/types';
import { birdNextHops, birdc } from '../test-e2e/harness/bird';
import { kubectl, lab, REPO_ROOT, waitFor } from '../test-e2e/harness/lab';
import { core, createReadyPod, createService, customObjects, ensureNamespace, ensureNode, inPool } from '../test-e2e/harness/kube';
import { controllerConfig, speakerConfig, startOperator, waitReady, type OperatorProcess } from '../test-e2e/harness/operator';
import path from 'node:path';

const N = Number(process.env.BENCH_SERVICES ?? 1000);
const CHANGES = Number(process.env.BENCH_CHANGES ?? 100);
const NS = `bench-${Date.now().toString(36)}`;
const vip = (i: number): string => `198.18.${Math.floor(i / 250)}.${(i % 250) + 1}`;
const moved = (i: number): string => `198.19.${Math.floor(i / 250)}.${(i % 250) + 1}`;

function pct(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)];
}

async function listVAs(): Promise<VipAnnouncement[]> {
  const res = await customObjects().listNamespacedCustomObject('vipannouncer.io', 'v1alpha1', NS, 'vipannouncements');
  return (res.body as { items: VipAnnouncement[] }).items;
}


async function changeLatencies(label: string, observe: (i: number) => Promise<boolean>): Promise<number[]> {
  const out: number[] = [];
  for (let k = 0; k < CHANGES; k++) {
    const i = k % N;
    const t0 = performance.now();
    await core().patchNamespacedService(`svc-${i}`, NS, { metadata: { annotations: { 'vipannouncer.io/loadBalancerIPs': k % 2 === 0 ? moved(i) : vip(i) } } },
      undefined, undefined, undefined, undefined, undefined, { headers: { 'Content-Type': 'application/merge-patch+json' } });
    await waitFor(`${label} change ${k}`, () => observe(k), { timeoutMs: 30_000, intervalMs: 2 });
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
  console.log(`creating ${N} LoadBalancer Services with a Ready pod each (Cluster policy) …`);
  const idx = Array.from({ length: N }, (_, i) => i);
  await inPool(idx, 24, async (i) => {
    await createService({ namespace: NS, name: `svc-${i}`, policy: 'Cluster', annotations: { 'vipannouncer.io/loadBalancerIPs': vip(i) } });
    await createReadyPod({ namespace: NS, name: `pod-${i}`, app: `svc-${i}`, node: l.nodes[i % l.nodes.length].name, ip: `10.250.${Math.floor(i / 250)}.${(i % 250) + 1}` });
  });
  await waitFor('every EndpointSlice', async () => {
    const slices = (await kubectl(['get', 'endpointslices', '-n', NS, '-o', 'name'])).split('\n').filter(Boolean);
    return slices.length >= N;
  }, { timeoutMs: 300_000 });

  const procs: OperatorProcess[] = [];
  try {
    // 1. controller start → all announcements correct.
    const t0 = performance.now();
    const ctl = await startOperator('bench-controller', 'controller', controllerConfig());
    procs.push(ctl);
    await waitFor('all announcements', async () => {
      const vas = await listVAs();
      return vas.length === N && vas.every((v) => (v.spec.endpoints?.serving ?? 0) > 0 && v.spec.addresses?.length === 1);
    }, { timeoutMs: 300_000, intervalMs: 50 });
    const ctlStart = (performance.now() - t0) / 1000;
    console.log(`  controller: start → all ${N} announcements correct: ${ctlStart.toFixed(2)} s`);
    await waitReady(ctl);

    // 2. Service change → VipAnnouncement update.
    const ctlLat = await changeLatencies('controller', async (k) => {
      const i = k % N;
      const va = (await customObjects().getNamespacedCustomObject('vipannouncer.io', 'v1alpha1', NS, 'vipannouncements', `svc-${i}`)).body as VipAnnouncement;
      return va.spec.addresses?.[0] === (k % 2 === 0 ? moved(i) : vip(i));
    });

    // 3. speakers start → BIRD holds every route; → every status Advertised.
    const t1 = performance.now();
    for (let i = 0; i < l.nodes.length; i++) procs.push(await startOperator(`bench-speaker-${l.nodes[i].name}`, 'speaker', speakerConfig(l.nodes[i], { driftCheckPeriod: '30s' })));
    const wantHops = l.nodes.length;
    await waitFor('BIRD to hold every route', async () => {
      const hops = await birdNextHops();
      let ok = 0;
      for (let i = 0; i < N; i++) if ((hops.get(`${vip(i)}/32`)?.length ?? 0) === wantHops || (hops.get(`${moved(i)}/32`)?.length ?? 0) === wantHops) ok++;
      return ok === N;
    }, { timeoutMs: 300_000, intervalMs: 50 });
    const birdAll = (performance.now() - t1) / 1000;
    console.log(`  speakers: start → BIRD holds all routes: ${birdAll.toFixed(2)} s`);
    await waitFor('every status Advertised', async () => {
      const vas = await listVAs();
      return vas.every((v) => v.status?.conditions?.some((c) => c.type === 'Advertised' && c.status === 'True'));
    }, { timeoutMs: 300_000, intervalMs: 100 });
    const statusAll = (performance.now() - t1) / 1000;

    // 4. Service change → route change in BIRD.
    const routeLat = await changeLatencies('route', async (k) => {
      const i = k % N;
      const want = k % 2 === 0 ? moved(i) : vip(i);
      const out = await birdc('show', 'route', `${want}/32`);
      return (out.match(/\[node_/g)?.length ?? 0) === wantHops;
    });

    const ms = (x: number): string => `${x.toFixed(1)} ms`;
    console.log('');
    console.log(`vip-announcer benchmark on this machine (${N} Services, ${CHANGES} changes each)`);
    console.log(`  controller: start → all ${N} announcements correct:      ${ctlStart.toFixed(2)} s   (goal < 5 s)`);
    console.log(`  controller: Service change → announcement  p50 ${ms(pct(ctlLat, 50))}  p99 ${ms(pct(ctlLat, 99))}   (goal p99 < 100 ms)`);
    console.log(`  speakers:   start → BIRD holds all ${N} routes (ECMP x${wantHops}): ${birdAll.toFixed(2)} s   (goal < 5 s)`);
    console.log(`  speakers:   start → every status Advertised:            ${statusAll.toFixed(2)} s`);
    console.log(`  end to end: Service change → route in BIRD  p50 ${ms(pct(routeLat, 50))}  p99 ${ms(pct(routeLat, 99))}   (goal p99 < 250 ms)`);
  } finally {
    await Promise.all(procs.map((p) => p.stop()));
  }
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.stack : String(err));
  process.exit(1);
});
