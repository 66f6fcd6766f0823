// Helpers for tests of the plumbing (not loaded by the program).
import type { DeleteOutcome, KubeWriter } from './kubeWriter';
import type { EventSink, Problem } from './eventSink';
import type { CacheShape } from './cacheShape';
import type { Caches, CacheReader } from './controllerDefinition';
import { objectKey, type KubeObject, type ResourceRef } from './resources';
import type { Lease, LeaseClient } from './leader';
import { KubeApiError } from './request';
import type { Clock } from '../util/clock';

/** Poll `cond` until it holds; reject after `timeoutMs` (generous by default). */
export async function waitFor(cond: () => boolean, timeoutMs = 10_000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** A promise you open by hand: `await gate.wait` blocks until `gate.open()`. */
export class Gate {
  private resolveFn: () => void = () => undefined;
  readonly wait: Promise<void>;
  opened = false;
  constructor() {
    this.wait = new Promise<void>((r) => (this.resolveFn = r));
  }
  open(): void {
    this.opened = true;
    this.resolveFn();
  }
}

/** Resolves with true if `p` settles within `ms`, false otherwise (does not cancel p). */
export async function settlesWithin(p: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((r) => (timer = setTimeout(() => r(false), ms)));
  const done = p.then(
    () => true as const,
    () => true as const,
  );
  const res = await Promise.race([done, timeout]);
  clearTimeout(timer);
  return res;
}

/** One call a FakeKubeWriter saw. */
export interface WriterCall {
  op: 'apply' | 'applyStatus' | 'mergePatchStatus' | 'delete';
  resource: string;
  namespace?: string;
  name: string;
  body?: unknown;
  uid?: string;
}

/**
 * A KubeWriter that records every call and answers from `respond` (default: echo the body
 * back, deletes succeed). Unit tests of executors assert on `calls`.
 */
export class FakeKubeWriter implements KubeWriter {
  readonly calls: WriterCall[] = [];
  /** Throw to fail a call (e.g. a KubeApiError(422, ...)); return a DeleteOutcome for deletes. */
  respond: (call: WriterCall) => unknown = () => undefined;

  private record(call: WriterCall): unknown {
    this.calls.push(call);
    return this.respond(call);
  }

  apply<T extends KubeObject>(resource: ResourceRef, obj: KubeObject): Promise<T> {
    return this.answer(() => (this.record({ op: 'apply', resource: resource.plural, namespace: obj.metadata?.namespace, name: obj.metadata?.name ?? '', body: obj }) ?? obj) as T);
  }
  applyStatus<T extends KubeObject>(resource: ResourceRef, obj: KubeObject & { status: unknown }): Promise<T> {
    return this.answer(() => (this.record({ op: 'applyStatus', resource: resource.plural, namespace: obj.metadata?.namespace, name: obj.metadata?.name ?? '', body: obj }) ?? obj) as T);
  }
  mergePatchStatus(resource: ResourceRef, namespace: string | undefined, name: string, status: unknown): Promise<KubeObject | undefined> {
    return this.answer(() => this.record({ op: 'mergePatchStatus', resource: resource.plural, namespace, name, body: status }) as KubeObject | undefined);
  }
  delete(resource: ResourceRef, namespace: string | undefined, name: string, uid: string | undefined): Promise<DeleteOutcome> {
    return this.answer(() => (this.record({ op: 'delete', resource: resource.plural, namespace, name, uid }) as DeleteOutcome | undefined) ?? 'deleted');
  }
  private answer<T>(fn: () => T): Promise<T> {
    try {
      return Promise.resolve(fn());
    } catch (err) {
      return Promise.reject(err instanceof Error ? err : new Error(String(err)));
    }
  }
}

/** A CacheReader over plain objects, keyed like an informer ("ns/name" or "name"). */
export class MapCache<T extends KubeObject> implements CacheReader<T> {
  readonly objects = new Map<string, T>();
  constructor(objs: readonly T[] = []) {
    for (const o of objs) this.put(o);
  }
  put(obj: T): this {
    this.objects.set(objectKey(obj), obj);
    return this;
  }
  remove(key: string): this {
    this.objects.delete(key);
    return this;
  }
  get(key: string): T | undefined {
    return this.objects.get(key);
  }
  list(): T[] {
    return [...this.objects.values()];
  }
  /** Tests of an optional watch's unsynced cache set it false. */
  synced = true;
  hasSynced(): boolean {
    return this.synced;
  }
  keys(): string[] {
    return [...this.objects.keys()];
  }
}

/**
 * A cache read through a shape: each object as the shape trims it (a trimmed copy, made once per
 * object put), so code under test sees what a real cache of that shape would hold.
 */
class ShapedCache<T extends KubeObject> implements CacheReader<T> {
  private readonly trimmed = new WeakMap<KubeObject, T>();
  constructor(
    private readonly raw: MapCache<KubeObject>,
    private readonly shape: CacheShape<T>,
  ) {}
  get(key: string): T | undefined {
    const obj = this.raw.get(key);
    return obj && this.view(obj);
  }
  list(): T[] {
    return this.raw.list().map((obj) => this.view(obj));
  }
  keys(): string[] {
    return this.raw.keys();
  }
  hasSynced(): boolean {
    return this.raw.hasSynced();
  }
  private view(obj: KubeObject): T {
    let t = this.trimmed.get(obj);
    if (!t) this.trimmed.set(obj, (t = this.shape.trim(structuredClone(obj))));
    return t;
  }
}

/**
 * Caches for unit tests: one MapCache per resource plural (selectors are ignored). Tests fill
 * them by resource with whole objects; code reads them through its shapes, trimmed as a real
 * cache would keep them.
 */
export class FakeCaches implements Caches {
  private readonly byResource = new Map<string, MapCache<KubeObject>>();
  private readonly views = new Map<string, ShapedCache<KubeObject>>();
  informer<T extends KubeObject>(source: ResourceRef): MapCache<T>;
  informer<T extends KubeObject>(source: CacheShape<T>): CacheReader<T>;
  informer<T extends KubeObject>(source: CacheShape<T> | ResourceRef): MapCache<T> | CacheReader<T> {
    const resource = 'trim' in source ? source.resource : source;
    let c = this.byResource.get(resource.plural);
    if (!c) this.byResource.set(resource.plural, (c = new MapCache<KubeObject>()));
    if (!('trim' in source)) return c as unknown as MapCache<T>;
    const id = `${resource.plural}|${source.name}`;
    let view = this.views.get(id);
    if (!view) this.views.set(id, (view = new ShapedCache(c, source)));
    return view as unknown as CacheReader<T>;
  }
}

/** One Event a FakeEventSink saw. */
export interface RecordedEvent {
  type: 'Normal' | 'Warning' | 'Problems';
  object: string;
  reason: string;
  message: string;
}

/** An EventSink that records calls; `problems()` records one entry per problem. */
export class FakeEventSink implements EventSink {
  readonly events: RecordedEvent[] = [];
  normal(obj: KubeObject, reason: string, message: string): void {
    this.events.push({ type: 'Normal', object: objectKey(obj), reason, message });
  }
  warning(obj: KubeObject, reason: string, message: string): void {
    this.events.push({ type: 'Warning', object: objectKey(obj), reason, message });
  }
  problems(obj: KubeObject, problems: readonly Problem[]): void {
    for (const p of problems) this.events.push({ type: 'Problems', object: objectKey(obj), reason: p.reason, message: p.message });
  }
}

interface FakeTimer {
  at: number;
  seq: number;
  fn: () => void;
}

/** Let every pending promise callback run (setImmediate comes after the microtask queue). */
async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
}

