import assert from 'node:assert/strict';
import { test } from 'node:test';
import { pruneAdded, settledWatermark, type SettleInput } from './settledWatermark';

const P = (i: number): string => `203.0.113.${i}/32`;
// Announcements ns/a1..a4 with spec revisions 10, 20, 30, 40, one prefix each.
const base = (over: Partial<SettleInput>): SettleInput => ({
  acted: 50,
  written: 0,
  missing: new Set(),
  prefixesByAnnouncement: new Map([1, 2, 3, 4].map((i) => [`ns/a${i}`, [P(i)]])),
  specRv: (key) => Number(key.slice(4)) * 10,
  addedAt: new Map(),
  now: 10_000,
  settleMs: 5_000,
  ...over,
});

void test('nothing missing: the whole acted-on watermark is claimed', () => {
  assert.deepEqual(settledWatermark(base({})), { watermark: 50, leaveOut: new Set(), holdReport: false });
});

void test('a prefix just added and not yet sent stops the watermark below its announcement; newer ones are left out of missing', () => {
  const s = settledWatermark(base({ missing: new Set([P(3), P(4)]), addedAt: new Map([[P(3), 9_000], [P(4), 9_500]]) }));
  assert.equal(s.watermark, 29, 'a1 and a2 are reported acted on; a3 (30) is not yet');
  assert.deepEqual(s.leaveOut, new Set([P(3), P(4)]));
  assert.equal(s.holdReport, false);
});

void test('a prefix missing for longer than the settle time is reported missing and holds nothing back', () => {
  const s = settledWatermark(base({ missing: new Set([P(2)]), addedAt: new Map([[P(2), 4_000]]) }));
  assert.equal(s.watermark, 50);
  assert.deepEqual(s.leaveOut, new Set());
});

void test('a settling prefix of an announcement already reported acted on holds the report instead of going back', () => {
  const s = settledWatermark(base({ written: 45, missing: new Set([P(1)]), addedAt: new Map([[P(1), 9_900]]) }));
  assert.deepEqual(s, { watermark: 45, leaveOut: new Set(), holdReport: true });
});

void test('a shared prefix is left out only when every announcement asking for it is past the watermark', () => {
  const prefixesByAnnouncement = new Map([['ns/a1', [P(9)]], ['ns/a4', [P(9), P(4)]]]);
  const s = settledWatermark(base({ prefixesByAnnouncement, missing: new Set([P(9), P(4)]), addedAt: new Map([[P(4), 9_800]]) }));
  assert.equal(s.watermark, 39);
  assert.deepEqual(s.leaveOut, new Set([P(4)]), 'a1 (10) is acted on and asks for P(9): it stays listed missing');
});

void test('the watermark never claims more than has been acted on', () => {
  const s = settledWatermark(base({ acted: 25, missing: new Set([P(4)]), addedAt: new Map([[P(4), 9_800]]) }));
  assert.equal(s.watermark, 25);
});

void test('pruneAdded forgets additions older than the settle time', () => {
  const added = new Map([[P(1), 1_000], [P(2), 9_000]]);
  pruneAdded(added, 10_000, 5_000);
  assert.deepEqual([...added.keys()], [P(2)]);
});
