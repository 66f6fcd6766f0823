import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { V1ConfigMap, V1DaemonSet } from '@kubernetes/client-node';
import type { VipAnnouncer, VipAnnouncerStatus } from '../api/types';
import { KubeApiError } from '../kube/apply';
import type { ControllerDefinition, ReconcileContext } from '../kube/controllerDefinition';
import { FakeCaches, FakeEventSink, FakeKubeWriter, type WriterCall } from '../kube/testing';
import { nullLogger } from '../util/log';
import { installerController, InstallerResources } from './installerController';
import { announcer, NOW, served, servedConfigMap } from './installerTesting';
import { INSTALLER_REASONS, OWNER_LABEL } from './render';
import { SHIPPED_ADMISSION_POLICIES } from '../api/admissionPolicies';
import type { KubeObject } from '../kube/resources';

interface Harness {
  caches: FakeCaches;
  writer: FakeKubeWriter;
  events: FakeEventSink;
  def: ControllerDefinition;
}

function harness(vas: VipAnnouncer[] = [announcer()]): Harness {
  const caches = new FakeCaches();
  for (const va of vas) caches.informer<VipAnnouncer>(InstallerResources.vipAnnouncers).put(va);
  // config/admission as shipped: every policy, bound with Deny.
  for (const name of SHIPPED_ADMISSION_POLICIES) {
    caches.informer<KubeObject>(InstallerResources.admissionPolicies).put({ metadata: { name } });
    caches.informer<KubeObject & { spec: object }>(InstallerResources.admissionPolicyBindings).put({ metadata: { name }, spec: { policyName: name, validationActions: ['Deny'] } });
  }
  const writer = new FakeKubeWriter();
  const events = new FakeEventSink();
  return { caches, writer, events, def: installerController({ caches, writer, events, log: nullLogger(), speakerNamespace: 'vip-announcer', now: () => NOW }) };
}

function ctx(): ReconcileContext {
  return { log: nullLogger(), signal: new AbortController().signal, enqueue: () => undefined };
}

const ops = (calls: readonly WriterCall[]): string[] => calls.map((c) => `${c.op} ${c.resource}`);
const bodyOf = (calls: readonly WriterCall[], resource: string): unknown => calls.find((c) => c.resource === resource)?.body;

/** Put into the caches what the API server would hold after the calls (the DaemonSet rolled out). */
function feedBack(h: Harness, calls: readonly WriterCall[]): void {
  const cm = bodyOf(calls, 'configmaps') as V1ConfigMap | undefined;
  const ds = bodyOf(calls, 'daemonsets') as V1DaemonSet | undefined;
  const st = bodyOf(calls, 'vipannouncers') as { metadata: { name: string }; status: VipAnnouncerStatus } | undefined;
  if (cm) h.caches.informer<V1ConfigMap>(InstallerResources.configMaps).put(servedConfigMap(cm));
  if (ds) h.caches.informer<V1DaemonSet>(InstallerResources.daemonSets).put(served(ds, { desired: 2, ready: 2, updated: 2 }));
  if (st) {
    const vas = h.caches.informer<VipAnnouncer>(InstallerResources.vipAnnouncers);
    const va = vas.get(st.metadata.name);
    if (va) vas.put({ ...va, status: st.status });
  }
}

describe('installerController: the definition', () => {
  void it('is leader-elected, named installer, two workers', () => {
    const { def } = harness();
    assert.deepEqual([def.name, def.leaderElected, def.concurrency], ['installer', true, 2]);
  });

  void it('a VipAnnouncer event enqueues every VipAnnouncer; a full sync too', () => {
    const { def } = harness([announcer('a'), announcer('b')]);
    const [vaWatch] = def.watches;
    assert.deepEqual([...vaWatch.toKeys('MODIFIED', announcer('a'), undefined)].sort(), ['a', 'b']);
    assert.deepEqual([...def.fullSyncKeys()].sort(), ['a', 'b']);
  });

  void it('ConfigMap and DaemonSet events enqueue the owner label of the object and of its previous state', () => {
    const { def } = harness();
    const labelled = (owner?: string): V1ConfigMap => ({ metadata: { name: 'x', namespace: 'ns', labels: owner ? { [OWNER_LABEL]: owner } : {} } });
    for (const w of def.watches.slice(1, 3)) {
      assert.equal(w.selector?.labelSelector, OWNER_LABEL);
      assert.deepEqual([...w.toKeys('MODIFIED', labelled('new'), labelled('old'))], ['new', 'old']);
      assert.deepEqual([...w.toKeys('ADDED', labelled(), undefined)], []);
    }
    assert.deepEqual(def.watches.map((w) => w.shape.resource.plural), ['vipannouncers', 'configmaps', 'daemonsets', 'validatingadmissionpolicies', 'validatingadmissionpolicybindings']);
  });
});

