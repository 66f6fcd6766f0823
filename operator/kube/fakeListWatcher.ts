// An in-memory API server for one collection, behind the informer's ListWatcher seam (tests only).
//
// It keeps objects with resourceVersions and an event history, so it behaves like the real
// thing: a watch from resourceVersion R first replays every change after R, a watch from before
// the last compact() is 410 Gone, a LIST is paged with continue tokens over a snapshot. Tests
// change objects (delivered to open watches, or not), end watches, script failures, and read
// every request the informer made.
import type { ListPage, ListRequest, ListWatcher, WatchEnd, WatchEventType, WatchRequest } from './informer';
import { KubeApiError } from './request';
import { objectKey, type KubeObject } from './resources';

/** What one LIST call asked for. */
export interface RecordedList {
  limit?: number;
  continueToken?: string;
  /** Date.now() when the call arrived. */
  at: number;
}

/** What one watch call asked for. */
export interface RecordedWatch {
  resourceVersion: string;
  timeoutSeconds: number;
  /** Date.now() when the call arrived. */
  at: number;
}

interface HistoryEntry<T> {
  rv: number;
  type: WatchEventType;
  obj: T;
}

interface OpenWatch<T> {
  req: WatchRequest<T>;
  finish: (end: WatchEnd) => void;
}

/** The error the API server answers for an expired resourceVersion or continue token. */
export function goneError(message = 'too old resource version'): KubeApiError {
  return new KubeApiError(410, 'Expired', message, 'GET', '/fake', { code: 410, reason: 'Expired', message });
}

/** A request that got no HTTP answer (refused connection, reset stream). */
export function networkError(message = 'connect ECONNREFUSED 127.0.0.1:6443'): KubeApiError {
  return new KubeApiError(0, 'ECONNREFUSED', message, 'GET', '/fake');
}

/** `p`, or earlier when `signal` aborts (as a real request would be cut off). */
function untilAborted(p: Promise<void>, signal?: AbortSignal): Promise<void> {
  if (!signal) return p;
  if (signal.aborted) return Promise.resolve();
  return new Promise<void>((resolve) => {
    signal.addEventListener('abort', () => resolve(), { once: true });
    void p.then(resolve);
  });
}

export class FakeListWatcher<T extends KubeObject> implements ListWatcher<T> {
  readonly lists: RecordedList[] = [];
  readonly watches: RecordedWatch[] = [];
  /** Thrown by the next LIST calls, one per call, before anything else. */
  readonly listFailures: unknown[] = [];
  /** The next watch calls end at once with these (e.g. `{ kind: 'gone', ... }`). */
  readonly watchEnds: WatchEnd[] = [];
  /** The next watch calls reject with these, one per call (a transport that throws). */
  readonly watchRejections: Error[] = [];
  /** Called with each LIST request before it is answered; throw to fail that one call. */
  beforeList?: (req: RecordedList) => void;
  /** While set, LIST calls wait for it (a cache that cannot sync yet). */
  listGate?: Promise<void>;

  private rv: number;
  private compactedRv = 0;
  private readonly objects = new Map<string, T>();
  private history: HistoryEntry<T>[] = [];
  private readonly open = new Set<OpenWatch<T>>();
  private readonly snapshots = new Map<string, { rv: number; rest: T[] }>();
  private nextToken = 0;

  constructor(
    objects: readonly T[] = [],
    readonly description = 'fake',
    firstResourceVersion = 100,
  ) {
    this.rv = firstResourceVersion;
    for (const o of objects) this.upsert(o, { deliver: false });
    this.history = [];
  }

  // --- what the test does -------------------------------------------------------------------

  /** Create or update an object at a new resourceVersion; returns the stored object. */
  upsert(obj: T, opts: { deliver?: boolean } = {}): T {
    const key = objectKey(obj);
    const type: WatchEventType = this.objects.has(key) ? 'MODIFIED' : 'ADDED';
    const stored: T = { ...obj, metadata: { ...obj.metadata, resourceVersion: String(++this.rv) } };
    this.objects.set(key, stored);
    this.record(type, stored, opts.deliver ?? true);
    return stored;
  }

