// What one Service change costs a speaker's CPU, without a lab: the real speaker controller
// over in-memory caches and router (operator/kube/testing.ts, operator/gobgp/fakeRouter.ts),
// N Services each with its ready slice and its announcement, one pool, Enforced ownership.
// After a cold start, each round moves one Service to another address and times the table
// sync it asks for, then the status read that follows. gobgpd's own time is not in it (the
// fake answers at once): this is the part of "change → route" the speaker spends itself.
//
//   npm run build && node dist/hack/benchSpeakerSync.js [SERVICES=10000] [ROUNDS=50]
import { performance } from 'node:perf_hooks';
import type { V1EndpointSlice, V1Node, V1Service } from '@kubernetes/client-node';
import type { VipPool } from '../operator/api/pool';
import type { VipAnnouncement } from '../operator/api/types';
import { FakeRouter } from '../operator/gobgp/fakeRouter';
import type { KeyRequest } from '../operator/kube/controllerDefinition';
import { Resources, type KubeObject, type ResourceRef } from '../operator/kube/resources';
import { FakeCaches, FakeKubeWriter } from '../operator/kube/testing';
import { nullLogger } from '../operator/util/log';
import { speakerRole } from '../operator/speaker/speakerController';
import { TEST_NODE, testSpeakerConfig } from '../operator/speaker/testFixtures';

const N = Number(process.argv[2] ?? 10_000);
const ROUNDS = Number(process.argv[3] ?? 50);

const ip = (i: number): string => `198.18.${(i >> 8) & 255}.${i & 255}`;

function service(i: number, address: string, rv: number): V1Service {
  return {
    metadata: { namespace: 'bench', name: `svc-${i}`, uid: `uid-${i}`, resourceVersion: String(rv), annotations: { 'vipannouncer.io/loadBalancerIPs': address } },
    spec: { type: 'LoadBalancer', externalTrafficPolicy: 'Cluster', ipFamilies: ['IPv4'] },
    status: { loadBalancer: { ingress: [{ ip: address }] } },
  };
}

function slice(i: number): V1EndpointSlice {
  return {
    metadata: { namespace: 'bench', name: `svc-${i}-1`, resourceVersion: '1', labels: { 'kubernetes.io/service-name': `svc-${i}` } },
    addressType: 'IPv4',
    endpoints: [{ addresses: ['10.0.0.1'], nodeName: TEST_NODE, conditions: { ready: true, serving: true } }],
  };
}

function announcement(i: number, address: string): VipAnnouncement {
  return {
    apiVersion: 'vipannouncer.io/v1alpha1',
    kind: 'VipAnnouncement',
    metadata: { namespace: 'bench', name: `svc-${i}`, resourceVersion: String(1_000_000 + i), labels: { 'app.kubernetes.io/managed-by': 'vip-announcer' } },
    spec: { addresses: [address], externalTrafficPolicy: 'Cluster', serviceRef: { name: `svc-${i}`, uid: `uid-${i}` }, endpoints: { ready: 1, serving: 1 } },
  };
}

const pool: VipPool = {
  apiVersion: 'vipannouncer.io/v1alpha1',
  kind: 'VipPool',
  metadata: { name: 'bench', generation: 1 },
  spec: { addresses: ['198.18.0.0/15'] },
};

const node: V1Node = { metadata: { name: TEST_NODE }, status: { addresses: [{ type: 'InternalIP', address: '10.0.0.5' }] } };

const pct = (xs: number[], p: number): number => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))] ?? 0;

async function main(): Promise<void> {
  const caches = new FakeCaches();
  const router = new FakeRouter();
  const writer = new FakeKubeWriter();
  let rv = 10;
  writer.respond = (call) => (call.op === 'applyStatus' ? { ...(call.body as KubeObject), metadata: { ...(call.body as KubeObject).metadata, resourceVersion: String(++rv) } } : undefined);
  const role = speakerRole({ caches, router, writer, config: testSpeakerConfig({ addressOwnership: 'Enforced', peers: [] }), log: nullLogger(), passwordPollMs: 0 });
  const enqueued: KeyRequest[] = [];
  const ctx = { log: nullLogger(), signal: new AbortController().signal, enqueue: (r: KeyRequest) => enqueued.push(r) };
  const event = <T extends KubeObject>(resource: ResourceRef, type: 'ADDED' | 'MODIFIED', obj: T, old?: T): void => {
    caches.informer<T>(resource).put(obj);
    const w = role.controller.watches.find((x) => x.shape.resource.plural === resource.plural);
    w?.toKeys(type, obj, old);
  };

  event(Resources.nodes, 'ADDED', node);
  event(Resources.vipPools, 'ADDED', pool);
  const current: string[] = [];
  for (let i = 0; i < N; i++) {
    current.push(ip(i));
    event(Resources.services, 'ADDED', service(i, ip(i), ++rv));
    event(Resources.endpointSlices, 'ADDED', slice(i));
    event(Resources.vipAnnouncements, 'ADDED', announcement(i, ip(i)));
  }
  let t = performance.now();
  await role.controller.reconcile('table', ctx);
  const coldTable = performance.now() - t;
  t = performance.now();
  await role.controller.reconcile('status', ctx);
  const coldStatus = performance.now() - t;
  if (router.paths.size !== N) throw new Error(`cold start: gobgpd holds ${router.paths.size} paths, expected ${N}`);

  const table: number[] = [];
  const status: number[] = [];
  const withSpacing: number[] = [];
  const clock = { next: N };
  for (let r = 0; r < ROUNDS; r++) {
    const i = (r * 7919) % N;
    const moved = ip(clock.next++);
    const before = service(i, current[i] ?? '', rv);
    current[i] = moved;
    event(Resources.services, 'MODIFIED', service(i, moved, ++rv), before);
    // The speaker spaces paths-only syncs under a storm (syncSpacing.ts): wait as it asks.
    const start = performance.now();
    for (;;) {
      enqueued.length = 0;
      t = performance.now();
      await role.controller.reconcile('table', ctx);
      const wait = enqueued.find((k): k is { key: string; afterMs: number } => typeof k !== 'string' && k.key === 'table');
      // A sync that ran enqueues its status read, a spaced one only itself again.
      if (!wait || enqueued.length > 1) break;
      await new Promise((res) => setTimeout(res, wait.afterMs));
    }
    table.push(performance.now() - t);
    withSpacing.push(performance.now() - start);
    t = performance.now();
    await role.controller.reconcile('status', ctx);
    status.push(performance.now() - t);
    if (![...router.paths.values()].some((p) => p.prefix === `${moved}/32`)) throw new Error(`round ${r}: ${moved} not in gobgpd`);
  }
  const fmt = (xs: number[]): string => `p50 ${pct(xs, 50).toFixed(1)} ms, p99 ${pct(xs, 99).toFixed(1)} ms, max ${Math.max(...xs).toFixed(1)} ms`;
  console.log(`speaker over fakes, ${N} Services, ${ROUNDS} changes`);
  console.log(`  cold start: table ${coldTable.toFixed(0)} ms, status ${coldStatus.toFixed(0)} ms`);
  console.log(`  one Service change, table sync: ${fmt(table)}`);
  console.log(`  ... with the spacing wait:     ${fmt(withSpacing)}`);
  console.log(`  the status read after it:       ${fmt(status)}`);
  console.log(`  heap used: ${(process.memoryUsage().heapUsed / 1e6).toFixed(0)} MB`);
}

void main().then(() => process.exit(0), (err: unknown) => {
  console.error(err);
  process.exit(1);
});