describe('installerController: reconcile', () => {
  void it('writes ConfigMap, DaemonSet, status; then, with the caches caught up, nothing', async () => {
    const h = harness();
    await h.def.reconcile('default', ctx());
    assert.deepEqual(ops(h.writer.calls), ['apply configmaps', 'apply daemonsets', 'applyStatus vipannouncers']);
    assert.deepEqual(h.events.events.map((e) => `${e.type} ${e.reason} ${e.object}`), ['Normal ConfigurationApplied default']);

    feedBack(h, h.writer.calls.splice(0));
    h.events.events.length = 0;
    await h.def.reconcile('default', ctx());
    assert.deepEqual(ops(h.writer.calls), ['applyStatus vipannouncers'], 'rolled out: only the status moves to Ready');
    feedBack(h, h.writer.calls.splice(0));

    await h.def.reconcile('default', ctx());
    assert.deepEqual(h.writer.calls, []);
    assert.deepEqual(h.events.events, []);
  });

  void it('keeps no memory: a new instance over the same caches writes nothing either', async () => {
    const h = harness();
    for (let i = 0; i < 2; i++) {
      await h.def.reconcile('default', ctx());
      feedBack(h, h.writer.calls.splice(0));
    }
    const fresh = installerController({ caches: h.caches, writer: h.writer, events: h.events, log: nullLogger(), speakerNamespace: 'vip-announcer', now: () => NOW });
    await fresh.reconcile('default', ctx());
    assert.deepEqual(h.writer.calls, []);
  });

  void it('a VipAnnouncer gone from the cache: nothing', async () => {
    const h = harness([]);
    await h.def.reconcile('default', ctx());
    assert.deepEqual([h.writer.calls, h.events.events], [[], []]);
  });

  void it('an apply failure reports ApplyFailed (status, Warning) and rejects with the error', async () => {
    const h = harness();
    const failure = new KubeApiError(422, 'Invalid', 'DaemonSet is invalid', 'PATCH', '/apis/apps/v1/x');
    h.writer.respond = (call) => {
      if (call.resource === 'daemonsets') throw failure;
      return undefined;
    };
    await assert.rejects(h.def.reconcile('default', ctx()), (err) => err === failure);
    assert.deepEqual(ops(h.writer.calls), ['apply configmaps', 'apply daemonsets', 'applyStatus vipannouncers']);
    const status = (bodyOf(h.writer.calls, 'vipannouncers') as { status: VipAnnouncerStatus }).status;
    const readyCond = status.conditions?.find((c) => c.type === 'Ready');
    assert.equal(readyCond?.reason, INSTALLER_REASONS.applyFailed);
    assert.match(readyCond?.message ?? '', /DaemonSet is invalid/);
    assert.deepEqual(h.events.events.map((e) => `${e.type} ${e.reason}`), [`Warning ${INSTALLER_REASONS.applyFailed}`]);
  });

  void it('a status write for a VipAnnouncer deleted meanwhile (404) is not an error', async () => {
    const h = harness();
    h.writer.respond = (call) => {
      if (call.op === 'applyStatus') throw new KubeApiError(404, 'NotFound', 'gone', 'PATCH', '/x');
      return undefined;
    };
    await h.def.reconcile('default', ctx());
    assert.equal(h.writer.calls.length, 3);
  });

  void it('another status write failure rejects', async () => {
    const h = harness();
    h.writer.respond = (call) => {
      if (call.op === 'applyStatus') throw new KubeApiError(500, 'InternalError', 'down', 'PATCH', '/x');
      return undefined;
    };
    await assert.rejects(h.def.reconcile('default', ctx()), /down/);
  });
});

describe('installerController: admission policies', () => {
  void it('a policy or binding event re-checks every VipAnnouncer', () => {
    const { def } = harness([announcer('a'), announcer('b')]);
    for (const w of def.watches.slice(3)) assert.deepEqual([...w.toKeys('DELETED', { metadata: { name: 'p' } }, undefined)].sort(), ['a', 'b']);
  });

  void it('while the policies cannot be listed (optional caches not synced), the condition is Unknown and the rest goes on', async () => {
    const h = harness();
    h.caches.informer<KubeObject>(InstallerResources.admissionPolicies).synced = false;
    await h.def.reconcile('default', ctx());
    assert.deepEqual(ops(h.writer.calls), ['apply configmaps', 'apply daemonsets', 'applyStatus vipannouncers']);
    const status = (bodyOf(h.writer.calls, 'vipannouncers') as { status: VipAnnouncerStatus }).status;
    assert.equal(status.conditions?.find((c) => c.type === 'AdmissionPoliciesEnforced')?.status, 'Unknown');
    assert.ok(h.def.watches.slice(3).every((w) => w.optional === true), 'the policy watches must not hold back the start');
  });

  void it('a binding deleted: the status says which policy is not enforced, with one Warning; restored, True again', async () => {
    const h = harness();
    await h.def.reconcile('default', ctx());
    feedBack(h, h.writer.calls);
    const condition = (): string => {
      const va = h.caches.informer<VipAnnouncer>(InstallerResources.vipAnnouncers).get('default');
      const c = va?.status?.conditions?.find((x) => x.type === 'AdmissionPoliciesEnforced');
      return `${c?.status} ${c?.message}`;
    };
    assert.match(condition(), /^True /);
    h.caches.informer<KubeObject>(InstallerResources.admissionPolicyBindings).remove('vip-announcer-node-reports');
    h.writer.calls.length = 0;
    await h.def.reconcile('default', ctx());
    feedBack(h, h.writer.calls);
    assert.match(condition(), /^False .*ValidatingAdmissionPolicy vip-announcer-node-reports has no binding/);
    assert.equal(h.events.events.filter((e) => e.reason === 'PoliciesMissing').length, 1);
    h.caches.informer<KubeObject & { spec: object }>(InstallerResources.admissionPolicyBindings).put({ metadata: { name: 'vip-announcer-node-reports' }, spec: { policyName: 'vip-announcer-node-reports', validationActions: ['Deny'] } });
    h.writer.calls.length = 0;
    await h.def.reconcile('default', ctx());
    feedBack(h, h.writer.calls);
    assert.match(condition(), /^True /);
    assert.equal(h.events.events.filter((e) => e.reason === 'PoliciesMissing').length, 1, 'warned again');
  });
});
