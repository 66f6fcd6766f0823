import assert from 'node:assert/strict';
import { test } from 'node:test';
import { POOL_FINALIZER } from '../api/pool';
import { announcersIn, uninstallRemaining } from './prepareUninstall';

void test('uninstallRemaining: speaker Pods still there, and pools still holding the controller\'s finalizer', () => {
  assert.deepEqual(uninstallRemaining({ speakerPods: [], pools: [{ metadata: { name: 'a', finalizers: ['other.io/x'] } }] }), []);
  assert.deepEqual(uninstallRemaining({ speakerPods: [{ metadata: { name: 'speaker-x' } }], pools: [{ metadata: { name: 'a', finalizers: [POOL_FINALIZER] } }, { metadata: { name: 'b' } }] }), [
    'speaker Pods speaker-x',
    `the finalizer ${POOL_FINALIZER} on VipPools a`,
  ]);
});

void test('announcersIn: the VipAnnouncers whose speakers run in the namespace (unset: the default one)', () => {
  const list = [{ metadata: { name: 'default' } }, { metadata: { name: 'here' }, spec: { namespace: 'lb' } }, { metadata: { name: 'there' }, spec: { namespace: 'vip-announcer' } }];
  assert.deepEqual(announcersIn(list, 'vip-announcer'), ['default', 'there']);
  assert.deepEqual(announcersIn(list, 'lb'), ['here']);
});
