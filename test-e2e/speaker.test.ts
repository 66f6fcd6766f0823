// The whole path, on the real lab: Services and Pods in the API server →
// controller → VipAnnouncements → one speaker per node → its gobgpd → BIRD.
// BIRD's table is the proof that a route reached the network.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import type { VipAnnouncement } from '../operator/api/types';
import { gobgpBinary } from './harness/gobgp';
import { birdLogOffset, birdLogSince, birdNextHops, birdRoutes, birdc, waitForNextHops } from './harness/bird';
import { REPO_ROOT, kubectl, labCommand, lab, waitFor, waitUntilNoMismatch, type LabNode } from './harness/lab';
import {
  core, createReadyPod, createService, customObjects, deleteNamespace, ensureNamespace, ensureNode, inPool, setPodReady, uniqueNamespace,
} from './harness/kube';
import { controllerConfig, speakerConfig, startOperator, waitReady, type OperatorProcess } from './harness/operator';
import { ensureLabPool } from './harness/labPool';

const execFileP = promisify(execFile);
const NS = uniqueNamespace('e2e-speaker');
const BULK_NS = uniqueNamespace('e2e-speaker-bulk');


async function listVAs(ns: string): Promise<VipAnnouncement[]> {
  const res = await customObjects().listNamespacedCustomObject('vipannouncer.io', 'v1alpha1', ns, 'vipannouncements');
  return (res.body as { items: VipAnnouncement[] }).items;
}

async function getVA(ns: string, name: string): Promise<VipAnnouncement | undefined> {
  return (await listVAs(ns)).find((v) => v.metadata.name === name);
}

/** Waits until BIRD's next hops for `prefix` are exactly `hops` (empty: no route). */
async function waitHops(prefix: string, hops: string[], timeoutMs = 60_000): Promise<void> {
  const want = [...hops].sort();
  await waitUntilNoMismatch(`BIRD next hops of ${prefix} = [${want.join(', ')}]`, async () => {
    const got = (await birdNextHops()).get(prefix) ?? [];
    return JSON.stringify(got) === JSON.stringify(want) ? '' : `[${got.join(', ')}]`;
  }, { timeoutMs });
}

function advertised(va: VipAnnouncement | undefined): string | undefined {
  return va?.status?.conditions?.find((c) => c.type === 'Advertised')?.status;
}

async function gobgpCli(node: LabNode, ...args: string[]): Promise<string> {
  const [host, port] = node.gobgpTarget.split(':');
  const { stdout } = await execFileP(gobgpBinary('gobgp'), ['-u', host, '-p', port, ...args]);
  return stdout;
}

