// Wire compatibility of our GoBGP clients with the real gobgpd the lab runs
// (LAB_GOBGP: GoBGP v4 by default, v3, or Debian's 3.10), through the client of
// the API it serves: spawns its own daemons on loopback addresses, drives them
// through that client, cross-checks with the real `gobgp` CLI of the same build, brings up a real eBGP
// session between two daemons for the adj-RIB-out, and kills a daemon under
// a watch. Only the processes started here are ever killed (by their PID).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import type { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { GobgpClient, GobgpError, InvalidSpecError } from '../operator/gobgp/client';
import { gobgpBinary, gobgpName, labClient } from './harness/gobgp';
import type { GlobalSpec, ObservedPath, PathSpec, PeerEvent, PeerSpec } from '../operator/gobgp/types';
import { passwordFingerprint } from '../operator/util/fingerprint';

const execFileP = promisify(execFile);

const A = { ip: '127.0.0.31', api: 50071, bgp: 17931, asn: 65001 };
// iBGP: over eBGP gobgpd would rewrite NEXT_HOP to its 127.x session address,
// which the receiver rejects as invalid (loopback); iBGP keeps our next hop.
const B = { ip: '127.0.0.32', api: 50072, bgp: 17932, asn: 65001 };
const UNREACHABLE_PEER = '127.0.0.33';

const globalA: GlobalSpec = { asn: A.asn, routerId: A.ip, listenPort: A.bgp, listenAddresses: [A.ip] };
const globalB: GlobalSpec = { asn: B.asn, routerId: B.ip, listenPort: B.bgp, listenAddresses: [B.ip] };

const v4: PathSpec = {
  prefix: '203.0.113.10/32',
  family: 'ipv4-unicast',
  nextHop: '192.0.2.10',
  communities: ['65000:20', '65000:100'],
  largeCommunities: ['65000:1:2', '65000:1:10'],
  localPref: 200,
};
const v6: PathSpec = {
  prefix: '2001:db8::10/128',
  family: 'ipv6-unicast',
  nextHop: '2001:db8::1',
  communities: ['65000:100'],
  largeCommunities: ['1:2:3'],
  localPref: 150,
};

interface Daemon {
  name: string;
  proc: ChildProcess;
  output: string[];
  exited: Promise<void>;
}

const daemons: Daemon[] = [];

function portAnswers(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ host, port });
    s.setTimeout(1000);
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
    s.once('timeout', () => {
      s.destroy();
      resolve(false);
    });
  });
}

