// make bench, real-nodes part (run by hack/bench.sh on a LAB_MODE=nodes lab): the product
// installed as Pods (kubectl apply -k config/default), BENCH_SERVICES (default 1,000)
// LoadBalancer Services with ready endpoints and addresses from a pool, and only then the
// VipAnnouncer: per node, the time from its speaker container's start to the last of its
// routes at BIRD. (The kubelet stamps a container's start in whole seconds: ±1 s.)
import path from 'node:path';
import { birdc } from '../test-e2e/harness/bird';
import { REPO_ROOT, kubectl, lab } from '../test-e2e/harness/lab';
import { SYSTEM_NS, labAnnouncerObject, labPoolObject } from '../test-e2e/harness/nodesInstall';

const N = Number(process.env.BENCH_SERVICES ?? 1000);
const NS = 'bench-pods';
const RANGE = '10.250.0.0/20';
const CHUNK = 100;

interface PodView {
  spec: { nodeName?: string };
  status: { containerStatuses?: { name: string; state?: { running?: { startedAt: string } } }[] };
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function apply(items: unknown[]): Promise<void> {
  await kubectl(['apply', '--server-side', '-f', '-'], JSON.stringify({ apiVersion: 'v1', kind: 'List', items }));
}

/** Routes BIRD holds per node protocol, counted. */
async function routesPerNode(): Promise<Map<string, number>> {
  const counts = new Map<string, number>();
  for (const n of lab().nodes) {
    const out = await birdc('show', 'route', 'protocol', n.name.replace(/-/g, '_'), 'count');
    counts.set(n.name, Number(/(\d+) of \d+ routes/.exec(out)?.[1] ?? 0));
  }
  return counts;
}

async function main(): Promise<void> {
  if (lab().mode !== 'nodes') throw new Error('benchPods needs the real-nodes lab (LAB_MODE=nodes hack/lab.sh up)');
  const t0 = Date.now();
  await kubectl(['apply', '-k', path.join(REPO_ROOT, 'config', 'default')]);
  await kubectl(['-n', SYSTEM_NS, 'rollout', 'status', 'deployment/vip-announcer-controller', '--timeout=300s']);
  await kubectl(['create', 'namespace', NS]);
  await apply([labPoolObject('bench-pods', RANGE, NS)]);
  const node1 = lab().nodes[0].address;
  for (let i = 0; i < N; i += CHUNK) {
    const items: unknown[] = [];
    for (let j = i; j < Math.min(N, i + CHUNK); j++) {
      items.push({ apiVersion: 'v1', kind: 'Service', metadata: { name: `svc-${j}`, namespace: NS }, spec: { type: 'LoadBalancer', ports: [{ port: 80, protocol: 'TCP' }] } });
      items.push({
        apiVersion: 'discovery.k8s.io/v1', kind: 'EndpointSlice', metadata: { name: `svc-${j}-1`, namespace: NS, labels: { 'kubernetes.io/service-name': `svc-${j}` } },
        addressType: 'IPv4', endpoints: [{ addresses: [node1], conditions: { ready: true } }], ports: [{ port: 80, protocol: 'TCP' }],
      });
    }
    await apply(items);
  }
  console.log(`bench-pods: ${N} Services with endpoints created in ${((Date.now() - t0) / 1000).toFixed(1)} s (install included)`);
  for (;;) {
    const out = await kubectl(['get', 'services', '-n', NS, '-o', 'jsonpath={range .items[*]}{.status.loadBalancer.ingress[0].ip}{"\\n"}{end}']);
    const have = out.split('\n').filter(Boolean).length;
    if (have >= N) break;
    await sleep(500);
  }
  console.log(`bench-pods: every Service has its address, ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  await kubectl(['apply', '-f', '-'], JSON.stringify(labAnnouncerObject()));
  const done = new Map<string, number>();
  const deadline = Date.now() + 15 * 60_000;
  while (done.size < lab().nodes.length && Date.now() < deadline) {
    for (const [node, count] of await routesPerNode()) if (count >= N && !done.has(node)) done.set(node, Date.now());
    await sleep(250);
  }
  const pods = JSON.parse(await kubectl(['get', 'pods', '-n', SYSTEM_NS, '-l', 'app.kubernetes.io/component=speaker', '-o', 'json'])) as { items: PodView[] };
  console.log(`\nspeaker container start → all ${N} routes of its node at BIRD (real nodes, Pods from .images/):`);
  for (const p of pods.items) {
    const node = p.spec.nodeName ?? '';
    const started = Date.parse(p.status.containerStatuses?.find((c) => c.name === 'speaker')?.state?.running?.startedAt ?? '');
    const at = done.get(node);
    console.log(`  ${node}: ${at === undefined ? `MISSED (not all ${N} routes within 15 min)` : `${((at - started) / 1000).toFixed(1)} s`}`);
  }
  await kubectl(['delete', 'namespace', NS, '--wait=false']);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
