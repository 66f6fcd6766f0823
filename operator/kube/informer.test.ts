// The informer's pure relist diff. Everything that talks to an API server is tested against the
// lab's real kube-apiserver in test-e2e/plumbing.test.ts.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { diffRelist, objectChanged } from './informer';
import type { KubeObject } from './resources';
import { objectKey } from './resources';

interface Svc extends KubeObject {
  metadata: { name: string; namespace?: string; resourceVersion?: string; uid?: string; labels?: Record<string, string> };
  spec?: { port?: number };
}

const svc = (ns: string, name: string, rv?: string, port = 80): Svc => ({
  metadata: { name, namespace: ns, ...(rv ? { resourceVersion: rv } : {}) },
  spec: { port },
});

void describe('diffRelist', () => {
  const cases: {
    name: string;
    old: Svc[];
    fresh: Svc[];
    adds: string[];
    updates: string[];
    deletes: string[];
  }[] = [
    { name: 'empty to empty', old: [], fresh: [], adds: [], updates: [], deletes: [] },
    { name: 'first list adds everything', old: [], fresh: [svc('a', 'x', '1'), svc('b', 'y', '2')], adds: ['a/x', 'b/y'], updates: [], deletes: [] },
    { name: 'unchanged resourceVersion is no update', old: [svc('a', 'x', '1')], fresh: [svc('a', 'x', '1')], adds: [], updates: [], deletes: [] },
    { name: 'changed resourceVersion is an update', old: [svc('a', 'x', '1')], fresh: [svc('a', 'x', '5')], adds: [], updates: ['a/x'], deletes: [] },
    { name: 'vanished object is a delete', old: [svc('a', 'x', '1'), svc('a', 'y', '2')], fresh: [svc('a', 'y', '2')], adds: [], updates: [], deletes: ['a/x'] },
    { name: 'everything vanished', old: [svc('a', 'x', '1'), svc('b', 'x', '2')], fresh: [], adds: [], updates: [], deletes: ['a/x', 'b/x'] },
    {
      name: 'same name in another namespace is another object',
      old: [svc('a', 'x', '1')],
      fresh: [svc('b', 'x', '1')],
      adds: ['b/x'],
      updates: [],
      deletes: ['a/x'],
    },
    {
      name: 'mixed add, update, delete, keep',
      old: [svc('n', 'keep', '1'), svc('n', 'chg', '2'), svc('n', 'gone', '3')],
      fresh: [svc('n', 'keep', '1'), svc('n', 'chg', '9'), svc('n', 'new', '10')],
      adds: ['n/new'],
      updates: ['n/chg'],
      deletes: ['n/gone'],
    },
    { name: 'no resourceVersions: compared by content (same)', old: [svc('a', 'x')], fresh: [svc('a', 'x')], adds: [], updates: [], deletes: [] },
    { name: 'no resourceVersions: compared by content (changed)', old: [svc('a', 'x')], fresh: [svc('a', 'x', undefined, 443)], adds: [], updates: ['a/x'], deletes: [] },
    { name: 'duplicate key in the new list counts once (last wins)', old: [], fresh: [svc('a', 'x', '1'), svc('a', 'x', '2')], adds: ['a/x'], updates: [], deletes: [] },
    {
      name: 'cluster-scoped keys have no namespace',
      old: [{ metadata: { name: 'node-a', resourceVersion: '1' } }],
      fresh: [{ metadata: { name: 'node-b', resourceVersion: '1' } }],
      adds: ['node-b'],
      updates: [],
      deletes: ['node-a'],
    },
  ];
  for (const c of cases) {
    void test(c.name, () => {
      const store = new Map(c.old.map((o) => [objectKey(o), o] as const));
      const d = diffRelist(store, c.fresh);
      assert.deepEqual(d.adds.map(objectKey).sort(), c.adds);
      assert.deepEqual(d.updates.map((u) => objectKey(u.obj)).sort(), c.updates);
      assert.deepEqual(d.deletes.map(objectKey).sort(), c.deletes);
      for (const u of d.updates) assert.equal(objectKey(u.old), objectKey(u.obj));
    });
  }

  void test('duplicate key: the last object wins', () => {
    const d = diffRelist(new Map<string, Svc>(), [svc('a', 'x', '1'), svc('a', 'x', '2')]);
    assert.equal(d.adds[0].metadata?.resourceVersion, '2');
  });

  void test('objectChanged', () => {
    assert.equal(objectChanged(svc('a', 'x', '1'), svc('a', 'x', '1', 443)), false, 'same resourceVersion wins over content');
    assert.equal(objectChanged(svc('a', 'x', '1'), svc('a', 'x', '2')), true);
    assert.equal(objectChanged(svc('a', 'x'), svc('a', 'x', '2')), true, 'falls back to content');
  });
});
