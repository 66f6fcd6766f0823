// /metrics of the controller and of a speaker, as shipped (metrics.secure true, the default),
// against the lab's real API server: HTTPS only; no token → 401; a token the API server does
// not know → 401; a ServiceAccount's token without the nonResourceURLs grant → 403; with the
// shipped ClusterRole vip-announcer-metrics-reader bound → the metrics. The health port answers
// the kubelet without a token and tells nothing but "ok". The shipped Prometheus identity
// (config/prometheus/scraper_rbac.yaml) reads the metrics with its Secret's token, and a
// configured certificate (metrics.certFile/keyFile) is the one served.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import tls from 'node:tls';
import path from 'node:path';
import { selfSignedCert } from '../operator/util/selfSignedCert';
import { REPO_ROOT, kubectl, kubectlResult, lab, waitFor } from './harness/lab';
import { ensureNamespace, prepareSuite, uniqueNamespace, deleteNamespace } from './harness/kube';
import { controllerConfig, httpGet, speakerConfig, startOperator, waitReady, type OperatorProcess } from './harness/operator';
import {
  METRICS_NOBODY_SA,
  SCRAPER_NAMESPACE,
  canGetMetrics,
  metricsReaderToken,
  serviceAccountToken,
  serviceAccountUser,
} from './harness/serviceAccount';

const NS = uniqueNamespace('e2e-metricsauth');
const SYSTEM_NS = 'vip-announcer';
const NOBODY_BINDING = `e2e-metrics-nobody-${NS}`;

/** The certificate the server presents, verified against `ca` when given. */
function peerCertificate(port: number, ca?: string): Promise<tls.PeerCertificate> {
  return new Promise((resolve, reject) => {
    const sock = tls.connect({ host: '127.0.0.1', port, ...(ca ? { ca, rejectUnauthorized: true } : { rejectUnauthorized: false }) }, () => {
      resolve(sock.getPeerCertificate());
      sock.end();
    });
    sock.on('error', reject);
  });
}

