// One Service walked through every transition of externalTrafficPolicy (Local ↔
// Cluster), of the nodes holding its Pods (none, one, several) and of their
// readiness. After each step the VipAnnouncement's spec and BIRD's table must
// both say what the step implies: an apply the API server refuses must never
// leave an announcement stuck in an earlier state (issue 10).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import type { VipAnnouncement } from '../operator/api/types';
import { birdNextHops } from './harness/bird';
import { REPO_ROOT, kubectl, lab, waitUntilNoMismatch, type LabNode } from './harness/lab';
import {
  core, createPod, createService, customObjects, deleteNamespace, ensureNamespace, ensureNode, setPodReady, statusOf, uniqueNamespace,
} from './harness/kube';
import { controllerConfig, speakerConfig, startOperator, waitReady, type OperatorProcess } from './harness/operator';
import { ensureLabPool } from './harness/labPool';

const NS = uniqueNamespace('e2e-policy-walk');
const SERVICE = 'walk';
const VIP = '198.22.0.1';
const PREFIX = `${VIP}/32`;
const MERGE = { headers: { 'Content-Type': 'application/merge-patch+json' } };

interface Expected {
  policy: 'Local' | 'Cluster';
  ready: number;
  serving: number;
  /** Local: exactly these nodes (absent and empty both mean none). Cluster: no node listed. */
  nodes: LabNode[];
  /** Nodes whose route BIRD must hold, no more. */
  hops: LabNode[];
}

async function getVA(): Promise<VipAnnouncement | undefined> {
  try {
    return (await customObjects().getNamespacedCustomObject('vipannouncer.io', 'v1alpha1', NS, 'vipannouncements', SERVICE)).body as VipAnnouncement;
  } catch (err) {
    if (statusOf(err) === 404) return undefined;
    throw err;
  }
}

/** '' when the announcement's spec says what `want` says, else what differs. */
function specMismatch(va: VipAnnouncement | undefined, want: Expected): string {
  if (!va) return 'no announcement';
  const s = va.spec;
  const got = { policy: s.externalTrafficPolicy, nodes: [...(s.nodes ?? [])].sort(), ready: s.endpoints?.ready, serving: s.endpoints?.serving };
  const exp = { policy: want.policy, nodes: want.nodes.map((n) => n.name).sort(), ready: want.ready, serving: want.serving };
  return JSON.stringify(got) === JSON.stringify(exp) ? '' : `spec ${JSON.stringify(got)}, want ${JSON.stringify(exp)}`;
}

async function hopsMismatch(want: LabNode[]): Promise<string> {
  const got = (await birdNextHops()).get(PREFIX) ?? [];
  const exp = want.map((n) => n.address).sort();
  return JSON.stringify(got) === JSON.stringify(exp) ? '' : `BIRD next hops [${got.join(', ')}], want [${exp.join(', ')}]`;
}

async function setPolicy(policy: 'Local' | 'Cluster'): Promise<void> {
  await core().patchNamespacedService(SERVICE, NS, { spec: { externalTrafficPolicy: policy } }, undefined, undefined, undefined, undefined, undefined, MERGE);
}

