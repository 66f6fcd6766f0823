// A small in-memory stand-in for kube-apiserver, for the plumbing's own tests only (the project's
// integration tests use the real API server). It speaks the parts of the protocol the plumbing
// uses: LIST with limit/continue, WATCH with resourceVersion (ERROR 410 once "compacted"),
// BOOKMARK, timeoutSeconds; GET, POST, PUT (resourceVersion precondition), PATCH
// (merge-patch / apply-patch, main resource and /status), DELETE (uid precondition). It can be
// stopped and started again on the same port to play an API server restart.

import * as http from 'node:http';
import type { Socket } from 'node:net';
import { randomUUID } from 'node:crypto';
import { KubeConfig } from '@kubernetes/client-node';

type Obj = Record<string, unknown>;

export interface RecordedRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  contentType?: string;
  body?: unknown;
}

interface StoredEvent {
  rv: number;
  coll: string;
  namespace?: string;
  type: 'ADDED' | 'MODIFIED' | 'DELETED';
  obj: Obj;
}

interface Watcher {
  coll: string;
  namespace?: string;
  res: http.ServerResponse;
  timer?: NodeJS.Timeout;
}

interface ParsedPath {
  coll: string;
  group: string;
  version: string;
  plural: string;
  namespace?: string;
  name?: string;
  sub?: string;
}

function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function meta(o: Obj): Obj {
  if (!isObj(o.metadata)) o.metadata = {};
  return o.metadata as Obj;
}

function clone<T>(v: T): T {
  return structuredClone(v);
}

/** RFC 7386 JSON merge patch. */
export function mergePatch(target: unknown, patch: unknown): unknown {
  if (!isObj(patch)) return clone(patch);
  const out: Obj = isObj(target) ? { ...target } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = mergePatch(out[k], v);
  }
  return out;
}

function parsePath(pathname: string): ParsedPath | undefined {
  const parts = pathname.split('/').filter(Boolean).map(decodeURIComponent);
  let group: string;
  let version: string;
  let rest: string[];
  if (parts[0] === 'api' && parts.length >= 3) {
    group = '';
    version = parts[1];
    rest = parts.slice(2);
  } else if (parts[0] === 'apis' && parts.length >= 4) {
    group = parts[1];
    version = parts[2];
    rest = parts.slice(3);
  } else {
    return undefined;
  }
  let namespace: string | undefined;
  if (rest[0] === 'namespaces' && rest.length >= 3) {
    namespace = rest[1];
    rest = rest.slice(2);
  }
  const [plural, name, sub] = rest;
  return { coll: `${group}/${version}/${plural}`, group, version, plural, namespace, name, sub };
}

function keyOf(namespace: string | undefined, name: string): string {
  return namespace ? `${namespace}/${name}` : name;
}

export class FakeApiServer {
  private server?: http.Server;
  private readonly sockets = new Set<Socket>();
  private readonly watchers = new Set<Watcher>();
  private readonly colls = new Map<string, Map<string, Obj>>();
  private readonly events: StoredEvent[] = [];
  private rv = 100;
  private compactedRv = 0;
  port = 0;
  readonly requests: RecordedRequest[] = [];
  /** Return an HTTP status to fail a request with it (before it is handled). */
  failWith?: (req: RecordedRequest) => number | undefined;
  /** Answer every continue request with 410 (an expired continue token). */
  expireContinueTokens = false;
  /** Send a BOOKMARK right after a watch has replayed its backlog. */
  sendBookmarks = true;
  /** Do not deliver new events to open watches (plays a lost event; a later watch replays them). */
  muteWatches = false;
  /** End every new watch at once, without any event (as a server that is shutting down). */
  closeWatchesAtOnce = false;

