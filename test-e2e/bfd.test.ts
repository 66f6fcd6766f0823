// BFD between a GoBGP v4 gobgpd, driven by a real speaker, and BIRD: each in its own network
// namespace on a veth link (single-hop BFD cannot run over the lab's shared loopback). The
// speaker's configuration asks for BFD, its status reports the BFD state, and a gobgpd that
// stops (SIGSTOP: its TCP sessions stay open) loses its routes in BIRD within a second,
// where without BFD it takes the BGP hold time. Both are measured in this one run and printed.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, type ChildProcess } from 'node:child_process';
import { closeSync, mkdirSync, openSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import type { VipSpeaker } from '../operator/api/vipSpeaker';
import { GobgpV4Client } from '../operator/gobgp/client';
import { gobgpBinary } from './harness/gobgp';
import { core, customObjects, deleteNamespace, ensureNamespace, ensureNode, uniqueNamespace } from './harness/kube';
import { kubectl, lab, REPO_ROOT, waitFor } from './harness/lab';
import { createLink, type Link } from './harness/netns';
import { startOperator, waitReady, type OperatorProcess } from './harness/operator';
import { ensureLabPool } from './harness/labPool';

const execFileP = promisify(execFile);
const NS = uniqueNamespace('e2e-bfd');
const NODE = 'bfd-node';
const VIP = '203.0.113.201';
const HOLD_S = 3;
const BFD = { enabled: true, minTxInterval: '100ms', minRxInterval: '100ms', detectMultiplier: 3 };

interface Daemon {
  name: string;
  proc: ChildProcess;
  exited: Promise<void>;
}

function birdConf(link: Link, logFile: string): string {
  return [
    `log "${logFile}" all;`,
    `router id ${link.b.address};`,
    'protocol device { scan time 1; }',
    'protocol bfd { interface "*" { min rx interval 100 ms; min tx interval 100 ms; multiplier 3; }; }',
    'protocol bgp node {',
    `  local ${link.b.address} as ${lab().routerAsn}; neighbor ${link.a.address} as ${lab().routerAsn};`,
    // iBGP is multihop in BIRD unless told otherwise; direct gives single-hop BFD (RFC 5881).
    `  direct; bfd on; hold time ${HOLD_S}; keepalive time 1;`,
    '  connect delay time 1; connect retry time 1; error wait time 1, 2;',
    '  ipv4 { import all; export none; };',
    '}',
  ].join('\n');
}

function speakerConfigFor(link: Link, socket: string, bfd: typeof BFD | undefined): Record<string, unknown> {
  return {
    speaker: {
      nodeName: NODE,
      asn: lab().routerAsn,
      routerId: link.a.address,
      listenPort: 179,
      listenAddresses: [link.a.address],
      gobgp: { target: `unix://${socket}`, timeout: '2s', api: 'v4' },
      withdrawOnShutdown: true,
      driftCheckPeriod: '1s',
      peers: [{
        address: link.b.address, asn: lab().routerAsn, localAddress: link.a.address, families: ['ipv4-unicast'],
        holdTime: `${HOLD_S}s`, keepaliveInterval: '1s', connectRetry: '1s', ...(bfd ? { bfd } : {}),
      }],
    },
  };
}

describe('BFD between a GoBGP v4 gobgpd and BIRD', { skip: lab().gobgp.api !== 'v4' && 'the lab runs a v3 gobgpd (no BFD)' }, () => {
  const dir = path.join(lab().dir, 'bfd');
  const birdSocket = path.join(dir, 'bird.ctl');
  const gobgpSocket = path.join(dir, 'gobgpd.sock');
  const daemons: Daemon[] = [];
  let link: Link;
  let gobgpd: Daemon;
  let speaker: OperatorProcess | undefined;

  const start = (name: string, host: 'a' | 'b', command: string, args: string[]): Daemon => {
    const fd = openSync(path.join(lab().dir, 'logs', `${name}.log`), 'a');
    const proc = link.spawnIn(link[host], command, args, fd);
    closeSync(fd);
    // Recorded like the lab's own processes, so `hack/lab.sh down` stops them if this test dies.
    writeFileSync(path.join(lab().dir, 'pids', `${name}.pid`), String(proc.pid));
    writeFileSync(path.join(lab().dir, 'pids', `${name}.exe`), command);
    const d: Daemon = { name, proc, exited: new Promise((r) => proc.once('exit', () => r())) };
    daemons.push(d);
    return d;
  };

  /** birdc exits non-zero when the table has no route for the address ("Network not found"). */
  const routePresent = async (): Promise<boolean> => {
    const out = await execFileP('birdc', ['-s', birdSocket, 'show', 'route', 'for', VIP], { timeout: 5000 }).then(
      (r) => r.stdout,
      (err: { stdout?: string }) => {
        if (err.stdout?.includes('Network not found')) return '';
        throw err;
      },
    );
    return out.includes(`${VIP}/32`);
  };

  /** ms from SIGSTOP of gobgpd until BIRD no longer has the route; gobgpd continues after. */
  const stopAndMeasure = async (): Promise<number> => {
    await waitFor('the route in BIRD', () => routePresent(), { timeoutMs: 60_000 });
    const t0 = Date.now();
    gobgpd.proc.kill('SIGSTOP');
    try {
      await waitFor('the route to leave BIRD', async () => !(await routePresent()), { timeoutMs: 30_000, intervalMs: 20 });
      return Date.now() - t0;
    } finally {
      gobgpd.proc.kill('SIGCONT');
    }
  };

  const startSpeaker = async (bfd: typeof BFD | undefined): Promise<void> => {
    await speaker?.stop();
    speaker = await startOperator(`bfd-speaker-${bfd ? 'on' : 'off'}`, 'speaker', speakerConfigFor(link, gobgpSocket, bfd));
    await waitReady(speaker);
  };

  /** The node's own report (no controller runs here to fold it into the announcement). */
  const bfdStateInStatus = async (): Promise<string | undefined> => {
    const report = (await customObjects().getClusterCustomObject('vipannouncer.io', 'v1alpha1', 'vipspeakers', NODE)).body as VipSpeaker;
    return report.status?.sessions?.find((s) => s.address === link.b.address)?.bfd;
  };

  before(async () => {
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    link = await createLink(`vipa-bfd-${process.pid}`);
    writeFileSync(path.join(dir, 'bird.conf'), birdConf(link, path.join(dir, 'bird.log')));
    start('bfd-bird', 'b', '/usr/sbin/bird', ['-f', '-c', path.join(dir, 'bird.conf'), '-s', birdSocket, '-P', path.join(dir, 'bird.pid')]);
    gobgpd = start('bfd-gobgpd', 'a', gobgpBinary('gobgpd'), ['--api-hosts', `unix://${gobgpSocket}`, '--pprof-disable', '-p', '-l', 'info']);
    await kubectl(['apply', '-f', path.join(REPO_ROOT, 'crds')]);
    await ensureLabPool(); // closed by default: the addresses below need a pool
    await kubectl(['wait', '--for=condition=Established', '--timeout=60s', 'crd/vipannouncements.vipannouncer.io', 'crd/vipspeakers.vipannouncer.io']);
    await ensureNode(NODE, link.a.address);
    await ensureNamespace(NS);
    await customObjects().createNamespacedCustomObject('vipannouncer.io', 'v1alpha1', NS, 'vipannouncements', {
      apiVersion: 'vipannouncer.io/v1alpha1',
      kind: 'VipAnnouncement',
      metadata: { name: 'bfd', namespace: NS },
      spec: { addresses: [VIP], externalTrafficPolicy: 'Cluster' },
    });
  });

  after(async () => {
    for (const d of daemons) d.proc.kill('SIGCONT');
    await speaker?.stop();
    for (const d of daemons) {
      d.proc.kill('SIGKILL'); // our children only, by PID
      await d.exited;
      for (const ext of ['pid', 'exe']) rmSync(path.join(lab().dir, 'pids', `${d.name}.${ext}`), { force: true });
    }
    await link?.remove();
    await deleteNamespace(NS);
    await core().deleteNode(NODE).catch(() => undefined);
  });

  it(`a stopped gobgpd's routes leave BIRD within 1 s with BFD, after the ${HOLD_S} s hold time without`, async () => {
    await startSpeaker(undefined);
    const withoutBfd = await stopAndMeasure();

    await startSpeaker(BFD);
    // The speaker re-created the peer with BFD; BIRD and gobgpd bring the BFD session up.
    await waitFor('BFD Up in BIRD', async () => {
      const { stdout } = await execFileP('birdc', ['-s', birdSocket, 'show', 'bfd', 'sessions'], { timeout: 5000 });
      return /192\.0\.2\.1\s+\S+\s+Up/.test(stdout);
    }, { timeoutMs: 60_000 });
    await waitFor('the node\'s VipSpeaker to report BFD Up', async () => (await bfdStateInStatus()) === 'Up', { timeoutMs: 60_000 });
    const withBfd = await stopAndMeasure();

    console.log(`BFD: routes left BIRD ${withBfd} ms after SIGSTOP of gobgpd; without BFD ${withoutBfd} ms (hold time ${HOLD_S} s)`);
    assert.ok(withBfd < 1000, `with BFD the routes took ${withBfd} ms to leave`);
    // The hold timer restarts with each keepalive (1 s): expiry comes between 2 and 3 s after the stop.
    assert.ok(withoutBfd >= (HOLD_S - 1) * 1000 - 100, `without BFD the routes left after ${withoutBfd} ms, before the hold time`);

    // gobgpd 4.8 continued after SIGCONT does not find BIRD's BFD session again: it stays bound
    // to BIRD's old discriminator, and a reset its BFD queued while BGP was down ends every new
    // session ("BFD is down"). A re-created peer starts BFD afresh: delete it behind the
    // speaker's back, and the drift check adds it again.
    const client = new GobgpV4Client(`unix://${gobgpSocket}`);
    try {
      await client.deletePeer(link.b.address);
    } finally {
      client.close();
    }
    await waitFor('the route back in BIRD', () => routePresent(), { timeoutMs: 60_000 });
    await waitFor('BFD Up again in the status', async () => (await bfdStateInStatus()) === 'Up', { timeoutMs: 60_000 });
  });
});