/** A Clock that moves only when told: advance() fires due timers in order, settling promises between them. */
export class FakeClock implements Clock {
  private t = 0;
  private seq = 0;
  private timers: FakeTimer[] = [];

  now(): number {
    return this.t;
  }

  date(): Date {
    return new Date(Date.UTC(2030, 0, 1) + this.t);
  }

  after(ms: number, fn: () => void): () => void {
    const timer = { at: this.t + Math.max(0, ms), seq: this.seq++, fn };
    this.timers.push(timer);
    return () => {
      this.timers = this.timers.filter((x) => x !== timer);
    };
  }

  /** Move time forward by `ms`, running each timer at its own moment. */
  async advance(ms: number): Promise<void> {
    const end = this.t + ms;
    for (;;) {
      await settle();
      const due = this.timers.filter((x) => x.at <= end).sort((a, b) => a.at - b.at || a.seq - b.seq)[0];
      if (!due) break;
      this.timers = this.timers.filter((x) => x !== due);
      this.t = due.at;
      due.fn();
    }
    this.t = end;
    await settle();
  }
}

/** One call a FakeLeaseClient saw: when it was made and, if so, when its signal aborted. */
export interface LeaseCall {
  op: 'get' | 'create' | 'update';
  at: number;
  abortedAt?: number;
  holder?: string;
}

