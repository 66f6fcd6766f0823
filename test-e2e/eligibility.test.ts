// Status follows every input of the speakers' decision (issue 20): a node excluded, included
// again and deleted; a pool edited; a node's peers changed. After each step, the set of
// (node, peer, prefix) that status calls advertised is what BIRD holds from each node, and
// each announcement's advertisedBy counts the nodes BIRD holds its prefix from. Hand-made
// announcements (no Service to re-queue them) are the point; a Service-backed one runs beside.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { VipPoolSpec } from '../operator/api/pool';
import { EXCLUDE_FROM_LB_LABEL } from '../operator/api/labels';
import { kubectl, kubectlResult, lab, waitFor, waitUntilNoMismatch, type LabNode } from './harness/lab';
import { core, createReadyPod, createService, deleteNamespace, ensureNode, prepareSuite, uniqueNamespace } from './harness/kube';
import { OWN_POOLS_LABEL } from './harness/labPool';
import { applyPool, removePools } from './harness/pools';
import { controllerConfig, speakerConfig, startOperator, waitReady, type OperatorProcess } from './harness/operator';
import { adjOutHolds, advertised, birdHolds, getSpeaker, getVA, listVAs, statusSays, truthMismatch, truthRow } from './harness/truth';

const NS = uniqueNamespace('e2e-elig');
const POOL = `${NS}-pool`;
const OURS = /^198\.41\.0\.\d+\/32$/;
const scope = { namespace: NS, ours: OURS };
/** Hand-made, announced from every eligible node. */
const MANUAL = ['198.41.0.1', '198.41.0.2'];
/** Service-backed, Cluster policy. */
const CLUSTER = '198.41.0.10';
/** Status must follow a step within this (the status-truth suite's deadline for a node's change). */
const STEP_DEADLINE_MS = 15_000;
const POOL_SPEC: VipPoolSpec = { addresses: ['198.41.0.0/24'] };

async function labelExcluded(node: LabNode, on: boolean): Promise<void> {
  await kubectl(['label', 'node', node.name, on ? `${EXCLUDE_FROM_LB_LABEL}=` : `${EXCLUDE_FROM_LB_LABEL}-`]);
}

/**
 * '' when status and BIRD agree row by row, BIRD holds `want`, and every announcement's
 * advertisedBy and status.speakers name exactly the nodes BIRD holds its prefixes from.
 */
async function mismatch(nodes: readonly LabNode[], want: readonly string[]): Promise<string> {
  const rows = await truthMismatch(scope, nodes, want);
  if (rows !== '') return rows;
  const holds = [...(await birdHolds(nodes, OURS))];
  const wrong: string[] = [];
  for (const va of await listVAs(NS)) {
    const prefixes = (va.spec.addresses ?? []).map((a) => `${a}/32`);
    const from = nodes.filter((n) => prefixes.length > 0 && prefixes.every((p) => holds.includes(`${n.name} ${lab().routerAddress} ${p}`))).map((n) => n.name);
    const listed = (va.status?.speakers ?? []).map((s) => s.node).sort();
    if (va.status?.advertisedBy !== from.length) wrong.push(`${va.metadata.name}: advertisedBy ${va.status?.advertisedBy}, BIRD holds it from [${from.join(', ')}]`);
    if (JSON.stringify(listed) !== JSON.stringify(from)) wrong.push(`${va.metadata.name}: status.speakers [${listed.join(', ')}], BIRD holds it from [${from.join(', ')}]`);
  }
  return wrong.join('; ');
}

