// One authenticated HTTP request to the API server.
//
// Uses node:http(s) with the options a KubeConnection fills in (client-node 0.20's KubeConfig,
// or the lean ./connection.ts): CA / client cert / key, rejectUnauthorized for
// insecure-skip-tls-verify, tls-server-name, basic auth, and the Authorization header from a
// token, a token file, or exec or auth-provider plugins, refreshed on every call. This gives
// exact control of Content-Type (apply-patch, merge-patch), an AbortSignal, a timeout and
// typed errors with the HTTP status.

import * as http from 'node:http';
import * as https from 'node:https';
import type { KubeConnection } from './connection';
import { isRecord } from '../util/records';

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
export type QueryValue = string | number | boolean | undefined;

export interface KubeRequestOptions {
  method: HttpMethod;
  /** Path below the cluster's server URL, e.g. /api/v1/namespaces/default/services. */
  path: string;
  query?: Record<string, QueryValue>;
  /** Sent as JSON (a JSON document is valid YAML, so also for application/apply-patch+yaml). */
  body?: unknown;
  /** Default application/json when a body is given. */
  contentType?: string;
  signal?: AbortSignal;
  /** Abort when no byte moved for this long (default 60 s). */
  timeoutMs?: number;
}

/** metav1.Status, as far as we read it. */
export interface KubeStatus {
  kind?: string;
  status?: string;
  message?: string;
  reason?: string;
  code?: number;
  details?: { retryAfterSeconds?: number; causes?: { reason?: string; message?: string; field?: string }[] };
}

/**
 * A failed request. statusCode is the HTTP status (404, 409, 410, 422, ...), or 0 when no
 * response arrived (connection refused, reset, timeout, abort); `reason` is the Status reason
 * (NotFound, AlreadyExists, Conflict, Expired, Invalid, ...) or the network error code.
 */
export class KubeApiError extends Error {
  override readonly name = 'KubeApiError';
  constructor(
    readonly statusCode: number,
    readonly reason: string,
    message: string,
    readonly method: string,
    readonly path: string,
    readonly status?: KubeStatus,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }

  get retryAfterSeconds(): number | undefined {
    return this.status?.details?.retryAfterSeconds;
  }
}

export function isKubeApiError(err: unknown): err is KubeApiError {
  return err instanceof KubeApiError;
}
export const isNotFound = (err: unknown): boolean => isKubeApiError(err) && err.statusCode === 404;
/** 409: AlreadyExists on create, Conflict on a stale resourceVersion / uid precondition / apply conflict. */
export const isConflict = (err: unknown): boolean => isKubeApiError(err) && err.statusCode === 409;
export const isAlreadyExists = (err: unknown): boolean =>
  isKubeApiError(err) && err.statusCode === 409 && err.reason === 'AlreadyExists';
export const isGone = (err: unknown): boolean => isKubeApiError(err) && err.statusCode === 410;
export const isInvalid = (err: unknown): boolean => isKubeApiError(err) && err.statusCode === 422;
/** No HTTP answer at all (refused, reset, DNS, timeout). */
export const isNetworkError = (err: unknown): boolean => isKubeApiError(err) && err.statusCode === 0;

/** Read a metav1.Status out of a parsed body, if it is one. */
export function asStatus(v: unknown): KubeStatus | undefined {
  if (!isRecord(v) || v.kind !== 'Status') return undefined;
  const s: KubeStatus = { kind: 'Status' };
  if (typeof v.status === 'string') s.status = v.status;
  if (typeof v.message === 'string') s.message = v.message;
  if (typeof v.reason === 'string') s.reason = v.reason;
  if (typeof v.code === 'number') s.code = v.code;
  if (isRecord(v.details)) {
    const d = v.details;
    s.details = {};
    if (typeof d.retryAfterSeconds === 'number') s.details.retryAfterSeconds = d.retryAfterSeconds;
    if (Array.isArray(d.causes)) {
      s.details.causes = d.causes.filter(isRecord).map((c) => ({
        reason: typeof c.reason === 'string' ? c.reason : undefined,
        message: typeof c.message === 'string' ? c.message : undefined,
        field: typeof c.field === 'string' ? c.field : undefined,
      }));
    }
  }
  return s;
}

