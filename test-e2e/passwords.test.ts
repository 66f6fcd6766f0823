// TCP MD5 passwords end to end: the lab's BIRD has one session with a password (hack/lab.sh,
// protocol md5_peer, for an address no lab node uses). A real gobgpd on that address and a
// real speaker whose peer password lives in a file laid out as the kubelet mounts a Secret.
// The file is rewritten as the kubelet does (a new timestamped folder, then the `..data`
// symlink swapped atomically), and the same speaker process has to follow it: the session
// comes up with the right key, drops with a wrong one (and stays down: BIRD really checks the
// key), comes back once the key is fixed, and a refused (over 80 bytes) key leaves the working
// session alone.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, renameSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { birdProtocolState } from './harness/bird';
import { gobgpBinary } from './harness/gobgp';
import { REPO_ROOT, kubectl, lab, waitFor } from './harness/lab';
import { metricValue, startOperator, waitReady, type OperatorProcess } from './harness/operator';

const NODE = 'md5-node';
const WRONG = 'not-the-lab-password';
const TOO_LONG = 'y'.repeat(81);
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * A Secret volume as the kubelet writes it (its AtomicWriter): the data in a timestamped
 * folder, `..data` pointing at it, and `<secret>/<key>` reached through `..data`. An update
 * writes a new folder and renames a fresh symlink over `..data`, so a reader sees the old file
 * or the new one, never half of one.
 */
class SecretVolume {
  private generation = 0;
  constructor(readonly dir: string, private readonly secret: string, private readonly key: string) {}

  /** The path the speaker is given, as the installer renders it: <mount>/<secret>/<key>. */
  get file(): string {
    return path.join(this.dir, this.secret, this.key);
  }

