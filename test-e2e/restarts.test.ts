// A node's speaker and its gobgpd both die and come back (a Pod restart): with graceful restart
// negotiated between gobgpd and the router, the router keeps the node's routes meanwhile and
// BIRD's route log shows no withdrawal. The same log reader must see the withdrawal that
// deleting a Service causes, so the check cannot pass on an empty or missing log.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { birdLogOffset, birdLogSince, birdNextHops, birdProtocolState, birdc } from './harness/bird';
import { kubectl, lab, labCommand, waitFor, type LabNode } from './harness/lab';
import { createReadyPod, createService, deleteNamespace, ensureNode, labBootID, setNodeBootID, uniqueNamespace, prepareSuite } from './harness/kube';
import { controllerConfig, speakerConfig, startOperator, waitReady, type OperatorProcess } from './harness/operator';

const NS = uniqueNamespace('e2e-restarts');
const KEPT = '198.25.0.1/32';
const DELETED = '198.25.0.2/32';
const GONE = '198.25.0.3/32';

/** BIRD's log lines, from `offset` on, that withdraw one of `prefixes`. */
const withdrawals = (offset: number, prefixes: string[]): string[] =>
  birdLogSince(offset).filter((l) => l.includes(' removed ') && prefixes.some((p) => l.includes(p)));

/** The node's speaker config with graceful restart on its one peer (the lab's BIRD). */
function gracefulSpeakerConfig(node: LabNode): Record<string, unknown> {
  const base = speakerConfig(node).speaker as { peers: Record<string, unknown>[] };
  const peers = base.peers.map((p) => ({ ...p, gracefulRestart: { enabled: true, restartTime: '60s' } }));
  return speakerConfig(node, { withdrawOnShutdown: false, peers });
}

/** Signal the lab's gobgpd of `node` directly (hack/lab.sh stop would send SIGTERM). */
function signalGobgpd(node: LabNode, signal: NodeJS.Signals): void {
  const pid = Number(readFileSync(path.join(lab().dir, 'pids', `gobgpd-${node.name}.pid`), 'utf8').trim());
  assert.ok(pid > 1, 'the lab recorded gobgpd\'s PID');
  process.kill(pid, signal);
}

/** BIRD's log lines, from `offset` on, where `protocol` imported `prefix` again (a changed or an identical route). */
const reimported = (offset: number, protocol: string, prefix: string): string[] =>
  birdLogSince(offset).filter((l) => l.includes(`${protocol}.ipv4 > `) && l.includes(prefix) && / > (added|updated|ignored) /.test(l));

