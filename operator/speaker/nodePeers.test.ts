import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EXCLUDE_FROM_LB_LABEL } from '../api/labels';
import { notEligibleReason, peersOfNode } from './nodePeers';

const rackA = { nodeSelector: { matchLabels: { rack: 'a' } } };
const rackB = { nodeSelector: { matchExpressions: [{ key: 'rack', operator: 'In' as const, values: ['b', 'c'] }] } };
const everyNode = {};
const node = (labels: Record<string, string>) => ({ metadata: { labels } });

void test('peersOfNode: a peer without a selector peers with every node; with one, only with the nodes it selects', () => {
  const peers = [rackA, rackB, everyNode];
  const cases: [string, ReturnType<typeof node> | undefined, number[]][] = [
    ['rack a', node({ rack: 'a' }), [0, 2]],
    ['rack b', node({ rack: 'b' }), [1, 2]],
    ['rack c', node({ rack: 'c' }), [1, 2]],
    ['no rack label', node({}), [2]],
    ['Node not known yet: only the peers without a selector', undefined, [2]],
  ];
  for (const [what, n, want] of cases) assert.deepEqual(peersOfNode(peers, n), want, what);
  assert.deepEqual(peersOfNode([rackA, rackB], node({ rack: 'd' })), []);
});

void test('notEligibleReason: Node unknown, excluded, no peer selects it, or eligible', () => {
  assert.equal(notEligibleReason(undefined, [everyNode]), 'NodeNotFound');
  assert.equal(notEligibleReason(node({ [EXCLUDE_FROM_LB_LABEL]: '', rack: 'a' }), [rackA]), 'ExcludedByLabel');
  assert.equal(notEligibleReason(node({ rack: 'b' }), [rackA]), 'NoPeerSelectsNode');
  assert.equal(notEligibleReason(node({ rack: 'a' }), [rackA, rackB]), undefined);
  assert.equal(notEligibleReason(node({}), [everyNode]), undefined);
  assert.equal(notEligibleReason(node({}), []), undefined, 'no peer configured at all (tests, benchmarks): the table is kept');
});
