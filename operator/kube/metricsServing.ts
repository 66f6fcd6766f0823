// How a process serves /metrics, from its `metrics` settings: HTTPS with the configured key
// pair (re-read when the files change, e.g. renewed by cert-manager) or a self-signed one
// made at start, and every request authenticated and authorized through the API server.
// `secure: false` serves plain HTTP to anyone, for a lab or a debugging session only.
import { readFileSync, unwatchFile, watchFile } from 'node:fs';
import type { Server as HttpsServer } from 'node:https';
import os from 'node:os';
import type { KubeConnection } from './connection';
import type { MetricsServing } from '../util/httpServer';
import type { Log } from '../util/log';
import { errorFields } from '../util/log';
import { selfSignedCert } from '../util/selfSignedCert';
import { metricsAuthorizer, type Reviewer } from './metricsAuth';
import { apiReviewer } from './tokenReviewer';

export interface MetricsSettings {
  host: string;
  port: number;
  secure: boolean;
  certFile?: string;
  keyFile?: string;
}

/** How often certFile/keyFile are checked for a change. */
const CERT_POLL_MS = 60_000;

/** Names the self-signed certificate is for: the host name, the Pod IP and the bind address. */
export function servingNames(host: string, env: NodeJS.ProcessEnv = process.env): string[] {
  const unspecified = host === '' || host === '0.0.0.0' || host === '::';
  return [os.hostname(), 'localhost', env.POD_IP ?? '', unspecified ? '' : host].filter((n) => n !== '');
}

export function metricsServing(settings: MetricsSettings, kc: KubeConnection, log: Log, reviewer: Reviewer = apiReviewer(kc)): MetricsServing {
  const { host, port } = settings;
  if (!settings.secure) {
    log.warn('INSECURE: /metrics is served over plain HTTP to anyone who can reach it (metrics.secure: false); use this only in a lab or for debugging', { address: `${host}:${port}` });
    return { host, port };
  }
  const tls = settings.certFile && settings.keyFile ? readKeyPair(settings.certFile, settings.keyFile) : selfSignedCert(servingNames(host));
  if (!settings.certFile) log.info('/metrics uses a self-signed certificate made at start (set metrics.certFile and metrics.keyFile for a real one)');
  return { host, port, tls, access: metricsAuthorizer(reviewer) };
}

function readKeyPair(certFile: string, keyFile: string): { cert: string; key: string } {
  return { cert: readFileSync(certFile, 'utf8'), key: readFileSync(keyFile, 'utf8') };
}

/** Re-reads the key pair when either file changes; returns the stop function. */
export function reloadOnChange(server: HttpsServer, settings: MetricsSettings, log: Log, pollMs = CERT_POLL_MS): () => void {
  const { certFile, keyFile } = settings;
  if (!settings.secure || !certFile || !keyFile) return () => undefined;
  const reload = (): void => {
    try {
      server.setSecureContext({ ...readKeyPair(certFile, keyFile), minVersion: 'TLSv1.2' });
      log.info('/metrics certificate reloaded', { certFile });
    } catch (err) {
      // A half-written pair (cert renewed, key not yet): keep the old one, the next change retries.
      log.warn('/metrics certificate not reloaded; keeping the previous one', { certFile, ...errorFields(err) });
    }
  };
  for (const f of [certFile, keyFile]) watchFile(f, { interval: pollMs, persistent: false }, reload);
  return () => {
    for (const f of [certFile, keyFile]) unwatchFile(f, reload);
  };
}
