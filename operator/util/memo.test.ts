import assert from 'node:assert/strict';
import { test } from 'node:test';
import { memoized } from './memo';

void test('memoized: each text computed once, undefined results included; past the limit it starts afresh', () => {
  const calls: string[] = [];
  const f = memoized((t: string) => {
    calls.push(t);
    return t === 'x' ? undefined : t.length;
  }, 2);
  assert.deepEqual([f('ab'), f('ab'), f('x'), f('x')], [2, 2, undefined, undefined]);
  assert.deepEqual(calls, ['ab', 'x']);
  f('abc'); // the third entry clears the memory first
  f('ab');
  assert.deepEqual(calls, ['ab', 'x', 'abc', 'ab']);
});