const DEFAULT_REASONS: Record<number, string> = {
  400: 'BadRequest',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'NotFound',
  405: 'MethodNotAllowed',
  409: 'Conflict',
  410: 'Expired',
  415: 'UnsupportedMediaType',
  422: 'Invalid',
  429: 'TooManyRequests',
  500: 'InternalError',
  503: 'ServiceUnavailable',
  504: 'Timeout',
};

export function buildUrl(server: string, path: string, query?: Record<string, QueryValue>): URL {
  const url = new URL(server.replace(/\/+$/, '') + path);
  for (const [k, v] of Object.entries(query ?? {})) {
    if (v !== undefined && v !== '') url.searchParams.set(k, String(v));
  }
  return url;
}

/**
 * What applyToHTTPSOptions produces (CA, client certificate and key, auth header), cached
 * briefly per connection: both re-read the certificate files on every call, which
 * cost more CPU than the request itself under load. Short enough that a rotated token file
 * is picked up within seconds; a 401 drops the entry at once.
 */
const AUTH_TTL_MS = 10_000;
const authCache = new WeakMap<KubeConnection, { at: number; opts: https.RequestOptions }>();

async function authOptions(kc: KubeConnection, method: string, path: string): Promise<https.RequestOptions> {
  const hit = authCache.get(kc);
  if (hit && Date.now() - hit.at < AUTH_TTL_MS) return hit.opts;
  const opts: https.RequestOptions = { headers: {} };
  try {
    await kc.applyToHTTPSOptions(opts);
  } catch (err) {
    throw new KubeApiError(0, 'AuthError', `kubeconfig authentication failed: ${String(err)}`, method, path, undefined, { cause: err });
  }
  authCache.set(kc, { at: Date.now(), opts });
  return opts;
}

/**
 * One keep-alive agent per protocol, with idle connections kept for a minute: node's global
 * agent drops them after 5 s, and every new TLS connection costs a fresh SecureContext (the
 * most expensive step of a request from a busy speaker or controller).
 */
const agents = {
  http: new http.Agent({ keepAlive: true, timeout: 60_000, maxFreeSockets: 64, scheduling: 'lifo' }),
  https: new https.Agent({ keepAlive: true, timeout: 60_000, maxFreeSockets: 64, scheduling: 'lifo' }),
};

interface Prepared {
  url: URL;
  mod: typeof http | typeof https;
  reqOpts: https.RequestOptions;
  payload: Buffer | undefined;
  method: HttpMethod;
  path: string;
  what: string;
}

async function prepare(kc: KubeConnection, opts: { method: HttpMethod; path: string; query?: Record<string, QueryValue>; body?: unknown; contentType?: string }): Promise<Prepared> {
  const cluster = kc.getCurrentCluster();
  if (!cluster) throw new KubeApiError(0, 'NoCluster', 'kubeconfig has no current cluster', opts.method, opts.path);
  const url = buildUrl(cluster.server, opts.path, opts.query);
  const payload = opts.body === undefined ? undefined : Buffer.from(JSON.stringify(opts.body));
  const auth = await authOptions(kc, opts.method, opts.path);
  const authHeaders: http.OutgoingHttpHeaders = auth.headers && !Array.isArray(auth.headers) ? (auth.headers as http.OutgoingHttpHeaders) : {};
  const headers: http.OutgoingHttpHeaders = { ...authHeaders, Accept: 'application/json' };
  if (payload) {
    headers['Content-Type'] = opts.contentType ?? 'application/json';
    headers['Content-Length'] = payload.length;
  }
  const tls = url.protocol === 'https:';
  return {
    url,
    mod: tls ? https : http,
    // A proxy agent set by the kubeconfig wins.
    reqOpts: { agent: tls ? agents.https : agents.http, ...auth, method: opts.method, headers },
    payload,
    method: opts.method,
    path: opts.path,
    what: `${opts.method} ${opts.path}`,
  };
}

