// What a speaker's announcement cache holds, with and without the status: N announcements as
// the API server serves them once the controller has folded every node's report into them
// (conditions, advertisedBy, one entry per node with its peer, at most MAX_SPEAKER_ENTRIES), parsed from JSON and trimmed
// by the real shapes (operator/kube/cachedKinds.ts), kept in a Map as the informer keeps them.
// Each variant runs in a fresh process; the figure is the heap retained after a full collection.
//
//   npm run build && node dist/hack/speakerCacheHeap.js [ANNOUNCEMENTS=10000] [NODES=3]
import { execFileSync } from 'node:child_process';
import { MAX_SPEAKER_ENTRIES } from '../operator/controller/speakerEntries';
import { Cached } from '../operator/kube/cachedKinds';
import { slimShape } from '../operator/kube/cacheShape';
import type { CacheShape } from '../operator/kube/cacheShape';
import { objectKey, Resources, type KubeObject } from '../operator/kube/resources';

const VARIANTS: Record<string, CacheShape<KubeObject>> = {
  // What main cached before: metadata trimmed (managedFields, foreign annotations), status kept.
  'metadata trimmed, status kept (before)': slimShape(Resources.vipAnnouncements),
  // The speaker's shape now: metadata + spec.
  'SpeakerAnnouncement: status dropped (after)': Cached.speakerAnnouncements,
  // The controller's shape, for reference (it reads the status).
  'CachedAnnouncement (controller)': Cached.announcements,
};

function served(i: number, nodes: number): string {
  const ip = `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`;
  const time = '2026-12-07T15:00:00Z';
  const names = Array.from({ length: nodes }, (_, n) => `node-${n + 1}`);
  return JSON.stringify({
    apiVersion: 'vipannouncer.io/v1alpha1',
    kind: 'VipAnnouncement',
    metadata: {
      name: `svc-${i}`,
      namespace: 'bench',
      uid: `0b1c2d3e-4f50-6172-8394-${String(i).padStart(12, '0')}`,
      resourceVersion: String(100_000 + i),
      generation: 1,
      creationTimestamp: time,
      labels: { 'app.kubernetes.io/managed-by': 'vip-announcer' },
      annotations: { 'vipannouncer.io/allocation': 'Automatic' },
      ownerReferences: [{ apiVersion: 'v1', kind: 'Service', name: `svc-${i}`, uid: `5a6b7c8d-9e0f-1021-3243-${String(i).padStart(12, '0')}`, controller: true, blockOwnerDeletion: true }],
      managedFields: [{ manager: 'vip-announcer-controller', operation: 'Apply', apiVersion: 'vipannouncer.io/v1alpha1', time, fieldsType: 'FieldsV1', fieldsV1: { 'f:spec': { 'f:addresses': {}, 'f:externalTrafficPolicy': {}, 'f:endpoints': {} } } }],
    },
    spec: { serviceRef: { name: `svc-${i}`, uid: `5a6b7c8d-9e0f-1021-3243-${String(i).padStart(12, '0')}` }, addresses: [ip], externalTrafficPolicy: 'Cluster', endpoints: { ready: 1, serving: 1 } },
    status: {
      observedGeneration: 1,
      advertisedBy: nodes,
      conditions: [
        { type: 'Advertised', status: 'True', reason: 'Advertised', message: `advertised by ${nodes} of ${nodes} eligible nodes`, lastTransitionTime: time, observedGeneration: 1 },
        { type: 'Ready', status: 'True', reason: 'Ready', message: 'the spec is valid and every address is allowed by a VipPool', lastTransitionTime: time, observedGeneration: 1 },
      ],
      ...(nodes > MAX_SPEAKER_ENTRIES ? { speakersOmitted: nodes - MAX_SPEAKER_ENTRIES } : {}),
      speakers: names.slice(0, MAX_SPEAKER_ENTRIES).map((node) => ({ node, addresses: [`${ip}/32`], peers: [{ address: '192.0.2.1', asn: 64512, state: 'Established', advertised: [`${ip}/32`] }], lastUpdateTime: time })),
    },
  });
}

function gc(): void {
  (globalThis as { gc?: () => void }).gc?.();
}

/** In the child: fill a Map with `count` trimmed announcements; print the retained heap in bytes. */
function measure(variant: string, count: number, nodes: number): void {
  const shape = VARIANTS[variant];
  gc();
  const before = process.memoryUsage().heapUsed;
  const store = new Map<string, KubeObject>();
  for (let i = 0; i < count; i++) {
    const obj = shape.trim(JSON.parse(served(i, nodes)) as KubeObject);
    store.set(objectKey(obj), obj);
  }
  gc();
  const after = process.memoryUsage().heapUsed;
  process.stdout.write(`${JSON.stringify({ retained: after - before, objects: store.size })}\n`);
}

function main(): void {
  const [mode, ...rest] = process.argv.slice(2);
  if (mode === '--child') return measure(rest[0], Number(rest[1]), Number(rest[2]));
  const count = Number(mode ?? 10_000);
  const nodes = Number(rest[0] ?? 3);
  console.log(`speaker announcement cache: ${count} announcements, status with ${nodes} nodes' entries (node ${process.version})`);
  for (const variant of Object.keys(VARIANTS)) {
    const out = execFileSync(process.execPath, ['--expose-gc', __filename, '--child', variant, String(count), String(nodes)], { encoding: 'utf8' });
    const { retained } = JSON.parse(out) as { retained: number };
    console.log(`  ${variant.padEnd(46)} ${(retained / 2 ** 20).toFixed(1).padStart(6)} MiB retained  (${Math.round(retained / count)} B each)`);
  }
}

main();
