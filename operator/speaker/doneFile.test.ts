import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { clearDoneFile, writeDoneFile } from './doneFile';
import { DEFAULT_GOBGP_TARGET, speakerDonePath } from '../util/gobgpTarget';
import { nullLogger } from '../util/log';

const log = nullLogger();

void describe('speaker done file', () => {
  it('lies beside gobgpd\'s socket, where the preStop hook looks; none for a TCP target', () => {
    assert.equal(speakerDonePath(DEFAULT_GOBGP_TARGET), '/run/gobgp/speaker.done');
    assert.equal(speakerDonePath('unix:///var/lib/x/api.sock'), '/var/lib/x/speaker.done');
    assert.equal(speakerDonePath('127.0.0.1:50051'), undefined);
  });

  it('is cleared at start and written at the end, and neither throws when the directory is gone', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'done-'));
    const file = path.join(dir, 'speaker.done');
    try {
      writeFileSync(file, 'left by the previous container\n');
      clearDoneFile(file, log);
      assert.equal(existsSync(file), false);
      writeDoneFile(file, log);
      assert.equal(existsSync(file), true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    writeDoneFile(path.join(dir, 'speaker.done'), log);
    clearDoneFile(undefined, log);
  });
});
