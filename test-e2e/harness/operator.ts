// Runs vip-announcer (dist/operator/main.js) as a real process against the lab.
// Each process's PID is recorded in the lab's pids/ folder, so `hack/lab.sh down`
// stops it even if a test dies before its own cleanup.
import { spawn, type ChildProcess } from 'node:child_process';
import https from 'node:https';
import http from 'node:http';
import { createServer, type Server } from 'node:net';
import { mkdirSync, openSync, readFileSync, renameSync, rmSync, writeFileSync, closeSync } from 'node:fs';
import path from 'node:path';
import { dump, load } from 'js-yaml';
import { REPO_ROOT, lab, waitFor, type LabNode } from './lab';
import { metricsReaderToken } from './serviceAccount';

export interface OperatorProcess {
  name: string;
  pid: number;
  logFile: string;
  /** /metrics: HTTPS with a bearer token unless the test configured metrics.secure false. */
  metricsPort: number;
  /** /healthz, /readyz: plain HTTP, no token. */
  healthPort: number;
  /** SIGTERM and wait for exit; returns the exit code. */
  stop(): Promise<number | null>;
  /** SIGKILL (no graceful shutdown) and wait. */
  kill(): Promise<void>;
  signal(sig: NodeJS.Signals): void;
  exited(): boolean;
  log(): string;
  /** Edits the process's configuration file in place, replaced atomically as the kubelet updates a ConfigMap volume. */
  editConfig(change: (doc: Record<string, unknown>) => void): void;
  /** /metrics as a permitted scraper reads it (a token bound to vip-announcer-metrics-reader); throws on anything but 200. */
  metrics(): Promise<string>;
  /** One GET of the metrics listener: `token` undefined sends no Authorization header. */
  scrape(opts?: { token?: string; path?: string }): Promise<{ status: number; body: string }>;
}

/** Ports nothing listens on now: the kernel picks them (port 0), all held at once so they differ. */
async function freePorts(n: number): Promise<number[]> {
  const servers: Server[] = [];
  try {
    for (let i = 0; i < n; i++) {
      const srv = createServer();
      servers.push(srv);
      await new Promise<void>((resolve, reject) => {
        srv.once('error', reject);
        srv.listen(0, '127.0.0.1', () => resolve());
      });
    }
    return servers.map((srv) => {
      const addr = srv.address();
      if (typeof addr !== 'object' || !addr) throw new Error('no free port');
      return addr.port;
    });
  } finally {
    await Promise.all(servers.map((srv) => new Promise((r) => srv.close(r))));
  }
}

/** One GET; TLS is not verified: the operator's certificate is self-signed, made at its start. */
export function httpGet(url: string, headers: Record<string, string> = {}): Promise<{ status: number; body: string }> {
  const mod = url.startsWith('https:') ? https : http;
  return new Promise((resolve, reject) => {
    const req = mod.request(url, { headers, rejectUnauthorized: false, timeout: 15_000 }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`GET ${url}: no answer within 15s`)));
    req.on('error', reject);
    req.end();
  });
}

export interface OperatorOptions {
  kubeconfig?: string;
  env?: Record<string, string>;
  /** Extra node flags before the script, e.g. --cpu-prof (not allowed in NODE_OPTIONS). */
  nodeArgs?: string[];
  /** Merged into the metrics section (certFile/keyFile; secure: false only where a test is not about access). */
  metrics?: Record<string, unknown>;
}

export async function startOperator(
  name: string,
  role: 'controller' | 'speaker' | 'all',
  config: Record<string, unknown>,
  opts: OperatorOptions = {},
): Promise<OperatorProcess> {
  const [metricsPort, healthPort] = await freePorts(2);
  return spawnOperator(name, role, config, opts, { metrics: metricsPort, health: healthPort });
}