  async start(): Promise<void> {
    const server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => this.handle(req, res, Buffer.concat(chunks).toString('utf8')));
    });
    server.on('connection', (s: Socket) => {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, '127.0.0.1', () => resolve());
    });
    const addr = server.address();
    if (addr && typeof addr === 'object') this.port = addr.port;
    this.server = server;
  }

  /** Go away hard: end watches, refuse new connections, reset open ones. */
  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    for (const w of this.watchers) clearTimeout(w.timer);
    this.watchers.clear();
    for (const s of this.sockets) s.destroy();
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  kubeConfig(): KubeConfig {
    const kc = new KubeConfig();
    kc.loadFromOptions({
      clusters: [{ name: 'fake', server: this.url, skipTLSVerify: true }],
      users: [{ name: 'tester', token: 'test-token' }],
      contexts: [{ name: 'fake', cluster: 'fake', user: 'tester' }],
      currentContext: 'fake',
    });
    return kc;
  }

  /** Watches from a resourceVersion older than now get 410 Gone. */
  compact(): void {
    this.compactedRv = this.rv;
  }

  /** End every open watch cleanly, as the server does when a watch times out. */
  endWatches(): void {
    for (const w of this.watchers) {
      clearTimeout(w.timer);
      w.res.end();
    }
    this.watchers.clear();
  }

  /** Number of open watch streams. */
  watchCount(): number {
    return this.watchers.size;
  }

  // --- direct state changes (as if another client made them) ---------------------------------

  /** Create or replace an object in a collection path like "/api/v1/namespaces/ns/services". */
  upsert(collectionPath: string, obj: Obj): Obj {
    const p = parsePath(collectionPath);
    if (!p) throw new Error(`bad path ${collectionPath}`);
    const m = meta(obj);
    const name = String(m.name);
    const existing = this.coll(p.coll).get(keyOf(p.namespace, name));
    return existing ? this.store(p, 'MODIFIED', { ...clone(obj), metadata: { ...m, uid: meta(existing).uid } }) : this.create(p, clone(obj));
  }

  remove(collectionPath: string, name: string): boolean {
    const p = parsePath(collectionPath);
    if (!p) throw new Error(`bad path ${collectionPath}`);
    const key = keyOf(p.namespace, name);
    const existing = this.coll(p.coll).get(key);
    if (!existing) return false;
    this.delete(p, key, existing);
    return true;
  }

  get(collectionPath: string, name: string): Obj | undefined {
    const p = parsePath(collectionPath);
    if (!p) return undefined;
    const o = this.coll(p.coll).get(keyOf(p.namespace, name));
    return o ? clone(o) : undefined;
  }

  list(collectionPath: string): Obj[] {
    const p = parsePath(collectionPath);
    if (!p) return [];
    return [...this.coll(p.coll).values()].filter((o) => !p.namespace || meta(o).namespace === p.namespace).map(clone);
  }

  // --- internals ------------------------------------------------------------------------------

  private coll(name: string): Map<string, Obj> {
    let c = this.colls.get(name);
    if (!c) {
      c = new Map();
      this.colls.set(name, c);
    }
    return c;
  }

  private create(p: ParsedPath, obj: Obj): Obj {
    const m = meta(obj);
    if (p.namespace) m.namespace = p.namespace;
    m.uid = typeof m.uid === 'string' ? m.uid : randomUUID();
    m.creationTimestamp = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
    m.generation = 1;
    return this.store(p, 'ADDED', obj);
  }

  private store(p: ParsedPath, type: 'ADDED' | 'MODIFIED', obj: Obj): Obj {
    const m = meta(obj);
    if (p.namespace) m.namespace = p.namespace;
    m.resourceVersion = String(++this.rv);
    this.coll(p.coll).set(keyOf(p.namespace, String(m.name)), obj);
    this.emit({ rv: this.rv, coll: p.coll, namespace: p.namespace, type, obj: clone(obj) });
    return clone(obj);
  }

  private delete(p: ParsedPath, key: string, existing: Obj): void {
    this.coll(p.coll).delete(key);
    const obj = clone(existing);
    meta(obj).resourceVersion = String(++this.rv);
    this.emit({ rv: this.rv, coll: p.coll, namespace: p.namespace ?? (meta(obj).namespace as string | undefined), type: 'DELETED', obj });
  }

  private emit(ev: StoredEvent): void {
    this.events.push(ev);
    if (this.muteWatches) return;
    for (const w of this.watchers) {
      if (w.coll === ev.coll && (!w.namespace || w.namespace === ev.namespace)) {
        w.res.write(JSON.stringify({ type: ev.type, object: ev.obj }) + '\n');
      }
    }
  }

  private send(res: http.ServerResponse, code: number, body: unknown): void {
    res.writeHead(code, { 'Content-Type': 'application/json' });
    res.end(JSON.stringify(body));
  }

  private fail(res: http.ServerResponse, code: number, reason: string, message: string): void {
    this.send(res, code, { kind: 'Status', apiVersion: 'v1', status: 'Failure', code, reason, message });
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse, text: string): void {
    const url = new URL(req.url ?? '/', 'http://fake');
    let body: unknown;
    if (text) {
      try {
        body = JSON.parse(text);
      } catch {
        body = text;
      }
    }
    const rec: RecordedRequest = {
      method: req.method ?? 'GET',
      path: url.pathname,
      query: url.searchParams,
      contentType: req.headers['content-type'],
      body,
    };
    this.requests.push(rec);
    const injected = this.failWith?.(rec);
    if (injected) return this.fail(res, injected, 'Injected', `injected failure ${injected}`);
    if (req.headers.authorization !== 'Bearer test-token') return this.fail(res, 401, 'Unauthorized', 'no token');
    const p = parsePath(url.pathname);
    if (!p) return this.fail(res, 404, 'NotFound', 'unknown path');
    const c = this.coll(p.coll);
    const method = rec.method;

    if (!p.name) {
      if (method === 'GET' && (url.searchParams.get('watch') === 'true' || url.searchParams.get('watch') === '1')) {
        return this.watch(p, url.searchParams, res);
      }
      if (method === 'GET') return this.listColl(p, url.searchParams, res);
      if (method === 'POST') {
        if (!isObj(body) || !isObj(body.metadata) || typeof body.metadata.name !== 'string') {
          return this.fail(res, 422, 'Invalid', 'metadata.name: Required value');
        }
        if (c.has(keyOf(p.namespace, body.metadata.name))) {
          return this.fail(res, 409, 'AlreadyExists', `${p.plural} "${body.metadata.name}" already exists`);
        }
        return this.send(res, 201, this.create(p, clone(body)));
      }
      return this.fail(res, 405, 'MethodNotAllowed', method);
    }

    const key = keyOf(p.namespace, p.name);
    const existing = c.get(key);
    const notFound = (): void => this.fail(res, 404, 'NotFound', `${p.plural} "${p.name}" not found`);
    switch (method) {
      case 'GET':
        return existing ? this.send(res, 200, existing) : notFound();
      case 'PUT': {
        if (!existing) return notFound();
        if (!isObj(body)) return this.fail(res, 400, 'BadRequest', 'no body');
        const wantRv = isObj(body.metadata) ? body.metadata.resourceVersion : undefined;
        if (wantRv !== undefined && wantRv !== meta(existing).resourceVersion) {
          return this.fail(res, 409, 'Conflict', 'the object has been modified; please apply your changes to the latest version and try again');
        }
        const next = clone(body);
        const m = meta(next);
        m.uid = meta(existing).uid;
        m.creationTimestamp = meta(existing).creationTimestamp;
        m.generation = meta(existing).generation;
        if (p.sub === 'status') {
          const merged = clone(existing);
          merged.status = next.status;
          return this.send(res, 200, this.store(p, 'MODIFIED', merged));
        }
        return this.send(res, 200, this.store(p, 'MODIFIED', next));
      }
      case 'PATCH': {
        const ct = rec.contentType ?? '';
        const apply = ct.startsWith('application/apply-patch+yaml');
        if (!apply && !ct.startsWith('application/merge-patch+json')) {
          return this.fail(res, 415, 'UnsupportedMediaType', `unsupported patch type ${ct}`);
        }
        if (apply && !url.searchParams.get('fieldManager')) {
          return this.fail(res, 400, 'BadRequest', 'fieldManager is required for apply patch');
        }
        if (!isObj(body)) return this.fail(res, 400, 'BadRequest', 'no body');
        if (!existing) {
          if (!apply || p.sub) return notFound();
          return this.send(res, 201, this.create(p, clone(body)));
        }
        let next: Obj;
        if (p.sub === 'status') {
          next = clone(existing);
          next.status = mergePatch(existing.status, body.status);
        } else {
          const rest = { ...body };
          delete rest.status;
          next = mergePatch(existing, rest) as Obj;
          meta(next).uid = meta(existing).uid;
        }
        return this.send(res, 200, this.store(p, 'MODIFIED', next));
      }
      case 'DELETE': {
        if (!existing) return notFound();
        const pre = isObj(body) && isObj(body.preconditions) ? body.preconditions : {};
        if (pre.uid !== undefined && pre.uid !== meta(existing).uid) {
          return this.fail(res, 409, 'Conflict', 'Precondition failed: UID in precondition does not match');
        }
        if (pre.resourceVersion !== undefined && pre.resourceVersion !== meta(existing).resourceVersion) {
          return this.fail(res, 409, 'Conflict', 'Precondition failed: ResourceVersion in precondition does not match');
        }
        this.delete(p, key, existing);
        return this.send(res, 200, { kind: 'Status', apiVersion: 'v1', status: 'Success', details: { name: p.name } });
      }
      default:
        return this.fail(res, 405, 'MethodNotAllowed', method);
    }
  }

  private listColl(p: ParsedPath, q: URLSearchParams, res: http.ServerResponse): void {
    const cont = q.get('continue');
    if (cont && this.expireContinueTokens) return this.fail(res, 410, 'Expired', 'The provided continue parameter is too old');
    const all = [...this.coll(p.coll).entries()]
      .filter(([, o]) => !p.namespace || meta(o).namespace === p.namespace)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([, o]) => clone(o));
    const offset = cont ? Number(Buffer.from(cont, 'base64').toString('utf8')) : 0;
    const limit = Number(q.get('limit') ?? 0);
    const page = limit > 0 ? all.slice(offset, offset + limit) : all.slice(offset);
    const next = limit > 0 && offset + limit < all.length ? Buffer.from(String(offset + limit)).toString('base64') : undefined;
    if (p.group === '') {
      // Like the real server: items of built-in lists carry no apiVersion/kind.
      for (const o of page) {
        delete o.apiVersion;
        delete o.kind;
      }
    }
    this.send(res, 200, {
      kind: 'List',
      apiVersion: p.group ? `${p.group}/${p.version}` : p.version,
      metadata: { resourceVersion: String(this.rv), ...(next ? { continue: next } : {}) },
      items: page,
    });
  }

  private watch(p: ParsedPath, q: URLSearchParams, res: http.ServerResponse): void {
    const from = Number(q.get('resourceVersion') ?? 0);
    res.writeHead(200, { 'Content-Type': 'application/json', 'Transfer-Encoding': 'chunked' });
    res.flushHeaders(); // like the API server: headers go out before the first event
    if (this.closeWatchesAtOnce) {
      res.end();
      return;
    }
    if (from && from < this.compactedRv) {
      res.end(
        JSON.stringify({
          type: 'ERROR',
          object: { kind: 'Status', apiVersion: 'v1', status: 'Failure', code: 410, reason: 'Expired', message: `too old resource version: ${from} (${this.compactedRv})` },
        }) + '\n',
      );
      return;
    }
    for (const ev of this.events) {
      if (ev.rv > from && ev.coll === p.coll && (!p.namespace || p.namespace === ev.namespace)) {
        res.write(JSON.stringify({ type: ev.type, object: ev.obj }) + '\n');
      }
    }
    if (this.sendBookmarks && q.get('allowWatchBookmarks') === 'true') {
      res.write(JSON.stringify({ type: 'BOOKMARK', object: { kind: 'Bookmark', metadata: { resourceVersion: String(this.rv) } } }) + '\n');
    }
    const w: Watcher = { coll: p.coll, namespace: p.namespace, res };
    const timeout = Number(q.get('timeoutSeconds') ?? 0);
    if (timeout > 0) {
      w.timer = setTimeout(() => {
        this.watchers.delete(w);
        res.end();
      }, timeout * 1000);
    }
    res.on('close', () => {
      clearTimeout(w.timer);
      this.watchers.delete(w);
    });
    this.watchers.add(w);
  }
}