  /** Delete an object at a new resourceVersion; returns its last state. */
  remove(key: string, opts: { deliver?: boolean } = {}): T {
    const old = this.objects.get(key);
    if (!old) throw new Error(`fake: no object ${key}`);
    this.objects.delete(key);
    const last: T = { ...old, metadata: { ...old.metadata, resourceVersion: String(++this.rv) } };
    this.record('DELETED', last, opts.deliver ?? true);
    return last;
  }

  /** Progress elsewhere in the store: a new resourceVersion, announced as a BOOKMARK to open watches. */
  bookmark(): string {
    const rv = String(++this.rv);
    const mark = { metadata: { resourceVersion: rv } } as T;
    for (const w of this.open) w.req.onEvent('BOOKMARK', mark);
    return rv;
  }

  /** Forget the event history: watches from an older resourceVersion are 410 Gone; continue tokens expire. */
  compact(): void {
    this.compactedRv = this.rv;
    this.history = [];
    this.snapshots.clear();
  }

  /** End every open watch with `end`. */
  endWatches(end: WatchEnd): void {
    for (const w of [...this.open]) w.finish(end);
  }

  /** The server's current copy of an object. */
  get(key: string): T | undefined {
    return this.objects.get(key);
  }

  openWatches(): number {
    return this.open.size;
  }

  currentResourceVersion(): string {
    return String(this.rv);
  }

  // --- the seam -----------------------------------------------------------------------------

  async list(req: ListRequest): Promise<ListPage<T>> {
    const call: RecordedList = { limit: req.limit, continueToken: req.continueToken, at: Date.now() };
    this.lists.push(call);
    if (this.listGate) await untilAborted(this.listGate, req.signal);
    if (req.signal?.aborted) throw new Error('list aborted');
    if (this.listFailures.length > 0) throw this.listFailures.shift();
    this.beforeList?.(call);
    const snap = req.continueToken ? this.snapshots.get(req.continueToken) : { rv: this.rv, rest: this.sorted() };
    if (!snap) throw goneError('the provided continue parameter is too old');
    if (req.continueToken) this.snapshots.delete(req.continueToken);
    const limit = req.limit && req.limit > 0 ? req.limit : snap.rest.length;
    const page: ListPage<T> = { items: snap.rest.slice(0, limit), resourceVersion: String(snap.rv) };
    if (snap.rest.length > limit) {
      page.continueToken = `c${++this.nextToken}`;
      this.snapshots.set(page.continueToken, { rv: snap.rv, rest: snap.rest.slice(limit) });
    }
    return page;
  }

  watch(req: WatchRequest<T>): Promise<WatchEnd> {
    this.watches.push({ resourceVersion: req.resourceVersion, timeoutSeconds: req.timeoutSeconds, at: Date.now() });
    const rejection = this.watchRejections.shift();
    if (rejection) return Promise.reject(rejection);
    const scripted = this.watchEnds.shift();
    if (scripted) return Promise.resolve(scripted);
    if (req.signal.aborted) return Promise.resolve({ kind: 'aborted' });
    const from = Number(req.resourceVersion);
    if (!(from >= this.compactedRv)) return Promise.resolve({ kind: 'gone', message: `too old resource version: ${req.resourceVersion}` });
    return new Promise<WatchEnd>((resolve) => {
      const w: OpenWatch<T> = {
        req,
        finish: (end) => {
          if (!this.open.delete(w)) return;
          req.signal.removeEventListener('abort', onAbort);
          resolve(end);
        },
      };
      const onAbort = (): void => w.finish({ kind: 'aborted' });
      req.signal.addEventListener('abort', onAbort, { once: true });
      this.open.add(w);
      for (const e of this.history) if (e.rv > from) req.onEvent(e.type, e.obj);
    });
  }

  private record(type: WatchEventType, obj: T, deliver: boolean): void {
    this.history.push({ rv: this.rv, type, obj });
    if (deliver) for (const w of this.open) w.req.onEvent(type, obj);
  }

  private sorted(): T[] {
    return [...this.objects.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([, o]) => o);
  }
}
