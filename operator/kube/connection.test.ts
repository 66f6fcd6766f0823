import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import type * as https from 'node:https';
import * as os from 'node:os';
import * as path from 'node:path';
import { kubeConfigSource, leanKubeConnection, type KubeConnection } from './connection';

void test('kubeConfigSource: explicit file, else in-cluster, else default', () => {
  const inCluster = { KUBERNETES_SERVICE_HOST: '10.0.0.1', KUBERNETES_SERVICE_PORT: '443' };
  const cases: { opts: Parameters<typeof kubeConfigSource>[0]; token: boolean; want: string }[] = [
    { opts: { kubeconfig: '/x', env: inCluster }, token: true, want: 'file' },
    { opts: { kubeconfig: '/y', env: {} }, token: false, want: 'file' },
    { opts: { env: inCluster }, token: true, want: 'in-cluster' },
    { opts: { env: inCluster }, token: false, want: 'default' },
    { opts: { env: {} }, token: true, want: 'default' },
  ];
  for (const c of cases) assert.equal(kubeConfigSource(c.opts, c.token).source, c.want, JSON.stringify(c));
  assert.equal(kubeConfigSource({ kubeconfig: '/z' }, false).path, '/z');
});

function withDir(fn: (dir: string) => Promise<void> | void): Promise<void> | void {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vipa-conn-'));
  const done = (): void => fs.rmSync(dir, { recursive: true, force: true });
  try {
    const r = fn(dir);
    if (r instanceof Promise) return r.finally(done);
    done();
  } catch (err) {
    done();
    throw err;
  }
}

function kubeconfig(clusters: string, users: string, contexts = '- name: c1\n  context: {cluster: one, user: u}', current = 'c1'): string {
  return `apiVersion: v1\nkind: Config\nclusters:\n${clusters}\nusers:\n${users}\ncontexts:\n${contexts}\ncurrent-context: ${current}\n`;
}

/** The options a connection fills in, TLS material as text. */
async function applied(conn: KubeConnection): Promise<https.RequestOptions & { text: Record<'ca' | 'cert' | 'key', string | undefined> }> {
  const opts: https.RequestOptions = {};
  await conn.applyToHTTPSOptions(opts);
  const text = (v: unknown): string | undefined => (Buffer.isBuffer(v) ? v.toString('utf8') : undefined);
  return { ...opts, text: { ca: text(opts.ca), cert: text(opts.cert), key: text(opts.key) } };
}

function lean(opts: Parameters<typeof leanKubeConnection>[0]): KubeConnection {
  const r = leanKubeConnection(opts);
  if (r.kind !== 'lean') throw new Error(`expected a lean connection: ${r.reason}`);
  return r.connection;
}

void test('a file with client certificate paths relative to the kubeconfig, and a CA, is read without client-node', () =>
  withDir(async (dir) => {
    fs.mkdirSync(path.join(dir, 'pki'));
    for (const f of ['ca.crt', 'me.crt', 'me.key']) fs.writeFileSync(path.join(dir, 'pki', f), `${f}-bytes`);
    const file = path.join(dir, 'config');
    fs.writeFileSync(file, kubeconfig('- name: one\n  cluster: {server: "https://127.0.0.1:6443", certificate-authority: pki/ca.crt}', '- name: u\n  user: {client-certificate: pki/me.crt, client-key: pki/me.key}'));
    const r = leanKubeConnection({ kubeconfig: file, env: {} });
    assert.equal(r.kind, 'lean');
    if (r.kind !== 'lean') return;
    assert.deepEqual(r.facts, { server: 'https://127.0.0.1:6443', context: 'c1', user: 'u' });
    assert.equal(r.connection.getCurrentCluster()?.server, 'https://127.0.0.1:6443');
    const o = await applied(r.connection);
    assert.deepEqual(o.text, { ca: 'ca.crt-bytes', cert: 'me.crt-bytes', key: 'me.key-bytes' });
    assert.equal(o.rejectUnauthorized, undefined);
    // A rotated certificate is read again on the next request.
    fs.writeFileSync(path.join(dir, 'pki', 'me.crt'), 'rotated');
    assert.equal((await applied(r.connection)).text.cert, 'rotated');
  }));

