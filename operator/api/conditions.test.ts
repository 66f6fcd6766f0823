import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { condition, conditionsEqual } from './conditions';
import type { Condition } from './types';

const NOW = new Date('2030-01-02T03:04:05.678Z');
const EARLIER = '2029-12-31T00:00:00Z';

describe('condition', () => {
  const previous: Condition[] = [{ type: 'Ready', status: 'False', reason: 'RollingOut', message: 'm', lastTransitionTime: EARLIER }];
  const cases: Array<[string, Condition['status'], readonly Condition[] | undefined, string]> = [
    ['first time: now, to the second', 'True', undefined, '2030-01-02T03:04:05Z'],
    ['same status: time kept', 'False', previous, EARLIER],
    ['status changed: now', 'True', previous, '2030-01-02T03:04:05Z'],
  ];
  for (const [name, status, prev, want] of cases) {
    void it(name, () => {
      const c = condition('Ready', { status, reason: 'R', message: 'x' }, 3, prev, NOW);
      assert.deepEqual(c, { type: 'Ready', status, reason: 'R', message: 'x', lastTransitionTime: want, observedGeneration: 3 });
    });
  }

  void it('leaves observedGeneration out when the generation is unknown', () => {
    assert.ok(!('observedGeneration' in condition('Ready', { status: 'True', reason: 'R', message: '' }, undefined, undefined, NOW)));
  });
});

describe('conditionsEqual', () => {
  const a: Condition[] = [
    { type: 'Ready', status: 'True', reason: 'Ready', message: 'm', lastTransitionTime: EARLIER, observedGeneration: 1 },
    { type: 'SpeakersRolledOut', status: 'True', reason: 'RolledOut', message: 'n', lastTransitionTime: EARLIER },
  ];
  void it('ignores order', () => assert.ok(conditionsEqual(a, [a[1], a[0]])));
  const changed: Array<[string, Partial<Condition>]> = [
    ['message', { message: 'other' }],
    ['reason', { reason: 'Other' }],
    ['generation', { observedGeneration: 2 }],
    ['transition time', { lastTransitionTime: '2030-01-01T00:00:00Z' }],
  ];
  for (const [name, change] of changed) {
    void it(`sees a changed ${name}`, () => assert.ok(!conditionsEqual(a, [{ ...a[0], ...change }, a[1]])));
  }
  void it('tells absent from present', () => assert.ok(!conditionsEqual(a, undefined)));
});
