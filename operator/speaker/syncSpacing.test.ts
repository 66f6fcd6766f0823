import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { SPACING_FROM_MS, SyncSpacing } from './syncSpacing';

void describe('SyncSpacing', () => {
  it('a short sync makes the next one wait for nothing', () => {
    const s = new SyncSpacing();
    s.done(1_000, 1_000 + SPACING_FROM_MS - 1);
    assert.equal(s.wait(false, 1_000 + SPACING_FROM_MS), 0);
  });

  it('after a long sync, the next paths-only one waits as long as it took, counted from its end', () => {
    const s = new SyncSpacing();
    s.done(1_000, 1_100);
    assert.equal(s.wait(false, 1_100), 100);
    assert.equal(s.wait(false, 1_160), 40);
    assert.equal(s.wait(false, 1_200), 0);
  });

  it('a full sync never waits', () => {
    const s = new SyncSpacing();
    s.done(1_000, 1_500);
    assert.equal(s.wait(true, 1_500), 0);
  });
});
