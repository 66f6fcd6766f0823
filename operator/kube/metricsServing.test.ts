import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { Server as HttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import { KubeConfig } from '@kubernetes/client-node';
import { startMetricsServer } from '../util/httpServer';
import { createLogger } from '../util/log';
import { selfSignedCert } from '../util/selfSignedCert';
import type { Reviewer } from './metricsAuth';
import { metricsServing, reloadOnChange, servingNames } from './metricsServing';

const log = createLogger({ name: 'test', level: 'error' });
const nobody: Reviewer = { authenticate: () => Promise.resolve(undefined), authorize: () => Promise.resolve({ allowed: false }) };

function servedCN(port: number, ca: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const sock = tls.connect({ host: '127.0.0.1', port, ca }, () => {
      resolve(String(sock.getPeerCertificate().subject.CN));
      sock.end();
    });
    sock.on('error', reject);
  });
}

describe('metricsServing', () => {
  it('secure: HTTPS (self-signed without files) and an access check; insecure: neither', () => {
    const secure = metricsServing({ host: '127.0.0.1', port: 1, secure: true }, new KubeConfig(), log, nobody);
    assert.match(secure.tls?.cert ?? '', /BEGIN CERTIFICATE/);
    assert.equal(typeof secure.access, 'function');
    const open = metricsServing({ host: '127.0.0.1', port: 1, secure: false }, new KubeConfig(), log, nobody);
    assert.equal(open.tls, undefined);
    assert.equal(open.access, undefined);
  });

  it('the self-signed certificate names the host, the Pod IP and a specific bind address', () => {
    const names = servingNames('10.0.0.7', { POD_IP: '10.0.0.7' });
    assert.ok(names.includes('10.0.0.7') && names.includes('localhost'));
    assert.ok(!servingNames('0.0.0.0', {}).includes('0.0.0.0'));
  });

  it('serves certFile/keyFile and re-reads them when they change', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'mauth-unit-'));
    const certFile = path.join(dir, 'tls.crt');
    const keyFile = path.join(dir, 'tls.key');
    const first = selfSignedCert(['first.example', '127.0.0.1']);
    writeFileSync(certFile, first.cert);
    writeFileSync(keyFile, first.key);
    const settings = { host: '127.0.0.1', port: 0, secure: true, certFile, keyFile };
    const server = (await startMetricsServer(metricsServing(settings, new KubeConfig(), log, nobody), log)) as HttpsServer;
    const stop = reloadOnChange(server, settings, log, 20);
    try {
      const port = (server.address() as AddressInfo).port;
      assert.equal(await servedCN(port, first.cert), 'first.example');
      const second = selfSignedCert(['second.example', '127.0.0.1']);
      // Key first, then the certificate, as a Secret update lands: the half-written pair is skipped.
      writeFileSync(keyFile, second.key);
      writeFileSync(certFile, second.cert);
      const deadline = Date.now() + 5_000;
      let cn = '';
      while (Date.now() < deadline && cn !== 'second.example') {
        await new Promise((r) => setTimeout(r, 50));
        cn = await servedCN(port, second.cert).catch(() => '');
      }
      assert.equal(cn, 'second.example');
    } finally {
      stop();
      server.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
