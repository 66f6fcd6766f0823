import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Secret, type PeerConfig } from '../config';
import { nullLogger, type Log, type LogFields } from '../util/log';
import { metrics } from '../util/metrics';
import { PeerPasswords } from './peerPasswords';
import { testPeer } from './testFixtures';

const peer = (address: string, extra: Partial<PeerConfig>): PeerConfig => testPeer(address, { families: ['ipv4-unicast'], ...extra });

/** A logger that keeps every line, to check what is said and that no password is. */
function recordingLog(lines: string[]): Log {
  const log: Log = {
    ...nullLogger(),
    debug: (m: string, f?: LogFields) => lines.push(`debug ${m} ${JSON.stringify(f)}`),
    info: (m: string, f?: LogFields) => lines.push(`info ${m} ${JSON.stringify(f)}`),
    warn: (m: string, f?: LogFields) => lines.push(`warn ${m} ${JSON.stringify(f)}`),
    error: (m: string, f?: LogFields) => lines.push(`error ${m} ${JSON.stringify(f)}`),
    child: () => log,
  };
  return log;
}

async function problemGauge(address: string): Promise<number | undefined> {
  const got = await metrics.peerPasswordProblem.get();
  return got.values.find((v) => v.labels.node === 'n' && v.labels.peer === address)?.value;
}

void test('password files: a new good password is taken, a bad one refused (the last good one stays), none logged', async () => {
  const files = new Map<string, string>([['/pw/a', 'first-key\n']]);
  const read = (f: string): string => {
    const text = files.get(f);
    if (text === undefined) throw Object.assign(new Error('gone'), { code: 'ENOENT' });
    return text;
  };
  const lines: string[] = [];
  const changes: string[] = [];
  const pw = new PeerPasswords({
    peers: [peer('192.0.2.1', { password: new Secret('first-key'), passwordFile: 'a', passwordPath: '/pw/a' }), peer('192.0.2.2', { password: new Secret('inline') })],
    nodeName: 'n',
    log: recordingLog(lines),
    onChange: (p) => changes.push(p),
    read,
  });
  const current = (): string | undefined => pw.passwordOf(0)?.reveal();
  assert.equal(current(), 'first-key');
  assert.equal(pw.passwordOf(1)?.reveal(), 'inline', 'an inline password is used as is');
  assert.deepEqual(pw.poll(), [], 'nothing changed');

  files.set('/pw/a', 'first-key');
  assert.deepEqual(pw.poll(), [], 'the same password without its newline is no change');

  files.set('/pw/a', 'second-key\n');
  assert.deepEqual(pw.poll(), ['192.0.2.1']);
  assert.equal(current(), 'second-key');
  assert.deepEqual(changes, ['192.0.2.1']);
  assert.equal(await problemGauge('192.0.2.1'), 0);

  const refused: Array<[string, string | undefined, RegExp]> = [
    ['over 80 bytes', 'x'.repeat(81), /speaker\.peers\[0\]\.passwordFile.*at most 80 bytes/],
    ['multi-byte, over 80 bytes', 'é'.repeat(41), /at most 80 bytes/],
    ['empty', '\n', /is empty/],
    ['gone', undefined, /cannot read \/pw\/a: ENOENT/],
  ];
  for (const [name, content, message] of refused) {
    lines.splice(0);
    if (content === undefined) files.delete('/pw/a');
    else files.set('/pw/a', content);
    assert.deepEqual(pw.poll(), [], name);
    assert.equal(current(), 'second-key', `${name}: the last good password stays`);
    assert.equal(lines.length, 1, `${name}: one line`);
    assert.match(lines[0] ?? '', /^error peer password refused/, name);
    assert.match(lines[0] ?? '', /"peer":"192\.0\.2\.1"/, name);
    assert.match(lines[0] ?? '', message, name);
    assert.equal(await problemGauge('192.0.2.1'), 1, name);
    assert.deepEqual(pw.poll(), [], `${name}: said once, not at every poll`);
    assert.equal(lines.length, 1);
  }

  files.set('/pw/a', 'third-key');
  assert.deepEqual(pw.poll(), ['192.0.2.1']);
  assert.equal(current(), 'third-key');
  assert.equal(await problemGauge('192.0.2.1'), 0);
  const said = lines.join('\n');
  assert.match(said, /usable again/);
  for (const secret of ['first-key', 'second-key', 'third-key', 'inline', 'xxxx', 'éé']) assert.ok(!said.includes(secret), `${secret} not logged`);
});

void test('password files: a fix back to the password gobgpd still has is no change', () => {
  let text = 'key-1';
  const pw = new PeerPasswords({
    peers: [peer('192.0.2.1', { password: new Secret('key-1'), passwordFile: 'a', passwordPath: '/pw/a' })],
    nodeName: 'n',
    log: nullLogger(),
    onChange: () => undefined,
    read: () => text,
  });
  text = 'x'.repeat(100);
  assert.deepEqual(pw.poll(), []);
  text = 'key-1\n';
  assert.deepEqual(pw.poll(), [], 'the refused file never replaced key-1, so nothing to re-apply');
  assert.equal(pw.passwordOf(0)?.reveal(), 'key-1');
});

void test('password files: a file changed between the load and the start is taken at once', () => {
  const pw = new PeerPasswords({
    peers: [peer('192.0.2.1', { password: new Secret('loaded'), passwordFile: 'a', passwordPath: '/pw/a' })],
    nodeName: 'n',
    log: nullLogger(),
    onChange: () => undefined,
    read: () => 'newer\n',
  });
  assert.equal(pw.passwordOf(0)?.reveal(), 'newer');
});
