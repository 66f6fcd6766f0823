// /metrics, /healthz and /readyz for probes and Prometheus.
import http from 'node:http';
import { registry } from './metrics';
import type { Log } from './log';

export interface HealthChecks {
  /** Process is alive and its loops run. */
  healthy: () => boolean;
  /** Ready to serve: caches synced and, for the speaker, gobgpd answers. Returns the failing reasons. */
  notReady: () => string[];
}

export function startHttpServer(host: string, port: number, checks: HealthChecks, log: Log): Promise<http.Server> {
  const server = http.createServer((req, res) => {
    const url = req.url ?? '/';
    if (url === '/metrics') {
      registry
        .metrics()
        .then((body) => {
          res.writeHead(200, { 'Content-Type': registry.contentType });
          res.end(body);
        })
        .catch(() => {
          res.writeHead(500);
          res.end();
        });
      return;
    }
    if (url === '/healthz') {
      const ok = checks.healthy();
      res.writeHead(ok ? 200 : 500, { 'Content-Type': 'text/plain' });
      res.end(ok ? 'ok\n' : 'unhealthy\n');
      return;
    }
    if (url === '/readyz') {
      const reasons = checks.notReady();
      res.writeHead(reasons.length === 0 ? 200 : 503, { 'Content-Type': 'text/plain' });
      res.end(reasons.length === 0 ? 'ok\n' : reasons.map((r) => `not ready: ${r}`).join('\n') + '\n');
      return;
    }
    res.writeHead(404);
    res.end();
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      log.info('serving /metrics /healthz /readyz', { address: `${host}:${port}` });
      resolve(server);
    });
  });
}