describe('policy walk', () => {
  const nodes = lab().nodes;
  const [n1, n2, n3] = nodes;
  const processes: OperatorProcess[] = [];
  const podIP = new Map<string, string>([['pod-1', '10.22.0.1'], ['pod-2', '10.22.0.2'], ['pod-3', '10.22.0.3']]);
  const podNode = new Map<string, LabNode>([['pod-1', n1], ['pod-2', n2], ['pod-3', n3]]);

  /** Creates the Pod (Running, not Ready) the first time; afterwards only flips readiness. */
  const created = new Set<string>();
  const setReady = async (pod: string, ready: boolean): Promise<void> => {
    if (!created.has(pod)) {
      await createPod({ namespace: NS, name: pod, app: SERVICE, node: podNode.get(pod)?.name ?? '' });
      created.add(pod);
    }
    await setPodReady(NS, pod, podIP.get(pod) ?? '', ready);
  };
  const ready = (...pods: string[]) => async (): Promise<void> => {
    for (const p of pods) await setReady(p, true);
  };
  const unready = (...pods: string[]) => async (): Promise<void> => {
    for (const p of pods) await setReady(p, false);
  };
  const policy = (p: 'Local' | 'Cluster') => (): Promise<void> => setPolicy(p);

  const L = 'Local';
  const C = 'Cluster';
  // [what is done, what the spec and BIRD must then say]
  const steps: Array<[string, () => Promise<void>, Expected]> = [
    ['Local, no Pod', () => Promise.resolve(), { policy: L, ready: 0, serving: 0, nodes: [], hops: [] }],
    ['→ Cluster, no Pod', policy(C), { policy: C, ready: 0, serving: 0, nodes: [], hops: [] }],
    ['→ Local, no Pod', policy(L), { policy: L, ready: 0, serving: 0, nodes: [], hops: [] }],
    ['Local, one unready Pod', unready('pod-1'), { policy: L, ready: 0, serving: 0, nodes: [], hops: [] }],
    ['→ Cluster with the only Pod unready (the issue)', policy(C), { policy: C, ready: 0, serving: 0, nodes: [], hops: [] }],
    ['Cluster, the Pod becomes Ready', ready('pod-1'), { policy: C, ready: 1, serving: 1, nodes: [], hops: nodes }],
    ['→ Local, one Ready Pod', policy(L), { policy: L, ready: 1, serving: 1, nodes: [n1], hops: [n1] }],
    ['Local, Pods Ready on every node', ready('pod-2', 'pod-3'), { policy: L, ready: 3, serving: 3, nodes: nodes, hops: nodes }],
    ['→ Cluster, several Ready Pods', policy(C), { policy: C, ready: 3, serving: 3, nodes: [], hops: nodes }],
    ['→ Local, several Ready Pods', policy(L), { policy: L, ready: 3, serving: 3, nodes: nodes, hops: nodes }],
    ['Local, one of several unready', unready('pod-1'), { policy: L, ready: 2, serving: 2, nodes: [n2, n3], hops: [n2, n3] }],
    ['Local, every Pod unready', unready('pod-2', 'pod-3'), { policy: L, ready: 0, serving: 0, nodes: [], hops: [] }],
    ['→ Cluster, several unready Pods', policy(C), { policy: C, ready: 0, serving: 0, nodes: [], hops: [] }],
    ['Cluster, one Pod Ready again', ready('pod-2'), { policy: C, ready: 1, serving: 1, nodes: [], hops: nodes }],
    ['→ Local, one Ready of several', policy(L), { policy: L, ready: 1, serving: 1, nodes: [n2], hops: [n2] }],
    ['Local, that Pod unready', unready('pod-2'), { policy: L, ready: 0, serving: 0, nodes: [], hops: [] }],
    ['→ Cluster, no serving endpoint', policy(C), { policy: C, ready: 0, serving: 0, nodes: [], hops: [] }],
    ['→ Local, no serving endpoint', policy(L), { policy: L, ready: 0, serving: 0, nodes: [], hops: [] }],
    ['Local, two Pods Ready', ready('pod-1', 'pod-3'), { policy: L, ready: 2, serving: 2, nodes: [n1, n3], hops: [n1, n3] }],
    ['→ Cluster, two Ready Pods', policy(C), { policy: C, ready: 2, serving: 2, nodes: [], hops: nodes }],
    ['Cluster, every Pod unready', unready('pod-1', 'pod-3'), { policy: C, ready: 0, serving: 0, nodes: [], hops: [] }],
    ['Cluster, one Pod Ready', ready('pod-3'), { policy: C, ready: 1, serving: 1, nodes: [], hops: nodes }],
    ['→ Local, one Ready Pod', policy(L), { policy: L, ready: 1, serving: 1, nodes: [n3], hops: [n3] }],
  ];

  before(async () => {
    await kubectl(['apply', '-f', path.join(REPO_ROOT, 'crds')]);
    await ensureLabPool(); // closed by default: the addresses below need a pool
    await kubectl(['wait', '--for=condition=Established', '--timeout=60s', 'crd/vipannouncements.vipannouncer.io', 'crd/vipspeakers.vipannouncer.io']);
    for (const n of nodes) await ensureNode(n.name, n.address);
    await ensureNamespace(NS);
    const ctl = await startOperator('policy-walk-controller', 'controller', controllerConfig());
    processes.push(ctl);
    for (const n of nodes) processes.push(await startOperator(`policy-walk-speaker-${n.name}`, 'speaker', speakerConfig(n)));
    for (const p of processes) await waitReady(p);
  });

  after(async () => {
    await Promise.all(processes.map((p) => p.stop()));
    await deleteNamespace(NS);
  });

  it('every step of Local ↔ Cluster × no, one, several nodes × Ready or not: spec and BIRD follow', async () => {
    await createService({ namespace: NS, name: SERVICE, policy: 'Local', annotations: { 'vipannouncer.io/loadBalancerIPs': VIP } });
    for (const [i, [name, act, want]] of steps.entries()) {
      await act();
      const label = `step ${i + 1} (${name})`;
      await waitUntilNoMismatch(`${label}: the announcement's spec`, async () => specMismatch(await getVA(), want), { timeoutMs: 60_000 });
      await waitUntilNoMismatch(`${label}: BIRD's routes`, () => hopsMismatch(want.hops), { timeoutMs: 60_000 });
    }
    // No write was refused as invalid on the way (issue 10's stuck announcement only showed as
    // these). The log file outlives a lab, so only this run's namespace counts.
    const refused = processes[0].log().split('\n').filter((l) => l.includes(`${NS}/`) && l.includes('retrying with backoff') && l.includes('422'));
    assert.deepEqual(refused, []);
  });
});