describe('status follows node eligibility, pools and peers', () => {
  const nodes = lab().nodes;
  const [n1, n2, n3] = nodes;
  let ctl: OperatorProcess | undefined;
  const speakers = new Map<string, OperatorProcess>();
  const rows = (from: readonly LabNode[]): string[] => from.flatMap((n) => [...MANUAL, CLUSTER].map((vip) => truthRow(n, vip)));
  /** Waits for status and BIRD to agree on `want`; `sample` (if any) looks at every poll first. */
  const step = (what: string, ...args: [want: readonly string[]] | [sample: () => Promise<void>, want: readonly string[]]): Promise<void> => {
    const [sample, want] = args.length === 2 ? args : [undefined, args[0]];
    return waitUntilNoMismatch(what, async () => {
      await sample?.();
      return mismatch(nodes, want);
    }, { timeoutMs: STEP_DEADLINE_MS, intervalMs: 20 });
  };

  /**
   * Node 1 comes back: waits for status and BIRD to list every node, and checks that status never
   * ran ahead of the speakers on the way: status is read first, then what the nodes' gobgpd hold
   * for the router, so a claim not backed yet cannot be excused by a later read. (gobgpd's
   * adj-RIB-out, not BIRD: the UPDATE reaches BIRD some milliseconds after gobgpd lists it, and
   * the step waits for BIRD to hold every route anyway.)
   */
  const stepNeverAhead = async (what: string): Promise<void> => {
    const ahead = new Set<string>();
    await step(what, async () => {
      const says = statusSays(await listVAs(NS), OURS);
      const sent = await adjOutHolds(nodes, OURS);
      for (const r of says) if (!sent.has(r)) ahead.add(r);
    }, rows(nodes));
    assert.deepEqual([...ahead], [], 'status called node 1 advertising before its gobgpd had the routes to send');
  };

  before(async () => {
    await prepareSuite(NS, nodes);
    // Only this suite's pool may cover its namespace: the pool edit below must leave an address uncovered.
    await kubectl(['label', 'namespace', NS, '--overwrite', `${OWN_POOLS_LABEL}=true`]);
    await applyPool(POOL, POOL_SPEC);
    await createService({ namespace: NS, name: 'cluster', policy: 'Cluster', annotations: { 'vipannouncer.io/loadBalancerIPs': CLUSTER } });
    await createReadyPod({ namespace: NS, name: 'cluster-1', app: 'cluster', node: n2.name, ip: '10.41.0.1' });
    for (const [i, address] of MANUAL.entries()) {
      await kubectl(['apply', '-f', '-'], JSON.stringify({
        apiVersion: 'vipannouncer.io/v1alpha1', kind: 'VipAnnouncement',
        metadata: { name: `manual-${i + 1}`, namespace: NS },
        spec: { addresses: [address], externalTrafficPolicy: 'Cluster' },
      }));
    }
    ctl = await startOperator('elig-controller', 'controller', controllerConfig());
    for (const n of nodes) speakers.set(n.name, await startOperator(`elig-speaker-${n.name}`, 'speaker', speakerConfig(n)));
    await waitReady(ctl);
    for (const s of speakers.values()) await waitReady(s);
  });

  after(async () => {
    kubectlResult(['label', 'node', n1.name, `${EXCLUDE_FROM_LB_LABEL}-`]);
    kubectlResult(['uncordon', n1.name]);
    await ensureNode(n1.name, n1.address);
    await deleteNamespace(NS);
    // The other suites run without pools: gone before the controller that releases their finalizer stops.
    try {
      await removePools([POOL]);
    } finally {
      await Promise.all([ctl?.stop(), ...[...speakers.values()].map((s) => s.stop())]);
    }
  });

  it('steady state: every announcement from all three nodes, status and BIRD agree', async () => {
    await waitUntilNoMismatch('status and BIRD to agree on the steady state', () => mismatch(nodes, rows(nodes)), { timeoutMs: 90_000 });
    for (const va of await listVAs(NS)) assert.equal(advertised(va), 'True', va.metadata.name);
  });

  it('node 1 excluded: its routes go, and no announcement, hand-made or not, lists it', async () => {
    await labelExcluded(n1, true);
    await step('status to drop node 1 once it is excluded', rows([n2, n3]));
    const manual = await getVA(NS, 'manual-1');
    assert.equal(manual?.status?.advertisedBy, 2);
  });

  it('node 1 included again: its routes come back, and every announcement lists it again', async () => {
    // Start from a status that is true for the exclusion whatever the previous step saw: an
    // annotation makes the controller re-derive the hand-made announcements (as any unrelated event would).
    await kubectl(['annotate', '--overwrite', 'vipannouncement', '--all', '-n', NS, `e2e.vipannouncer.io/nudge=${Date.now()}`]);
    await waitUntilNoMismatch('status to show node 1 excluded before it is included', () => mismatch(nodes, rows([n2, n3])), { timeoutMs: 60_000 });
    await labelExcluded(n1, false);
    await stepNeverAhead('status to list node 1 again once it is included');
    assert.equal((await getVA(NS, 'manual-1'))?.status?.advertisedBy, 3);
  });

  it('node 1 deleted: its routes go and status drops it', async () => {
    await core().deleteNode(n1.name);
    await step('status to drop node 1 once its Node is deleted', rows([n2, n3]));
  });

  it('node 1 back: its routes come back and status lists it again', async () => {
    await ensureNode(n1.name, n1.address);
    await step('status to list node 1 again once its Node is back', rows(nodes));
  });

  it('node 1 cordoned (kubectl drain\'s first step): its Cluster-policy routes go and status drops it; uncordoned, both come back, status never ahead', async () => {
    await kubectl(['cordon', n1.name]);
    await step('status to drop node 1 once it is cordoned', rows([n2, n3]));
    await waitFor('node 1 to report its table synced draining', async () => (await getSpeaker(n1.name)).status?.draining === true, { timeoutMs: STEP_DEADLINE_MS });
    await kubectl(['uncordon', n1.name]);
    await stepNeverAhead('status to list node 1 again once it is uncordoned');
  });

  it('a pool edit that leaves a hand-made address out: its route goes and its status says so; restored, both come back', async () => {
    await applyPool(POOL, { addresses: ['198.41.0.2-198.41.0.255'] });
    const without = rows(nodes).filter((r) => !r.endsWith(` ${MANUAL[0]}/32`));
    await step('status to drop the hand-made address the pool no longer covers', without);
    await waitFor('manual-1 not Advertised', async () => advertised(await getVA(NS, 'manual-1')) === 'False', { timeoutMs: STEP_DEADLINE_MS });
    await applyPool(POOL, POOL_SPEC);
    await step('status to list the address again once the pool covers it', rows(nodes));
    await waitFor('manual-1 Advertised again', async () => advertised(await getVA(NS, 'manual-1')) === 'True', { timeoutMs: STEP_DEADLINE_MS });
  });

  it('a node\'s peers changed (a second, unreachable peer): every announcement lists the new session, not advertised to it', async () => {
    const old = speakers.get(n3.name);
    assert.ok(old);
    assert.equal(await old.stop(), 0);
    const base = speakerConfig(n3);
    const spk = base.speaker as { peers: Array<Record<string, unknown>> };
    // An address nothing answers on: the session never comes up.
    const extra = { ...spk.peers[0], address: '127.0.0.3' };
    const restarted = await startOperator(`elig-speaker-${n3.name}-2peers`, 'speaker', { speaker: { ...spk, peers: [...spk.peers, extra] } });
    speakers.set(n3.name, restarted);
    await waitReady(restarted);
    await step('status and BIRD to agree with node 3 back', rows(nodes));
    await waitFor('every announcement to list node 3\'s two sessions', async () => {
      const vas = await listVAs(NS);
      return vas.length === MANUAL.length + 1 && vas.every((va) => {
        const peers = va.status?.speakers?.find((s) => s.node === n3.name)?.peers ?? [];
        return peers.length === 2 && peers.some((p) => p.address === '127.0.0.3' && p.state !== 'Established' && (p.advertised ?? []).length === 0);
      });
    }, { timeoutMs: STEP_DEADLINE_MS });
    assert.equal((await getSpeaker(n3.name)).status?.sessionsTotal, 2);
  });
});
