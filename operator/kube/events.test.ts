import { test } from 'node:test';
import assert from 'node:assert/strict';
import { KubeConfig } from '@kubernetes/client-node';
import { EventRecorder, type EventRecorderOptions } from './events';
import { fingerprint, ProblemMemory, summarizeMessages } from './problemMemory';
import type { KubeRequestOptions } from './request';
import { KubeApiError } from './request';
import type { KubeObject } from './resources';
import { Gate, waitFor } from './testing';

/** A transport that records requests; `hold` keeps them in flight until opened or aborted. */
class FakeTransport {
  readonly requests: KubeRequestOptions[] = [];
  hold: Gate | undefined;
  fail: ((req: KubeRequestOptions) => Error | undefined) | undefined;
  readonly send = async (req: KubeRequestOptions): Promise<unknown> => {
    this.requests.push(req);
    const err = this.fail?.(req);
    if (err) throw err;
    const gate = this.hold;
    if (!gate) return {};
    await new Promise<void>((resolve, reject) => {
      req.signal?.addEventListener('abort', () => reject(new Error('aborted')), { once: true });
      void gate.wait.then(resolve);
    });
    return {};
  };
  bodies(): Record<string, unknown>[] {
    return this.requests.map((r) => r.body as Record<string, unknown>);
  }
  posts(): Record<string, unknown>[] {
    return this.requests.filter((r) => r.method === 'POST').map((r) => r.body as Record<string, unknown>);
  }
}

function recorder(opts: Partial<EventRecorderOptions> = {}): { rec: EventRecorder; t: FakeTransport } {
  const t = new FakeTransport();
  const rec = new EventRecorder(new KubeConfig(), { reportingController: 'test', reportingInstance: 'i', perSecond: 10_000, burst: 10_000, send: t.send, ...opts });
  return { rec, t };
}

const svc = (name: string, uid = `uid-${name}`): KubeObject => ({ apiVersion: 'v1', kind: 'Service', metadata: { namespace: 'ns', name, uid } });
const p = (reason: string, message: string): { reason: string; message: string } => ({ reason, message });

void test('problems: an unchanged set sends nothing, a changed one sends one Event per changed reason', async () => {
  const { rec, t } = recorder();
  const a = svc('a');
  rec.problems(a, [p('InvalidAnnotation', 'x'), p('InvalidAnnotation', 'y'), p('NoEndpoints', 'none ready')]);
  await rec.flush();
  assert.deepEqual(t.posts().map((b) => [b.reason, b.message, b.type]), [
    ['InvalidAnnotation', 'x; y', 'Warning'],
    ['NoEndpoints', 'none ready', 'Warning'],
  ]);
  rec.problems(a, [p('NoEndpoints', 'none ready'), p('InvalidAnnotation', 'y'), p('InvalidAnnotation', 'x')]);
  await rec.flush();
  assert.equal(t.requests.length, 2, 'same problems in another order: nothing sent');
  rec.problems(a, [p('InvalidAnnotation', 'x'), p('NoEndpoints', 'none ready')]);
  await rec.flush();
  assert.deepEqual(t.posts().slice(2).map((b) => [b.reason, b.message]), [['InvalidAnnotation', 'x']]);
  // A reason that went away and came back is reported again; so is an object forgotten by [].
  rec.problems(a, [p('InvalidAnnotation', 'x')]);
  rec.problems(a, [p('InvalidAnnotation', 'x'), p('NoEndpoints', 'none ready')]);
  rec.problems(a, []);
  rec.problems(a, [p('InvalidAnnotation', 'x')]);
  await rec.flush();
  const reasonOf = new Map(t.posts().map((b) => [(b.metadata as { name: string }).name, b.reason]));
  assert.deepEqual(t.requests.slice(3).map((r) => [r.method, reasonOf.get(r.path.split('/').pop() ?? '')]), [
    ['PATCH', 'NoEndpoints'],
    ['PATCH', 'InvalidAnnotation'],
  ]);
});

void test('problems: 38,000 problems of one reason make one bounded Event', async () => {
  const { rec, t } = recorder();
  const many = Array.from({ length: 38_000 }, (_, i) => p('InvalidCommunity', `communities[${i}]: "${'x'.repeat(20)}" is not a community`));
  rec.problems(svc('big'), many);
  rec.problems(svc('big'), many);
  assert.equal(rec.stats().queued, 1);
  await rec.flush();
  assert.equal(t.requests.length, 1);
  const msg = String(t.bodies()[0].message);
  assert.ok(msg.length <= 1024, `message of ${msg.length} characters`);
  assert.match(msg, /^communities\[0\]: .*; communities\[1\]: .*; communities\[2\]: .* \(and 37997 more\)$/);
});

