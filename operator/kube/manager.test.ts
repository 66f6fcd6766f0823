// The Manager without an API server: its informers run over in-memory list-watchers, no Lease,
// no HTTP server, and `exit` is recorded instead of ending the process.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { KubeConfig } from '@kubernetes/client-node';
import { Manager, type ManagerOptions } from './manager';
import type { ControllerDefinition, KeyRequest, ReconcileContext, Watch } from './controllerDefinition';
import { Informer, type ChangeType, type Selector } from './informer';
import { FakeListWatcher } from './fakeListWatcher';
import { Resources, objectKey, type KubeObject, type ResourceRef } from './resources';
import type { Log, LogFields } from '../util/log';
import { metrics } from '../util/metrics';
import { Gate, settlesWithin, waitFor } from './testing';
import { slimShape } from './cacheShape';

const obj = (name: string, namespace?: string): KubeObject => ({ metadata: { name, ...(namespace ? { namespace } : {}) } });

function unreachableKubeConfig(): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: 'c', server: 'https://127.0.0.1:1', skipTLSVerify: true }],
    users: [{ name: 'u' }],
    contexts: [{ name: 'x', cluster: 'c', user: 'u' }],
    currentContext: 'x',
  });
  return kc;
}

interface LogLine {
  level: string;
  message: string;
  fields: LogFields;
}

