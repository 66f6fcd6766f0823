// Supply-chain guard. npm audit has no advisory service reachable from our
// machines, so known-vulnerable versions are kept out by `overrides` in
// package.json, and this test fails if any copy in the installed tree is
// older than the fixed release, or if a second @kubernetes/client-node sneaks in.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { test } from 'node:test';

interface NpmNode {
  version?: string;
  dependencies?: Record<string, NpmNode>;
}

const ROOT = path.resolve(__dirname, '..', '..');

/** Every installed version of every package, from `npm ls --json --all`. */
function installedVersions(): Map<string, Set<string>> {
  const out = execFileSync('npm', ['ls', '--json', '--all', '--long=false'], { cwd: ROOT, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  const tree = JSON.parse(out) as NpmNode;
  const found = new Map<string, Set<string>>();
  const walk = (deps: Record<string, NpmNode> | undefined): void => {
    for (const [name, node] of Object.entries(deps ?? {})) {
      if (node.version) found.set(name, (found.get(name) ?? new Set()).add(node.version));
      walk(node.dependencies);
    }
  };
  walk(tree.dependencies);
  return found;
}

export function versionAtLeast(version: string, min: string): boolean {
  const a = version.split(/[.-]/).slice(0, 3).map(Number);
  const b = min.split('.').map(Number);
  for (let i = 0; i < 3; i++) {
    if ((a[i] ?? 0) !== (b[i] ?? 0)) return (a[i] ?? 0) > (b[i] ?? 0);
  }
  return true;
}

test('versionAtLeast compares numerically', () => {
  assert.equal(versionAtLeast('10.3.0', '10.3.0'), true);
  assert.equal(versionAtLeast('10.10.0', '10.3.0'), true);
  assert.equal(versionAtLeast('7.2.0', '10.3.0'), false);
  assert.equal(versionAtLeast('2.3.3', '2.5.4'), false);
  assert.equal(versionAtLeast('4.1.4', '4.1.3'), true);
});

const versions = installedVersions();

const FIXED: Record<string, string> = {
  'jsonpath-plus': '10.3.0', // critical RCE before 10.3 (pulled by @kubernetes/client-node 0.20)
  'form-data': '2.5.4', // critical: predictable multipart boundary (pulled by request)
  'tough-cookie': '4.1.3', // prototype pollution (pulled by request)
  // request 2.88.2 is unmaintained (SSRF through cross-protocol redirects, CVE-2023-28155, never
  // fixed): an override puts the maintained fork @cypress/request in its place, the only
  // package installed as "request" with versions from 3.0.0 on.
  request: '3.0.0',
  qs: '6.14.1', // arrayLimit bypass (denial of service) fixed in 6.14.1 (pulled by request)
  tar: '7.5.23', // 6.x has path-traversal advisories fixed only in the 7.5 line (pulled by @kubernetes/client-node)
};

for (const [name, min] of Object.entries(FIXED)) {
  test(`every installed ${name} is at least ${min}`, () => {
    const have = [...(versions.get(name) ?? [])];
    assert.ok(have.length > 0, `${name} is not in the tree any more: drop its override and this check`);
    const old = have.filter((v) => !versionAtLeast(v, min));
    assert.deepEqual(old, [], `${name} ${old.join(', ')} is vulnerable; fix package.json overrides`);
  });
}

test('one copy of @kubernetes/client-node, the one the framework works with', () => {
  const have = [...(versions.get('@kubernetes/client-node') ?? [])];
  assert.equal(have.length, 1, `copies: ${have.join(', ')}`);
  assert.match(have[0], /^0\.20\./);
});
