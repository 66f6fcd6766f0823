// The Kubernetes plumbing (operator/kube/) against the lab's real kube-apiserver and etcd: the
// informer (paginated list, watch, resume, relist after an API server restart, a real 410 Gone),
// server-side apply with two field managers, Event aggregation, leader election on a real Lease,
// and the Manager's start order. Nothing here is simulated; where the informer has to be held
// still (as a frozen process would be) its real transport is wrapped by a gate that only delays
// calls.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import type { ChangeType, ListPage, ListRequest, ListWatcher, WatchEnd, WatchEventType, WatchRequest } from '../operator/kube/informer';
import { Informer, KubeListWatcher, waitForCacheSync } from '../operator/kube/informer';
import type { KubeObject, ResourceRef } from '../operator/kube/resources';
import { Resources, objectKey } from '../operator/kube/resources';
import {
  KubeApiError, applyObject, applyStatus, createObject, createOrReplace, deleteObject, getObject,
  isAlreadyExists, isConflict, isInvalid, isNetworkError, isNotFound, mergePatch, mergePatchStatus, replaceObject,
} from '../operator/kube/apply';
import { EventRecorder } from '../operator/kube/events';
import type { LeaderElectorOptions } from '../operator/kube/leader';
import { microTime } from '../operator/api/time';
import { LeaderElector } from '../operator/kube/leader';
import { Manager, type ManagerOptions } from '../operator/kube/manager';
import { watch } from '../operator/kube/controllerDefinition';
import { slimShape } from '../operator/kube/cacheShape';
import { createLogger, nullLogger } from '../operator/util/log';
import { REPO_ROOT, kubectl, labCommand, waitFor, waitUntilNoMismatch } from './harness/lab';
import { core, deleteNamespace, discovery, ensureNamespace, kubeConfig, uniqueNamespace } from './harness/kube';

const NS = uniqueNamespace('e2e-plumbing');
const VIPA = Resources.vipAnnouncements;

interface Svc extends KubeObject {
  metadata: { name: string; namespace?: string; resourceVersion?: string; uid?: string; labels?: Record<string, string> };
}

interface Vipa extends KubeObject {
  metadata: { name: string; namespace?: string; uid?: string; resourceVersion?: string };
  spec?: { serviceRef?: { name: string }; addresses?: string[] };
  status?: { advertisedBy?: number; speakers?: { node: string; addresses?: string[] }[] };
}

/** A selector-less ClusterIP Service (no EndpointSlice controller involvement), labelled for one test. */
async function createSvc(name: string, group: string): Promise<void> {
  await core().createNamespacedService(NS, {
    metadata: { name, namespace: NS, labels: { plumbing: group } },
    spec: { ports: [{ port: 80, protocol: 'TCP' }] },
  });
}

async function deleteSvc(name: string): Promise<void> {
  await core().deleteNamespacedService(name, NS);
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** A KubeConfig for a port nothing listens on (a real refused connection). */
function deadKubeConfig(): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: 'dead', server: 'https://127.0.0.1:1', skipTLSVerify: true }],
    users: [{ name: 'nobody' }],
    contexts: [{ name: 'dead', cluster: 'dead', user: 'nobody' }],
    currentContext: 'dead',
  });
  return kc;
}

async function rejection(p: Promise<unknown>): Promise<KubeApiError> {
  try {
    await p;
  } catch (err) {
    assert.ok(err instanceof KubeApiError, `expected KubeApiError, got ${String(err)}`);
    return err;
  }
  assert.fail('expected a rejection');
}

/**
 * The real KubeListWatcher, observed: counts LIST pages, records watch events, and can hold
 * new list/watch calls at a gate (the informer then stands still, as if its process were frozen).
 */
class ObservedListWatcher<T extends KubeObject> implements ListWatcher<T> {
  readonly inner: KubeListWatcher<T>;
  readonly description: string;
  readonly pages: ListRequest[] = [];
  readonly watchEvents: { type: WatchEventType; key: string; rv?: string }[] = [];
  readonly watchEnds: WatchEnd['kind'][] = [];
  watchesOpen = 0;
  parked = 0;
  private gate?: { promise: Promise<void>; open: () => void };

  constructor(res: ResourceRef, selector: { namespace?: string; labelSelector?: string }) {
    this.inner = new KubeListWatcher<T>(kubeConfig(), res, selector);
    this.description = this.inner.description;
  }

  hold(): void {
    let open = (): void => undefined;
    const promise = new Promise<void>((r) => (open = r));
    this.gate = { promise, open };
  }

  release(): void {
    const g = this.gate;
    this.gate = undefined;
    g?.open();
  }

  private async pass(): Promise<void> {
    while (this.gate) {
      this.parked++;
      await this.gate.promise;
      this.parked--;
    }
  }

  async list(req: ListRequest): Promise<ListPage<T>> {
    await this.pass();
    this.pages.push({ limit: req.limit, continueToken: req.continueToken });
    return this.inner.list(req);
  }

