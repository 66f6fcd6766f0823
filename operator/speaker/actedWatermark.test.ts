import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ActedWatermark } from './actedWatermark';

void test('ActedWatermark: a spec event counts only once a table sync that started after it finished', () => {
  const w = new ActedWatermark();
  w.observe('10', true);
  assert.equal(w.value(), 0, 'nothing acted on yet');
  const token = w.syncStarted();
  w.observe('20', true); // arrives during the sync: not covered by it
  w.syncDone(token);
  assert.equal(w.value(), 10);
  w.syncDone(w.syncStarted());
  assert.equal(w.value(), 20);
});

void test('ActedWatermark: status-only events move it while no spec event waits, never past one that does', () => {
  const w = new ActedWatermark();
  w.observe('10', true);
  w.syncDone(w.syncStarted());
  w.observe('15', false);
  assert.equal(w.value(), 15, 'nothing waits: every revision seen is reflected');
  w.observe('20', true);
  w.observe('25', false);
  assert.equal(w.value(), 10, 'a spec event waits for the table: as of the last sync\'s start');
  w.syncDone(w.syncStarted());
  assert.equal(w.value(), 25);
  w.observe('not-a-number', true);
  assert.equal(w.value(), 25, 'an unparsable resourceVersion is ignored');
});
