// Bounds of both CRDs that the API server cannot add for us: every list has maxItems (CEL
// cost estimation and etcd object size need them), and Node names in a VipAnnouncement
// have the form the API server gives Node names.
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { load } from 'js-yaml';

interface Schema {
  type?: string;
  properties?: Record<string, Schema>;
  items?: Schema;
  maxItems?: number;
  pattern?: string;
}

function repoRoot(): string {
  let dir = __dirname;
  while (!existsSync(join(dir, 'crds'))) {
    const up = dirname(dir);
    assert.notEqual(up, dir, 'crds/ not found above the test');
    dir = up;
  }
  return dir;
}

function crdSchema(file: string): Schema {
  const crd = load(readFileSync(join(repoRoot(), 'crds', file), 'utf8')) as { spec: { versions: Array<{ schema: { openAPIV3Schema: Schema } }> } };
  const version = crd.spec.versions[0];
  assert.ok(version);
  return version.schema.openAPIV3Schema;
}

/** Paths of lists without maxItems. */
function unboundedLists(s: Schema, path: string): string[] {
  const found = s.type === 'array' && s.maxItems === undefined ? [path] : [];
  if (s.items) found.push(...unboundedLists(s.items, `${path}[]`));
  for (const [name, child] of Object.entries(s.properties ?? {})) found.push(...unboundedLists(child, `${path}.${name}`));
  return found;
}

for (const file of ['vipannouncements.vipannouncer.io.yaml', 'vipannouncers.vipannouncer.io.yaml', 'vipspeakers.vipannouncer.io.yaml']) {
  void test(`${file}: every list has maxItems`, () => {
    assert.deepEqual(unboundedLists(crdSchema(file), ''), []);
  });
}

void test('VipAnnouncement spec.nodes items are DNS-1123 subdomains, as Node names are', () => {
  const nodes = crdSchema('vipannouncements.vipannouncer.io.yaml').properties?.spec?.properties?.nodes;
  const pattern = nodes?.items?.pattern;
  assert.ok(pattern, 'spec.nodes items have no pattern');
  const re = new RegExp(pattern);
  const cases: Array<[string, boolean]> = [
    ['node-1', true],
    ['worker.example.com', true],
    ['10.0.0.1', true],
    ['Node_1', false],
    ['-node', false],
    ['node-', false],
    ['a..b', false],
    ['node 1', false],
  ];
  for (const [name, ok] of cases) assert.equal(re.test(name), ok, name);
});