describe('speaker', () => {
  const nodes = lab().nodes;
  const [n1, n2, n3] = nodes;
  let ctl: OperatorProcess | undefined;
  const speakers = new Map<string, OperatorProcess>();

  const startSpeaker = async (node: LabNode, extra: Record<string, unknown> = {}): Promise<OperatorProcess> => {
    const p = await startOperator(`speaker-${node.name}`, 'speaker', speakerConfig(node, extra));
    speakers.set(node.name, p);
    return p;
  };

  before(async () => {
    await kubectl(['apply', '-f', path.join(REPO_ROOT, 'crds')]);
    await ensureLabPool(); // closed by default: the addresses below need a pool
    await kubectl(['wait', '--for=condition=Established', '--timeout=60s', 'crd/vipannouncements.vipannouncer.io', 'crd/vipspeakers.vipannouncer.io']);
    for (const n of nodes) await ensureNode(n.name, n.address);
    await ensureNamespace(NS);
    await ensureNamespace(BULK_NS);
  });

  after(async () => {
    await Promise.all([ctl?.stop(), ...[...speakers.values()].map((s) => s.stop())]);
    await deleteNamespace(NS);
    await deleteNamespace(BULK_NS);
  });

  it('200 Services that exist before the operator starts: BIRD holds every route with the right next hops, and every status says Advertised', async () => {
    const count = 200;
    const idx = Array.from({ length: count }, (_, i) => i);
    const vip = (i: number): string => `198.20.${Math.floor(i / 250)}.${(i % 250) + 1}`;
    await inPool(idx, 16, async (i) => {
      const name = `bulk-${i}`;
      await createService({ namespace: BULK_NS, name, policy: i % 2 === 0 ? 'Local' : 'Cluster', annotations: { 'vipannouncer.io/loadBalancerIPs': vip(i) } });
      await createReadyPod({ namespace: BULK_NS, name: `${name}-pod`, app: name, node: nodes[i % 3].name, ip: `10.210.${Math.floor(i / 250)}.${(i % 250) + 1}` });
    });

    ctl = await startOperator('speaker-suite-controller', 'controller', controllerConfig());
    for (const n of nodes) await startSpeaker(n);
    await waitReady(ctl);
    for (const s of speakers.values()) await waitReady(s);

    const allHops = nodes.map((n) => n.address).sort();
    await waitForNextHops('BIRD to hold all 200 routes with their next hops', new Map(idx.map((i) => [`${vip(i)}/32`, i % 2 === 0 ? [nodes[i % 3].address] : allHops])));

    await waitUntilNoMismatch('every VipAnnouncement to say Advertised with the right speakers and peers', async () => {
      const vas = await listVAs(BULK_NS);
      const wrong: string[] = [];
      for (const va of vas) {
        const i = Number(va.metadata.name.split('-')[1]);
        const wantNodes = i % 2 === 0 ? [nodes[i % 3].name] : nodes.map((n) => n.name);
        const entries = va.status?.speakers ?? [];
        const gotNodes = entries.map((s) => s.node).sort();
        const peersOk = entries.every((s) => s.peers.length === 1 && s.peers[0].address === lab().routerAddress && s.peers[0].state === 'Established' && s.peers[0].advertised.includes(`${vip(i)}/32`));
        if (advertised(va) !== 'True' || JSON.stringify(gotNodes) !== JSON.stringify(wantNodes) || !peersOk || va.status?.advertisedBy !== wantNodes.length) {
          wrong.push(`${va.metadata.name}: advertised=${advertised(va)} speakers=${gotNodes.join(',')} by=${va.status?.advertisedBy}`);
        }
      }
      return vas.length === count && wrong.length === 0 ? '' : `${vas.length} VAs, ${wrong.length} wrong, e.g. ${wrong.slice(0, 3).join('; ')}`;
    }, { timeoutMs: 120_000 });

    const out = await kubectl(['get', 'vipannouncements', '-n', BULK_NS, 'bulk-1']);
    assert.match(out, /198\.20\.0\.2\W*\s+Cluster\s+True\s+3\s/, out);
  });

  it('Local policy: next hops are exactly the nodes with serving endpoints, and follow pods; gone endpoints withdraw the route', async () => {
    const prefix = '198.21.0.1/32';
    await createService({ namespace: NS, name: 'local', policy: 'Local', annotations: { 'vipannouncer.io/loadBalancerIPs': '198.21.0.1' } });
    await createReadyPod({ namespace: NS, name: 'local-a', app: 'local', node: n1.name, ip: '10.3.0.1' });
    await waitHops(prefix, [n1.address]);
    await createReadyPod({ namespace: NS, name: 'local-b', app: 'local', node: n2.name, ip: '10.3.0.2' });
    await waitHops(prefix, [n1.address, n2.address]);
    await core().deleteNamespacedPod('local-a', NS, undefined, undefined, 0);
    await waitHops(prefix, [n2.address]);
    await setPodReady(NS, 'local-b', '10.3.0.2', false);
    await waitHops(prefix, []);
    await setPodReady(NS, 'local-b', '10.3.0.2', true);
    await waitHops(prefix, [n2.address]);
    // Service deleted: route withdrawn and announcement gone.
    await core().deleteNamespacedService('local', NS);
    await waitHops(prefix, []);
    await waitFor('the announcement to be gone', async () => (await getVA(NS, 'local')) === undefined);
  });

  it('Cluster policy announces from every eligible node (ECMP), and an excluded node withdraws', async () => {
    const prefix = '198.21.0.2/32';
    await createService({ namespace: NS, name: 'cluster', policy: 'Cluster', annotations: { 'vipannouncer.io/loadBalancerIPs': '198.21.0.2' } });
    await createReadyPod({ namespace: NS, name: 'cluster-a', app: 'cluster', node: n3.name, ip: '10.3.1.1' });
    await waitHops(prefix, nodes.map((n) => n.address));
    await ensureNode(n2.name, n2.address, { 'node.kubernetes.io/exclude-from-external-load-balancers': '' });
    try {
      await waitHops(prefix, [n1.address, n3.address]);
    } finally {
      await kubectl(['label', 'node', n2.name, 'node.kubernetes.io/exclude-from-external-load-balancers-']);
    }
    await waitHops(prefix, nodes.map((n) => n.address));
  });

  it('communities, large communities, local-pref and an IPv6 VIP arrive in BIRD as configured', async () => {
    await createService({
      namespace: NS, name: 'attrs', policy: 'Local', dualStack: true,
      annotations: {
        'vipannouncer.io/loadBalancerIPs': '198.21.0.3,2001:db8:21::3',
        'vipannouncer.io/communities': '65000:100,no-export',
        'vipannouncer.io/largeCommunities': '65000:1:2',
        'vipannouncer.io/localPref': '250',
      },
    });
    await createReadyPod({ namespace: NS, name: 'attrs-a', app: 'attrs', node: n1.name, ip: '10.3.2.1' });
    const routes = await waitFor('both routes in BIRD', async () => {
      const rs = (await birdRoutes()).filter((r) => r.prefix === '198.21.0.3/32' || r.prefix === '2001:db8:21::3/128');
      return rs.length === 2 ? rs : undefined;
    });
    for (const r of routes) {
      assert.deepEqual(r.communities, ['65000:100', '65535:65281'], `${r.prefix} communities`);
      assert.deepEqual(r.largeCommunities, ['65000:1:2'], `${r.prefix} large communities`);
      assert.equal(r.localPref, 250, `${r.prefix} local-pref`);
      assert.equal(r.origin, 'IGP');
    }
    assert.equal(routes.find((r) => r.prefix.includes(':'))?.nextHop, 'fd00:0:0:ff::11');
    assert.equal(routes.find((r) => !r.prefix.includes(':'))?.nextHop, n1.address);
  });

  it('repairs drift: a path deleted behind its back comes back, a foreign path is removed, a restarted gobgpd gets everything again', async () => {
    const prefix = '198.21.0.4/32';
    await createService({ namespace: NS, name: 'drift', policy: 'Local', annotations: { 'vipannouncer.io/loadBalancerIPs': '198.21.0.4' } });
    await createReadyPod({ namespace: NS, name: 'drift-a', app: 'drift', node: n3.name, ip: '10.3.3.1' });
    await waitHops(prefix, [n3.address]);

    await gobgpCli(n3, 'global', 'rib', 'del', '-a', 'ipv4', prefix);
    await waitHops(prefix, [], 10_000).catch(() => undefined); // may already be back
    await waitHops(prefix, [n3.address]);

    await gobgpCli(n3, 'global', 'rib', 'add', '-a', 'ipv4', '198.51.100.99/32');
    await waitFor('the foreign path to be removed from gobgpd', async () => !(await gobgpCli(n3, 'global', 'rib', '-a', 'ipv4')).includes('198.51.100.99/32'));
    await waitHops('198.51.100.99/32', []);

    // gobgpd dies and comes back empty: the speaker rebuilds its config and every path.
    const before = (await birdRoutes()).filter((r) => r.from === n3.address).map((r) => r.prefix).sort();
    assert.ok(before.length > 1, 'node 3 should be announcing several routes');
    await labCommand('stop', `gobgpd-${n3.name}`);
    await waitFor('BIRD to drop node 3', async () => (await birdRoutes()).every((r) => r.from !== n3.address));
    await labCommand('start', `gobgpd-${n3.name}`);
    await waitUntilNoMismatch('BIRD to hold every route of node 3 again', async () => {
      const now = new Set((await birdRoutes()).filter((r) => r.from === n3.address).map((r) => r.prefix));
      const missing = before.filter((p) => !now.has(p));
      const extra = [...now].filter((p) => !before.includes(p));
      return missing.length + extra.length === 0 ? '' : `missing ${missing.slice(0, 5).join(',')} (${missing.length}), extra ${extra.join(',')}`;
    }, { timeoutMs: 90_000 });
    await waitFor('status to say Advertised again', async () => advertised(await getVA(NS, 'drift')) === 'True');
  });

  it('a BGP session going down shows in status and the condition; back up, advertised again', async () => {
    await createService({ namespace: NS, name: 'session', policy: 'Local', annotations: { 'vipannouncer.io/loadBalancerIPs': '198.21.0.5' } });
    await createReadyPod({ namespace: NS, name: 'session-a', app: 'session', node: n1.name, ip: '10.3.4.1' });
    await waitFor('Advertised', async () => advertised(await getVA(NS, 'session')) === 'True');
    await birdc('disable', 'node_1');
    try {
      await waitUntilNoMismatch('node 1 status to show the peer down and the condition False', async () => {
        const va = await getVA(NS, 'session');
        const entry = va?.status?.speakers?.find((s) => s.node === n1.name);
        const down = entry?.peers[0]?.state !== 'Established' && entry?.peers[0]?.advertised.length === 0;
        const cond = va?.status?.conditions?.find((c) => c.type === 'Advertised');
        return down && cond?.status === 'False' && cond.reason === 'PeersDown' ? '' : JSON.stringify({ entry, cond });
      });
    } finally {
      await birdc('enable', 'node_1');
    }
    await waitFor('Advertised again', async () => advertised(await getVA(NS, 'session')) === 'True', { timeoutMs: 90_000 });
    await waitHops('198.21.0.5/32', [n1.address]);
  });

  it('a speaker restart does not withdraw routes that stay desired; a graceful stop with withdrawOnShutdown does', async () => {
    const mine = async (): Promise<string[]> => (await birdRoutes()).filter((r) => r.from === n2.address).map((r) => r.prefix).sort();
    const held = await mine();
    assert.ok(held.length > 10, `node 2 should hold many routes, has ${held.length}`);

    // Killed (crash) and restarted: BIRD must see no withdrawal at all.
    let offset = birdLogOffset();
    await speakers.get(n2.name)?.kill();
    const s2 = await startSpeaker(n2);
    await waitReady(s2);
    await new Promise((r) => setTimeout(r, 5000)); // a drift check has run
    let removed = birdLogSince(offset).filter((l) => l.includes('node_2.') && l.includes(' removed '));
    assert.deepEqual(removed, [], 'BIRD saw withdrawals during a speaker crash and restart');
    assert.deepEqual(await mine(), held);

    // Stopped for an upgrade with withdrawOnShutdown=false (graceful restart): no withdrawal either.
    await s2.stop();
    offset = birdLogOffset();
    const s2b = await startSpeaker(n2, { withdrawOnShutdown: false });
    await waitReady(s2b);
    await s2b.stop();
    const s2c = await startSpeaker(n2, { withdrawOnShutdown: false });
    await waitReady(s2c);
    await new Promise((r) => setTimeout(r, 4000));
    removed = birdLogSince(offset).filter((l) => l.includes('node_2.') && l.includes(' removed '));
    assert.deepEqual(removed, [], 'BIRD saw withdrawals across a restart that keeps routes');

    // withdrawOnShutdown=true: SIGTERM withdraws every route of the node before exit.
    await s2c.stop();
    const s2d = await startSpeaker(n2);
    await waitReady(s2d);
    const code = await s2d.stop();
    assert.equal(code, 0);
    await waitFor('node 2 routes withdrawn after a graceful stop', async () => (await mine()).length === 0, { timeoutMs: 30_000 });
    const s2e = await startSpeaker(n2);
    await waitReady(s2e);
    await waitFor('node 2 routes back', async () => JSON.stringify(await mine()) === JSON.stringify(held), { timeoutMs: 60_000 });
  });
});