  async watch(req: WatchRequest<T>): Promise<WatchEnd> {
    await this.pass();
    this.watchesOpen++;
    try {
      const end = await this.inner.watch({
        ...req,
        onEvent: (type, obj) => {
          this.watchEvents.push({ type, key: objectKey(obj), rv: obj.metadata?.resourceVersion });
          req.onEvent(type, obj);
        },
      });
      this.watchEnds.push(end.kind);
      return end;
    } finally {
      this.watchesOpen--;
    }
  }
}

function observedInformer(group: string, opts: { watchTimeoutSeconds?: number; pageSize?: number; logger?: ReturnType<typeof createLogger> } = {}) {
  const lw = new ObservedListWatcher<Svc>(Resources.services, { namespace: NS, labelSelector: `plumbing=${group}` });
  const inf = new Informer<Svc>(undefined, Resources.services, {
    listWatcher: lw,
    backoff: { initialMs: 200, maxMs: 1_000, jitter: 0.2 },
    healthyWatchMs: 1_000,
    ...opts,
  });
  const events: { type: ChangeType; key: string }[] = [];
  inf.onChange((type, obj) => events.push({ type, key: objectKey(obj) }));
  return { inf, lw, events };
}

const keysOf = (events: { type: ChangeType; key: string }[], type: ChangeType): string[] =>
  events.filter((e) => e.type === type).map((e) => e.key).sort();