void test('summarizeMessages keeps "and N more" when it truncates', () => {
  assert.equal(summarizeMessages([], 100), '');
  assert.equal(summarizeMessages(['a', 'b'], 100), 'a; b');
  assert.equal(summarizeMessages(['a', 'b', 'c', 'd', 'e'], 100), 'a; b; c (and 2 more)');
  const long = summarizeMessages(['y'.repeat(5000), 'z', 'w', 'v'], 50);
  assert.equal(long.length, 50);
  assert.match(long, /^y+\.\.\. \(and 1 more\)$/);
  assert.equal(summarizeMessages(['y'.repeat(5000)], 10), 'yyyyyyy...');
});

void test('fingerprint: a set of messages (order and duplicates ignored)', () => {
  assert.equal(fingerprint(['a', 'b']), fingerprint(['b', 'a', 'b']));
  assert.notEqual(fingerprint(['ab']), fingerprint(['a', 'b']));
  assert.notEqual(fingerprint(['a']), fingerprint(['a', 'c']));
  assert.equal(fingerprint(['a']).length, 16);
});

void test('ProblemMemory: caps objects (least recently reported forgotten) and reasons', () => {
  const m = new ProblemMemory(2, 2);
  assert.equal(m.update('a', [p('R', 'x')]).length, 1);
  assert.equal(m.update('b', [p('R', 'x')]).length, 1);
  assert.equal(m.update('a', [p('R', 'x')]).length, 0, 'a is now the most recent');
  assert.equal(m.update('c', [p('R', 'x')]).length, 1);
  assert.equal(m.size, 2);
  assert.equal(m.update('a', [p('R', 'x')]).length, 0, 'a kept');
  assert.equal(m.update('b', [p('R', 'x')]).length, 1, 'b was evicted');
  assert.deepEqual(
    m.update('d', [p('C', '1'), p('A', '1'), p('B', '1')]).map((c) => c.reason),
    ['A', 'B'],
  );
});

void test('queue: one object keeps at most maxQueuedPerObject Events, the newest', async () => {
  const { rec, t } = recorder({ maxQueuedPerObject: 5 });
  for (let i = 0; i < 8; i++) rec.warning(svc('a'), 'Broken', `m${i}`);
  rec.warning(svc('b'), 'Broken', 'other object');
  assert.deepEqual(rec.stats(), { queued: 6, inFlight: 0, lost: { object_cap: 3, queue_cap: 0, discarded: 0, failed: 0 } });
  await rec.flush();
  assert.deepEqual(t.posts().map((b) => b.message), ['m3', 'm4', 'm5', 'm6', 'm7', 'other object']);
});

void test('queue: at most maxQueued Events in all, the oldest dropped; identical ones are counted into one', async () => {
  const { rec, t } = recorder({ maxQueued: 10 });
  for (let i = 0; i < 15; i++) rec.normal(svc(`s${i}`), 'Announced', 'ok');
  assert.equal(rec.stats().queued, 10);
  assert.equal(rec.stats().lost.queue_cap, 5);
  rec.normal(svc('s14'), 'Announced', 'ok');
  rec.normal(svc('s14'), 'Announced', 'ok');
  assert.equal(rec.stats().queued, 10);
  await rec.flush();
  const names = t.posts().map((b) => (b.involvedObject as { name: string }).name);
  assert.deepEqual(names, ['s5', 's6', 's7', 's8', 's9', 's10', 's11', 's12', 's13', 's14']);
  assert.equal(t.posts()[9].count, 3);
});

void test('an Event dropped from the queue is reported again by the next problems()', async () => {
  const { rec, t } = recorder({ maxQueued: 1 });
  rec.problems(svc('a'), [p('Broken', 'x')]);
  rec.problems(svc('b'), [p('Broken', 'y')]);
  rec.problems(svc('a'), [p('Broken', 'x')]);
  await rec.flush();
  assert.deepEqual(t.posts().map((b) => (b.involvedObject as { name: string }).name), ['a']);
  assert.equal(rec.stats().lost.queue_cap, 2);
});

void test('drop() empties the queue, aborts the write in flight, and forgets the problems', async () => {
  const { rec, t } = recorder({ maxInFlight: 1 });
  t.hold = new Gate();
  rec.problems(svc('a'), [p('Broken', 'x')]);
  for (let i = 0; i < 4; i++) rec.warning(svc(`s${i}`), 'Broken', 'm');
  await waitFor(() => t.requests.length === 1, 5_000, 'first write in flight');
  assert.equal(rec.stats().queued, 4);
  rec.drop();
  assert.equal(rec.stats().queued, 0);
  await rec.flush();
  assert.equal(t.requests.length, 1);
  assert.equal(rec.stats().lost.discarded, 5);
  t.hold = undefined;
  rec.problems(svc('a'), [p('Broken', 'x')]);
  await rec.flush();
  assert.equal(t.requests.length, 2, 'reported again after drop()');
});