/** Spawns gobgpd with its API on host:port and waits until GetBgp answers. */
async function startGobgpd(name: string, host: string, port: number): Promise<Daemon> {
  // Never test against a stray daemon that already owns the address.
  assert.equal(await portAnswers(host, port), false, `${host}:${port} is already in use; stop whatever listens there`);
  const proc = spawn(gobgpBinary('gobgpd'), ['--api-hosts', `${host}:${port}`, '--pprof-disable', '--log-plain', '--log-level', 'info'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output: string[] = [];
  const keep = (b: Buffer): void => {
    output.push(b.toString());
    if (output.length > 200) output.shift();
  };
  proc.stdout?.on('data', keep);
  proc.stderr?.on('data', keep);
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  const spawnError = new Promise<never>((_, reject) => proc.once('error', reject));
  const daemon: Daemon = { name, proc, output, exited };
  daemons.push(daemon);

  const client = labClient(`${host}:${port}`, { timeoutMs: 2000 });
  try {
    const deadline = Date.now() + 15_000;
    for (;;) {
      if (proc.exitCode !== null) throw new Error(`${name} exited (${proc.exitCode}):\n${output.join('')}`);
      try {
        await Promise.race([client.getBgp(), spawnError]);
        return daemon;
      } catch (err) {
        if (!GobgpClient.isUnavailable(err) || Date.now() > deadline) {
          throw new Error(`${name} did not answer: ${errText(err)}\n${output.join('')}`);
        }
        await sleep(100);
      }
    }
  } finally {
    client.close();
  }
}

async function kill(d: Daemon): Promise<void> {
  if (d.proc.exitCode !== null || d.proc.signalCode !== null) return;
  d.proc.kill('SIGKILL'); // this child only, by its PID
  await d.exited;
}

// Last resort if the runner dies before `after` (still only our own PIDs).
process.once('exit', () => {
  for (const d of daemons) if (d.proc.exitCode === null && d.proc.signalCode === null) d.proc.kill('SIGKILL');
});

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function eventually<T>(what: string, fn: () => Promise<T | undefined> | T | undefined, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v !== undefined) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last ? `: ${errText(last)}` : ''}`);
    await sleep(200);
  }
}

async function rejectsWith(p: Promise<unknown>, kind: GobgpError['kind'], rpc: string): Promise<GobgpError> {
  try {
    await p;
  } catch (err) {
    assert.ok(err instanceof GobgpError, `expected a GobgpError, got ${String(err)}`);
    assert.equal(err.kind, kind, err.message);
    assert.equal(err.rpc, rpc);
    return err;
  }
  assert.fail(`expected ${rpc} to fail with ${kind}`);
}

/** The PathSpec part of an observed path, plus `local`. */
const without = (p: ObservedPath): ObservedPath => {
  const rest = { ...p };
  delete rest.best;
  delete rest.uuid;
  delete rest.asPath;
  delete rest.neighbor;
  return rest;
};

const errText = (e: unknown): string => (e instanceof Error ? e.message : JSON.stringify(e));

// The real CLI's JSON: `gobgp global rib -a ipv4 -j`.
interface CliAttr {
  type: number;
  value?: unknown;
  nexthop?: string;
  communities?: number[];
}
type CliRib = Record<string, Array<{ nlri: { prefix: string }; attrs: CliAttr[] }>>;

async function cliRib(daemon: { ip: string; api: number }, family: 'ipv4' | 'ipv6'): Promise<CliRib> {
  const { stdout } = await execFileP(gobgpBinary('gobgp'), ['-u', daemon.ip, '-p', String(daemon.api), 'global', 'rib', '-a', family, '-j'], {
    timeout: 10_000,
  });
  return JSON.parse(stdout || '{}') as CliRib;
}

async function cli(args: string[]): Promise<void> {
  await execFileP(gobgpBinary('gobgp'), ['-u', A.ip, '-p', String(A.api), ...args], { timeout: 10_000 });
}

void describe(`our client against the real ${gobgpName()}`, { timeout: 180_000 }, () => {
  let a: GobgpClient;
  let b: GobgpClient;
  let daemonA: Daemon;
  const events: PeerEvent[] = [];
  let watchEnded: GobgpError | undefined;
  let cancelWatch: (() => void) | undefined;
  const uuids = new Map<string, string>();

  before(async () => {
    daemonA = await startGobgpd('gobgpd-A', A.ip, A.api);
    a = labClient(`${A.ip}:${A.api}`, { timeoutMs: 5000 });
  });

  after(async () => {
    cancelWatch?.();
    a?.close();
    b?.close();
    await Promise.all(daemons.map(kill));
  });

  void it('before StartBgp: GetBgp answers "not started", ListPath refuses, ListPeer is empty', async () => {
    assert.equal(await a.getBgp(), null);
    await rejectsWith(a.listPath('ipv4-unicast', 'global'), 'not-started', 'ListPath');
    await rejectsWith(a.addPath(v4), 'not-started', 'AddPath');
    assert.deepEqual(await a.listPeers(), []);
  });

  void it('StartBgp, GetBgp; StartBgp again is a no-op, with another config it is refused', async () => {
    assert.equal(await a.startBgp(globalA), 'started');
    assert.deepEqual(await a.getBgp(), globalA);
    assert.equal(await a.startBgp(globalA), 'already-running');
    await rejectsWith(a.startBgp({ ...globalA, asn: 65009 }), 'exists', 'StartBgp');
    assert.deepEqual(await a.getBgp(), globalA);
  });

  void it('WatchEvent replays the (empty) peer list, then reports a new peer', async () => {
    cancelWatch = a.watchPeerEvents(
      (e) => events.push(e),
      (err) => {
        watchEnded = err;
      },
    );
    await eventually('end-of-init', () => (events.some((e) => e.type === 'end-of-init') ? true : undefined), 10_000);
    assert.deepEqual(events, [{ type: 'end-of-init' }]);
  });

  void it('AddPeer / ListPeer / DeletePeer with every option; the password is never read back', async () => {
    const spec: PeerSpec = {
      address: UNREACHABLE_PEER,
      asn: 65003,
      // A per-node AS (asnFrom) is each peer's local AS; gobgpd reports it back.
      localAsn: 65007,
      port: 17933,
      multihopTtl: 4,
      password: 'wire-test-secret',
      holdTime: 9,
      keepaliveInterval: 3,
      connectRetry: 7,
      gracefulRestart: { enabled: true, restartTime: 60 },
      families: ['ipv4-unicast', 'ipv6-unicast'],
      passive: true,
      localAddress: A.ip,
      // BFD exists only in the v4 API; on v3 it is refused before anything is sent (below).
      ...(a.api === 'v4' ? { bfd: { enabled: true, minTxIntervalMs: 300, minRxIntervalMs: 200, detectMultiplier: 5, multihop: false } } : {}),
    };
    if (a.api === 'v3') {
      await assert.rejects(a.addPeer({ ...spec, bfd: { enabled: true } }), (e: unknown) => e instanceof InvalidSpecError && /BFD needs GoBGP's v4 API/.test(e.message));
      assert.deepEqual(await a.listPeers(), []);
    }
    await a.addPeer(spec);
    const peers = await a.listPeers();
    assert.equal(peers.length, 1);
    const [peer] = peers;
    assert.ok(peer);
    assert.ok(!JSON.stringify(peers).includes('wire-test-secret'));
    assert.equal(peer.address, UNREACHABLE_PEER);
    assert.equal(peer.asn, 65003);
    assert.notEqual(peer.state, 'Established');
    const configured: Partial<PeerSpec> = { ...spec, password: undefined };
    delete configured.password;
    // gobgpd reports the key back; the client keeps only this process's fingerprint of it.
    const { passwordFingerprint: fingerprint, ...reported } = peer.config;
    assert.deepEqual(reported, { ...configured, hasPassword: true });
    assert.equal(fingerprint, passwordFingerprint('wire-test-secret'));
    assert.notEqual(fingerprint, passwordFingerprint('another-secret'));
    assert.deepEqual(
      peer.prefixes.map((p) => p.family),
      ['ipv4-unicast', 'ipv6-unicast'],
    );
    assert.deepEqual(
      (await a.listPeers(UNREACHABLE_PEER)).map((p) => p.address),
      [UNREACHABLE_PEER],
    );
    await rejectsWith(a.addPeer(spec), 'exists', 'AddPeer');
    const seen = await eventually('a peer event for the new peer', () =>
      events.find((e) => e.type === 'state' && e.peer.address === UNREACHABLE_PEER),
    );
    assert.ok(seen.type === 'state' && seen.peer.asn === 65003);

    await a.deletePeer(UNREACHABLE_PEER);
    assert.deepEqual(await a.listPeers(), []);
    await rejectsWith(a.deletePeer(UNREACHABLE_PEER), 'not-found', 'DeletePeer');
  });

  void it('AddPath of a /32 and a /128 (MP_REACH); ListPath global decodes the same attributes', async () => {
    for (const spec of [v4, v6]) {
      const uuid = await a.addPath(spec);
      assert.match(uuid, /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
      uuids.set(spec.prefix, uuid);
    }
    const got4 = await a.listPath('ipv4-unicast', 'global');
    const got6 = await a.listPath('ipv6-unicast', 'global');
    assert.deepEqual(got4.map(without), [{ ...v4, local: true }]);
    assert.deepEqual(got6.map(without), [{ ...v6, local: true }]);
    assert.equal(got4[0]?.best, true);
    // gobgpd does not report uuids in ListPath; deletion by spec does not need them.
    assert.equal(got4[0]?.uuid, undefined);
  });

  void it('the real gobgp CLI reads our encoding back', async () => {
    const rib4 = await cliRib(A, 'ipv4');
    assert.deepEqual(Object.keys(rib4), [v4.prefix]);
    const attrs4 = rib4[v4.prefix]?.[0]?.attrs ?? [];
    const byType = (attrs: CliAttr[], t: number): CliAttr | undefined => attrs.find((x) => x.type === t);
    assert.equal(byType(attrs4, 1)?.value, 0, 'ORIGIN IGP');
    assert.equal(byType(attrs4, 3)?.nexthop, v4.nextHop, 'NEXT_HOP');
    assert.equal(byType(attrs4, 5)?.value, 200, 'LOCAL_PREF');
    assert.deepEqual(byType(attrs4, 8)?.communities, [65000 * 65536 + 20, 65000 * 65536 + 100], 'COMMUNITIES');
    assert.deepEqual(
      byType(attrs4, 32)?.value,
      [
        { ASN: 65000, LocalData1: 1, LocalData2: 2 },
        { ASN: 65000, LocalData1: 1, LocalData2: 10 },
      ],
      'LARGE_COMMUNITY',
    );
    assert.equal(byType(attrs4, 14), undefined, 'no MP_REACH for IPv4');

    const rib6 = await cliRib(A, 'ipv6');
    assert.deepEqual(Object.keys(rib6), [v6.prefix]);
    const attrs6 = rib6[v6.prefix]?.[0]?.attrs ?? [];
    const mp = byType(attrs6, 14);
    assert.equal(mp?.nexthop, v6.nextHop, 'MP_REACH next hop');
    // GoBGP 4's CLI wraps each NLRI with its path identifier: {NLRI: {prefix}, ID}.
    const nlris = (mp?.value as Array<{ prefix?: string; NLRI?: { prefix?: string } }> | undefined)?.map((n) => n.NLRI?.prefix ?? n.prefix);
    assert.deepEqual(nlris, [v6.prefix], 'MP_REACH NLRI');
    assert.equal(byType(attrs6, 3), undefined, 'no NEXT_HOP for IPv6');
    assert.equal(byType(attrs6, 5)?.value, 150);
    assert.deepEqual(byType(attrs6, 32)?.value, [{ ASN: 1, LocalData1: 2, LocalData2: 3 }]);
  });

  void it('paths added by the real CLI decode the same way, and DeletePath by spec removes them', async () => {
    await cli(['global', 'rib', 'add', '-a', 'ipv4', '198.51.100.7/32', 'nexthop', A.ip, 'origin', 'igp', 'local-pref', '300', 'community', '65000:7', 'large-community', '7:8:9']);
    await cli(['global', 'rib', 'add', '-a', 'ipv6', '2001:db8::7/128', 'nexthop', '2001:db8::1', 'community', '65000:7']);
    const cli4 = (await a.listPath('ipv4-unicast', 'global')).find((p) => p.prefix === '198.51.100.7/32');
    assert.deepEqual(cli4 && without(cli4), {
      prefix: '198.51.100.7/32',
      family: 'ipv4-unicast',
      nextHop: A.ip,
      communities: ['65000:7'],
      largeCommunities: ['7:8:9'],
      localPref: 300,
      local: true,
    });
    const cli6 = (await a.listPath('ipv6-unicast', 'global')).find((p) => p.prefix === '2001:db8::7/128');
    assert.deepEqual(cli6 && without(cli6), {
      prefix: '2001:db8::7/128',
      family: 'ipv6-unicast',
      nextHop: '2001:db8::1',
      communities: ['65000:7'],
      largeCommunities: [],
      local: true,
    });
    await a.deletePath(cli4 as ObservedPath);
    await a.deletePath(cli6 as ObservedPath);
    assert.deepEqual(Object.keys(await cliRib(A, 'ipv4')), [v4.prefix]);
    assert.deepEqual(Object.keys(await cliRib(A, 'ipv6')), [v6.prefix]);
    // Deleting by spec what is not there is a no-op in gobgpd.
    await a.deletePath(cli4 as ObservedPath);
  });

  void it('AddPathStream: 600 paths in batches of 256, both families, attributes intact; deleted by spec', async () => {
    const many: PathSpec[] = Array.from({ length: 600 }, (_, i) =>
      i % 3 === 0
        ? { ...v6, prefix: `2001:db8:1::${(i + 1).toString(16)}/128` }
        : { ...v4, prefix: `198.18.${Math.floor(i / 250)}.${(i % 250) + 1}/32`, localPref: 100 + (i % 7) },
    );
    await a.addPaths(many);
    const listed = [...(await a.listPath('ipv4-unicast', 'global')), ...(await a.listPath('ipv6-unicast', 'global'))]
      .filter((p) => p.prefix !== v4.prefix && p.prefix !== v6.prefix)
      .map(without);
    const key = (p: { prefix: string }): string => p.prefix;
    assert.deepEqual(
      listed.sort((x, y) => key(x).localeCompare(key(y))),
      many.map((p) => ({ ...p, local: true })).sort((x, y) => key(x).localeCompare(key(y))),
    );
    // Only the prefixes asked for, each family (a report after a few changes reads only those).
    const some = [many[1], many[3], many[0]].map((p) => p?.prefix ?? '');
    const only4 = await a.listPath('ipv4-unicast', 'global', undefined, some);
    const only6 = await a.listPath('ipv6-unicast', 'global', undefined, some);
    assert.deepEqual([...only4, ...only6].map(key).sort(), [...some].sort());
    // Adding the same paths again replaces them: still 600, no duplicates.
    await a.addPaths(many.slice(0, 10));
    assert.equal((await a.listPath('ipv4-unicast', 'global')).length + (await a.listPath('ipv6-unicast', 'global')).length, 602);
    for (const p of many) await a.deletePath(p);
    assert.deepEqual(Object.keys(await cliRib(A, 'ipv4')), [v4.prefix]);
    assert.deepEqual(Object.keys(await cliRib(A, 'ipv6')), [v6.prefix]);
    // A bad spec is refused before anything is sent.
    await assert.rejects(a.addPaths([{ ...v4, prefix: '198.18.9.1/32' }, { ...v4, prefix: 'not-a-prefix' }]));
    assert.deepEqual(Object.keys(await cliRib(A, 'ipv4')), [v4.prefix]);
  });

  void it('an iBGP session to a second gobgpd: state events, adj-RIB-out, and learned paths are not local', async () => {
    await startGobgpd('gobgpd-B', B.ip, B.api);
    b = labClient(`${B.ip}:${B.api}`, { timeoutMs: 5000 });
    assert.equal(await b.startBgp(globalB), 'started');
    const families: PeerSpec['families'] = ['ipv4-unicast', 'ipv6-unicast'];
    // B waits (passive) so A's first connect, 5-10 s after AddPeer, wins without a collision.
    await b.addPeer({ address: A.ip, asn: A.asn, families, passive: true });
    await a.addPeer({ address: B.ip, asn: B.asn, port: B.bgp, localAddress: A.ip, families, holdTime: 9, keepaliveInterval: 3 });
    await rejectsWith(a.listPath('ipv4-unicast', 'adj-out', '127.0.0.99'), 'not-found', 'ListPath');

    const up = await eventually(
      'Established event for B',
      () => events.find((e) => e.type === 'state' && e.peer.address === B.ip && e.peer.state === 'Established'),
      60_000,
    );
    assert.ok(up.type === 'state');
    assert.equal(up.peer.localAddress, A.ip);
    assert.equal(up.peer.routerId, B.ip);

    const [peer] = await a.listPeers(B.ip);
    assert.equal(peer?.state, 'Established');
    assert.equal(peer?.localAddress, A.ip);
    assert.ok(peer?.establishedSince instanceof Date);

    const out4 = await eventually('adj-out of A towards B', async () => {
      const l = await a.listPath('ipv4-unicast', 'adj-out', B.ip);
      return l.length > 0 ? l : undefined;
    });
    assert.deepEqual(out4.map(without), [{ ...v4, local: true }]);
    assert.deepEqual(out4[0]?.asPath, [], 'iBGP: empty AS_PATH added by gobgpd');
    const out6 = await a.listPath('ipv6-unicast', 'adj-out', B.ip);
    assert.deepEqual(out6.map(without), [{ ...v6, local: true }]);
    // The adj-RIB-out read for some prefixes only: the one asked for, nothing for one not sent.
    assert.deepEqual((await a.listPath('ipv4-unicast', 'adj-out', B.ip, [v4.prefix])).map((p) => p.prefix), [v4.prefix]);
    assert.deepEqual(await a.listPath('ipv4-unicast', 'adj-out', B.ip, ['198.18.200.1/32']), []);

    for (const spec of [v4, v6]) {
      const learned = await eventually(`B learns ${spec.prefix}`, async () => {
        const l = await b.listPath(spec.family, 'global');
        return l.find((p) => p.prefix === spec.prefix);
      });
      assert.deepEqual(without(learned), { ...spec, local: false });
      assert.equal(learned.neighbor, A.ip);
      assert.deepEqual(learned.asPath, []);
    }
    const counted = await eventually('advertised counter', async () => {
      const [p] = await a.listPeers(B.ip);
      const v4count = p?.prefixes.find((x) => x.family === 'ipv4-unicast');
      return v4count && v4count.advertised > 0 ? v4count : undefined;
    });
    assert.equal(counted.advertised, 1);
  });

  void it('DeletePath by uuid and by spec; B sees the withdrawals; a stale uuid is not found', async () => {
    const uuid4 = uuids.get(v4.prefix);
    assert.ok(uuid4);
    await a.deletePath(uuid4);
    await a.deletePath(v6);
    assert.deepEqual(await a.listPath('ipv4-unicast', 'global'), []);
    assert.deepEqual(await a.listPath('ipv6-unicast', 'global'), []);
    assert.deepEqual(await cliRib(A, 'ipv4'), {});
    assert.deepEqual(await cliRib(A, 'ipv6'), {});
    await rejectsWith(a.deletePath(uuid4), 'not-found', 'DeletePath');
    for (const family of ['ipv4-unicast', 'ipv6-unicast'] as const) {
      await eventually(`B withdraws ${family}`, async () => ((await b.listPath(family, 'global')).length === 0 ? true : undefined), 15_000);
    }
  });

  void it('a killed gobgpd ends the watch stream through onEnd', async () => {
    assert.equal(watchEnded, undefined);
    await kill(daemonA);
    const ended = await eventually('onEnd', () => watchEnded, 15_000);
    assert.equal(ended.kind, 'unavailable', ended.message);
    assert.equal(ended.rpc, 'WatchEvent');
    cancelWatch = undefined;
    await assert.rejects(a.getBgp(), (err: unknown) => GobgpClient.isUnavailable(err));
    // A watch opened while the daemon is down ends at once, so a caller's retry loop keeps going.
    const again = await new Promise<GobgpError>((resolve) => a.watchPeerEvents(() => undefined, resolve));
    assert.equal(again.kind, 'unavailable');
  });
});

void describe('GobgpClient transports and deadlines', { timeout: 60_000 }, () => {
  let dir = '';
  after(async () => {
    await Promise.all(daemons.map(kill));
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  void it('unix:///path target; StartBgp without a BGP listener (listenPort -1)', async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'gobgp-wire-'));
    const socket = path.join(dir, 'gobgpd.sock');
    const proc = spawn(gobgpBinary('gobgpd'), ['--api-hosts', `unix://${socket}`, '--pprof-disable', '--log-plain'], { stdio: 'ignore' });
    const daemon: Daemon = { name: 'gobgpd-unix', proc, output: [], exited: new Promise((r) => proc.once('exit', () => r())) };
    daemons.push(daemon);
    const c = labClient(`unix://${socket}`, { timeoutMs: 2000 });
    try {
      await eventually('unix socket answers', async () => (await c.getBgp()) ?? null, 15_000);
      const spec: GlobalSpec = { asn: 65010, routerId: '192.0.2.77', listenPort: -1, listenAddresses: [] };
      assert.equal(await c.startBgp(spec), 'started');
      const running = await c.getBgp();
      assert.equal(running?.asn, 65010);
      assert.equal(running?.listenPort, -1);
      assert.equal(await c.startBgp(spec), 'already-running');
    } finally {
      c.close();
      await kill(daemon);
    }
  });

  void it('unary deadlines hold against a server that accepts TCP and never answers', async () => {
    const sockets: Socket[] = [];
    const silent = createServer((s) => sockets.push(s));
    await new Promise<void>((r) => silent.listen(0, '127.0.0.34', r));
    const address = silent.address();
    assert.ok(address && typeof address === 'object');
    const c = labClient(`127.0.0.34:${address.port}`, { timeoutMs: 500, listTimeoutMs: 500 });
    try {
      const started = Date.now();
      await rejectsWith(c.getBgp(), 'timeout', 'GetBgp');
      await rejectsWith(c.listPeers(), 'timeout', 'ListPeer');
      assert.ok(Date.now() - started < 5000, 'deadlines applied');
    } finally {
      c.close();
      for (const s of sockets) s.destroy();
      await new Promise((r) => silent.close(r));
    }
  });

  void it('targets other than loopback or a unix socket are refused', () => {
    assert.throws(() => new GobgpClient('192.0.2.1:50051'), /not loopback/);
    assert.throws(() => new GobgpClient('gobgpd'), /neither host:port nor unix/);
    const remote = new GobgpClient('192.0.2.1:50051', { allowRemote: true });
    remote.close();
    new GobgpClient('[::1]:50051').close();
    new GobgpClient('localhost:50051').close();
  });
});
