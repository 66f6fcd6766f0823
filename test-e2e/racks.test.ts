// Peers per rack (issue 22, item 1): a peer's nodeSelector picks the nodes that peer with it,
// over their Node labels. Nodes 1 and 2 are in rack a, whose router is the lab's BIRD; node 3 is
// in rack b, which no peer selects. BIRD's table and its session log are the proof: routes
// only from rack a, node 3 reports why it announces nothing, and moving node 3 into rack a
// brings its session up (the positive control of the flap check) while nodes 1 and 2 keep theirs.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { birdLogOffset, birdLogSince, birdProtocolState } from './harness/bird';
import { kubectl, kubectlResult, lab, waitFor, waitUntilNoMismatch, type LabNode } from './harness/lab';
import { createReadyPod, createService, deleteNamespace, prepareSuite, uniqueNamespace } from './harness/kube';
import { controllerConfig, speakerConfig, startOperator, waitReady, type OperatorProcess } from './harness/operator';
import { applyPool, removePools } from './harness/pools';
import { birdHolds, getSpeaker, getVA, truthRow } from './harness/truth';

const NS = uniqueNamespace('e2e-racks');
const POOL = `${NS}-pool`;
const VIP = '198.42.0.10';
const OURS = /^198\.42\.0\.\d+\/32$/;
const RACK_LABEL = 'e2e.vipannouncer.io/rack';
/** The speakers' asnFrom: a node's AS number from this Node label, else the configuration's (the AS BIRD expects). */
const ASN_LABEL = 'e2e.vipannouncer.io/asn';

const protocol = (n: LabNode): string => n.name.replace('-', '_');
/** BIRD's session state changes of `n` logged from `offset` on ("State changed to up/down/..."). */
const stateChanges = (offset: number, n: LabNode): string[] => birdLogSince(offset).filter((l) => l.includes(`${protocol(n)}: State changed to `));

async function setRack(n: LabNode, rack: string): Promise<void> {
  await kubectl(['label', 'node', n.name, '--overwrite', `${RACK_LABEL}=${rack}`]);
}

