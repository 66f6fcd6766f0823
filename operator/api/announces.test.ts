import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { V1Node } from '@kubernetes/client-node';
import { nodeEligible } from './announces';
import { EXCLUDE_FROM_LB_LABEL } from './labels';

void test('nodeEligible: the speaker and the controller read a Node the same way', () => {
  const cases: Array<{ name: string; node: V1Node | undefined; want: boolean }> = [
    { name: 'no Node (deleted, or not in the cache)', node: undefined, want: false },
    { name: 'no labels', node: { metadata: { name: 'a' } }, want: true },
    { name: 'other labels', node: { metadata: { name: 'a', labels: { 'kubernetes.io/hostname': 'a' } } }, want: true },
    { name: 'excluded, empty value', node: { metadata: { name: 'a', labels: { [EXCLUDE_FROM_LB_LABEL]: '' } } }, want: false },
    { name: 'excluded, any value', node: { metadata: { name: 'a', labels: { [EXCLUDE_FROM_LB_LABEL]: 'false' } } }, want: false },
  ];
  for (const c of cases) assert.equal(nodeEligible(c.node), c.want, c.name);
});