describe('metrics: HTTPS, TokenReview + SubjectAccessReview; health probes that reveal nothing', () => {
  const [n1] = lab().nodes;
  let ctl: OperatorProcess | undefined;
  let spk: OperatorProcess | undefined;
  let reader = '';
  let nobody = '';

  before(async () => {
    await prepareSuite(NS, [n1]);
    reader = await metricsReaderToken();
    nobody = await serviceAccountToken(SCRAPER_NAMESPACE, METRICS_NOBODY_SA);
    kubectlResult(['delete', 'clusterrolebinding', NOBODY_BINDING, '--ignore-not-found']);
    ctl = await startOperator('mauth-ctl', 'controller', controllerConfig());
    spk = await startOperator('mauth-spk', 'speaker', speakerConfig(n1));
    await Promise.all([waitReady(ctl), waitReady(spk)]);
  });

  after(async () => {
    await Promise.all([ctl?.stop(), spk?.stop()]);
    kubectlResult(['delete', 'clusterrolebinding', NOBODY_BINDING, '--ignore-not-found']);
    await deleteNamespace(NS);
  });

  const both = (): OperatorProcess[] => [ctl, spk].filter((p): p is OperatorProcess => p !== undefined);

  it('anonymous and unknown tokens get 401, a token without the grant 403, a permitted one the metrics', async () => {
    for (const p of both()) {
      const anon = await p.scrape();
      assert.equal(anon.status, 401, `${p.name} anonymous`);
      assert.doesNotMatch(anon.body, /vipannouncer_/);
      assert.equal((await p.scrape({ token: 'not-a-token' })).status, 401, `${p.name} unknown token`);
      const refused = await p.scrape({ token: nobody });
      assert.equal(refused.status, 403, `${p.name} token without the grant`);
      assert.doesNotMatch(refused.body, /vipannouncer_/);
      const ok = await p.scrape({ token: reader });
      assert.equal(ok.status, 200, `${p.name} permitted token`);
      assert.match(ok.body, /^vipannouncer_/m);
    }
    assert.match(await (spk as OperatorProcess).metrics(), /^vipannouncer_bgp_session_up\{/m, 'the speaker reports its sessions');
  });

  it('serves TLS only: plain HTTP on the metrics port gets no metrics', async () => {
    for (const p of both()) {
      const plain = await httpGet(`http://127.0.0.1:${p.metricsPort}/metrics`, { authorization: `Bearer ${reader}` }).then(
        (r) => `${r.status} ${r.body.slice(0, 80)}`,
        (err: unknown) => `error ${String(err)}`,
      );
      assert.doesNotMatch(plain, /^200 /, `${p.name} answered plain HTTP: ${plain}`);
      const cert = await peerCertificate(p.metricsPort);
      assert.match(String(cert.subject.O), /self-signed/, `${p.name} presents its self-signed certificate`);
    }
  });

  it('the health port answers without a token, says only "ok", and serves no metrics', async () => {
    for (const p of both()) {
      for (const probe of ['/healthz', '/readyz']) {
        const r = await httpGet(`http://127.0.0.1:${p.healthPort}${probe}`);
        assert.deepEqual(r, { status: 200, body: 'ok\n' }, `${p.name} ${probe}`);
      }
      const m = await httpGet(`http://127.0.0.1:${p.healthPort}/metrics`);
      assert.equal(m.status, 404);
      for (const secret of [n1.name, n1.address, lab().routerAddress]) assert.ok(!m.body.includes(secret));
    }
  });

  it('a grant made later takes effect once the cached denial expires (10 s)', async () => {
    const p = spk as OperatorProcess;
    assert.equal((await p.scrape({ token: nobody })).status, 403);
    await kubectl(['create', 'clusterrolebinding', NOBODY_BINDING, '--clusterrole=vip-announcer-metrics-reader', `--serviceaccount=${SCRAPER_NAMESPACE}:${METRICS_NOBODY_SA}`]);
    await waitFor('the API server to allow it', () => canGetMetrics(serviceAccountUser(SCRAPER_NAMESPACE, METRICS_NOBODY_SA)), { timeoutMs: 20_000 });
    const t0 = Date.now();
    await waitFor('the speaker to let the newly granted token read /metrics', async () => (await p.scrape({ token: nobody })).status === 200, { timeoutMs: 30_000 });
    assert.ok(Date.now() - t0 < 25_000, 'within the denial TTL plus the authorizer cache');
  });

  it("the shipped Prometheus identity (config/prometheus/scraper_rbac.yaml) reads both with its Secret's token", async () => {
    await ensureNamespace(SYSTEM_NS);
    const file = path.join(REPO_ROOT, 'config', 'prometheus', 'scraper_rbac.yaml');
    await kubectl(['apply', '-f', file]);
    try {
      const token = await waitFor('the token controller to fill the scraper Secret', () => {
        const r = kubectlResult(['get', 'secret', 'vip-announcer-metrics-scraper-token', '-n', SYSTEM_NS, '-o', 'jsonpath={.data.token}']);
        return r.status === 0 && r.stdout !== '' ? Buffer.from(r.stdout, 'base64').toString('utf8') : undefined;
      }, { timeoutMs: 30_000 });
      // config/rbac/metrics_reader_role.yaml is what the binding names (applied by metricsReaderToken).
      await waitFor('the scraper to be allowed', () => canGetMetrics(serviceAccountUser(SYSTEM_NS, 'vip-announcer-metrics-scraper')), { timeoutMs: 20_000 });
      for (const p of both()) assert.equal((await p.scrape({ token })).status, 200, `${p.name} as vip-announcer-metrics-scraper`);
    } finally {
      kubectlResult(['delete', '-f', file, '--ignore-not-found', '--wait=false']);
    }
  });

  it('serves the configured certificate (metrics.certFile/keyFile) and still checks tokens', async () => {
    const dir = path.join(lab().dir, 'e2e', 'mauth-tls');
    mkdirSync(dir, { recursive: true });
    const pair = selfSignedCert(['vip-announcer-e2e.example', '127.0.0.1']);
    writeFileSync(path.join(dir, 'tls.crt'), pair.cert);
    writeFileSync(path.join(dir, 'tls.key'), pair.key, { mode: 0o600 });
    const p = await startOperator('mauth-ctl-tls', 'controller', controllerConfig(), {
      metrics: { certFile: path.join(dir, 'tls.crt'), keyFile: path.join(dir, 'tls.key') },
    });
    try {
      await waitReady(p);
      // Verified against the configured certificate as the only trusted CA: it is the one served.
      const cert = await peerCertificate(p.metricsPort, pair.cert);
      assert.equal(cert.subject.CN, 'vip-announcer-e2e.example');
      assert.equal((await p.scrape()).status, 401);
      assert.equal((await p.scrape({ token: reader })).status, 200);
    } finally {
      await p.stop();
    }
  });

  it('made-up tokens cost the API server a bounded number of TokenReviews: past the limits, 429 without asking', async () => {
    const p = ctl as OperatorProcess;
    /** TokenReviews the API server has answered so far (its own request counter). */
    const tokenReviews = async (): Promise<number> => (await kubectl(['get', '--raw', '/metrics'])).split('\n')
      .filter((l) => l.startsWith('apiserver_request_total{') && l.includes('resource="tokenreviews"') && l.includes('verb="POST"'))
      .reduce((sum, l) => sum + Number(l.split(' ').at(-1)), 0);
    const before = await tokenReviews();
    const started = Date.now();
    const answers = await Promise.all(Array.from({ length: 200 }, (_, i) => p.scrape({ token: `made-up-${started}-${i}` })));
    const seconds = (Date.now() - started) / 1000;
    const asked = (await tokenReviews()) - before;
    const count = (status: number): number => answers.filter((a) => a.status === status).length;
    assert.equal(count(401) + count(429), answers.length, `only 401 and 429: ${JSON.stringify(answers.map((a) => a.status))}`);
    assert.ok(count(429) > 0, 'no request was refused for the limits');
    // The burst (10) plus 5 a second, whatever the number of requests (without the cap: 200).
    assert.ok(asked <= 10 + Math.ceil(5 * seconds) + 1, `${asked} TokenReviews for ${answers.length} made-up tokens in ${seconds.toFixed(1)} s`);
    assert.ok(asked >= 1, 'the API server counted no TokenReview at all: the counter is not the one the operator uses');
    // A repeated unknown token is answered from the cache.
    await new Promise((r) => setTimeout(r, 2_000));
    const again = await tokenReviews();
    for (let i = 0; i < 20; i++) assert.equal((await p.scrape({ token: 'the-same-made-up-token' })).status, 401);
    assert.equal((await tokenReviews()) - again, 1, 'one TokenReview for one unknown token asked 20 times');
  });
});
