// Status truth (issue 13, item 4): after each step, the set of (node, peer, prefix) that the
// VipAnnouncements' status calls advertised is exactly what BIRD holds from each node. The
// status is the controller's fold of the nodes' VipSpeaker reports; BIRD's table is the proof.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { VipAnnouncement } from '../operator/api/types';
import { birdc } from './harness/bird';
import { advertised, getSpeaker, getVA as getVAIn, listVAs as listVAsIn, truthMismatch as truthMismatchIn, truthRow } from './harness/truth';
import { kubectl, kubectlResult, labCommand, lab, waitFor, waitUntilNoMismatch, type LabNode } from './harness/lab';
import { core, createReadyPod, createService, deleteNamespace, ensureNode, prepareSuite, uniqueNamespace } from './harness/kube';
import { controllerConfig, speakerConfig, startOperator, waitReady, type OperatorProcess } from './harness/operator';

const NS = uniqueNamespace('e2e-truth');
/** Only this suite's addresses are compared. */
const OURS = /^198\.40\.0\.\d+\/32$/;
/** A peer down must show in the affected announcements within 3 s; the poll adds a little. */
const PEER_DOWN_DEADLINE_MS = 3_500;

const scope = { namespace: NS, ours: OURS };
const listVAs = (): Promise<VipAnnouncement[]> => listVAsIn(NS);
const getVA = (name: string): Promise<VipAnnouncement | undefined> => getVAIn(NS, name);
const truthMismatch = (nodes: readonly LabNode[], want?: readonly string[]): Promise<string> => truthMismatchIn(scope, nodes, want);

function signalGobgpd(node: LabNode, signal: NodeJS.Signals): void {
  const pid = Number(readFileSync(path.join(lab().dir, 'pids', `gobgpd-${node.name}.pid`), 'utf8').trim());
  assert.ok(pid > 1, 'the lab recorded gobgpd\'s PID');
  process.kill(pid, signal);
}

