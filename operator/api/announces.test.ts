import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { V1Node } from '@kubernetes/client-node';
import { announcesFromNode, nodeDraining, nodeEligible } from './announces';
import { EXCLUDE_FROM_LB_LABEL, TO_BE_DELETED_TAINT } from './labels';
import type { VipAnnouncement } from './types';

void test('nodeEligible: the speaker and the controller read a Node the same way', () => {
  const cases: Array<{ name: string; node: V1Node | undefined; want: boolean }> = [
    { name: 'no Node (deleted, or not in the cache)', node: undefined, want: false },
    { name: 'no labels', node: { metadata: { name: 'a' } }, want: true },
    { name: 'other labels', node: { metadata: { name: 'a', labels: { 'kubernetes.io/hostname': 'a' } } }, want: true },
    { name: 'excluded, empty value', node: { metadata: { name: 'a', labels: { [EXCLUDE_FROM_LB_LABEL]: '' } } }, want: false },
    { name: 'excluded, any value', node: { metadata: { name: 'a', labels: { [EXCLUDE_FROM_LB_LABEL]: 'false' } } }, want: false },
  ];
  for (const c of cases) assert.equal(nodeEligible(c.node), c.want, c.name);
});

void test('nodeDraining: cordoned, or tainted for removal by the cluster autoscaler', () => {
  const cases: Array<{ name: string; node: Parameters<typeof nodeDraining>[0]; want: boolean }> = [
    { name: 'no Node', node: undefined, want: false },
    { name: 'schedulable', node: { spec: { unschedulable: false } }, want: false },
    { name: 'cordoned', node: { spec: { unschedulable: true } }, want: true },
    { name: 'to be deleted by the autoscaler', node: { spec: { taints: [{ key: TO_BE_DELETED_TAINT, effect: 'NoSchedule' }] } }, want: true },
    { name: 'another taint', node: { spec: { taints: [{ key: 'dedicated', effect: 'NoSchedule' }] } }, want: false },
  ];
  for (const c of cases) assert.equal(nodeDraining(c.node), c.want, c.name);
});

void test('announcesFromNode: a draining node steps back from Cluster policy; Local follows its endpoints', () => {
  const va = (spec: Partial<VipAnnouncement['spec']>): VipAnnouncement => ({
    apiVersion: 'vipannouncer.io/v1alpha1',
    kind: 'VipAnnouncement',
    metadata: { name: 'web', namespace: 'shop' },
    spec: { addresses: ['203.0.113.10'], externalTrafficPolicy: 'Cluster', endpoints: { ready: 1, serving: 1 }, ...spec },
  });
  const draining = { name: 'a', eligible: true, draining: true };
  assert.equal(announcesFromNode(va({}), { name: 'a', eligible: true }), true);
  assert.equal(announcesFromNode(va({}), draining), false, 'Cluster, draining');
  assert.equal(announcesFromNode(va({ endpoints: undefined }), draining), false, 'hand-made (Cluster), draining');
  assert.equal(announcesFromNode(va({ externalTrafficPolicy: 'Local', nodes: ['a'] }), draining), true, 'Local with an endpoint here, draining');
  assert.equal(announcesFromNode(va({ externalTrafficPolicy: 'Local', nodes: ['b'] }), draining), false, 'Local without one');
});