/**
 * An in-memory Lease with resourceVersion checks. `delays` (shifted per create/update) makes a
 * write take that long on the clock; Infinity never answers. Every call rejects when its signal aborts.
 */
export class FakeLeaseClient implements LeaseClient {
  lease?: Lease;
  readonly calls: LeaseCall[] = [];
  readonly delays: number[] = [];
  private rv = 0;

  constructor(private readonly clock: Clock) {}

  /** Someone else writes the Lease (another candidate, or an admin). */
  setHolder(holderIdentity: string, leaseDurationSeconds = 15): void {
    const name = this.lease?.metadata.name ?? 'lease';
    this.lease = { metadata: { name, resourceVersion: String(++this.rv) }, spec: { ...this.lease?.spec, holderIdentity, leaseDurationSeconds } };
  }

  get(signal: AbortSignal): Promise<Lease | undefined> {
    return this.call({ op: 'get', at: this.clock.now() }, signal, 0, () => this.lease && structuredClone(this.lease));
  }

  create(lease: Lease, signal: AbortSignal): Promise<Lease> {
    return this.call({ op: 'create', at: this.clock.now(), holder: lease.spec?.holderIdentity }, signal, this.delays.shift() ?? 0, () => {
      if (this.lease) throw new KubeApiError(409, 'AlreadyExists', 'lease exists', 'POST', 'lease');
      return this.store(lease);
    });
  }

  update(lease: Lease, signal: AbortSignal): Promise<Lease> {
    return this.call({ op: 'update', at: this.clock.now(), holder: lease.spec?.holderIdentity }, signal, this.delays.shift() ?? 0, () => {
      if (lease.metadata.resourceVersion !== this.lease?.metadata.resourceVersion) throw new KubeApiError(409, 'Conflict', 'lease changed', 'PUT', 'lease');
      return this.store(lease);
    });
  }

  private store(lease: Lease): Lease {
    this.lease = structuredClone({ ...lease, metadata: { ...lease.metadata, resourceVersion: String(++this.rv) } });
    return structuredClone(this.lease);
  }

  private call<T>(rec: LeaseCall, signal: AbortSignal, delay: number, answer: () => T): Promise<T> {
    this.calls.push(rec);
    return new Promise<T>((resolve, reject) => {
      const onAbort = (): void => {
        rec.abortedAt = this.clock.now();
        cancel();
        reject(new Error('aborted'));
      };
      const reply = (): void => {
        signal.removeEventListener('abort', onAbort);
        try {
          resolve(answer());
        } catch (err) {
          reject(err instanceof Error ? err : new Error(String(err)));
        }
      };
      // An instant answer needs no clock (stop() must be able to release without advance()).
      const cancel = delay === Infinity ? () => undefined : delay === 0 ? (queueMicrotask(reply), () => undefined) : this.clock.after(delay, reply);
      if (signal.aborted) onAbort();
      else signal.addEventListener('abort', onAbort, { once: true });
    });
  }
}