void test('aggregation: the same Event again patches count and lastTimestamp; a 404 creates a new one', async () => {
  let now = new Date('2024-01-01T00:00:00Z');
  const { rec, t } = recorder({ now: () => now });
  rec.warning(svc('a'), 'Broken', 'm');
  await rec.flush();
  now = new Date('2024-01-01T00:00:05Z');
  rec.warning(svc('a'), 'Broken', 'm');
  await rec.flush();
  assert.deepEqual(
    t.requests.map((r) => r.method),
    ['POST', 'PATCH'],
  );
  assert.deepEqual(t.requests[1].body, { count: 2, lastTimestamp: '2024-01-01T00:00:05Z' });
  assert.match(t.requests[1].path, /^\/api\/v1\/namespaces\/ns\/events\/a\./);
  t.fail = (req) => (req.method === 'PATCH' ? new KubeApiError(404, 'NotFound', 'gone', 'PATCH', req.path) : undefined);
  rec.warning(svc('a'), 'Broken', 'm');
  await rec.flush();
  assert.deepEqual(
    t.requests.map((r) => r.method),
    ['POST', 'PATCH', 'PATCH', 'POST'],
  );
});

void test('a failed write is counted and does not stop the queue', async () => {
  const { rec, t } = recorder();
  t.fail = (req) => ((req.body as { message: string }).message === 'bad' ? new Error('boom') : undefined);
  rec.warning(svc('a'), 'Broken', 'bad');
  rec.warning(svc('b'), 'Broken', 'good');
  await rec.flush();
  assert.equal(t.requests.length, 2);
  assert.equal(rec.stats().lost.failed, 1);
});

void test('a create that meets a dropped connection or a 503 is sent again; AlreadyExists after a retry is success; a 4xx is not retried', async () => {
  const { rec, t } = recorder();
  const failures = new Map<string, Error[]>([
    ['reset', [new KubeApiError(0, 'NetworkError', 'socket hang up', 'POST', '/')]],
    ['landed', [new KubeApiError(503, 'ServiceUnavailable', 'busy', 'POST', '/'), new KubeApiError(409, 'AlreadyExists', 'exists', 'POST', '/')]],
    ['refused', [new KubeApiError(422, 'Invalid', 'no', 'POST', '/')]],
  ]);
  t.fail = (req) => failures.get((req.body as { message: string }).message)?.shift();
  for (const m of failures.keys()) rec.warning(svc(m), 'Broken', m);
  await rec.flush();
  const sent = t.posts().map((b) => b.message);
  assert.deepEqual(sent.filter((m) => m === 'reset'), ['reset', 'reset'], 'a dropped connection: sent again');
  assert.deepEqual(sent.filter((m) => m === 'landed'), ['landed', 'landed'], '503, then AlreadyExists on the retry: it had landed');
  assert.deepEqual(sent.filter((m) => m === 'refused'), ['refused'], 'a 422 is final');
  assert.equal(rec.stats().lost.failed, 1, 'only the refused one is lost');
});

void test('rate limit: writes beyond the burst wait for tokens', async () => {
  const { rec, t } = recorder({ perSecond: 20, burst: 2 });
  const start = Date.now();
  for (let i = 0; i < 5; i++) rec.normal(svc(`s${i}`), 'Announced', 'ok');
  await rec.flush();
  assert.equal(t.requests.length, 5);
  // 3 Events past the burst at 20/s: at least ~150 ms.
  assert.ok(Date.now() - start >= 120, `took ${Date.now() - start} ms`);
});

void test('close() drops what is queued and records nothing afterwards', async () => {
  const { rec, t } = recorder({ perSecond: 1, burst: 1 });
  for (let i = 0; i < 5; i++) rec.normal(svc(`s${i}`), 'Announced', 'ok');
  await waitFor(() => t.requests.length === 1, 5_000, 'the first write');
  const start = Date.now();
  await rec.close(5_000);
  assert.ok(Date.now() - start < 500, `close() took ${Date.now() - start} ms: it waited for the rate limit`);
  rec.normal(svc('late'), 'Announced', 'ok');
  await rec.flush();
  assert.equal(t.requests.length, 1);
  assert.deepEqual(rec.stats(), { queued: 0, inFlight: 0, lost: { object_cap: 0, queue_cap: 0, discarded: 4, failed: 0 } });
});
