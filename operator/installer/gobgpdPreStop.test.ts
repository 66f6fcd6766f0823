// gobgpd's preStop hook run by a real shell: it must not end gobgpd before the speaker's done
// file exists (the kubelet starts it beside the speaker's SIGTERM), and must end it then.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { GOBGPD_PRE_STOP } from './render';
import { GOBGP_SOCKET_DIR, SPEAKER_DONE_FILE } from '../util/gobgpTarget';

/** The hook's script with the socket directory moved to `dir` and its kill made visible. */
function hookIn(dir: string): string {
  const script = GOBGPD_PRE_STOP[2];
  assert.ok(script.includes(GOBGP_SOCKET_DIR) && script.endsWith('kill -QUIT 1'));
  return script.split(GOBGP_SOCKET_DIR).join(dir).replace(/kill -QUIT 1$/, 'echo QUIT');
}

function run(dir: string): { exited: Promise<{ ms: number; out: string }> } {
  const started = Date.now();
  const child = spawn(GOBGPD_PRE_STOP[0], [GOBGPD_PRE_STOP[1], hookIn(dir)], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  return { exited: new Promise((resolve) => child.on('exit', () => resolve({ ms: Date.now() - started, out }))) };
}

void describe('gobgpd preStop hook', () => {
  it('waits while the speaker works, ends gobgpd as soon as the done file appears', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'prestop-'));
    try {
      const hook = run(dir);
      let finished = false;
      void hook.exited.then(() => (finished = true));
      await new Promise((r) => setTimeout(r, 1_000));
      assert.equal(finished, false, 'the hook ended gobgpd before the speaker was done');
      writeFileSync(path.join(dir, SPEAKER_DONE_FILE), 'done\n');
      const { ms, out } = await hook.exited;
      assert.equal(out.trim(), 'QUIT');
      assert.ok(ms < 5_000, `the hook took ${ms} ms after the done file`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('ends gobgpd at once when the speaker is already done', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'prestop-'));
    try {
      writeFileSync(path.join(dir, SPEAKER_DONE_FILE), 'done\n');
      const { out } = await run(dir).exited;
      assert.equal(out.trim(), 'QUIT');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