  write(password: string): void {
    const stamp = `..2026_11_30_${process.pid}.${++this.generation}`;
    mkdirSync(path.join(this.dir, stamp, this.secret), { recursive: true });
    writeFileSync(path.join(this.dir, stamp, this.secret, this.key), password);
    const old = readdirSync(this.dir).filter((e) => e.startsWith('..2026') && e !== stamp);
    symlinkSync(stamp, path.join(this.dir, '..data_tmp'));
    renameSync(path.join(this.dir, '..data_tmp'), path.join(this.dir, '..data'));
    try {
      symlinkSync(path.join('..data', this.secret), path.join(this.dir, this.secret));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    for (const o of old) rmSync(path.join(this.dir, o), { recursive: true, force: true });
  }
}

const md5 = lab().md5Peer;

void describe('BGP passwords: a changed Secret reaches gobgpd without a restart', { skip: !md5 && 'the lab has no TCP MD5 session (booted by an older hack/lab.sh)' }, () => {
  const l = lab();
  const peer = md5 ?? { address: '', protocol: '', password: '' };
  const dir = path.join(l.dir, 'passwords');
  const volume = new SecretVolume(path.join(dir, 'peer-passwords'), 'bgp-auth', 'password');
  const socket = path.join(dir, 'gobgpd.sock');
  let gobgpd: ChildProcess | undefined;
  let gobgpdExited: Promise<void> | undefined;
  let speaker: OperatorProcess | undefined;
  /** Where this run's lines start in the speaker's log (the file is appended to across runs). */
  let logStart = 0;

  const state = (): Promise<string> => birdProtocolState(peer.protocol);
  const established = async (): Promise<boolean> => (await state()) === 'Established';
  /** Samples BIRD's session for `ms`: every state seen. */
  const statesFor = async (ms: number): Promise<Set<string>> => {
    const seen = new Set<string>();
    for (const end = Date.now() + ms; Date.now() < end; await sleep(250)) seen.add(await state());
    return seen;
  };
  const problemMetric = async (): Promise<number | undefined> =>
    metricValue(await (speaker as OperatorProcess).metrics(), 'vipannouncer_peer_password_problem', { node: NODE, peer: l.routerAddress });
  const ownLog = (): string => (speaker as OperatorProcess).log().slice(logStart);
  const logLines = (pattern: RegExp): string[] => ownLog().split('\n').filter((line) => pattern.test(line));

  /** A speaker for the md5 session; its log lines are counted from here. */
  const startSpeaker = async (): Promise<OperatorProcess> => {
    const logFile = path.join(l.dir, 'logs', 'speaker-md5.log');
    logStart = existsSync(logFile) ? statSync(logFile).size : 0;
    // No Node object for NODE: the speaker is not eligible and announces nothing; it only peers.
    speaker = await startOperator('speaker-md5', 'speaker', {
      speaker: {
        nodeName: NODE, asn: l.nodeAsn, routerId: peer.address, listenPort: l.bgpPort, listenAddresses: [peer.address],
        gobgp: { target: `unix://${socket}` }, driftCheckPeriod: '3s',
        peers: [{ address: l.routerAddress, asn: l.routerAsn, port: l.bgpPort, localAddress: peer.address, holdTime: '9s', connectRetry: '1s', passwordFile: volume.file }],
      },
    });
    await waitReady(speaker);
    return speaker;
  };

  before(async () => {
    await kubectl(['apply', '-f', path.join(REPO_ROOT, 'crds')]);
    await kubectl(['wait', '--for=condition=Established', '--timeout=60s', 'crd/vipannouncements.vipannouncer.io', 'crd/vippools.vipannouncer.io']);
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(volume.dir, { recursive: true });
    const fd = openSync(path.join(l.dir, 'logs', 'gobgpd-md5.log'), 'a');
    gobgpd = spawn(gobgpBinary('gobgpd'), ['--api-hosts', `unix://${socket}`, '--pprof-disable', '--log-plain', '-l', 'info'], { stdio: ['ignore', fd, fd] });
    closeSync(fd);
    const proc = gobgpd;
    gobgpdExited = new Promise((r) => proc.once('exit', () => r()));
    // Recorded like every lab process, so `hack/lab.sh down` stops it if this test dies first.
    writeFileSync(path.join(l.dir, 'pids', 'gobgpd-md5.pid'), String(gobgpd.pid));
    writeFileSync(path.join(l.dir, 'pids', 'gobgpd-md5.exe'), gobgpBinary('gobgpd'));
  });

  after(async () => {
    await speaker?.stop();
    gobgpd?.kill('SIGTERM'); // this child only, by its PID
    await gobgpdExited;
    for (const ext of ['pid', 'exe']) rmSync(path.join(l.dir, 'pids', `gobgpd-md5.${ext}`), { force: true });
  });

  void it('established with the password, down with a wrong one, back once fixed, kept when refused: one speaker process', async () => {
    // Negative control first: BIRD's md5 session is idle (no gobgpd peer yet), so "Established"
    // below is ours.
    assert.notEqual(await state(), 'Established', `${peer.protocol} up before any speaker`);
    volume.write(`${peer.password}\n`);
    const sp = await startSpeaker();
    const pid = sp.pid;
    await waitFor(`${peer.protocol} Established with the password`, () => established(), { timeoutMs: 60_000 });

    volume.write(WRONG);
    await waitFor(`${peer.protocol} down after the wrong password`, async () => !(await established()), { timeoutMs: 30_000 });
    // Down for good, not a blip: BIRD retries every 2 s, and would be back with an unchecked key.
    const whileWrong = await statesFor(10_000);
    assert.ok(!whileWrong.has('Established'), `established with the wrong password: ${[...whileWrong].join(', ')}`);
    assert.equal(logLines(/peer password changed/).length, 1, 'the speaker applied the wrong password');

    volume.write(peer.password);
    await waitFor(`${peer.protocol} Established again after the fix`, () => established(), { timeoutMs: 60_000 });
    assert.equal(logLines(/peer password changed/).length, 2);
    assert.equal(sp.pid, pid);
    assert.equal(sp.exited(), false, 'the same speaker process throughout');
    assert.equal(await problemMetric(), 0);

    // Over 80 bytes: refused, said once with the field, and the working session is left alone.
    volume.write(TOO_LONG);
    await waitFor('the refusal in the log', () => logLines(/peer password refused/).length === 1, { timeoutMs: 15_000 });
    const refusal = logLines(/peer password refused/)[0] ?? '';
    assert.match(refusal, /speaker\.peers\[0\]\.passwordFile/);
    assert.match(refusal, /at most 80 bytes/);
    assert.equal(await problemMetric(), 1);
    const whileRefused = await statesFor(6_000);
    assert.deepEqual([...whileRefused], ['Established'], 'a refused password must not touch the session');
    assert.equal(logLines(/peer password changed/).length, 2, 'nothing re-applied');

    volume.write(`${peer.password}\n`);
    await waitFor('the problem cleared', async () => (await problemMetric()) === 0, { timeoutMs: 15_000 });
    assert.equal(await state(), 'Established', 'the same password again: the session stays');
    assert.equal(logLines(/peer password changed/).length, 2);
    assert.equal(sp.pid, pid);

    const log = ownLog();
    for (const secret of [peer.password, WRONG, TOO_LONG]) assert.ok(!log.includes(secret), 'no password in the speaker log');
  });

  void it('a restarted speaker finds the same password in gobgpd and leaves the session alone', async () => {
    assert.equal(await state(), 'Established');
    assert.equal(await speaker?.stop(), 0);
    await startSpeaker();
    // A few drift checks (3 s each): the peer plan compares what gobgpd reports back.
    const whileRestarted = await statesFor(8_000);
    assert.deepEqual([...whileRestarted], ['Established'], 'the session must not restart');
    assert.deepEqual(logLines(/re-creating|adding peer/), [], 'no peer re-created or added');
    assert.ok(logLines(/starting BGP|gobgpd serves/).length > 0, 'the new speaker did talk to gobgpd');
  });
});
