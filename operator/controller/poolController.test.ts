// The pool controller driven through its definition over fakes: finalizer, counts, conditions.
import { UNINSTALL_ANNOTATION } from '../api/uninstall';
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { V1Namespace } from '@kubernetes/client-node';
import type { VipPool, VipPoolStatus } from '../api/pool';
import type { VipAnnouncement } from '../api/types';
import { Resources } from '../kube/resources';
import { FakeCaches, FakeKubeWriter, type WriterCall } from '../kube/testing';
import { nullLogger } from '../util/log';
import { poolController } from './poolController';

const NOW = new Date('2030-01-01T00:00:00Z');

function pool(name: string, addresses: string[], meta: Partial<VipPool['metadata']> = {}): VipPool {
  return { apiVersion: 'vipannouncer.io/v1alpha1', kind: 'VipPool', metadata: { name, generation: 3, finalizers: ['vipannouncer.io/allocations'], ...meta }, spec: { addresses } };
}

function va(name: string, addresses: string[]): VipAnnouncement {
  return { apiVersion: 'vipannouncer.io/v1alpha1', kind: 'VipAnnouncement', metadata: { name, namespace: 'shop' }, spec: { addresses, externalTrafficPolicy: 'Cluster' } };
}

async function reconcile(pools: VipPool[], vas: VipAnnouncement[], name: string, namespaces: V1Namespace[] = []): Promise<WriterCall[]> {
  const caches = new FakeCaches();
  for (const ns of namespaces) caches.informer<V1Namespace>(Resources.namespaces).put(ns);
  for (const p of pools) caches.informer<VipPool>(Resources.vipPools).put(p);
  for (const v of vas) caches.informer<VipAnnouncement>(Resources.vipAnnouncements).put(v);
  const writer = new FakeKubeWriter();
  const def = poolController({ caches, writer, resyncPeriodMs: 0, now: () => NOW, systemNamespace: 'vip-announcer' });
  await def.reconcile(name, { log: nullLogger(), signal: new AbortController().signal, enqueue: () => undefined });
  return writer.calls;
}

const statusOf = (calls: WriterCall[]): VipPoolStatus | undefined => (calls.find((c) => c.op === 'applyStatus')?.body as { status: VipPoolStatus } | undefined)?.status;
const cond = (s: VipPoolStatus | undefined, type: string): { status: string; reason: string; message: string } | undefined => s?.conditions?.find((c) => c.type === type);

