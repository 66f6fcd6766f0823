// gobgpd's API on a unix socket, as the rendered DaemonSet runs it: a real gobgpd listening
// only on a socket under the lab's folder, and a real speaker that drives it through that
// socket (BGP started, the import policy set, an announcement's path originated).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import path from 'node:path';
import type { GobgpClient } from '../operator/gobgp/client';
import { gobgpBinary, labClient } from './harness/gobgp';
import { REPO_ROOT, kubectl, lab, waitFor } from './harness/lab';
import { core, customObjects, deleteNamespace, ensureNamespace, ensureNode, ignoreNotFound, uniqueNamespace } from './harness/kube';
import { startOperator, waitReady, type OperatorProcess } from './harness/operator';
import { ensureLabPool } from './harness/labPool';

const NS = uniqueNamespace('e2e-gobgp-unix');
const NODE = 'node-unix';
const NODE_ADDRESS = '127.0.0.19';
const VIP = '198.22.0.1';

void describe("gobgpd's API on a unix socket", () => {
  const dir = path.join(lab().dir, 'gobgp-unix');
  const socket = path.join(dir, 'gobgp.sock');
  const target = `unix://${socket}`;
  let gobgpd: ChildProcess | undefined;
  let speaker: OperatorProcess | undefined;
  let client: GobgpClient | undefined;

  before(async () => {
    await kubectl(['apply', '-f', path.join(REPO_ROOT, 'crds')]);
    await ensureLabPool(); // closed by default: the addresses below need a pool
    await kubectl(['wait', '--for=condition=Established', '--timeout=60s', 'crd/vipannouncements.vipannouncer.io', 'crd/vipspeakers.vipannouncer.io']);
    await ensureNode(NODE, NODE_ADDRESS);
    await ensureNamespace(NS);
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    gobgpd = spawn(gobgpBinary('gobgpd'), ['--api-hosts', target, '--pprof-disable', '--log-plain'], { stdio: 'ignore' });
    // Recorded like every lab process, so `hack/lab.sh down` stops it if this test dies first.
    writeFileSync(path.join(lab().dir, 'pids', 'gobgpd-unix.pid'), String(gobgpd.pid));
    writeFileSync(path.join(lab().dir, 'pids', 'gobgpd-unix.exe'), 'gobgpd');
  });

  after(async () => {
    client?.close();
    await speaker?.stop();
    gobgpd?.kill('SIGTERM'); // this child only, by its PID
    rmSync(path.join(lab().dir, 'pids', 'gobgpd-unix.pid'), { force: true });
    rmSync(path.join(lab().dir, 'pids', 'gobgpd-unix.exe'), { force: true });
    await deleteNamespace(NS);
    // A node no other test expects: Cluster announcements would count it.
    await ignoreNotFound(core().deleteNode(NODE));
  });

  void it('a speaker configured with a unix:/// target starts BGP, sets the import policy and originates the path', async () => {
    const l = lab();
    speaker = await startOperator('speaker-unix', 'speaker', {
      speaker: {
        nodeName: NODE, asn: l.nodeAsn, routerId: NODE_ADDRESS, listenPort: l.bgpPort + 1, listenAddresses: [NODE_ADDRESS],
        gobgp: { target }, driftCheckPeriod: '3s',
        peers: [{ address: l.routerAddress, asn: l.routerAsn, port: l.bgpPort, localAddress: NODE_ADDRESS, connectRetry: '5s' }],
      },
    });
    await waitReady(speaker);
    await customObjects().createNamespacedCustomObject('vipannouncer.io', 'v1alpha1', NS, 'vipannouncements', {
      apiVersion: 'vipannouncer.io/v1alpha1', kind: 'VipAnnouncement', metadata: { name: 'by-hand', namespace: NS },
      spec: { addresses: [VIP], externalTrafficPolicy: 'Cluster' },
    });

    client = labClient(target, { timeoutMs: 5_000 });
    const running = await client.getBgp();
    assert.equal(running?.routerId, NODE_ADDRESS, 'BGP was started through the socket');
    const c = client;
    await waitFor(`${VIP}/32 in the global RIB`, async () => (await c.listPath('ipv4-unicast', 'global')).some((p) => p.prefix === `${VIP}/32` && p.local));
    assert.equal((await c.getImportPolicy()).defaultAction, 'reject');
    assert.deepEqual((await c.listPeers()).map((p) => p.address), [l.routerAddress]);
  });

  void it('a speaker given no gobgp.target dials the unix socket, never TCP on loopback', async (t) => {
    if (existsSync('/run/gobgp/gobgp.sock')) {
      t.skip('/run/gobgp/gobgp.sock exists on this machine: a real gobgpd must not be driven by a test');
      return;
    }
    // The old default: anything that connects here was sent to TCP on loopback.
    let connections = 0;
    const tcp = createServer((sock) => {
      connections++;
      sock.destroy();
    });
    await new Promise<void>((resolve, reject) => {
      tcp.once('error', reject);
      tcp.listen(50051, '127.0.0.1', () => resolve());
    });
    const l = lab();
    const node = 'node-unix-default';
    await ensureNode(node, '127.0.0.18');
    let p: OperatorProcess | undefined;
    try {
      p = await startOperator('speaker-unix-default', 'speaker', {
        speaker: { nodeName: node, asn: l.nodeAsn, routerId: '127.0.0.18', listenPort: l.bgpPort + 2, peers: [{ address: l.routerAddress, asn: l.routerAsn, port: l.bgpPort }] },
      });
      const proc = p;
      await waitFor('the speaker to try gobgpd at the default target', () => /gobgpd unreachable[^\n]*unix:\/\/\/run\/gobgp\/gobgp\.sock/.test(proc.log()), { timeoutMs: 60_000 });
      await new Promise((r) => setTimeout(r, 3_000));
      assert.equal(connections, 0, 'the speaker connected to TCP 127.0.0.1:50051');
    } finally {
      await p?.stop();
      await new Promise((r) => tcp.close(r));
      await ignoreNotFound(core().deleteNode(node));
    }
  });
});
