// What a request needs from "the cluster we talk to": the server URL and, per request, the TLS
// material and Authorization header. client-node's KubeConfig satisfies this interface, and so
// does the lean connection below, which reads the kubeconfig shapes a node agent meets (the
// in-cluster service account, or a file with a token, a token file, client certificates, a CA)
// without loading client-node: that library alone is about 40 MB of a speaker's RSS, on every
// node. A kubeconfig that needs more (exec or auth-provider plugins, a proxy, impersonation,
// several files merged) is left to client-node: `leanKubeConnection` says why, and the caller
// loads it.
import * as fs from 'node:fs';
import type * as https from 'node:https';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { load as loadYaml } from 'js-yaml';
import { isRecord } from '../util/records';

export interface KubeConnection {
  getCurrentCluster(): { readonly server: string } | null;
  /** Fills in CA, client certificate and key, TLS options and the Authorization header. */
  applyToHTTPSOptions(opts: https.RequestOptions): Promise<void>;
}

export const SERVICE_ACCOUNT_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';

export interface KubeConfigOptions {
  /** Path to a kubeconfig file (wins over everything else). */
  kubeconfig?: string;
  /** Context to use instead of the file's current-context. */
  context?: string;
  /** Default process.env. */
  env?: NodeJS.ProcessEnv;
}

export type KubeConfigSource = 'file' | 'in-cluster' | 'default';

/** Which source a process uses: --kubeconfig, else the in-cluster service account, else the default chain (pure). */
export function kubeConfigSource(opts: KubeConfigOptions, tokenFileExists: boolean): { source: KubeConfigSource; path?: string } {
  const file = opts.kubeconfig;
  if (file) return { source: 'file', path: file };
  const env = opts.env ?? {};
  if (env.KUBERNETES_SERVICE_HOST && env.KUBERNETES_SERVICE_PORT && tokenFileExists) return { source: 'in-cluster' };
  return { source: 'default' };
}

/** Bytes given inline (…-data, base64) or as a file read on every use (rotated certificates and tokens). */
type Material = { data: Buffer } | { file: string };

interface LeanParts {
  server: string;
  ca?: Material;
  insecure: boolean;
  tlsServerName?: string;
  cert?: Material;
  key?: Material;
  token?: Material;
  basic?: { username: string; password: string };
}

/** Loggable facts about a connection (no credentials). */
export interface ConnectionFacts {
  server?: string;
  context: string;
  user?: string;
}

export type LeanResult = { kind: 'lean'; connection: KubeConnection; facts: ConnectionFacts } | { kind: 'needs-client-node'; reason: string };

class LeanConnection implements KubeConnection {
  constructor(private readonly parts: LeanParts) {}

  getCurrentCluster(): { server: string } {
    return { server: this.parts.server };
  }

  applyToHTTPSOptions(opts: https.RequestOptions): Promise<void> {
    const p = this.parts;
    if (p.ca) opts.ca = read(p.ca);
    if (p.cert) opts.cert = read(p.cert);
    if (p.key) opts.key = read(p.key);
    if (p.insecure) opts.rejectUnauthorized = false;
    if (p.tlsServerName) opts.servername = p.tlsServerName;
    const headers = (opts.headers ??= {}) as Record<string, string>;
    if (p.token) headers.Authorization = `Bearer ${read(p.token).toString('utf8').trim()}`;
    else if (p.basic) opts.auth = `${p.basic.username}:${p.basic.password}`;
    return Promise.resolve();
  }
}

function read(m: Material): Buffer {
  return 'data' in m ? m.data : fs.readFileSync(m.file);
}

/**
 * The connection without client-node, or why client-node is needed. Throws, naming the file
 * and the field, when the kubeconfig is unreadable or names what it does not hold.
 */
export function leanKubeConnection(opts: KubeConfigOptions = {}): LeanResult {
  const env = opts.env ?? process.env;
  const { source, path: file } = kubeConfigSource({ ...opts, env }, fs.existsSync(path.join(SERVICE_ACCOUNT_DIR, 'token')));
  if (source === 'in-cluster') return inCluster(env);
  const chosen = file !== undefined ? { kind: 'file' as const, file } : defaultFile(env);
  if (chosen.kind === 'needs-client-node') return chosen;
  return fromFile(chosen.file, opts.context);
}

