// Helpers for tests of the plumbing (not loaded by the program).
import type { DeleteOutcome, KubeWriter } from './kubeWriter';
import type { EventSink, Problem } from './eventSink';
import type { Caches, CacheReader } from './controllerDefinition';
import { objectKey, type KubeObject, type ResourceRef } from './resources';

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
  mergePatchStatus(resource: ResourceRef, namespace: string | undefined, name: string, status: unknown): Promise<void> {
    return this.answer(() => void this.record({ op: 'mergePatchStatus', resource: resource.plural, namespace, name, body: status }));
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
  keys(): string[] {
    return [...this.objects.keys()];
  }
}

/** Caches for unit tests: one MapCache per resource plural (selectors are ignored). */
export class FakeCaches implements Caches {
  private readonly byResource = new Map<string, MapCache<KubeObject>>();
  informer<T extends KubeObject>(resource: ResourceRef): MapCache<T> {
    let c = this.byResource.get(resource.plural);
    if (!c) this.byResource.set(resource.plural, (c = new MapCache<KubeObject>()));
    return c as unknown as MapCache<T>;
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
