import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Server } from 'node:http';
import https from 'node:https';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { startHealthServer, startMetricsServer, type AccessCheck } from './httpServer';
import { createLogger } from './log';
import { metrics } from './metrics';
import { selfSignedCert } from './selfSignedCert';

const log = createLogger({ name: 'test', level: 'error' });

interface Reply {
  status: number;
  body: string;
  headers: http.IncomingHttpHeaders;
}

function get(url: string, opts: https.RequestOptions = {}): Promise<Reply> {
  const mod = url.startsWith('https:') ? https : http;
  return new Promise((resolve, reject) => {
    const req = mod.request(url, opts, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8'), headers: res.headers }));
    });
    req.on('error', reject);
    req.end();
  });
}

const port = (s: Server): number => (s.address() as AddressInfo).port;

describe('metrics listener', () => {
  const pair = selfSignedCert(['localhost', '127.0.0.1']);
  const seen: (string | undefined)[] = [];
  // Tokens stand for what the API server would say about them.
  const access: AccessCheck = (authorization) => {
    seen.push(authorization);
    if (authorization === 'Bearer reader') return Promise.resolve({ status: 200, user: 'reader' });
    if (authorization === 'Bearer other') return Promise.resolve({ status: 403, user: 'other', reason: 'no' });
    if (authorization === 'Bearer broken') return Promise.resolve({ status: 503, reason: 'down', error: new Error('down') });
    return Promise.resolve({ status: 401, reason: 'no token' });
  };
  let server: Server;
  let url = '';
  before(async () => {
    metrics.isLeader.set(1);
    server = await startMetricsServer({ host: '127.0.0.1', port: 0, tls: pair, access }, log);
    url = `https://127.0.0.1:${port(server)}`;
  });
  after(() => server.close());
  const as = (token?: string): https.RequestOptions => ({ ca: pair.cert, headers: token ? { authorization: `Bearer ${token}` } : {} });

  it('serves TLS with the given certificate (a client trusting it connects)', async () => {
    assert.equal((await get(`${url}/metrics`, as('reader'))).status, 200);
    await assert.rejects(get(`${url}/metrics`, { headers: { authorization: 'Bearer reader' } }), /self.signed|unable to verify/i);
  });

  it('401 anonymous (with a Bearer challenge), 403 refused, 503 when the review fails, 200 with the metrics', async () => {
    const anon = await get(`${url}/metrics`, as());
    assert.equal(anon.status, 401);
    assert.match(String(anon.headers['www-authenticate']), /^Bearer /);
    assert.ok(!anon.body.includes('vipannouncer_'));
    const refused = await get(`${url}/metrics`, as('other'));
    assert.equal(refused.status, 403);
    assert.ok(!refused.body.includes('vipannouncer_'));
    assert.equal((await get(`${url}/metrics`, as('broken'))).status, 503);
    const ok = await get(`${url}/metrics`, as('reader'));
    assert.equal(ok.status, 200);
    assert.match(ok.body, /^vipannouncer_leader 1$/m);
  });

  it('serves /metrics only: health and other paths are 404 here, without asking anyone', async () => {
    const before = seen.length;
    for (const p of ['/healthz', '/readyz', '/', '/metricsx']) assert.equal((await get(`${url}${p}`, as('reader'))).status, 404, p);
    assert.equal(seen.length, before);
    assert.equal((await get(`${url}/metrics?x=1`, as('reader'))).status, 200);
  });

  it('plain HTTP without an access check only when configured so', async () => {
    const open = await startMetricsServer({ host: '127.0.0.1', port: 0 }, log);
    try {
      assert.equal((await get(`http://127.0.0.1:${port(open)}/metrics`)).status, 200);
    } finally {
      open.close();
    }
  });
});

describe('health listener', () => {
  let reasons = ['gobgpd not answering at 10.0.0.7', 'caches not synced'];
  let server: Server;
  before(async () => {
    server = await startHealthServer('127.0.0.1', 0, { healthy: () => true, notReady: () => reasons }, log);
  });
  after(() => server.close());

  it('answers probes without a token and says only yes or no', async () => {
    const base = `http://127.0.0.1:${port(server)}`;
    const notReady = await get(`${base}/readyz`);
    assert.equal(notReady.status, 503);
    assert.equal(notReady.body, 'not ready\n');
    reasons = [];
    assert.deepEqual([(await get(`${base}/readyz`)).status, (await get(`${base}/readyz`)).body], [200, 'ok\n']);
    assert.deepEqual([(await get(`${base}/healthz`)).status, (await get(`${base}/healthz`)).body], [200, 'ok\n']);
    assert.equal((await get(`${base}/metrics`)).status, 404, 'no metrics on the probe port');
  });
});