describe('peers per rack (a peer nodeSelector)', () => {
  const nodes = lab().nodes;
  const [n1, n2, n3] = nodes;
  let ctl: OperatorProcess | undefined;
  const speakers: OperatorProcess[] = [];
  /** '' when BIRD holds the VIP from exactly `from`. */
  const holdsFrom = async (from: readonly LabNode[]): Promise<string> => {
    const got = [...(await birdHolds(nodes, OURS))].sort();
    const want = from.map((n) => truthRow(n, VIP)).sort();
    return JSON.stringify(got) === JSON.stringify(want) ? '' : `BIRD holds [${got.join(', ')}], want [${want.join(', ')}]`;
  };

  before(async () => {
    await prepareSuite(NS, nodes);
    await setRack(n1, 'a');
    await setRack(n2, 'a');
    await setRack(n3, 'b');
    await applyPool(POOL, { addresses: ['198.42.0.0/24'] });
    await createService({ namespace: NS, name: 'web', policy: 'Cluster', annotations: { 'vipannouncer.io/loadBalancerIPs': VIP } });
    await createReadyPod({ namespace: NS, name: 'web-1', app: 'web', node: n1.name, ip: '10.42.0.1' });
    ctl = await startOperator('racks-controller', 'controller', controllerConfig());
    for (const n of nodes) {
      const base = speakerConfig(n).speaker as { peers: Record<string, unknown>[] };
      const peers = base.peers.map((p) => ({ ...p, nodeSelector: { matchLabels: { [RACK_LABEL]: 'a' } } }));
      speakers.push(await startOperator(`racks-speaker-${n.name}`, 'speaker', { speaker: { ...base, peers, asnFrom: { label: ASN_LABEL } } }));
    }
    await waitReady(ctl);
    for (const s of speakers) await waitReady(s);
  });

  after(async () => {
    for (const n of nodes) kubectlResult(['label', 'node', n.name, `${RACK_LABEL}-`, `${ASN_LABEL}-`]);
    await deleteNamespace(NS);
    try {
      await removePools([POOL]);
    } finally {
      await Promise.all([ctl?.stop(), ...speakers.map((s) => s.stop())]);
    }
  });

  it('the router holds the route from rack a only; node 3 has no session and reports NoPeerSelectsNode; status counts two nodes', async () => {
    await waitUntilNoMismatch('BIRD to hold the VIP from nodes 1 and 2 only', () => holdsFrom([n1, n2]), { timeoutMs: 90_000 });
    await waitFor('node 3 to report that no peer selects it', async () => {
      const st = (await getSpeaker(n3.name)).status;
      return st?.eligible === false && st.notEligibleReason === 'NoPeerSelectsNode' && st.sessionsTotal === 0;
    }, { timeoutMs: 30_000 });
    await waitFor("BIRD's session with node 3 not Established", async () => (await birdProtocolState(protocol(n3))) !== 'Established', { timeoutMs: 30_000 });
    await waitFor('the announcement to count nodes 1 and 2', async () => {
      const va = await getVA(NS, 'web');
      return va?.status?.advertisedBy === 2 && JSON.stringify((va.status.speakers ?? []).map((s) => s.node).sort()) === JSON.stringify([n1.name, n2.name]);
    }, { timeoutMs: 30_000 });
  });

  it('node 3 moved into rack a: its session comes up and the route arrives from it, and nodes 1 and 2 keep their sessions', async () => {
    const offset = birdLogOffset();
    await setRack(n3, 'a');
    await waitUntilNoMismatch('BIRD to hold the VIP from all three nodes', () => holdsFrom(nodes), { timeoutMs: 60_000 });
    // The positive control: the reader sees node 3's session come up in the same log.
    await waitFor("BIRD's log to show node 3's session up", async () => Promise.resolve(stateChanges(offset, n3).some((l) => l.endsWith('up'))), { timeoutMs: 30_000 });
    assert.deepEqual([...stateChanges(offset, n1), ...stateChanges(offset, n2)], [], 'nodes 1 and 2 were not re-peered');
    await waitFor('node 3 to report itself eligible', async () => (await getSpeaker(n3.name)).status?.eligible === true, { timeoutMs: 30_000 });
  });

  it('node 1 moved out to rack b: only its session goes, and with it its route', async () => {
    const offset = birdLogOffset();
    await setRack(n1, 'b');
    await waitUntilNoMismatch('BIRD to hold the VIP from nodes 2 and 3', () => holdsFrom([n2, n3]), { timeoutMs: 60_000 });
    // The speaker withdraws the routes first and deletes the peer after (paths before peers).
    await waitFor("BIRD's log to show node 1's session closed", async () => Promise.resolve(stateChanges(offset, n1).length > 0), { timeoutMs: 30_000 });
    assert.deepEqual([...stateChanges(offset, n2), ...stateChanges(offset, n3)], [], 'nodes 2 and 3 were not re-peered');
    await waitFor('node 1 to report NoPeerSelectsNode', async () => (await getSpeaker(n1.name)).status?.notEligibleReason === 'NoPeerSelectsNode', { timeoutMs: 30_000 });
  });

  it("the peers' nodeSelector edited in the configuration file (the installer's ConfigMap update, no rollout): applied live, only the node it adds peers", async () => {
    // Now: nodes 2 and 3 in rack a, node 1 in rack b. The peer is widened to racks a and b.
    const offset = birdLogOffset();
    for (const s of speakers) {
      s.editConfig((doc) => {
        const speaker = doc.speaker as { peers: Record<string, unknown>[] };
        speaker.peers = speaker.peers.map((p) => ({ ...p, nodeSelector: { matchExpressions: [{ key: RACK_LABEL, operator: 'In', values: ['a', 'b'] }] } }));
      });
    }
    await waitUntilNoMismatch('BIRD to hold the VIP from all three nodes', () => holdsFrom(nodes), { timeoutMs: 60_000 });
    await waitFor("BIRD's log to show node 1's session up", async () => Promise.resolve(stateChanges(offset, n1).some((l) => l.endsWith('up'))), { timeoutMs: 30_000 });
    assert.deepEqual([...stateChanges(offset, n2), ...stateChanges(offset, n3)], [], 'nodes 2 and 3 were not re-peered');
    for (const s of speakers) assert.ok(!s.exited(), `${s.name} kept running (peers applied without a restart)`);
    assert.match(speakers[0]?.log() ?? '', /peers changed; applying them without a restart/);
  });

  it('an invalid configuration file is refused with the field named, and the running peers stay', async () => {
    const offset = birdLogOffset();
    const s3 = speakers[2];
    assert.ok(s3);
    s3.editConfig((doc) => {
      const speaker = doc.speaker as { peers: Record<string, unknown>[] };
      speaker.peers = speaker.peers.map((p) => ({ ...p, nodeSelector: { matchExpressions: [{ key: RACK_LABEL, operator: 'Sometimes' }] } }));
    });
    await waitFor("node 3's speaker to log the refused file", async () => Promise.resolve(/configuration file changed and is invalid[^\n]*speaker\.peers\[0\]\.nodeSelector/.test(s3.log())), { timeoutMs: 30_000 });
    assert.equal(await holdsFrom(nodes), '');
    assert.deepEqual(stateChanges(offset, n3), [], "node 3's session stayed up");
  });

  it("a node's AS number from its Node label (asnFrom): BIRD refuses the AS it does not expect, and takes the session back once the label goes", async () => {
    const offset = birdLogOffset();
    await kubectl(['label', 'node', n2.name, '--overwrite', `${ASN_LABEL}=65099`]);
    await waitFor("BIRD to refuse node 2's OPEN for its AS", async () => Promise.resolve(birdLogSince(offset).some((l) => l.includes(`${protocol(n2)}: `) && /Bad peer AS/i.test(l))), { timeoutMs: 60_000 });
    await waitUntilNoMismatch('BIRD to hold the VIP from nodes 1 and 3', () => holdsFrom([n1, n3]), { timeoutMs: 60_000 });
    await kubectl(['label', 'node', n2.name, `${ASN_LABEL}-`]);
    await waitUntilNoMismatch('BIRD to hold the VIP from all three nodes again', () => holdsFrom(nodes), { timeoutMs: 90_000 });
    assert.equal(await birdProtocolState(protocol(n2)), 'Established');
  });

  it('a speaker restarted with another router id while its gobgpd runs: gobgpd stays usable and the routes come back (GoBGP 4 cannot restart BGP in place)', async () => {
    const old = speakers[2];
    assert.ok(old);
    assert.equal(await old.stop(), 0);
    const base = speakerConfig(n3).speaker as { peers: Record<string, unknown>[] };
    const peers = base.peers.map((p) => ({ ...p, nodeSelector: { matchExpressions: [{ key: RACK_LABEL, operator: 'In', values: ['a', 'b'] }] } }));
    const restarted = await startOperator(`racks-speaker-${n3.name}-rid`, 'speaker', { speaker: { ...base, peers, asnFrom: { label: ASN_LABEL }, routerId: '127.0.0.99' } });
    speakers[2] = restarted;
    await waitReady(restarted);
    await waitUntilNoMismatch('BIRD to hold the VIP from all three nodes after the restart', () => holdsFrom(nodes), { timeoutMs: 60_000 });
    const kept = /cannot restart BGP in place: keeping what runs/.test(restarted.log());
    // GoBGP 4 keeps the running router id (StopBgp would end its server); GoBGP 3 restarts BGP in place.
    assert.equal(kept, lab().gobgp.api === 'v4', `speaker log: ${kept ? 'kept what runs' : 'restarted BGP'} on a ${lab().gobgp.api} gobgpd`);
  });
});

