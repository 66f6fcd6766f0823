import { after, before, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { EventRecorder } from './events';
import { FakeApiServer } from './fakeApiServer';
import { createLogger } from '../util/log';

void describe('EventRecorder', () => {
  const server = new FakeApiServer();
  before(() => server.start());
  after(() => server.stop());
  let clock = new Date('2030-01-01T00:00:00.000Z');
  const lines: string[] = [];
  const logger = createLogger({ format: 'json', level: 'debug', write: (l) => lines.push(l) });
  const svc = {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: 'web', namespace: 'shop', uid: 'uid-1', resourceVersion: '7' },
  };
  const eventsIn = (ns: string) => server.list(`/api/v1/namespaces/${ns}/events`);

  beforeEach(() => {
    for (const ns of ['shop', 'default']) for (const e of eventsIn(ns)) server.remove(`/api/v1/namespaces/${ns}/events`, String((e.metadata as { name: string }).name));
    lines.length = 0;
  });

  const recorder = (windowMs = 60_000) =>
    new EventRecorder(server.kubeConfig(), {
      reportingController: 'vipannouncer.io/controller',
      reportingInstance: 'controller-0',
      dedupeWindowMs: windowMs,
      logger,
      now: () => clock,
    });

  void test('writes a core/v1 Event about the object', async () => {
    const r = recorder();
    r.normal(svc, 'AddressesAssigned', 'announcing 203.0.113.10');
    await r.flush();
    const evs = eventsIn('shop');
    assert.equal(evs.length, 1);
    const e = evs[0];
    assert.deepEqual(e.involvedObject, { apiVersion: 'v1', kind: 'Service', name: 'web', namespace: 'shop', uid: 'uid-1', resourceVersion: '7' });
    assert.equal(e.reason, 'AddressesAssigned');
    assert.equal(e.type, 'Normal');
    assert.equal(e.message, 'announcing 203.0.113.10');
    assert.equal(e.count, 1);
    assert.equal(e.firstTimestamp, '2030-01-01T00:00:00Z');
    assert.equal(e.reportingComponent, 'vipannouncer.io/controller');
    assert.equal(e.reportingInstance, 'controller-0');
    assert.deepEqual(e.source, { component: 'vipannouncer.io/controller' });
    assert.match(String((e.metadata as { name: string }).name), /^web\.[0-9a-f]+$/);
  });

  void test('the same event within the window patches count instead of creating another', async () => {
    const r = recorder();
    r.warning(svc, 'InvalidAnnotation', 'bad localPref');
    r.warning(svc, 'InvalidAnnotation', 'bad localPref');
    clock = new Date(clock.getTime() + 30_000);
    r.warning(svc, 'InvalidAnnotation', 'bad localPref');
    await r.flush();
    const evs = eventsIn('shop');
    assert.equal(evs.length, 1);
    assert.equal(evs[0].count, 3);
    assert.equal(evs[0].lastTimestamp, new Date(clock).toISOString().replace(/\.\d+Z$/, 'Z'));
    const patches = server.requests.filter((q) => q.method === 'PATCH' && q.path.includes('/events/'));
    assert.equal(patches.at(-1)?.contentType, 'application/merge-patch+json');

    r.warning(svc, 'InvalidAnnotation', 'another message');
    await r.flush();
    assert.equal(eventsIn('shop').length, 2, 'a different message is a different Event');

    clock = new Date(clock.getTime() + 120_000);
    r.warning(svc, 'InvalidAnnotation', 'bad localPref');
    await r.flush();
    assert.equal(eventsIn('shop').length, 3, 'after the window a new Event starts');
  });

  void test('an aggregated Event that was deleted is created again', async () => {
    const r = recorder();
    r.normal(svc, 'Synced', 'ok');
    await r.flush();
    const [e] = eventsIn('shop');
    server.remove('/api/v1/namespaces/shop/events', String((e.metadata as { name: string }).name));
    r.normal(svc, 'Synced', 'ok');
    await r.flush();
    const evs = eventsIn('shop');
    assert.equal(evs.length, 1);
    assert.equal(evs[0].count, 1);
  });

  void test('cluster-scoped objects get their Events in "default"', async () => {
    const r = recorder();
    r.normal({ apiVersion: 'v1', kind: 'Node', metadata: { name: 'node-a', uid: 'n1' } }, 'SpeakerReady', 'ok');
    await r.flush();
    const [e] = eventsIn('default');
    assert.deepEqual(e.involvedObject, { apiVersion: 'v1', kind: 'Node', name: 'node-a', uid: 'n1' });
  });

  void test('never throws: API errors are logged; bad reasons are recorded and logged once', async () => {
    const r = recorder();
    server.failWith = (q) => (q.path.includes('/events') ? 500 : undefined);
    try {
      assert.doesNotThrow(() => r.warning(svc, 'Failed', 'x'));
      await r.flush();
    } finally {
      server.failWith = undefined;
    }
    assert.ok(lines.some((l) => l.includes('recording event failed')));
    r.normal(svc, 'not camel', 'y');
    r.normal(svc, 'not camel', 'z');
    await r.flush();
    assert.equal(lines.filter((l) => l.includes('not CamelCase')).length, 1);
    assert.equal(eventsIn('shop').length, 2);
    r.normal({ metadata: {} }, 'NoName', 'dropped');
    await r.flush();
  });

  void test('long messages are truncated to 1024 characters', async () => {
    const r = recorder();
    r.normal(svc, 'Long', 'x'.repeat(5000));
    await r.flush();
    assert.equal(String(eventsIn('shop')[0].message).length, 1024);
  });
});