function recordingLog(lines: LogLine[], base: LogFields = {}): Log {
  const at =
    (level: string) =>
    (message: string, fields: LogFields = {}): void =>
      void lines.push({ level, message, fields: { ...base, ...fields } });
  return { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error'), child: (f) => recordingLog(lines, { ...base, ...f }) };
}

/** A manager whose informers list and watch FakeListWatchers, one per (resource, label selector). */
class Harness {
  readonly fakes = new Map<string, FakeListWatcher<KubeObject>>();
  readonly logs: LogLine[] = [];
  readonly exits: number[] = [];
  readonly mgr: Manager;

  constructor(t: TestContext, seed: Record<string, KubeObject[]> = {}, opts: Partial<ManagerOptions> = {}) {
    this.mgr = new Manager({
      kubeConfig: unreachableKubeConfig(),
      logger: recordingLog(this.logs),
      identity: 'test',
      exit: (code) => this.exits.push(code),
      newInformer: (resource, selector) => this.newInformer(resource, selector, seed[resource.plural] ?? []),
      ...opts,
    });
    t.after(() => this.mgr.shutdown());
  }

  /** The fake behind (resource, labelSelector); created with the informer. */
  fake(resource: ResourceRef, labelSelector = ''): FakeListWatcher<KubeObject> {
    const f = this.fakes.get(`${resource.plural}?${labelSelector}`);
    if (!f) throw new Error(`no informer for ${resource.plural}?${labelSelector}`);
    return f;
  }

  private newInformer(resource: ResourceRef, selector: Selector, objs: KubeObject[]): Informer<KubeObject> {
    const id = `${resource.plural}?${selector.labelSelector ?? ''}`;
    if (this.fakes.has(id)) throw new Error(`second informer for ${id}`);
    const fake = new FakeListWatcher<KubeObject>(objs, id);
    this.fakes.set(id, fake);
    return new Informer<KubeObject>(undefined, resource, { ...selector, listWatcher: fake, backoff: { initialMs: 20, maxMs: 200 } });
  }
}

/** A controller that records the keys it reconciles and the events its watches map. */
class Recorder {
  readonly reconciled: string[] = [];
  readonly mapped: string[] = [];
  readonly def: ControllerDefinition;

  constructor(
    name: string,
    resources: { resource: ResourceRef; selector?: Selector }[],
    fullSyncKeys: () => Iterable<string> = () => [],
    reconcile: (key: string, ctx: ReconcileContext) => Promise<void> = () => Promise.resolve(),
  ) {
    this.def = {
      name,
      watches: resources.map((r) => this.watch(r.resource, r.selector)),
      fullSyncKeys,
      reconcile: async (key, ctx) => {
        await reconcile(key, ctx);
        this.reconciled.push(key);
      },
    };
  }

  /** Keys are "<plural>:<object key>", or whatever `toKeys` returns when the test replaces it. */
  toKeys: (resource: ResourceRef, type: ChangeType, o: KubeObject, old?: KubeObject) => KeyRequest[] = (resource, _type, o) => [`${resource.plural}:${objectKey(o)}`];

  private watch(resource: ResourceRef, selector?: Selector): Watch {
    return {
      shape: slimShape(resource),
      selector,
      toKeys: (type, o, old) => {
        this.mapped.push(`${type} ${objectKey(o)}${old ? ` old@${old.metadata?.resourceVersion}` : ''}`);
        return this.toKeys(resource, type, o, old);
      },
    };
  }
}

const services = { resource: Resources.services };
const nodes = { resource: Resources.nodes };

void test('informers are shared per (resource, selector): one LIST per informer, every controller gets the events', async (t) => {
  const h = new Harness(t, { services: [obj('web', 'ns')], nodes: [obj('n1')] });
  const a = new Recorder('a', [services, nodes]);
  const b = new Recorder('b', [services]);
  const c = new Recorder('c', [{ resource: Resources.services, selector: { labelSelector: 'app=web' } }]);
  for (const r of [a, b, c]) h.mgr.add(r.def);
  assert.deepEqual([...h.fakes.keys()].sort(), ['nodes?', 'services?', 'services?app=web']);
  assert.equal(h.mgr.informer(slimShape(Resources.services)), h.mgr.informer(slimShape(Resources.services), {}));

  await h.mgr.start();
  await waitFor(() => [...h.fakes.values()].every((f) => f.openWatches() === 1), 5_000, 'every watch');
  for (const f of h.fakes.values()) assert.equal(f.lists.length, 1, f.description);

  h.fake(Resources.services).upsert(obj('api', 'ns'));
  await waitFor(() => a.reconciled.includes('services:ns/api') && b.reconciled.includes('services:ns/api'), 5_000, 'both controllers');
  assert.deepEqual(c.reconciled, [], 'the selected informer saw nothing');
});

void test('no reconcile before every cache has synced; then every fullSyncKeys() key exactly once', async (t) => {
  const h = new Harness(t, { services: [obj('a', 'ns'), obj('b', 'ns')], nodes: [obj('n1')] });
  const ctl = new Recorder('full-sync', [services, nodes], () => [...h.mgr.informer(slimShape(Resources.services)).keys(), ...h.mgr.informer(slimShape(Resources.nodes)).keys()]);
  h.mgr.add(ctl.def);
  const gate = new Gate();
  h.fake(Resources.nodes).listGate = gate.wait;

  const started = h.mgr.start();
  await waitFor(() => h.mgr.informer(slimShape(Resources.services)).hasSynced(), 5_000, 'the services cache');
  assert.equal(await settlesWithin(started, 50), false, 'start() waits for every cache');
  assert.deepEqual(ctl.reconciled, []);
  gate.open();
  await started;
  await waitFor(() => ctl.reconciled.length >= 3, 5_000, 'the full sync');
  await new Promise((r) => setTimeout(r, 50));
  assert.deepEqual(ctl.reconciled.sort(), ['n1', 'ns/a', 'ns/b']);
});

void test('an optional watch does not hold back the start; the same cache watched without it does', async (t) => {
  const h = new Harness(t, { services: [obj('a', 'ns')], nodes: [obj('n1')] });
  const ctl = new Recorder('optional', [services, nodes], () => h.mgr.informer(slimShape(Resources.services)).keys());
  const nodesWatch = ctl.def.watches[1];
  assert.ok(nodesWatch);
  nodesWatch.optional = true;
  h.mgr.add(ctl.def);
  const gate = new Gate();
  h.fake(Resources.nodes).listGate = gate.wait;
  await h.mgr.start();
  await waitFor(() => ctl.reconciled.includes('ns/a'), 5_000, 'the full sync while the optional cache is not listed');
  assert.equal(h.mgr.informer(slimShape(Resources.nodes)).hasSynced(), false);
  gate.open();
  await waitFor(() => h.mgr.informer(slimShape(Resources.nodes)).hasSynced(), 5_000, 'the optional cache, later');

  const h2 = new Harness(t, { services: [obj('a', 'ns')], nodes: [obj('n1')] });
  const optional = new Recorder('optional', [nodes]);
  const optionalWatch = optional.def.watches[0];
  assert.ok(optionalWatch);
  optionalWatch.optional = true;
  const required = new Recorder('required', [services, nodes]);
  h2.mgr.add(optional.def);
  h2.mgr.add(required.def);
  const gate2 = new Gate();
  h2.fake(Resources.nodes).listGate = gate2.wait;
  const started = h2.mgr.start();
  assert.equal(await settlesWithin(started, 100), false, 'a required watch of the same cache must hold the start');
  gate2.open();
  await started;
});

void test('an event maps through toKeys to a reconcile; MODIFIED passes the old object', async (t) => {
  const h = new Harness(t, { services: [obj('web', 'ns')] });
  const ctl = new Recorder('events', [services]);
  h.mgr.add(ctl.def);
  await h.mgr.start();
  await waitFor(() => h.fake(Resources.services).openWatches() === 1, 5_000, 'the watch');
  ctl.reconciled.length = 0;
  ctl.mapped.length = 0;

  h.fake(Resources.services).upsert(obj('web', 'ns'));
  await waitFor(() => ctl.reconciled.length === 1, 5_000, 'the reconcile');
  assert.deepEqual(ctl.reconciled, ['services:ns/web']);
  assert.deepEqual(ctl.mapped, ['MODIFIED ns/web old@101']);
  h.fake(Resources.services).remove('ns/web');
  await waitFor(() => ctl.reconciled.length === 2, 5_000, 'the reconcile of the delete');
  assert.equal(ctl.mapped[1], 'DELETED ns/web');
});

void test('a {key, afterMs} request is reconciled after the delay', async (t) => {
  const h = new Harness(t, { services: [] });
  const ctl = new Recorder('delayed', [services]);
  ctl.toKeys = () => [{ key: 'later', afterMs: 400 }];
  h.mgr.add(ctl.def);
  await h.mgr.start();
  await waitFor(() => h.fake(Resources.services).openWatches() === 1, 5_000, 'the watch');

  const sent = Date.now();
  h.fake(Resources.services).upsert(obj('web', 'ns'));
  await new Promise((r) => setTimeout(r, 80));
  assert.deepEqual(ctl.reconciled, [], 'not yet');
  await waitFor(() => ctl.reconciled.length === 1, 5_000, 'the delayed reconcile');
  assert.ok(Date.now() - sent >= 390, `reconciled after ${Date.now() - sent} ms`);
  assert.deepEqual(ctl.reconciled, ['later']);
});

void test('notReady(): "caches not synced" until synced, and every failing extra check', async (t) => {
  const h = new Harness(t, { services: [] });
  h.mgr.add(new Recorder('ready', [services]).def);
  let gobgpUp = false;
  h.mgr.addReadyCheck('gobgpd answers', () => gobgpUp);
  h.mgr.addReadyCheck('always fine', () => true);
  const gate = new Gate();
  h.fake(Resources.services).listGate = gate.wait;

  const started = h.mgr.start();
  assert.deepEqual(h.mgr.notReady(), ['caches not synced', 'gobgpd answers']);
  gate.open();
  await started;
  assert.deepEqual(h.mgr.notReady(), ['gobgpd answers']);
  gobgpUp = true;
  assert.deepEqual(h.mgr.notReady(), []);
  assert.equal(h.mgr.isLeader(), true, 'without leader election every process leads');
});

void test('shutdown() waits for the reconcile in flight (its signal aborted), then runs onStop hooks', async (t) => {
  const h = new Harness(t, { services: [] });
  const order: string[] = [];
  const gate = new Gate();
  let signal: AbortSignal | undefined;
  const ctl = new Recorder('shutdown', [services], () => ['slow'], async (_key, ctx) => {
    signal = ctx.signal;
    await gate.wait;
    order.push(`reconcile ended, aborted=${ctx.signal.aborted}`);
  });
  ctl.def.onStop = () => void order.push('controller onStop');
  h.mgr.add(ctl.def);
  h.mgr.onStop(() => void order.push('manager hook 1'));
  h.mgr.onStop(() => {
    order.push('manager hook 2');
    throw new Error('a failing hook does not stop the others');
  });
  h.mgr.onStop(() => void order.push('manager hook 3'));
  await h.mgr.start();
  await waitFor(() => signal !== undefined, 5_000, 'the reconcile');

  const stopping = h.mgr.shutdown();
  assert.equal(await settlesWithin(stopping, 80), false, 'waits for the reconcile');
  assert.equal(signal?.aborted, true);
  assert.deepEqual(order, []);
  gate.open();
  assert.equal(await stopping, false, 'a failed hook makes the stop unclean');
  assert.deepEqual(order, ['reconcile ended, aborted=true', 'controller onStop', 'manager hook 1', 'manager hook 2', 'manager hook 3']);
  assert.equal(h.fake(Resources.services).openWatches(), 0, 'informers stopped');
  assert.deepEqual(h.exits, [], 'shutdown() itself never exits');
  assert.ok(h.logs.some((l) => l.level === 'warn' && l.message === 'stop hook failed'));
});

void test('shutdown() is clean when every hook succeeds', async (t) => {
  const h = new Harness(t, { services: [] });
  h.mgr.add(new Recorder('clean', [services]).def);
  h.mgr.onStop(() => Promise.resolve());
  await h.mgr.start();
  assert.equal(await h.mgr.shutdown(), true);
});

void test('handleSignals(): SIGTERM exits 0 after a clean stop, 1 when a stop hook failed', async (t) => {
  for (const [hookFails, code] of [
    [false, 0],
    [true, 1],
  ] as const) {
    const h = new Harness(t, { services: [] });
    h.mgr.add(new Recorder('signals', [services]).def);
    h.mgr.onStop(() => (hookFails ? Promise.reject(new Error('could not withdraw')) : Promise.resolve()));
    await h.mgr.start();
    // Call the listener handleSignals() adds rather than emit: other SIGTERM listeners stay untouched.
    const before = { SIGTERM: new Set(process.listeners('SIGTERM')), SIGINT: new Set(process.listeners('SIGINT')) };
    h.mgr.handleSignals();
    const added = (signal: 'SIGTERM' | 'SIGINT'): NodeJS.SignalsListener[] => process.listeners(signal).filter((l) => !before[signal].has(l));
    const onTerm = added('SIGTERM');
    assert.equal(onTerm.length, 1);
    for (const signal of ['SIGTERM', 'SIGINT'] as const) for (const l of added(signal)) process.removeListener(signal, l);
    onTerm[0]('SIGTERM');
    await waitFor(() => h.exits.length === 1, 5_000, 'the exit');
    assert.deepEqual(h.exits, [code], `hook fails: ${hookFails}`);
  }
});

void test('shutdown() returns false and logs when a hook outlives shutdownDeadlineMs', async (t) => {
  const h = new Harness(t, { services: [] }, { shutdownDeadlineMs: 100 });
  h.mgr.add(new Recorder('deadline', [services]).def);
  const hook = new Gate();
  h.mgr.onStop(() => hook.wait);
  await h.mgr.start();

  const began = Date.now();
  assert.equal(await h.mgr.shutdown(), false);
  assert.ok(Date.now() - began < 1_000, 'bounded by the deadline');
  assert.ok(h.logs.some((l) => l.level === 'error' && l.message.includes('deadline') && l.fields.deadlineMs === 100));
  assert.deepEqual(h.exits, []);
  hook.open();
  assert.equal(await h.mgr.shutdown(), true, 'the same stop finishes once the hook returns');
});

void test('reconcile metrics carry the controller name and the outcome', async (t) => {
  const name = 'metrics-under-test';
  const h = new Harness(t, { services: [] });
  const attempts: string[] = [];
  const ctl = new Recorder(name, [services], () => ['ok-1', 'ok-2', 'bad'], (key) => {
    attempts.push(key);
    return key === 'bad' ? Promise.reject(new Error('bad input')) : Promise.resolve();
  });
  h.mgr.add(ctl.def);
  await h.mgr.start();
  const count = async (outcome: string): Promise<number | undefined> =>
    (await metrics.reconcileTotal.get()).values.find((v) => v.labels.controller === name && v.labels.outcome === outcome)?.value;
  await waitFor(() => attempts.length === 3, 5_000, 'the reconciles');
  await h.mgr.shutdown(); // every reconcile has been observed once the workers stopped
  assert.equal(await count('success'), 2);
  assert.ok(((await count('error')) ?? 0) >= 1, 'the failed reconcile counts as error (a retry may add more)');
  assert.equal(await count('requeue'), undefined);
});