function networkError(err: unknown, p: Prepared): KubeApiError {
  const code = isRecord(err) && typeof err.code === 'string' ? err.code : 'NetworkError';
  const msg = err instanceof Error ? err.message : String(err);
  return new KubeApiError(0, code, `${p.what}: ${msg}`, p.method, p.path, undefined, { cause: err });
}

function httpError(kc: KubeConnection, status: number, statusMessage: string | undefined, text: string, p: Prepared): KubeApiError {
  if (status === 401) authCache.delete(kc);
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // not JSON: keep the text
  }
  const st = asStatus(body);
  const reason = st?.reason || DEFAULT_REASONS[status] || `Http${status}`;
  const message = st?.message ?? (typeof body === 'string' && body ? body.slice(0, 500) : statusMessage ?? '');
  return new KubeApiError(status, reason, `${p.what}: ${status} ${reason}: ${message}`, p.method, p.path, st);
}

/** Perform one request; resolve with the parsed JSON body (undefined when empty), reject with KubeApiError. */
export async function kubeRequest(kc: KubeConnection, opts: KubeRequestOptions): Promise<unknown> {
  const p = await prepare(kc, opts);
  const timeoutMs = Math.max(1, Math.ceil(opts.timeoutMs ?? 60_000));

  return new Promise<unknown>((resolve, reject) => {
    const fail = (err: unknown): void => reject(networkError(err, p));
    let req: http.ClientRequest;
    try {
      req = p.mod.request(p.url, { ...p.reqOpts, signal: opts.signal }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', fail);
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          const status = res.statusCode ?? 0;
          if (status >= 200 && status < 300) {
            if (text.length === 0) {
              resolve(undefined);
              return;
            }
            try {
              resolve(JSON.parse(text));
            } catch {
              resolve(text);
            }
            return;
          }
          reject(httpError(kc, status, res.statusMessage, text, p));
        });
      });
    } catch (err) {
      fail(err);
      return;
    }
    req.setTimeout(timeoutMs, () => req.destroy(Object.assign(new Error(`no response within ${timeoutMs} ms`), { code: 'ETIMEDOUT' })));
    req.on('error', fail);
    req.end(p.payload);
  });
}

export interface KubeStreamOptions {
  path: string;
  query?: Record<string, QueryValue>;
  signal: AbortSignal;
  /** The server answered 200 and the stream began. */
  onResponse?: () => void;
  /** One line of the body (a watch event's JSON), without its newline. */
  onLine: (line: string) => void;
}

/**
 * A streaming GET (a watch): calls onLine for every newline-terminated line. Resolves
 * when the server ends the stream, rejects with KubeApiError on an HTTP error or a broken
 * connection; an abort through `signal` resolves quietly.
 */
export async function kubeStream(kc: KubeConnection, opts: KubeStreamOptions): Promise<void> {
  const p = await prepare(kc, { method: 'GET', path: opts.path, query: opts.query });
  return new Promise<void>((resolve, reject) => {
    const fail = (err: unknown): void => {
      if (opts.signal.aborted) resolve();
      else reject(networkError(err, p));
    };
    let req: http.ClientRequest;
    try {
      req = p.mod.request(p.url, { ...p.reqOpts, signal: opts.signal }, (res) => {
        const status = res.statusCode ?? 0;
        res.on('error', fail);
        if (status !== 200) {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => reject(httpError(kc, status, res.statusMessage, Buffer.concat(chunks).toString('utf8'), p)));
          return;
        }
        opts.onResponse?.();
        res.setEncoding('utf8');
        let rest = '';
        res.on('data', (chunk: string) => {
          // One pass over the chunk; only the unfinished tail is kept.
          const text = rest + chunk;
          let start = 0;
          for (let nl = text.indexOf('\n'); nl >= 0; nl = text.indexOf('\n', start)) {
            const line = text.slice(start, nl);
            if (line.trim().length > 0) opts.onLine(line);
            start = nl + 1;
          }
          rest = text.slice(start);
        });
        res.on('end', () => {
          if (rest.trim().length > 0) opts.onLine(rest);
          resolve();
        });
      });
    } catch (err) {
      fail(err);
      return;
    }
    req.on('error', fail);
    req.end();
  });
}
