import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describeKubeConfig, loadKubeConfig } from './client';

void test('loadKubeConfig from --kubeconfig, with --context', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vipa-kc-'));
  const file = path.join(dir, 'config');
  fs.writeFileSync(
    file,
    `apiVersion: v1
kind: Config
clusters:
- name: one
  cluster: {server: "https://one.example:6443", insecure-skip-tls-verify: true}
- name: two
  cluster: {server: "https://two.example:6443", insecure-skip-tls-verify: true}
users:
- name: u
  user: {token: secret-token}
contexts:
- name: c1
  context: {cluster: one, user: u}
- name: c2
  context: {cluster: two, user: u}
current-context: c1
`,
  );
  try {
    const kc = loadKubeConfig({ kubeconfig: file, env: {} });
    assert.deepEqual(describeKubeConfig(kc), { server: 'https://one.example:6443', context: 'c1', user: 'u' });
    const kc2 = loadKubeConfig({ kubeconfig: file, context: 'c2', env: {} });
    assert.equal(kc2.getCurrentCluster()?.server, 'https://two.example:6443');
    assert.throws(() => loadKubeConfig({ kubeconfig: file, context: 'c3', env: {} }), /has no context c3/);
    assert.throws(() => loadKubeConfig({ kubeconfig: path.join(dir, 'missing'), env: {} }));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
