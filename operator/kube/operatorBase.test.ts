import { afterEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { OperatorBaseOptions } from './operatorBase';
import { OperatorBase } from './operatorBase';
import type { Informer } from './informer';
import type { KubeObject } from './resources';
import { Resources, objectKey } from './resources';
import type { Result } from './workqueue';
import { FakeApiServer } from './fakeApiServer';
import { nullLogger } from '../util/log';
import { waitFor } from './testing';

const SVC_PATH = '/api/v1/namespaces/shop/services';
const SLICE_PATH = '/apis/discovery.k8s.io/v1/namespaces/shop/endpointslices';

interface Slice extends KubeObject {
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
}

/** A toy controller in the intended shape: events only enqueue keys; reconcile reads caches. */
class ToyController extends OperatorBase {
  services!: Informer<KubeObject>;
  slices!: Informer<Slice>;
  readonly reconciled: { key: string; serviceSeen: boolean; slices: number }[] = [];

  constructor(opts: Omit<OperatorBaseOptions, 'name' | 'logger'>) {
    super({ name: 'toy', logger: nullLogger(), ...opts });
  }

  protected init(): Promise<void> {
    this.services = this.informer<KubeObject>(Resources.services);
    this.slices = this.informer<Slice>(Resources.endpointSlices);
    this.services.onChange((_t, svc) => this.enqueue(objectKey(svc)));
    this.slices.onChange((_t, slice) => {
      const svc = slice.metadata.labels?.['kubernetes.io/service-name'];
      if (svc) this.enqueue(`${slice.metadata.namespace}/${svc}`);
    });
    return Promise.resolve();
  }

  protected keysForFullSync(): Iterable<string> {
    return this.services.keys();
  }

  protected reconcile(key: string): Promise<Result> {
    const slices = this.slices.list().filter((s) => `${s.metadata.namespace}/${s.metadata.labels?.['kubernetes.io/service-name']}` === key);
    this.reconciled.push({ key, serviceSeen: this.services.get(key) !== undefined, slices: slices.length });
    return Promise.resolve(undefined);
  }
}

void describe('OperatorBase', () => {
  let server: FakeApiServer;
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  void test('reconciles only after every cache synced; every key once at start; events enqueue keys', async () => {
    server = new FakeApiServer();
    await server.start();
    cleanups.push(() => server.stop());
    // The kube-vip bug: slices exist for services that exist. Both must be seen by the first reconcile.
    for (const name of ['web', 'api']) {
      server.upsert(SVC_PATH, { metadata: { name } });
      server.upsert(SLICE_PATH, { metadata: { name: `${name}-1`, labels: { 'kubernetes.io/service-name': name } } });
    }
    const op = new ToyController({ kubeConfig: server.kubeConfig(), concurrency: 2 });
    cleanups.push(() => op.shutdown());
    await op.start();
    assert.equal(op.isReady(), true);
    await waitFor(() => op.reconciled.length >= 2, 10_000, 'full sync');
    for (const r of op.reconciled) assert.deepEqual([r.serviceSeen, r.slices], [true, 1], JSON.stringify(r));
    assert.deepEqual(op.reconciled.map((r) => r.key).sort(), ['shop/api', 'shop/web']);

    const before = op.reconciled.length;
    server.upsert(SLICE_PATH, { metadata: { name: 'web-2', labels: { 'kubernetes.io/service-name': 'web' } } });
    await waitFor(() => op.reconciled.slice(before).some((r) => r.key === 'shop/web' && r.slices === 2), 10_000, 'slice event reconciled');
    assert.equal(op.isLeader(), true);
    await op.shutdown();
    assert.equal(op.isActive(), false);
  });

  void test('with leader election only the leader reconciles; the standby takes over on shutdown', async () => {
    server = new FakeApiServer();
    await server.start();
    cleanups.push(() => server.stop());
    server.upsert(SVC_PATH, { metadata: { name: 'web' } });
    const le = (identity: string) => ({
      namespace: 'system',
      name: 'toy',
      identity,
      leaseDurationMs: 1_500,
      renewDeadlineMs: 1_000,
      retryPeriodMs: 100,
    });
    const a = new ToyController({ kubeConfig: server.kubeConfig(), leaderElection: le('a') });
    cleanups.push(() => a.shutdown());
    await a.start();
    await waitFor(() => a.reconciled.length === 1, 10_000, 'a reconciles');
    const b = new ToyController({ kubeConfig: server.kubeConfig(), leaderElection: le('b') });
    cleanups.push(() => b.shutdown());
    await b.start();
    assert.equal(b.isReady(), true, 'the standby has warm caches');
    server.upsert(SVC_PATH, { metadata: { name: 'api' } });
    await waitFor(() => a.reconciled.some((r) => r.key === 'shop/api'), 10_000, 'a reconciles the new key');
    assert.equal(b.reconciled.length, 0, 'the standby does not reconcile');
    assert.equal(b.isLeader(), false);
    await a.shutdown();
    await waitFor(() => b.reconciled.length >= 2, 10_000, 'b takes over with a full sync');
    assert.deepEqual(b.reconciled.map((r) => r.key).sort(), ['shop/api', 'shop/web']);
    assert.equal(b.isLeader(), true);
  });
});