describe('status truth', () => {
  const nodes = lab().nodes;
  const [n1, n2, n3] = nodes;
  const row = truthRow;
  let ctl: OperatorProcess | undefined;
  const speakers = new Map<string, OperatorProcess>();
  const startSpeaker = async (n: LabNode): Promise<OperatorProcess> => {
    const p = await startOperator(`truth-speaker-${n.name}`, 'speaker', speakerConfig(n));
    speakers.set(n.name, p);
    return p;
  };
  // Local from node 1 and 2; Cluster from all three.
  const LOCAL = '198.40.0.1';
  const CLUSTER = '198.40.0.2';
  const steady = (): string[] => [row(n1, LOCAL), row(n2, LOCAL), ...nodes.map((n) => row(n, CLUSTER))];

  before(async () => {
    await prepareSuite(NS, nodes);
    await createService({ namespace: NS, name: 'local', policy: 'Local', annotations: { 'vipannouncer.io/loadBalancerIPs': LOCAL } });
    await createReadyPod({ namespace: NS, name: 'local-1', app: 'local', node: n1.name, ip: '10.40.0.1' });
    await createReadyPod({ namespace: NS, name: 'local-2', app: 'local', node: n2.name, ip: '10.40.0.2' });
    await createService({ namespace: NS, name: 'cluster', policy: 'Cluster', annotations: { 'vipannouncer.io/loadBalancerIPs': CLUSTER } });
    await createReadyPod({ namespace: NS, name: 'cluster-1', app: 'cluster', node: n3.name, ip: '10.40.0.3' });
    ctl = await startOperator('truth-controller', 'controller', controllerConfig());
    for (const n of nodes) await startSpeaker(n);
    await waitReady(ctl);
    for (const s of speakers.values()) await waitReady(s);
  });

  after(async () => {
    for (const s of speakers.values()) s.signal('SIGCONT');
    await Promise.all([ctl?.stop(), ...[...speakers.values()].map((s) => s.stop())]);
    await deleteNamespace(NS);
  });

  it('steady state: status calls advertised exactly what BIRD holds, per node and peer; kubectl shows each node', async () => {
    await waitUntilNoMismatch('status and BIRD to agree on the steady state', () => truthMismatch(nodes, steady()), { timeoutMs: 60_000 });
    await waitFor('both announcements Advertised', async () => (await listVAs()).every((va) => advertised(va) === 'True'));
    // The columns count every prefix of the node, other suites' too (the lab is shared), and a
    // report lags gobgpd's adj-RIB-out by a moment: wait for the steady row, as for the rest.
    await waitUntilNoMismatch('kubectl get vipspeakers to show each node Running, its session Established, nothing missing or refused', async () => {
      const out = await kubectl(['get', 'vipspeakers']);
      return nodes.every((n) => new RegExp(`${n.name}\\s+Running\\s+1\\s+1\\s+\\d+\\s+0\\s+0\\s`).test(out)) ? '' : out;
    }, { timeoutMs: 60_000 });
    // Each report is owned by its Node, so deleting the Node collects it.
    for (const n of nodes) {
      const uid = (await core().readNode(n.name)).body.metadata?.uid;
      const owner = (await getSpeaker(n.name)).metadata.ownerReferences?.[0];
      assert.deepEqual([owner?.kind, owner?.name, owner?.uid], ['Node', n.name, uid]);
    }
  });

  it('a Node deleted: the garbage collector deletes its VipSpeaker', async () => {
    const ghost = `truth-ghost-${process.pid}`;
    await ensureNode(ghost, '127.0.0.99');
    const uid = (await core().readNode(ghost)).body.metadata?.uid ?? '';
    await kubectl(['apply', '-f', '-'], JSON.stringify({
      apiVersion: 'vipannouncer.io/v1alpha1', kind: 'VipSpeaker',
      metadata: { name: ghost, ownerReferences: [{ apiVersion: 'v1', kind: 'Node', name: ghost, uid }] },
    }));
    await core().deleteNode(ghost);
    await waitFor('the VipSpeaker of the deleted Node to go', () => kubectlResult(['get', 'vipspeakers.vipannouncer.io', ghost]).status !== 0, { timeoutMs: 60_000 });
  });

  it('a BIRD session disabled shows within 3 s, and re-enabled shows again', async () => {
    const protocol = n1.name.replace('-', '_');
    await birdc('disable', protocol);
    const changed = Date.now();
    try {
      const want = steady().filter((r) => !r.startsWith(`${n1.name} `));
      await waitUntilNoMismatch('status to drop node 1 within 3 s of the session going down', () => truthMismatch(nodes, want), { timeoutMs: PEER_DOWN_DEADLINE_MS, intervalMs: 100 });
      const tookMs = Date.now() - changed;
      const local = await getVA('local');
      assert.equal(advertised(local), 'False', 'Local needs node 1 too');
      assert.equal(local?.status?.speakers?.find((s) => s.node === n1.name)?.peers[0]?.state !== 'Established', true);
      assert.ok(tookMs <= PEER_DOWN_DEADLINE_MS, `took ${tookMs} ms`);
    } finally {
      await birdc('enable', protocol);
    }
    await waitUntilNoMismatch('status and BIRD to agree once the session is back', () => truthMismatch(nodes, steady()), { timeoutMs: 60_000 });
    await waitFor('Local Advertised again', async () => advertised(await getVA('local')) === 'True');
  });

  it('a gobgpd killed: its node is not advertising in status while BIRD holds nothing from it; restarted, both agree again', async () => {
    signalGobgpd(n2, 'SIGKILL');
    const want = steady().filter((r) => !r.startsWith(`${n2.name} `));
    await waitUntilNoMismatch('status to drop node 2 once its gobgpd is gone', () => truthMismatch(nodes, want), { timeoutMs: 15_000, intervalMs: 100 });
    await waitFor('node 2\'s report to say gobgpd is unreachable', async () => (await getSpeaker(n2.name)).status?.gobgpReachable === false, { timeoutMs: 15_000 });
    await labCommand('start', `gobgpd-${n2.name}`);
    await waitUntilNoMismatch('status and BIRD to agree once gobgpd is back', () => truthMismatch(nodes, steady()), { timeoutMs: 60_000 });
  });

  it('a Service change while a speaker is paused: no Advertised for the new generation until it acts', async () => {
    const s1 = speakers.get(n1.name);
    assert.ok(s1);
    const before = await getVA('local');
    const generation = before?.metadata.generation ?? 0;
    s1.signal('SIGSTOP');
    let resumed = false;
    try {
      await kubectl(['annotate', '--overwrite', 'service', 'local', '-n', NS, 'vipannouncer.io/loadBalancerIPs=198.40.0.3']);
      await waitFor('the new generation', async () => ((await getVA('local'))?.metadata.generation ?? 0) > generation);
      // Node 2 acts at once; node 1 cannot. For a while (well under the 30 s staleness), the
      // new generation must never be shown Advertised.
      const until = Date.now() + 6_000;
      let sawWaiting = false;
      while (Date.now() < until) {
        const va = await getVA('local');
        const cond = va?.status?.conditions?.find((c) => c.type === 'Advertised');
        const current = va?.status?.observedGeneration === va?.metadata.generation;
        assert.ok(!(current && cond?.status === 'True'), `Advertised for generation ${va?.metadata.generation} while node 1 is paused: ${JSON.stringify(cond)}`);
        if (current && /waiting for .*node-1|node-1: has not acted/.test(cond?.message ?? '')) sawWaiting = true;
        await new Promise((r) => setTimeout(r, 200));
      }
      assert.ok(sawWaiting, 'the condition names the node it waits for');
      s1.signal('SIGCONT');
      resumed = true;
      await waitFor('Advertised for the new generation once node 1 acted', async () => {
        const va = await getVA('local');
        return va?.status?.observedGeneration === va?.metadata.generation && advertised(va) === 'True';
      }, { timeoutMs: 30_000 });
      const want = [row(n1, '198.40.0.3'), row(n2, '198.40.0.3'), ...nodes.map((n) => row(n, CLUSTER))];
      await waitUntilNoMismatch('status and BIRD to agree on the new address', () => truthMismatch(nodes, want), { timeoutMs: 30_000 });
    } finally {
      if (!resumed) s1.signal('SIGCONT');
    }
  });

  it('a speaker stopped keeping its routes (a rollout, no withdrawOnShutdown): its node keeps counting, as BIRD keeps the routes', async () => {
    const want = [row(n1, '198.40.0.3'), row(n2, '198.40.0.3'), ...nodes.map((n) => row(n, CLUSTER))];
    const old = speakers.get(n2.name);
    assert.ok(old);
    assert.equal(await old.stop(), 0);
    const kept = await startOperator(`truth-speaker-${n2.name}-kept`, 'speaker', speakerConfig(n2, { withdrawOnShutdown: false }));
    speakers.set(n2.name, kept);
    await waitReady(kept);
    await waitUntilNoMismatch('status and BIRD to agree with node 2 back', () => truthMismatch(nodes, want), { timeoutMs: 60_000 });
    assert.equal(await kept.stop(), 0);
    speakers.delete(n2.name);
    assert.equal((await getSpeaker(n2.name)).status?.phase, 'Running', 'a stop that keeps the routes leaves the report Running');
    // Well under the 30 s staleness: gobgpd still originates node 2's routes, so status must keep counting it.
    const until = Date.now() + 5_000;
    while (Date.now() < until) {
      assert.equal(await truthMismatch(nodes, want), '', 'status and BIRD disagree while node 2\'s speaker is away');
      assert.equal((await getVA('cluster'))?.status?.advertisedBy, 3, 'node 2 still counts');
      await new Promise((r) => setTimeout(r, 250));
    }
    await waitReady(await startSpeaker(n2));
    await waitUntilNoMismatch('status and BIRD to agree with node 2\'s speaker back', () => truthMismatch(nodes, want), { timeoutMs: 60_000 });
  });

  it('a speaker stopped for good: its node stops counting at once', async () => {
    const s3 = speakers.get(n3.name);
    assert.ok(s3);
    assert.equal(await s3.stop(), 0);
    speakers.delete(n3.name);
    assert.equal((await getSpeaker(n3.name)).status?.phase, 'Stopped');
    const want = [row(n1, '198.40.0.3'), row(n2, '198.40.0.3'), row(n1, CLUSTER), row(n2, CLUSTER)];
    await waitUntilNoMismatch('status and BIRD to agree without node 3', () => truthMismatch(nodes, want), { timeoutMs: 15_000 });
    await waitFor('the Cluster announcement counts 2 nodes', async () => {
      const va = await getVA('cluster');
      return va?.status?.advertisedBy === 2 && !(va.status.speakers ?? []).some((s) => s.node === n3.name) && advertised(va) === 'True';
    }, { timeoutMs: 15_000 });
  });
});