describe('restarts', () => {
  const node = lab().nodes[1];
  const protocol = node.name.replace('-', '_');
  let ctl: OperatorProcess | undefined;
  let spk: OperatorProcess | undefined;
  let generation = 0;

  const startSpeaker = async (): Promise<void> => {
    spk = await startOperator(`restarts-spk-${++generation}`, 'speaker', gracefulSpeakerConfig(node));
    await waitReady(spk);
  };

  /** What BIRD read from the node's last OPEN: the graceful restart capability and its flags. */
  const neighborCaps = async (): Promise<string> => (await birdc('show', 'protocols', 'all', protocol)).split('Neighbor capabilities')[1] ?? '';

  const held = async (prefixes: string[]): Promise<boolean> => {
    const hops = await birdNextHops();
    return prefixes.every((p) => hops.get(p)?.includes(node.address) === true);
  };

  /** After `stop` ended both processes: the session is down, then gobgpd and a new speaker start and the session is back. */
  /**
   * Stops, waits for BIRD's session to go down, reads whether BIRD still holds `prefixes`, restarts.
   * `flushMs`: how long a flush may take once the session is down. BIRD shows the session down
   * before it has dropped a Cease'd peer's routes, so a drop is waited for that long (far below
   * the 120 s restart time a held route would stay for).
   */
  const restartAfter = async (stop: () => Promise<void>, prefixes: string[], flushMs = 0): Promise<{ heldWhileDown: boolean }> => {
    await stop();
    await waitFor(`BIRD's session ${protocol} down`, async () => (await birdProtocolState(protocol)) !== 'Established', { timeoutMs: 30_000 });
    const until = Date.now() + flushMs;
    let heldWhileDown = await held(prefixes);
    while (heldWhileDown && Date.now() < until) {
      await new Promise((r) => setTimeout(r, 200));
      heldWhileDown = await held(prefixes);
    }
    await labCommand('start', `gobgpd-${node.name}`);
    await startSpeaker();
    await waitFor(`BIRD's session ${protocol} established again`, async () => (await birdProtocolState(protocol)) === 'Established', { timeoutMs: 60_000 });
    // Past the End-of-RIB exchange: a stale route the new session did not refresh would be gone by now.
    await new Promise((r) => setTimeout(r, 5_000));
    return { heldWhileDown };
  };

  before(async () => {
    await prepareSuite(NS, [node]);
  });

  after(async () => {
    await Promise.all([ctl?.stop(), spk?.stop()]);
    await deleteNamespace(NS);
    // Whatever a test left, the next file finds this node's gobgpd running.
    await labCommand('start', `gobgpd-${node.name}`);
  });

  it('speaker and gobgpd killed (SIGKILL) and restarted: BIRD withdraws none of the node\'s routes; deleting a Service it does withdraw', async () => {
    ctl = await startOperator('restarts-ctl', 'controller', controllerConfig());
    await waitReady(ctl);
    // A cold start (a node just booted, no report of this boot): graceful restart offered, but
    // neither "restarting" (R) nor "forwarding preserved" (F).
    await kubectl(['delete', 'vipspeakers.vipannouncer.io', node.name, '--ignore-not-found']);
    await setNodeBootID(node.name, `${labBootID(node.name)}-${Date.now()}`);
    signalGobgpd(node, 'SIGKILL');
    await labCommand('start', `gobgpd-${node.name}`);
    await startSpeaker();
    await waitFor(`BIRD's session ${protocol} established`, async () => (await birdProtocolState(protocol)) === 'Established', { timeoutMs: 60_000 });
    const cold = await neighborCaps();
    assert.match(cold, /Graceful restart/, `gobgpd did not offer graceful restart:\n${cold}`);
    assert.doesNotMatch(cold, /Restart recovery|AF preserved: ipv4/, `a cold start announced a restart:\n${cold}`);
    for (const [i, prefix] of [KEPT, DELETED].entries()) {
      const name = `web-${i}`;
      await createService({ namespace: NS, name, policy: 'Cluster', annotations: { 'vipannouncer.io/loadBalancerIPs': prefix.replace('/32', '') } });
      await createReadyPod({ namespace: NS, name: `${name}-pod`, app: name, node: node.name, ip: `10.25.0.${i + 1}` });
    }
    await waitFor('both routes in BIRD', () => held([KEPT, DELETED]), { timeoutMs: 60_000 });
    // A report of this boot, so the restart below is a real one.
    await waitFor('the node\'s report to carry its boot id', async () => (await kubectl(['get', 'vipspeakers.vipannouncer.io', node.name, '-o', 'jsonpath={.status.bootID}'])).startsWith(labBootID(node.name)), { timeoutMs: 30_000 });

    const offset = birdLogOffset();
    const { heldWhileDown } = await restartAfter(async () => {
      await spk?.kill();
      signalGobgpd(node, 'SIGKILL');
    }, [KEPT, DELETED]);
    assert.equal(heldWhileDown, true, 'BIRD dropped the routes as soon as the session went down');
    const restarted = await neighborCaps();
    assert.match(restarted, /Restart recovery[\s\S]*AF preserved: ipv4 ipv6/, `the restart within one boot was not announced as one (R and F bits):\n${restarted}`);
    assert.deepEqual(withdrawals(offset, [KEPT, DELETED]), [], 'BIRD withdrew routes of the restarting node');
    assert.ok(await held([KEPT, DELETED]), 'the routes are in BIRD');
    assert.notDeepEqual(reimported(offset, protocol, KEPT), [], 'the restarted session sent the route again');

    // Positive control: the same reader sees a real withdrawal.
    await kubectl(['delete', 'service', 'web-1', '-n', NS]);
    await waitFor('BIRD logs the withdrawal of the deleted Service', () => withdrawals(offset, [DELETED]).length > 0, { timeoutMs: 60_000 });
    assert.deepEqual(withdrawals(offset, [KEPT]), []);
  });

  it('a reboot (the Node\'s boot id changed): a cold start, no R or F bit; what the node no longer announces leaves BIRD with the new session, not at the restart timer', async () => {
    // A Service routed from the node before the reboot and deleted while the node is away: the
    // rebooted node does not announce it, so BIRD must drop its stale copy once the session is
    // back. (A route the node sends again is no proof either way: BIRD may refresh the stale
    // copy before its prune runs, and then logs no withdrawal.)
    await createService({ namespace: NS, name: 'web-2', policy: 'Cluster', annotations: { 'vipannouncer.io/loadBalancerIPs': GONE.replace('/32', '') } });
    await createReadyPod({ namespace: NS, name: 'web-2-pod', app: 'web-2', node: node.name, ip: '10.25.0.3' });
    await waitFor(`${GONE} in BIRD`, () => held([GONE]), { timeoutMs: 60_000 });
    const offset = birdLogOffset();
    const { heldWhileDown } = await restartAfter(async () => {
      await spk?.kill();
      signalGobgpd(node, 'SIGKILL');
      await setNodeBootID(node.name, `${labBootID(node.name)}-rebooted-${Date.now()}`);
      await kubectl(['delete', 'service', 'web-2', '-n', NS]);
    }, [KEPT, GONE]);
    assert.equal(heldWhileDown, true, 'BIRD kept the routes while the node was away (graceful restart negotiated)');
    const caps = await neighborCaps();
    assert.doesNotMatch(caps, /Restart recovery|AF preserved: ipv4/, `a rebooted node announced a restart:\n${caps}`);
    // Far below the 60 s restart time a held stale route would otherwise stay for.
    await waitFor(`BIRD to drop the stale ${GONE}`, () => withdrawals(offset, [GONE]).length > 0, { timeoutMs: 20_000 });
    assert.equal((await birdNextHops()).has(GONE), false, `${GONE} is still in BIRD`);
    await waitFor(`${KEPT} back in BIRD`, () => held([KEPT]), { timeoutMs: 30_000 });
    // Back to the lab's boot id for the tests after this one (their restarts are within one boot).
    await setNodeBootID(node.name, labBootID(node.name));
    await waitFor('a report of this boot', async () => (await kubectl(['get', 'vipspeakers.vipannouncer.io', node.name, '-o', 'jsonpath={.status.bootID}'])) === labBootID(node.name), { timeoutMs: 30_000 });
  });

  it('a Pod-like stop: the speaker exits on SIGTERM keeping the routes; gobgpd stopped by SIGQUIT keeps them at the router, by SIGTERM (a Cease) does not', async () => {
    const stopBoth = (signal: NodeJS.Signals) => async (): Promise<void> => {
      assert.equal(await spk?.stop(), 0, 'the speaker exits cleanly');
      signalGobgpd(node, signal);
    };
    let offset = birdLogOffset();
    const quit = await restartAfter(stopBoth('SIGQUIT'), [KEPT]);
    assert.equal(quit.heldWhileDown, true);
    assert.deepEqual(withdrawals(offset, [KEPT]), [], 'BIRD withdrew the route across a SIGQUIT stop of gobgpd');
    assert.notDeepEqual(reimported(offset, protocol, KEPT), []);

    // gobgpd 3.10 answers SIGTERM (and SIGINT) with StopBgp, which sends every peer a Cease;
    // BIRD 2.0.12 ends graceful restart on a Cease (no RFC 8538 there): the route goes.
    offset = birdLogOffset();
    const term = await restartAfter(stopBoth('SIGTERM'), [KEPT], 10_000);
    assert.equal(term.heldWhileDown, false);
    assert.ok(birdLogSince(offset).some((l) => l.includes(`${protocol}: Received: Peer de-configured`)), 'gobgpd sent a Cease');
    assert.notDeepEqual(withdrawals(offset, [KEPT]), []);
    assert.ok(await held([KEPT]), 'and the route is back');
  });

  it('graceful restart on the speaker, none at the router (the lab\'s last node): the routes still arrive at once, not after gobgpd\'s 360 s deferral', async () => {
    const plain = lab().nodes[lab().nodes.length - 1];
    const plainProtocol = plain.name.replace('-', '_');
    await ensureNode(plain.name, plain.address);
    const other = await startOperator('restarts-spk-plain', 'speaker', gracefulSpeakerConfig(plain));
    try {
      await waitReady(other);
      // The session may still be up from an earlier suite's peer (no graceful restart) until the
      // speaker replaces that peer: wait for an established session that carries the capability.
      const offersGracefulRestart = async (): Promise<boolean> => (await birdProtocolState(plainProtocol)) === 'Established'
        && /Graceful restart/.test((await birdc('show', 'protocols', 'all', plainProtocol)).split('Neighbor capabilities')[1] ?? '');
      await waitFor(`BIRD's session ${plainProtocol} established with the speaker offering graceful restart`, offersGracefulRestart, { timeoutMs: 60_000 });
      // gobgpd waits for an End-of-RIB this router never sends: 5 s (GR_DEFERRAL_SECONDS), then sends.
      await waitFor(`${KEPT} from ${plain.name} in BIRD`, async () => (await birdNextHops()).get(KEPT)?.includes(plain.address) === true, { timeoutMs: 20_000 });
    } finally {
      await other.stop();
    }
  });
});
