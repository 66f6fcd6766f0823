import { test } from 'node:test';
import assert from 'node:assert/strict';

import { sameList, sortedUnique } from './lists';

test('sameList: order and length matter', () => {
  const cases: [string[], string[], boolean][] = [
    [[], [], true],
    [['a', 'b'], ['a', 'b'], true],
    [['a', 'b'], ['b', 'a'], false],
    [['a'], ['a', 'a'], false],
  ];
  for (const [a, b, want] of cases) assert.equal(sameList(a, b), want, `${a.join()} vs ${b.join()}`);
});

test('sortedUnique: drops duplicates and sorts by code unit', () => {
  assert.deepEqual(sortedUnique(['b', 'a', 'B', 'a', '10', '9']), ['10', '9', 'B', 'a', 'b']);
});
