import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { loadAll } from 'js-yaml';
import { nodeOptionsFor } from './heapFlags';

function managerYaml(): string {
  let dir = __dirname;
  while (!existsSync(join(dir, 'config', 'manager', 'manager.yaml'))) {
    const up = dirname(dir);
    assert.notEqual(up, dir, 'config/manager not found above the test');
    dir = up;
  }
  return readFileSync(join(dir, 'config', 'manager', 'manager.yaml'), 'utf8');
}

void describe('V8 heap flags', () => {
  it('a share of the memory limit for the old generation; no limit, no flag', () => {
    assert.equal(nodeOptionsFor('256Mi'), '--max-old-space-size=153');
    assert.equal(nodeOptionsFor('1Gi'), '--max-old-space-size=614');
    assert.equal(nodeOptionsFor('512M'), '--max-old-space-size=292');
    assert.equal(nodeOptionsFor('0.5Gi'), '--max-old-space-size=307');
    assert.equal(nodeOptionsFor('268435456'), '--max-old-space-size=153');
    assert.equal(nodeOptionsFor('64Mi'), '--max-old-space-size=38');
    assert.equal(nodeOptionsFor('32Mi'), undefined, 'no cap below 32 MiB');
    assert.equal(nodeOptionsFor(undefined), undefined);
    assert.equal(nodeOptionsFor('lots'), undefined);
  });

  it("the controller's Deployment sets the flags its memory limit calls for", () => {
    const docs = loadAll(managerYaml()) as Array<{ kind?: string; spec?: { template?: { spec?: { containers?: Array<{ name: string; env?: { name: string; value?: string }[]; resources?: { limits?: { memory?: string } } }> } } } }>;
    const c = docs.find((d) => d?.kind === 'Deployment')?.spec?.template?.spec?.containers?.find((x) => x.name === 'controller');
    assert.ok(c, 'no controller container in config/manager/manager.yaml');
    assert.equal(c.env?.find((e) => e.name === 'NODE_OPTIONS')?.value, nodeOptionsFor(c.resources?.limits?.memory));
  });
});