describe('kube plumbing against the real API server', () => {
  const cleanups: (() => Promise<unknown>)[] = [];

  before(async () => {
    await kubectl(['apply', '-f', path.join(REPO_ROOT, 'crds')]);
    await kubectl(['wait', '--for=condition=Established', '--timeout=60s', 'crd/vipannouncements.vipannouncer.io']);
    await ensureNamespace(NS);
  });

  after(async () => {
    for (const c of cleanups.splice(0).reverse()) await c().catch(() => undefined);
    await deleteNamespace(NS);
  });

  describe('informer', () => {
    it('paginated initial list fills the cache and syncs; watch add/modify/delete; clean watch ends resume without a relist', async () => {
      for (let i = 0; i < 5; i++) await createSvc(`s${i}`, 'basic');
      const { inf, lw, events } = observedInformer('basic', { pageSize: 2, watchTimeoutSeconds: 2 });
      cleanups.push(() => inf.stop());
      assert.equal(inf.hasSynced(), false);
      inf.start();
      assert.equal(await waitForCacheSync([inf], AbortSignal.timeout(15_000)), true);
      assert.deepEqual(inf.keys().sort(), [0, 1, 2, 3, 4].map((i) => `${NS}/s${i}`));
      assert.deepEqual(keysOf(events, 'ADDED'), inf.keys().sort());
      assert.equal(lw.pages.length, 3, `three pages of at most 2: ${JSON.stringify(lw.pages)}`);
      assert.equal(lw.pages[0].continueToken, undefined);
      assert.ok(lw.pages[1].continueToken && lw.pages[2].continueToken, 'later pages continue');
      assert.equal(inf.get(`${NS}/s3`)?.apiVersion, 'v1', 'list items of built-in kinds get apiVersion');
      assert.equal(inf.get(`${NS}/s3`)?.kind, 'Service');
      assert.ok(Number(inf.lastResourceVersion()) > 0);

      await waitFor('watch open', () => lw.watchesOpen === 1, { timeoutMs: 10_000, intervalMs: 20 });
      events.length = 0;
      await createSvc('added', 'basic');
      await core().patchNamespacedService('s0', NS, { metadata: { annotations: { touched: 'yes' } } }, undefined, undefined, undefined, undefined, undefined,
        { headers: { 'Content-Type': 'application/merge-patch+json' } });
      await deleteSvc('s1');
      await createSvc('other-group', 'not-basic'); // outside the label selector
      await waitUntilNoMismatch('add, modify, delete from the watch', () => {
        const got = events.map((e) => `${e.type} ${e.key}`).join(', ');
        const want = [`ADDED ${NS}/added`, `MODIFIED ${NS}/s0`, `DELETED ${NS}/s1`].join(', ');
        return Promise.resolve(got === want ? '' : got);
      }, { timeoutMs: 10_000, intervalMs: 50 });
      assert.equal(inf.get(`${NS}/s0`)?.metadata.resourceVersion !== undefined, true);
      assert.equal(inf.get(`${NS}/s1`), undefined);
      assert.equal(inf.get(`${NS}/other-group`), undefined, 'the label selector reaches the watch');
      assert.equal(inf.get(`${NS}/added`)?.kind, 'Service', 'watch objects get kind too');
      assert.ok(lw.watchEvents.some((e) => e.type === 'DELETED' && e.key === `${NS}/s1`), 'the delete came over the watch');

      // The server ends each watch after 2 s; the informer resumes from its resourceVersion.
      await waitFor('two clean watch ends', () => lw.watchEnds.filter((k) => k === 'closed').length >= 2, { timeoutMs: 15_000 });
      await createSvc('after-resume', 'basic');
      await waitFor('event after resuming', () => inf.get(`${NS}/after-resume`) !== undefined, { timeoutMs: 10_000, intervalMs: 50 });
      assert.equal(inf.listCount, 1, 'no relist across clean watch ends');
      assert.ok(!lw.watchEnds.includes('error') && !lw.watchEnds.includes('gone'), lw.watchEnds.join(','));
      // Bookmarks: the lab's API server sends none within these short watches (it sends them
      // about once a minute); BOOKMARK handling is not observed here.
    });

    it('relist while held still: an object deleted meanwhile gets a synthesized DELETE', async () => {
      await createSvc('held-stays', 'held');
      await createSvc('held-goes', 'held');
      const { inf, lw, events } = observedInformer('held');
      cleanups.push(() => inf.stop());
      inf.start();
      assert.equal(await waitForCacheSync([inf], AbortSignal.timeout(15_000)), true);
      await waitFor('watch open', () => lw.watchesOpen === 1, { timeoutMs: 10_000, intervalMs: 20 });
      lw.hold();
      inf.relist(); // ends the watch; the LIST waits at the gate
      await waitFor('informer parked', () => lw.parked === 1 && lw.watchesOpen === 0, { timeoutMs: 10_000, intervalMs: 20 });
      await deleteSvc('held-goes');
      await createSvc('held-new', 'held');
      lw.release();
      await waitFor('relist', () => inf.listCount === 2, { timeoutMs: 10_000, intervalMs: 20 });
      assert.deepEqual(keysOf(events, 'DELETED'), [`${NS}/held-goes`]);
      assert.deepEqual(inf.keys().sort(), [`${NS}/held-new`, `${NS}/held-stays`]);
      assert.ok(!lw.watchEvents.some((e) => e.type === 'DELETED'), 'the delete was synthesized by the relist, not watched');
    });

    it('KubeListWatcher: aborting the signal ends a real watch', async () => {
      const lw = new KubeListWatcher<Svc>(kubeConfig(), Resources.services, { namespace: NS });
      const rv = (await lw.list({})).resourceVersion;
      const ctl = new AbortController();
      const p = lw.watch({ resourceVersion: rv, timeoutSeconds: 60, signal: ctl.signal, onEvent: () => undefined });
      await sleep(300);
      ctl.abort();
      assert.deepEqual(await p, { kind: 'aborted' });
    });

    it('the CRD and cluster-scoped kinds: paths, apiVersion/kind', async () => {
      await createObject<Vipa>(kubeConfig(), VIPA, { metadata: { name: 'inf-crd', namespace: NS }, spec: { addresses: ['203.0.113.77'] } });
      const vipas = new Informer<Vipa>(kubeConfig(), VIPA, { namespace: NS });
      const nodes = new Informer<KubeObject>(kubeConfig(), Resources.nodes);
      cleanups.push(() => vipas.stop(), () => nodes.stop());
      vipas.start();
      nodes.start();
      assert.equal(await waitForCacheSync([vipas, nodes], AbortSignal.timeout(15_000)), true);
      assert.equal(vipas.get(`${NS}/inf-crd`)?.kind, 'VipAnnouncement');
      assert.ok(nodes.list().every((n) => n.kind === 'Node' && !n.metadata?.namespace), 'cluster-scoped keys have no namespace');
    });
  });

  describe('an API server restart', () => {
    it('informers relist (synthesized DELETE, real 410 Gone), the leader steps down and leads again', async () => {
      // Informer A: watching normally when the API server goes away.
      await createSvc('r-a-stays', 'restart-a');
      await createSvc('r-a-goes', 'restart-a');
      const a = observedInformer('restart-a');
      // Informer B: resumes every 2 s; it is held at the gate (not watching) across the restart,
      // then re-watches from its old resourceVersion, which the restarted server no longer has.
      await createSvc('r-b-stays', 'restart-b');
      await createSvc('r-b-goes', 'restart-b');
      const lines: string[] = [];
      const b = observedInformer('restart-b', { watchTimeoutSeconds: 2, logger: createLogger({ format: 'json', level: 'debug', write: (l) => lines.push(l) }) });
      cleanups.push(() => a.inf.stop(), () => {
        b.lw.release(); // a parked informer could not stop
        return b.inf.stop();
      });
      // A leader with short timings on a real Lease.
      let leading = false;
      let starts = 0;
      const elector = new LeaderElector(kubeConfig(), {
        namespace: NS, name: 'restart', identity: 'survivor', leaseDurationMs: 3_000, renewDeadlineMs: 1_500, retryPeriodMs: 100,
        // In the test runner's own process: stand again instead of exiting (test-e2e/leadership.test.ts covers exit).
        onLost: 'restand',
        onStartedLeading: (signal) => {
          starts++;
          leading = true;
          signal.addEventListener('abort', () => (leading = false));
        },
      });
      void elector.run();
      cleanups.push(() => elector.stop());

      a.inf.start();
      b.inf.start();
      assert.equal(await waitForCacheSync([a.inf, b.inf], AbortSignal.timeout(15_000)), true);
      await waitFor('A and B watching, leader elected', () => a.lw.watchesOpen === 1 && b.lw.watchesOpen === 1 && leading, { timeoutMs: 10_000, intervalMs: 20 });
      const oldRv = a.inf.lastResourceVersion();

      b.lw.hold();
      await waitFor('B parked after its watch ended', () => b.lw.parked === 1 && b.lw.watchesOpen === 0, { timeoutMs: 10_000, intervalMs: 20 });
      await createSvc('r-b-new', 'restart-b'); // written while B does not watch

      let upAgain = false;
      try {
        // lab.sh returns once the process is gone (a graceful shutdown still answers for a while).
        await labCommand('stop', 'apiserver');
        await waitFor('leader steps down within renewDeadline (1.5 s) of the server going away', () => !leading, { timeoutMs: 2_500, intervalMs: 20 });
        await sleep(500);
        assert.equal(a.inf.hasSynced(), true, 'the cache stays synced (stale) while the server is down');
        assert.deepEqual(a.inf.keys().sort(), [`${NS}/r-a-goes`, `${NS}/r-a-stays`]);
        await labCommand('start', 'apiserver'); // returns once /readyz answers
        upAgain = true;
      } finally {
        if (!upAgain) await labCommand('start', 'apiserver');
      }
      // Right after /readyz, before A has necessarily relisted.
      await deleteSvc('r-a-goes');
      await deleteSvc('r-b-goes');
      await createSvc('r-a-new', 'restart-a');

      // A: the object deleted after the restart is gone, by a watched DELETED or a relist's synthesized one.
      await waitFor('A caught up', () => a.inf.get(`${NS}/r-a-new`) !== undefined && a.inf.get(`${NS}/r-a-goes`) === undefined, { timeoutMs: 20_000, intervalMs: 50 });
      assert.deepEqual(keysOf(a.events, 'DELETED'), [`${NS}/r-a-goes`], 'onDelete called once for it');
      assert.deepEqual(a.inf.keys().sort(), [`${NS}/r-a-new`, `${NS}/r-a-stays`]);
      assert.ok(a.inf.listCount >= 2, 'A relisted after the watch failed');
      const watched = a.lw.watchEvents.some((e) => e.type === 'DELETED' && e.key === `${NS}/r-a-goes`);
      // (Either path is correct; which one ran depends on A's backoff.)
      assert.ok(watched || a.inf.listCount >= 2);

      // B: its re-watch from the pre-restart resourceVersion gets a real 410 and relists.
      const listsBefore = b.inf.listCount;
      b.lw.release();
      await waitFor('B relisted after 410', () => b.inf.listCount > listsBefore, { timeoutMs: 10_000, intervalMs: 20 });
      assert.ok(b.lw.watchEnds.includes('gone'), `B's watch ends: ${b.lw.watchEnds.join(',')}`);
      assert.ok(lines.some((l) => l.includes('410 Gone')), 'logged as 410 Gone');
      assert.deepEqual(keysOf(b.events, 'DELETED'), [`${NS}/r-b-goes`]);
      assert.deepEqual(b.inf.keys().sort(), [`${NS}/r-b-new`, `${NS}/r-b-stays`]);
      assert.ok(!b.lw.watchEvents.some((e) => e.type === 'DELETED'), 'B never watched the delete: the relist synthesized it');

      // A KubeListWatcher asked for the pre-restart resourceVersion directly: 'gone'.
      const lw = new KubeListWatcher<Svc>(kubeConfig(), Resources.services, { namespace: NS });
      const end = await lw.watch({ resourceVersion: oldRv, timeoutSeconds: 5, signal: AbortSignal.timeout(10_000), onEvent: () => undefined });
      assert.equal(end.kind, 'gone', JSON.stringify(end));

      // The elector leads again.
      await waitFor('leader leads again', () => leading, { timeoutMs: 10_000, intervalMs: 20 });
      // At least once more after stepping down; a loaded machine may miss a 1.5 s renewal more than once.
      assert.ok(starts >= 2, `led ${starts} time(s)`);
      // And the informers keep going.
      await createSvc('r-a-later', 'restart-a');
      await waitFor('A sees later events', () => a.inf.get(`${NS}/r-a-later`) !== undefined, { timeoutMs: 10_000, intervalMs: 50 });
    });
  });

  describe('apply', () => {
    const kc = () => kubeConfig();
    const speakers = async (name: string): Promise<string[]> =>
      ((await getObject<Vipa>(kc(), VIPA, NS, name))?.status?.speakers ?? []).map((s) => `${s.node}:${(s.addresses ?? []).join('+')}`).sort();

    it('server-side apply to /status by two field managers: each keeps its list-map entry; an empty list removes only its own', async () => {
      const created = await applyObject<Vipa>(kc(), VIPA, { metadata: { name: 'ssa', namespace: NS }, spec: { serviceRef: { name: 'web' }, addresses: ['203.0.113.10'] } }, { fieldManager: 'vip-controller' });
      assert.equal(created.apiVersion, 'vipannouncer.io/v1alpha1', 'apiVersion/kind filled in');
      assert.ok(created.metadata.uid);
      const st = (node: string, addresses: string[]) => ({ metadata: { name: 'ssa', namespace: NS }, status: { speakers: [{ node, addresses }] } });
      await applyStatus(kc(), VIPA, st('node-a', ['203.0.113.10/32']), { fieldManager: 'speaker-node-a' });
      await applyStatus(kc(), VIPA, st('node-b', ['203.0.113.10/32']), { fieldManager: 'speaker-node-b' });
      assert.deepEqual(await speakers('ssa'), ['node-a:203.0.113.10/32', 'node-b:203.0.113.10/32']);
      await applyStatus(kc(), VIPA, st('node-a', []), { fieldManager: 'speaker-node-a' });
      assert.deepEqual(await speakers('ssa'), ['node-a:', 'node-b:203.0.113.10/32'], "a's rewrite leaves b's entry alone");
      await applyStatus(kc(), VIPA, { metadata: { name: 'ssa', namespace: NS }, status: { speakers: [] } }, { fieldManager: 'speaker-node-a' });
      assert.deepEqual(await speakers('ssa'), ['node-b:203.0.113.10/32'], "applying an empty list removes only a's entry");
      // The controller's merge patch of another status field keeps the speakers' entries.
      const out = await mergePatchStatus<Vipa>(kc(), VIPA, NS, 'ssa', { advertisedBy: 1 });
      assert.equal(out.status?.advertisedBy, 1);
      assert.deepEqual(await speakers('ssa'), ['node-b:203.0.113.10/32']);
      // Spec apply by the controller leaves status alone.
      await applyObject(kc(), VIPA, { metadata: { name: 'ssa', namespace: NS }, spec: { serviceRef: { name: 'web' }, addresses: ['203.0.113.11'] } }, { fieldManager: 'vip-controller' });
      assert.deepEqual((await getObject<Vipa>(kc(), VIPA, NS, 'ssa'))?.spec?.addresses, ['203.0.113.11']);
      assert.deepEqual(await speakers('ssa'), ['node-b:203.0.113.10/32']);
      // force: false on a field another manager owns is a 409 conflict.
      const eOwned = await rejection(applyObject(kc(), VIPA, { metadata: { name: 'ssa', namespace: NS }, spec: { serviceRef: { name: 'other' } } }, { fieldManager: 'intruder', force: false }));
      assert.ok(isConflict(eOwned) && !isAlreadyExists(eOwned), `${eOwned.statusCode} ${eOwned.reason}`);
    });

    it('errors are classified: 404 / 409 AlreadyExists / 409 Conflict / 422 / network', async () => {
      const e404 = await rejection(applyStatus(kc(), VIPA, { metadata: { name: 'nope', namespace: NS }, status: { advertisedBy: 0 } }, { fieldManager: 'm' }));
      assert.ok(isNotFound(e404), `${e404.statusCode} ${e404.reason}`);
      assert.equal(e404.reason, 'NotFound');
      assert.ok(isNotFound(await rejection(mergePatch(kc(), VIPA, NS, 'nope', { spec: {} }))));
      assert.equal(await getObject(kc(), VIPA, NS, 'nope'), undefined);

      await createObject<Vipa>(kc(), VIPA, { metadata: { name: 'errs', namespace: NS }, spec: { addresses: ['198.51.100.1'] } });
      const eExists = await rejection(createObject(kc(), VIPA, { metadata: { name: 'errs', namespace: NS }, spec: {} }));
      assert.ok(isAlreadyExists(eExists) && isConflict(eExists));
      const eStale = await rejection(replaceObject(kc(), VIPA, { metadata: { name: 'errs', namespace: NS, resourceVersion: '1' }, spec: { addresses: [] } }));
      assert.ok(isConflict(eStale) && !isAlreadyExists(eStale));
      assert.equal(eStale.reason, 'Conflict');

      const e422 = await rejection(createObject(kc(), VIPA, { metadata: { name: 'bad', namespace: NS }, spec: { addresses: ['not-an-ip'] } }));
      assert.ok(isInvalid(e422), `${e422.statusCode} ${e422.reason}`);
      assert.equal(e422.status?.code, 422);
      assert.match(e422.message, /IPv4 or IPv6/);

      const eNet = await rejection(getObject(deadKubeConfig(), VIPA, NS, 'errs'));
      assert.ok(isNetworkError(eNet));
      assert.equal(eNet.reason, 'ECONNREFUSED');
    });

    it('delete with a uid precondition, false when already gone; createOrReplace', async () => {
      const obj = await createObject<Vipa>(kc(), VIPA, { metadata: { name: 'tmp', namespace: NS }, spec: {} });
      assert.ok(isConflict(await rejection(deleteObject(kc(), VIPA, NS, 'tmp', { uid: '00000000-0000-0000-0000-000000000000' }))));
      assert.equal(await deleteObject(kc(), VIPA, NS, 'tmp', { uid: obj.metadata.uid, propagationPolicy: 'Background' }), true);
      assert.equal(await deleteObject(kc(), VIPA, NS, 'tmp'), false);

      const a = await createOrReplace<Vipa>(kc(), VIPA, { metadata: { name: 'cor', namespace: NS }, spec: { addresses: ['192.0.2.1'] } });
      const b = await createOrReplace<Vipa>(kc(), VIPA, { metadata: { name: 'cor', namespace: NS }, spec: { addresses: ['192.0.2.2'] } });
      assert.equal(b.metadata.uid, a.metadata.uid);
      assert.deepEqual(b.spec?.addresses, ['192.0.2.2']);
    });
  });

  describe('events', () => {
    const svcRef = async (name: string): Promise<KubeObject> => {
      await createSvc(name, 'events');
      const s = (await core().readNamespacedService(name, NS)).body;
      return { apiVersion: 'v1', kind: 'Service', metadata: { name, namespace: NS, uid: s.metadata?.uid, resourceVersion: s.metadata?.resourceVersion } };
    };
    const eventsAbout = async (name: string) =>
      (await core().listNamespacedEvent(NS, undefined, undefined, undefined, `involvedObject.name=${name}`)).body.items;

    it('two identical events aggregate into one Event with count 2; another message or after the window is a new Event', async () => {
      const obj = await svcRef('ev-web');
      let clock = new Date();
      const lines: string[] = [];
      const r = new EventRecorder(kubeConfig(), {
        reportingController: 'vipannouncer.io/controller', reportingInstance: 'controller-0', dedupeWindowMs: 60_000,
        logger: createLogger({ format: 'json', level: 'debug', write: (l) => lines.push(l) }), now: () => clock,
      });
      r.warning(obj, 'InvalidAnnotation', 'bad localPref');
      r.warning(obj, 'InvalidAnnotation', 'bad localPref');
      await r.flush();
      let evs = await eventsAbout('ev-web');
      assert.equal(evs.length, 1, JSON.stringify(evs.map((e) => e.metadata.name)));
      const e = evs[0];
      assert.equal(e.count, 2);
      assert.equal(e.type, 'Warning');
      assert.equal(e.reason, 'InvalidAnnotation');
      assert.equal(e.involvedObject.uid, obj.metadata?.uid);
      assert.equal(e.involvedObject.kind, 'Service');
      assert.equal(e.reportingComponent, 'vipannouncer.io/controller');
      assert.equal(e.reportingInstance, 'controller-0');
      assert.equal(e.source?.component, 'vipannouncer.io/controller');

      r.warning(obj, 'InvalidAnnotation', 'another message');
      await r.flush();
      assert.equal((await eventsAbout('ev-web')).length, 2, 'a different message is a different Event');
      clock = new Date(clock.getTime() + 120_000);
      r.warning(obj, 'InvalidAnnotation', 'bad localPref');
      await r.flush();
      assert.equal((await eventsAbout('ev-web')).length, 3, 'after the window a new Event starts');

      // An aggregated Event that was deleted is created again.
      evs = await eventsAbout('ev-web');
      for (const ev of evs) await core().deleteNamespacedEvent(ev.metadata.name ?? '', NS);
      r.warning(obj, 'InvalidAnnotation', 'bad localPref');
      await r.flush();
      evs = await eventsAbout('ev-web');
      assert.equal(evs.length, 1);
      assert.equal(evs[0].count, 1);

      // Long messages are truncated; a bad reason is recorded and logged once.
      r.normal(obj, 'not camel', 'x'.repeat(5000));
      r.normal(obj, 'not camel', 'y');
      await r.flush();
      evs = await eventsAbout('ev-web');
      assert.ok(evs.some((ev) => ev.message?.length === 1024));
      assert.equal(lines.filter((l) => l.includes('not CamelCase')).length, 1);
    });

    it('a rate-limited backlog is dropped at close()', async () => {
      const obj = await svcRef('ev-close');
      const lines: string[] = [];
      const r = new EventRecorder(kubeConfig(), {
        reportingController: 'vipannouncer.io/controller', perSecond: 0.5, burst: 1,
        logger: createLogger({ format: 'json', level: 'debug', write: (l) => lines.push(l) }),
      });
      for (let i = 0; i < 5; i++) r.normal(obj, 'AnnouncementCreated', `event ${i}`);
      // The first takes the one token at once; the rest wait two seconds a token.
      await waitFor('the first Event', async () => (await eventsAbout('ev-close')).length === 1).catch((err: unknown) => {
        // What the recorder said, so a failure here says why the write did not land.
        throw new Error(`${err instanceof Error ? err.message : String(err)}; the recorder logged: ${lines.join(' | ')}`);
      });
      await r.close();
      const evs = await eventsAbout('ev-close');
      assert.deepEqual(evs.map((e) => e.message), ['event 0']);
      const closing = lines.map((l) => JSON.parse(l) as { msg?: string; dropped?: number }).find((l) => l.msg === 'events not recorded at shutdown');
      assert.equal(closing?.dropped, 4);
      r.normal(obj, 'AnnouncementCreated', 'after close');
      await r.flush();
      assert.equal((await eventsAbout('ev-close')).length, 1, 'nothing is written after close()');
    });

    it('never throws: a failing API is logged', async () => {
      const lines: string[] = [];
      const r = new EventRecorder(deadKubeConfig(), { reportingController: 'vipannouncer.io/controller', logger: createLogger({ format: 'json', write: (l) => lines.push(l) }) });
      assert.doesNotThrow(() => r.warning({ kind: 'Service', metadata: { name: 'x', namespace: NS } }, 'Failed', 'x'));
      await r.flush();
      assert.ok(lines.some((l) => l.includes('recording event failed')));
    });
  });

  describe('leader election', () => {
    interface Candidate { elector: LeaderElector; leading: boolean; starts: number; stops: number; signals: AbortSignal[] }
    const timings = { leaseDurationMs: 2_000, renewDeadlineMs: 1_000, retryPeriodMs: 100 };
    const readLease = async (name: string) =>
      getObject<KubeObject & { spec?: Record<string, unknown> }>(kubeConfig(), Resources.leases, NS, name);

    function candidate(lease: string, identity: string, extra: Partial<LeaderElectorOptions> = {}): Candidate {
      const c: Candidate = { elector: undefined as unknown as LeaderElector, leading: false, starts: 0, stops: 0, signals: [] };
      c.elector = new LeaderElector(kubeConfig(), {
        namespace: NS, name: lease, identity, ...timings,
        onLost: 'restand', // in the test runner's own process
        onStartedLeading: (signal) => {
          c.starts++;
          c.leading = true;
          c.signals.push(signal);
          signal.addEventListener('abort', () => (c.leading = false));
        },
        onStoppedLeading: () => c.stops++,
        ...extra,
      });
      void c.elector.run();
      cleanups.push(() => c.elector.stop());
      return c;
    }

    it('two electors: exactly one leads; stop() releases and the other takes over quickly', async () => {
      const a = candidate('pair', 'a');
      const b = candidate('pair', 'b');
      await waitFor('someone leads', () => a.leading || b.leading, { timeoutMs: 10_000, intervalMs: 10 });
      const until = Date.now() + 1_500;
      while (Date.now() < until) {
        assert.ok(!(a.leading && b.leading), 'both lead at once');
        await sleep(10);
      }
      const [leader, standby] = a.leading ? [a, b] : [b, a];
      assert.equal(standby.leading, false);
      const lease = await readLease('pair');
      assert.equal(lease?.spec?.holderIdentity, leader === a ? 'a' : 'b');
      assert.equal(lease?.spec?.leaseDurationSeconds, 2);
      assert.match(String(lease?.spec?.renewTime), /\.\d{6}Z$/);
      assert.equal(standby.elector.getLeader(), lease?.spec?.holderIdentity);

      const released = Date.now();
      await leader.elector.stop();
      assert.equal(leader.signals[0].aborted, true);
      assert.equal(leader.stops, 1);
      await waitFor('standby takes over', () => standby.leading, { timeoutMs: 10_000, intervalMs: 10 });
      assert.ok(Date.now() - released < timings.leaseDurationMs, `takeover took ${Date.now() - released} ms`);
      const after = await readLease('pair');
      assert.equal(after?.spec?.holderIdentity, standby === a ? 'a' : 'b');
      assert.equal(after?.spec?.leaseTransitions, 1);
    });

    it('a Lease held by a dead identity expires and is taken; a foreign holder stops the leader at once', async () => {
      const now = microTime(new Date());
      await createObject(kubeConfig(), Resources.leases, {
        metadata: { name: 'dead', namespace: NS },
        spec: { holderIdentity: 'dead-x', leaseDurationSeconds: 2, acquireTime: now, renewTime: now, leaseTransitions: 3 },
      } as KubeObject);
      const t0 = Date.now();
      const a = candidate('dead', 'a');
      await waitFor('a sees dead-x', () => a.elector.getLeader() === 'dead-x', { timeoutMs: 5_000, intervalMs: 10 });
      assert.equal(a.leading, false);
      await waitFor('a takes the expired lease', () => a.leading, { timeoutMs: 10_000, intervalMs: 10 });
      assert.ok(Date.now() - t0 >= 1_900, `taken after ${Date.now() - t0} ms, before the 2 s lease expired`);
      let lease = await readLease('dead');
      assert.equal(lease?.spec?.holderIdentity, 'a');
      assert.equal(lease?.spec?.leaseTransitions, 4);

      // Someone else writes the Lease (e.g. after a partition): a steps down on its next renewal.
      await mergePatch(kubeConfig(), Resources.leases, NS, 'dead', { spec: { holderIdentity: 'x', renewTime: microTime(new Date()) } });
      await waitFor('a steps down', () => !a.leading, { timeoutMs: 5_000, intervalMs: 10 });
      assert.equal(a.elector.getLeader(), 'x');
      await waitFor('a re-acquires once x has not renewed', () => a.leading, { timeoutMs: 10_000, intervalMs: 10 });
      lease = await readLease('dead');
      assert.equal(lease?.spec?.holderIdentity, 'a');
    });
  });

  describe('Manager', () => {
    interface Slice extends KubeObject { metadata: { name: string; namespace?: string; labels?: Record<string, string> } }
    const SVC_LABEL = 'plumbing=toy';

    /** A toy controller declared as data: Services and their slices, recording what each reconcile saw. */
    class Toy {
      readonly manager: Manager;
      readonly reconciled: { key: string; synced: boolean; serviceSeen: boolean; slices: number }[] = [];

      constructor(leaderElection?: ManagerOptions['leaderElection'], identity = 'toy') {
        this.manager = new Manager({ kubeConfig: kubeConfig(), logger: nullLogger(), identity, leaderElection, exit: () => undefined });
        const svcSel = { namespace: NS, labelSelector: SVC_LABEL };
        const sliceSel = { namespace: NS, labelSelector: 'endpointslice.kubernetes.io/managed-by=e2e.vipannouncer.io' };
        const services = this.manager.informer(slimShape<KubeObject>(Resources.services), svcSel);
        const slices = this.manager.informer(slimShape<Slice>(Resources.endpointSlices), sliceSel);
        this.manager.add({
          name: 'toy',
          leaderElected: true,
          concurrency: 2,
          watches: [
            watch({ shape: slimShape<KubeObject>(Resources.services), selector: svcSel, toKeys: (_t, svc) => [objectKey(svc)] }),
            watch({
              shape: slimShape<Slice>(Resources.endpointSlices),
              selector: sliceSel,
              toKeys: (_t, slice) => {
                const svc = slice.metadata.labels?.['kubernetes.io/service-name'];
                return svc ? [`${slice.metadata.namespace}/${svc}`] : [];
              },
            }),
          ],
          fullSyncKeys: () => services.keys(),
          reconcile: (key) => {
            const own = slices.list().filter((s) => `${s.metadata.namespace}/${s.metadata.labels?.['kubernetes.io/service-name']}` === key);
            this.reconciled.push({ key, synced: services.hasSynced() && slices.hasSynced(), serviceSeen: services.get(key) !== undefined, slices: own.length });
            return Promise.resolve(undefined);
          },
        });
      }
      start(): Promise<void> {
        return this.manager.start();
      }
      async shutdown(): Promise<void> {
        await this.manager.shutdown();
      }
    }

    async function slice(name: string, service: string): Promise<void> {
      await discovery().createNamespacedEndpointSlice(NS, {
        metadata: { name, namespace: NS, labels: { 'kubernetes.io/service-name': service, 'endpointslice.kubernetes.io/managed-by': 'e2e.vipannouncer.io' } },
        addressType: 'IPv4',
        endpoints: [{ addresses: ['10.9.9.9'], conditions: { ready: true } }],
      });
    }

    const countByKey = (rs: { key: string }[]) => {
      const m: Record<string, number> = {};
      for (const r of rs) m[r.key] = (m[r.key] ?? 0) + 1;
      return m;
    };

    it('reconciles only after every cache synced, every key once at start; events enqueue keys; with leader election only the leader works', async () => {
      for (const name of ['toy-web', 'toy-api']) {
        await createSvc(name, 'toy');
        await slice(`${name}-1`, name);
      }
      const op = new Toy();
      cleanups.push(() => op.shutdown());
      await op.start();
      assert.deepEqual(op.manager.notReady(), []);
      await waitFor('full sync', () => op.reconciled.length >= 2, { timeoutMs: 10_000, intervalMs: 20 });
      await sleep(500); // anything enqueued twice would have run by now
      assert.deepEqual(countByKey(op.reconciled), { [`${NS}/toy-api`]: 1, [`${NS}/toy-web`]: 1 });
      for (const r of op.reconciled) assert.deepEqual([r.synced, r.serviceSeen, r.slices], [true, true, 1], JSON.stringify(r));

      const before = op.reconciled.length;
      await slice('toy-web-2', 'toy-web');
      await waitFor('slice event reconciled', () => op.reconciled.slice(before).some((r) => r.key === `${NS}/toy-web` && r.slices === 2), { timeoutMs: 10_000, intervalMs: 20 });
      assert.equal(op.manager.isLeader(), true);
      await op.shutdown();
      const afterStop = op.reconciled.length;
      await slice('toy-web-3', 'toy-web');
      await sleep(500);
      assert.equal(op.reconciled.length, afterStop, 'a stopped manager reconciles nothing');

      // Two replicas with leader election on a real Lease.
      const le = { namespace: NS, name: 'toy', leaseDurationMs: 2_000, renewDeadlineMs: 1_000, retryPeriodMs: 100 };
      const a = new Toy(le, 'a');
      cleanups.push(() => a.shutdown());
      await a.start();
      await waitFor('a reconciles', () => a.reconciled.length === 2, { timeoutMs: 10_000, intervalMs: 20 });
      const b = new Toy(le, 'b');
      cleanups.push(() => b.shutdown());
      await b.start();
      assert.deepEqual(b.manager.notReady(), [], 'the standby has warm caches');
      await createSvc('toy-new', 'toy');
      await waitFor('a reconciles the new key', () => a.reconciled.some((r) => r.key === `${NS}/toy-new`), { timeoutMs: 10_000, intervalMs: 20 });
      assert.equal(b.reconciled.length, 0, 'the standby does not reconcile');
      assert.equal(b.manager.isLeader(), false);
      await a.shutdown();
      await waitFor('b takes over with a full sync', () => b.reconciled.length >= 3, { timeoutMs: 10_000, intervalMs: 20 });
      assert.deepEqual(Object.keys(countByKey(b.reconciled)).sort(), [`${NS}/toy-api`, `${NS}/toy-new`, `${NS}/toy-web`]);
      assert.equal(b.manager.isLeader(), true);
    });
  });
});