describe('pool controller', () => {
  it('adds its finalizer (metadata only) to a pool without one', async () => {
    const calls = await reconcile([pool('web', ['192.0.2.0/24'], { finalizers: [] })], [], 'web');
    assert.equal(calls[0].op, 'apply');
    assert.deepEqual(calls[0].body, { apiVersion: 'vipannouncer.io/v1alpha1', kind: 'VipPool', metadata: { name: 'web', finalizers: ['vipannouncer.io/allocations'] } });
  });

  it('counts allocated and free addresses per family, and is Ready', async () => {
    const s = statusOf(await reconcile([pool('web', ['192.0.2.0/30', '2001:db8::/126'])], [va('a', ['192.0.2.1', '2001:db8::1']), va('b', ['192.0.2.2', '198.51.100.1'])], 'web'));
    assert.deepEqual(s?.ipv4, { allocated: 2, free: 2 });
    assert.deepEqual(s?.ipv6, { allocated: 1, free: 3 });
    assert.equal(cond(s, 'Ready')?.status, 'True');
    assert.equal(s?.observedGeneration, 3);
  });

  it('an entry that is no range, or overlaps another pool, is Ready=False naming the field', async () => {
    const bad = statusOf(await reconcile([pool('web', ['192.0.2.0/24', '192.0.2.1/24'])], [], 'web'));
    assert.equal(cond(bad, 'Ready')?.reason, 'InvalidAddresses');
    assert.match(cond(bad, 'Ready')?.message ?? '', /spec\.addresses\[1\] "192\.0\.2\.1\/24"/);
    const overlap = statusOf(await reconcile([pool('web', ['192.0.2.0/24']), pool('other', ['192.0.2.128-192.0.3.10'])], [], 'web'));
    assert.equal(cond(overlap, 'Ready')?.reason, 'OverlappingPools');
    assert.match(cond(overlap, 'Ready')?.message ?? '', /spec\.addresses\[0\].*VipPool other/);
  });

  it('a pool being deleted waits while addresses are held, saying by whom; then releases its finalizer', async () => {
    const deleting = pool('web', ['192.0.2.0/24'], { deletionTimestamp: '2030-01-01T00:00:00Z' });
    const held = await reconcile([deleting], [va('a', ['192.0.2.7'])], 'web');
    assert.ok(!held.some((c) => c.op === 'apply'), 'the finalizer stays');
    assert.equal(cond(statusOf(held), 'DeletionBlocked')?.status, 'True');
    assert.match(cond(statusOf(held), 'DeletionBlocked')?.message ?? '', /shop\/a/);
    const free = await reconcile([deleting], [va('a', ['198.51.100.7'])], 'web');
    assert.deepEqual(free.map((c) => [c.op, c.body]), [['apply', { apiVersion: 'vipannouncer.io/v1alpha1', kind: 'VipPool', metadata: { name: 'web' } }]]);
  });

  it('an uninstall (the controller\'s namespace being deleted) releases every finalizer at once, held addresses or not, and adds none', async () => {
    const terminating: V1Namespace = { metadata: { name: 'vip-announcer', deletionTimestamp: NOW } };
    const held = await reconcile([pool('web', ['192.0.2.0/24'])], [va('a', ['192.0.2.7'])], 'web', [terminating]);
    assert.deepEqual(held.map((c) => [c.op, c.body]), [['apply', { apiVersion: 'vipannouncer.io/v1alpha1', kind: 'VipPool', metadata: { name: 'web' } }]]);
    assert.deepEqual(await reconcile([pool('bare', ['192.0.2.0/24'], { finalizers: [] })], [], 'bare', [terminating]), [], 'no finalizer added');
    // Another namespace going away is no uninstall.
    const other = await reconcile([pool('web', ['192.0.2.0/24'], { deletionTimestamp: '2030-01-01T00:00:00Z' })], [va('a', ['192.0.2.7'])], 'web', [{ metadata: { name: 'shop', deletionTimestamp: NOW } }]);
    assert.ok(!other.some((c) => c.op === 'apply'), 'the finalizer stays while shop/a holds an address');
  });

  it('the controller\'s namespace being deleted asks for every pool', () => {
    const caches = new FakeCaches();
    caches.informer<VipPool>(Resources.vipPools).put(pool('a', [])).put(pool('b', []));
    const def = poolController({ caches, writer: new FakeKubeWriter(), resyncPeriodMs: 0, systemNamespace: 'vip-announcer' });
    const nsWatch = def.watches.find((w) => w.shape.resource.plural === 'namespaces');
    assert.deepEqual([...(nsWatch?.toKeys('MODIFIED', { metadata: { name: 'vip-announcer', deletionTimestamp: NOW } } as V1Namespace, undefined) ?? [])], ['a', 'b']);
    assert.deepEqual([...(nsWatch?.toKeys('MODIFIED', { metadata: { name: 'vip-announcer' } }, undefined) ?? [])], []);
    // helm uninstall keeps the namespace: its pre-delete hook annotates it instead.
    assert.deepEqual([...(nsWatch?.toKeys('MODIFIED', { metadata: { name: 'vip-announcer', annotations: { [UNINSTALL_ANNOTATION]: 'true' } } }, undefined) ?? [])], ['a', 'b']);
    assert.deepEqual([...(nsWatch?.toKeys('MODIFIED', { metadata: { name: 'shop', deletionTimestamp: NOW } } as V1Namespace, undefined) ?? [])], []);
  });

  it('refused or terminating announcements neither block the deletion nor count', async () => {
    const deleting = pool('web', ['192.0.2.0/24'], { deletionTimestamp: '2030-01-01T00:00:00Z' });
    const selecting = (p: VipPool): VipPool => ({ ...p, spec: { ...p.spec, serviceAllocation: { namespaces: ['shop'] } } });
    const elsewhere = { ...va('foreign', ['192.0.2.8']), metadata: { name: 'foreign', namespace: 'evil' } };
    const terminating = { ...va('going', ['192.0.2.9']), metadata: { name: 'going', namespace: 'shop', deletionTimestamp: '2030-01-01T00:00:00Z' } };
    const service = { ...va('svc', ['192.0.2.10']), spec: { addresses: ['192.0.2.10'], externalTrafficPolicy: 'Cluster' as const, serviceRef: { name: 'svc' } } };
    const handmadeOnServiceAddress = va('copy', ['192.0.2.10']);
    const counted = statusOf(await reconcile([selecting(pool('web', ['192.0.2.0/24']))], [elsewhere, terminating, service, handmadeOnServiceAddress], 'web'));
    assert.deepEqual(counted?.ipv4?.allocated, 1, 'only the Service holds an address');
    const calls = await reconcile([selecting(deleting)], [elsewhere, terminating], 'web');
    assert.deepEqual(calls.map((c) => c.op), ['apply'], 'the finalizer goes');
  });

  it('an announcement spec change asks for every pool a moment later (one write per burst); a status report asks for none', () => {
    const caches = new FakeCaches();
    caches.informer<VipPool>(Resources.vipPools).put(pool('a', [])).put(pool('b', []));
    const def = poolController({ caches, writer: new FakeKubeWriter(), resyncPeriodMs: 0 });
    const vaWatch = def.watches.find((w) => w.shape.resource.plural === 'vipannouncements');
    const before = { ...va('x', []), metadata: { ...va('x', []).metadata, generation: 1 } };
    assert.deepEqual([...(vaWatch?.toKeys('MODIFIED', { ...before, metadata: { ...before.metadata, generation: 2 } }, before) ?? [])], [{ key: 'a', afterMs: 1000 }, { key: 'b', afterMs: 1000 }]);
    assert.deepEqual([...(vaWatch?.toKeys('MODIFIED', before, before) ?? [])], []);
  });

  it('writes nothing when the stored status is current', async () => {
    const p = pool('web', ['192.0.2.0/30']);
    const status = statusOf(await reconcile([p], [], 'web'));
    assert.deepEqual(await reconcile([{ ...p, status }], [], 'web'), []);
  });
});
