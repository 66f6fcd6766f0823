// Two listeners, as kubebuilder's manager has:
// - metrics (`metrics.bindAddress`): GET /metrics only, over HTTPS, each request checked by
//   an access check (bearer token → TokenReview → SubjectAccessReview, kube/metricsAuth.ts);
//   plain HTTP without a check only when configured `secure: false` (lab and debugging);
// - health probes (`health.bindAddress`): /healthz and /readyz in plain HTTP without
//   authentication, as the kubelet probes; they answer a status code and "ok" or
//   "not ready", never why (why names gobgpd, peers or nodes: that goes to the log).
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { registry } from './metrics';
import type { Log } from './log';
import { errorFields } from './log';

export interface HealthChecks {
  /** Process is alive and its loops run. */
  healthy: () => boolean;
  /** Ready to serve: caches synced and, for the speaker, gobgpd answers. Returns the failing reasons. */
  notReady: () => string[];
}

/** The decision on one request to /metrics (kube/metricsAuth.ts Decision fits it). */
export type AccessDecision =
  | { status: 200; user: string }
  | { status: 401; reason: string }
  | { status: 403; user: string; reason: string }
  | { status: 429; reason: string }
  | { status: 503; reason: string; error: unknown };

export type AccessCheck = (authorization: string | undefined, path: string) => Promise<AccessDecision>;

export interface MetricsServing {
  host: string;
  port: number;
  /** HTTPS with this key pair; absent: plain HTTP. */
  tls?: { cert: string; key: string };
  /** Absent: everyone may read /metrics (only with secure: false). */
  access?: AccessCheck;
}

export const METRICS_PATH = '/metrics';

const ANSWERS: Record<number, string> = { 401: 'Unauthorized\n', 403: 'Forbidden\n', 404: 'Not Found\n', 405: 'Method Not Allowed\n', 429: 'Too Many Requests\n', 500: 'Internal Server Error\n', 503: 'Service Unavailable\n' };

function answer(res: http.ServerResponse, status: number, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8', ...headers });
  res.end(ANSWERS[status] ?? '');
}

function writeMetrics(res: http.ServerResponse, log: Log): void {
  registry
    .metrics()
    .then((body) => {
      res.writeHead(200, { 'Content-Type': registry.contentType });
      res.end(body);
    })
    .catch((err: unknown) => {
      log.warn('could not render /metrics', errorFields(err));
      answer(res, 500);
    });
}

/** Logs a refusal: 401/403 at debug (a misconfigured scraper would fill the log), a failed review as a warning. */
function logDecision(d: AccessDecision, remote: string | undefined, log: Log): void {
  if (d.status === 503) log.warn('could not check a /metrics request; answered 503', { remote, reason: d.reason, ...errorFields(d.error) });
  else if (d.status === 403) log.debug('/metrics refused', { remote, status: d.status, user: d.user, reason: d.reason });
  else if (d.status === 401 || d.status === 429) log.debug('/metrics refused', { remote, status: d.status, reason: d.reason });
}

export function metricsHandler(serving: Pick<MetricsServing, 'access'>, log: Log): http.RequestListener {
  return (req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (path !== METRICS_PATH) return answer(res, 404);
    if (req.method !== 'GET' && req.method !== 'HEAD') return answer(res, 405, { Allow: 'GET, HEAD' });
    const access = serving.access;
    if (!access) return writeMetrics(res, log);
    access(req.headers.authorization, path)
      .then((d) => {
        logDecision(d, req.socket.remoteAddress, log);
        if (d.status === 200) writeMetrics(res, log);
        else if (d.status === 401) answer(res, 401, { 'WWW-Authenticate': 'Bearer realm="vip-announcer metrics"' });
        else answer(res, d.status, d.status === 429 ? { 'Retry-After': '1' } : {});
      })
      .catch((err: unknown) => {
        log.warn('/metrics access check failed', errorFields(err));
        answer(res, 500);
      });
  };
}

export function healthHandler(checks: HealthChecks): http.RequestListener {
  return (req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (path === '/healthz') {
      const ok = checks.healthy();
      res.writeHead(ok ? 200 : 500, { 'Content-Type': 'text/plain' });
      res.end(ok ? 'ok\n' : 'unhealthy\n');
      return;
    }
    if (path === '/readyz') {
      const ready = checks.notReady().length === 0;
      res.writeHead(ready ? 200 : 503, { 'Content-Type': 'text/plain' });
      res.end(ready ? 'ok\n' : 'not ready\n');
      return;
    }
    answer(res, 404);
  };
}

function listen<S extends http.Server>(server: S, host: string, port: number): Promise<S> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve(server);
    });
  });
}

export async function startMetricsServer(serving: MetricsServing, log: Log): Promise<http.Server> {
  const handler = metricsHandler(serving, log);
  const server = serving.tls
    ? https.createServer({ cert: serving.tls.cert, key: serving.tls.key, minVersion: 'TLSv1.2' }, handler)
    : http.createServer(handler);
  await listen(server, serving.host, serving.port);
  const port = (server.address() as AddressInfo | null)?.port ?? serving.port;
  log.info('serving /metrics', { address: `${serving.host}:${port}`, tls: serving.tls !== undefined, authenticated: serving.access !== undefined });
  return server;
}

export async function startHealthServer(host: string, port: number, checks: HealthChecks, log: Log): Promise<http.Server> {
  const server = await listen(http.createServer(healthHandler(checks)), host, port);
  log.info('serving /healthz /readyz', { address: `${host}:${(server.address() as AddressInfo | null)?.port ?? port}` });
  return server;
}