function inCluster(env: NodeJS.ProcessEnv): LeanResult {
  const host = env.KUBERNETES_SERVICE_HOST ?? '';
  const port = env.KUBERNETES_SERVICE_PORT ?? '';
  const scheme = ['80', '8080', '8001'].includes(port) ? 'http' : 'https';
  const server = `${scheme}://${net.isIPv6(host) ? `[${host}]` : host}:${port}`;
  const connection = new LeanConnection({ server, insecure: false, ca: { file: path.join(SERVICE_ACCOUNT_DIR, 'ca.crt') }, token: { file: path.join(SERVICE_ACCOUNT_DIR, 'token') } });
  return { kind: 'lean', connection, facts: { server, context: 'in-cluster', user: 'service account' } };
}

function defaultFile(env: NodeJS.ProcessEnv): { kind: 'file'; file: string } | { kind: 'needs-client-node'; reason: string } {
  const list = env.KUBECONFIG;
  if (list && list.includes(path.delimiter)) return { kind: 'needs-client-node', reason: 'KUBECONFIG names several files (merged by client-node)' };
  if (list) return { kind: 'file', file: list };
  return { kind: 'file', file: path.join(env.HOME ?? os.homedir(), '.kube', 'config') };
}

function named(doc: Record<string, unknown>, list: string, name: string, inner: string): Record<string, unknown> | undefined {
  const items = Array.isArray(doc[list]) ? (doc[list] as unknown[]) : [];
  const found = items.find((i) => isRecord(i) && i.name === name);
  return isRecord(found) && isRecord(found[inner]) ? found[inner] : undefined;
}

function fromFile(file: string, contextName: string | undefined): LeanResult {
  const doc = loadYaml(fs.readFileSync(file, 'utf8'));
  if (!isRecord(doc)) throw new Error(`kubeconfig (file ${file}) is not a YAML mapping`);
  const ctxName = contextName ?? (typeof doc['current-context'] === 'string' ? doc['current-context'] : '');
  const ctx = named(doc, 'contexts', ctxName, 'context');
  if (!ctx) throw new Error(contextName ? `kubeconfig (file ${file}) has no context ${contextName}` : `kubeconfig (file ${file}) has no current cluster`);
  const clusterName = typeof ctx.cluster === 'string' ? ctx.cluster : '';
  const userName = typeof ctx.user === 'string' ? ctx.user : undefined;
  const cluster = named(doc, 'clusters', clusterName, 'cluster');
  if (!cluster) throw new Error(`kubeconfig (file ${file}): context ${ctxName} names cluster ${clusterName}, which clusters does not hold`);
  if (typeof cluster.server !== 'string') throw new Error(`kubeconfig (file ${file}): cluster ${clusterName} has no server`);
  const user = userName === undefined ? {} : (named(doc, 'users', userName, 'user') ?? {});
  const unsupported = ['exec', 'auth-provider', 'as', 'as-groups', 'as-uid', 'impersonate'].filter((k) => k in user);
  if ('proxy-url' in cluster) unsupported.push('cluster proxy-url');
  if (unsupported.length > 0) return { kind: 'needs-client-node', reason: `the user or cluster uses ${unsupported.join(', ')}` };
  const dir = path.dirname(path.resolve(file));
  const parts: LeanParts = {
    server: cluster.server,
    insecure: cluster['insecure-skip-tls-verify'] === true,
    tlsServerName: typeof cluster['tls-server-name'] === 'string' ? cluster['tls-server-name'] : undefined,
    ca: material(cluster, 'certificate-authority', dir),
    cert: material(user, 'client-certificate', dir),
    key: material(user, 'client-key', dir),
    token: typeof user.token === 'string' ? { data: Buffer.from(user.token) } : typeof user.tokenFile === 'string' ? { file: path.resolve(dir, user.tokenFile) } : undefined,
    basic: typeof user.username === 'string' && typeof user.password === 'string' ? { username: user.username, password: user.password } : undefined,
  };
  return { kind: 'lean', connection: new LeanConnection(parts), facts: { server: parts.server, context: ctxName, user: userName } };
}

/** `<field>-data` (base64) wins over `<field>` (a path, relative to the kubeconfig's directory, as kubectl reads it). */
function material(section: Record<string, unknown>, field: string, dir: string): Material | undefined {
  const data = section[`${field}-data`];
  if (typeof data === 'string' && data) return { data: Buffer.from(data, 'base64') };
  const file = section[field];
  return typeof file === 'string' && file ? { file: path.resolve(dir, file) } : undefined;
}