void test('inline data, a token, insecure-skip-tls-verify, tls-server-name and --context', () =>
  withDir(async (dir) => {
    const file = path.join(dir, 'config');
    const b64 = (s: string): string => Buffer.from(s).toString('base64');
    fs.writeFileSync(
      file,
      kubeconfig(
        `- name: one\n  cluster: {server: "https://one:6443", certificate-authority-data: ${b64('CA')}, certificate-authority: /nonexistent}\n- name: two\n  cluster: {server: "https://two:6443", insecure-skip-tls-verify: true, tls-server-name: api.two}`,
        `- name: u\n  user: {token: secret-token}\n- name: w\n  user: {client-certificate-data: ${b64('CERT')}, client-key-data: ${b64('KEY')}}`,
        '- name: c1\n  context: {cluster: one, user: u}\n- name: c2\n  context: {cluster: two, user: w}',
      ),
    );
    const one = await applied(lean({ kubeconfig: file, env: {} }));
    assert.equal(one.text.ca, 'CA', '-data wins over the path');
    assert.deepEqual(one.headers, { Authorization: 'Bearer secret-token' });
    const two = lean({ kubeconfig: file, context: 'c2', env: {} });
    assert.equal(two.getCurrentCluster()?.server, 'https://two:6443');
    const o = await applied(two);
    assert.deepEqual([o.rejectUnauthorized, o.servername, o.text.cert, o.text.key], [false, 'api.two', 'CERT', 'KEY']);
    assert.equal((o.headers as Record<string, string>).Authorization, undefined);
    assert.throws(() => leanKubeConnection({ kubeconfig: file, context: 'c3', env: {} }), /has no context c3/);
  }));

void test('a token file is read again on every use (bound service-account tokens rotate)', () =>
  withDir(async (dir) => {
    fs.writeFileSync(path.join(dir, 'tok'), 'first\n');
    const file = path.join(dir, 'config');
    fs.writeFileSync(file, kubeconfig('- name: one\n  cluster: {server: "https://one:6443"}', '- name: u\n  user: {tokenFile: tok}'));
    const conn = lean({ kubeconfig: file, env: {} });
    assert.deepEqual((await applied(conn)).headers, { Authorization: 'Bearer first' });
    fs.writeFileSync(path.join(dir, 'tok'), 'second\n');
    assert.deepEqual((await applied(conn)).headers, { Authorization: 'Bearer second' });
  }));

void test('plugins, proxies, impersonation and merged KUBECONFIG lists are left to client-node, with the reason', () =>
  withDir((dir) => {
    const cases: [string, string, RegExp][] = [
      ['- name: one\n  cluster: {server: "https://one:6443"}', '- name: u\n  user: {exec: {command: aws}}', /exec/],
      ['- name: one\n  cluster: {server: "https://one:6443"}', '- name: u\n  user: {auth-provider: {name: oidc}}', /auth-provider/],
      ['- name: one\n  cluster: {server: "https://one:6443"}', '- name: u\n  user: {token: t, as: admin}', /\bas\b/],
      ['- name: one\n  cluster: {server: "https://one:6443", proxy-url: "http://proxy:3128"}', '- name: u\n  user: {token: t}', /proxy-url/],
    ];
    for (const [i, [clusters, users, why]] of cases.entries()) {
      const file = path.join(dir, `config-${i}`);
      fs.writeFileSync(file, kubeconfig(clusters, users));
      const r = leanKubeConnection({ kubeconfig: file, env: {} });
      assert.equal(r.kind, 'needs-client-node');
      if (r.kind === 'needs-client-node') assert.match(r.reason, why);
    }
    const merged = leanKubeConnection({ env: { KUBECONFIG: [path.join(dir, 'a'), path.join(dir, 'b')].join(path.delimiter) } });
    assert.deepEqual(merged.kind, 'needs-client-node');
  }));

void test('a kubeconfig that names a missing cluster, or is no mapping, is an error naming the file', () =>
  withDir((dir) => {
    const file = path.join(dir, 'config');
    fs.writeFileSync(file, kubeconfig('- name: other\n  cluster: {server: "https://x:1"}', '- name: u\n  user: {token: t}'));
    assert.throws(() => leanKubeConnection({ kubeconfig: file, env: {} }), (err: Error) => err.message === `kubeconfig (file ${file}): context c1 names cluster one, which clusters does not hold`);
    fs.writeFileSync(file, kubeconfig('- name: one\n  cluster: {certificate-authority: ca.crt}', '- name: u\n  user: {token: t}'));
    assert.throws(() => leanKubeConnection({ kubeconfig: file, env: {} }), /cluster one has no server/);
    fs.writeFileSync(file, '- just\n- a list\n');
    assert.throws(() => leanKubeConnection({ kubeconfig: file, env: {} }), /is not a YAML mapping/);
    assert.throws(() => leanKubeConnection({ kubeconfig: path.join(dir, 'missing'), env: {} }), /ENOENT/);
    // $KUBECONFIG with one file is read without client-node.
    fs.writeFileSync(file, kubeconfig('- name: one\n  cluster: {server: "https://one:6443"}', '- name: u\n  user: {token: t}'));
    assert.equal(leanKubeConnection({ env: { KUBECONFIG: file } }).kind, 'lean');
  }));