function spawnOperator(
  name: string,
  role: 'controller' | 'speaker' | 'all',
  config: Record<string, unknown>,
  opts: OperatorOptions,
  ports: { metrics: number; health: number },
): OperatorProcess {
  const l = lab();
  const dir = path.join(l.dir, 'e2e');
  mkdirSync(dir, { recursive: true });
  mkdirSync(path.join(l.dir, 'pids'), { recursive: true });
  const configFile = path.join(dir, `${name}.yaml`);
  const metricsPort = ports.metrics;
  const metricsSection: Record<string, unknown> = { bindAddress: `127.0.0.1:${metricsPort}`, ...opts.metrics };
  const scheme = metricsSection.secure === false ? 'http' : 'https';
  writeFileSync(configFile, dump({ ...config, metrics: metricsSection, health: { bindAddress: `127.0.0.1:${ports.health}` } }));
  const logFile = path.join(l.dir, 'logs', `${name}.log`);
  const fd = openSync(logFile, 'a');
  const child: ChildProcess = spawn(
    process.execPath,
    [...(opts.nodeArgs ?? []), path.join(REPO_ROOT, 'dist', 'operator', 'main.js'), role, '--kubeconfig', opts.kubeconfig ?? l.kubeconfig, '--config', configFile],
    { stdio: ['ignore', fd, fd], env: { ...process.env, LOG_FORMAT: 'json', LOG_LEVEL: 'debug', ...opts.env } },
  );
  closeSync(fd);
  const pid = child.pid;
  if (pid === undefined) throw new Error(`could not start ${name}`);
  const pidFile = path.join(l.dir, 'pids', `${name}.pid`);
  writeFileSync(pidFile, String(pid));
  const exeFile = path.join(l.dir, 'pids', `${name}.exe`);
  writeFileSync(exeFile, path.join(REPO_ROOT, 'dist', 'operator', 'main.js'));
  let exitCode: number | null | undefined;
  const exitedP = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => {
      exitCode = code;
      rmSync(pidFile, { force: true });
      rmSync(exeFile, { force: true });
      resolve(code);
    }),
  );
  const proc: OperatorProcess = {
    name,
    pid,
    logFile,
    metricsPort,
    healthPort: ports.health,
    async stop() {
      if (exitCode === undefined) child.kill('SIGTERM');
      return exitedP;
    },
    async kill() {
      if (exitCode === undefined) child.kill('SIGKILL');
      await exitedP;
    },
    signal(sig) {
      if (exitCode === undefined) child.kill(sig);
    },
    exited: () => exitCode !== undefined,
    log: () => readFileSync(logFile, 'utf8'),
    editConfig(change) {
      const doc = load(readFileSync(configFile, 'utf8')) as Record<string, unknown>;
      change(doc);
      writeFileSync(`${configFile}.new`, dump(doc));
      renameSync(`${configFile}.new`, configFile);
    },
    async metrics() {
      const res = await proc.scrape({ token: scheme === 'https' ? await metricsReaderToken() : undefined });
      if (res.status !== 200) throw new Error(`${name}: GET /metrics answered ${res.status}: ${res.body.slice(0, 200)}`);
      return res.body;
    },
    scrape(o = {}) {
      return httpGet(`${scheme}://127.0.0.1:${metricsPort}${o.path ?? '/metrics'}`, o.token === undefined ? {} : { authorization: `Bearer ${o.token}` });
    },
  };
  return proc;
}

/** Waits until the process answers /readyz with 200. */
export async function waitReady(p: OperatorProcess, timeoutMs = 60_000): Promise<void> {
  await waitFor(`${p.name} to be ready`, async () => {
    if (p.exited()) throw new Error(`${p.name} exited:\n${p.log().slice(-3000)}`);
    const res = await fetch(`http://127.0.0.1:${p.healthPort}/readyz`);
    return res.status === 200;
  }, { timeoutMs });
}

/** The value of a metric line (first match of name + label subset), or undefined. */
export function metricValue(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of text.split('\n')) {
    if (!line.startsWith(name)) continue;
    const m = /^([a-z_:]+)(\{[^}]*\})? (.+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const ls = m[2] ?? '';
    if (Object.entries(labels).every(([k, v]) => ls.includes(`${k}="${v}"`))) return Number(m[3]);
  }
  return undefined;
}

export function controllerConfig(extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    controller: {
      loadBalancerClasses: [''],
      resyncPeriod: '5m',
      leaderElection: { enabled: false },
      ...extra,
    },
  };
}

/**
 * The speaker's speaker.gobgp.api in the e2e runs: E2E_GOBGP_API when set (hack/e2e.sh runs
 * the speaker suite on GoBGP v3 with "auto"), else the API of the lab's gobgpd.
 */
export function e2eGobgpApi(): string {
  return process.env.E2E_GOBGP_API ?? lab().gobgp.api;
}

/** One lab node's speaker configuration: iBGP to BIRD, IPv4 and IPv6, quick timers. */
export function speakerConfig(node: LabNode, extra: Record<string, unknown> = {}): Record<string, unknown> {
  const l = lab();
  const octet = node.address.split('.')[3];
  return {
    speaker: {
      nodeName: node.name,
      asn: l.nodeAsn,
      routerId: node.address,
      listenPort: l.bgpPort,
      listenAddresses: [node.address],
      gobgp: { target: node.gobgpTarget, api: e2eGobgpApi() },
      nextHop: { ipv6: `fd00:0:0:ff::${octet}` },
      withdrawOnShutdown: true,
      driftCheckPeriod: '3s',
      peers: [{
        address: l.routerAddress, asn: l.routerAsn, port: l.bgpPort, localAddress: node.address,
        holdTime: '9s', connectRetry: '1s', families: ['ipv4-unicast', 'ipv6-unicast'],
      }],
      ...extra,
    },
  };
}
