import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { GlobalSpec, ImportPolicySpec, PeerSpec, GobgpPeer, PolicySpec } from '../gobgp/types';
import { secretFingerprint } from '../util/fingerprint';
import { REJECT_PEER_ROUTES, planGlobal, planImportPolicy, planPeers, type GlobalPlan, type ImportPolicyPlan, type PeerPlan } from './bgpPlan';

const desired: GlobalSpec = { asn: 65001, routerId: '10.0.0.5', listenPort: 179, listenAddresses: [] };

void test('planGlobal: start, restart on a changed ASN / router id / listener, else nothing', () => {
  const cases: Array<[string, GlobalSpec, GlobalSpec | null, GlobalPlan]> = [
    ['not started', desired, null, 'start'],
    ['running as wanted', desired, { ...desired, listenAddresses: ['0.0.0.0', '::'] }, 'none'],
    ['router id changed (Node InternalIP)', { ...desired, routerId: '10.0.0.6' }, desired, 'restart'],
    ['ASN changed', { ...desired, asn: 65002 }, desired, 'restart'],
    ['listen port changed', { ...desired, listenPort: -1 }, desired, 'restart'],
    ['listen addresses changed', { ...desired, listenAddresses: ['10.0.0.5'] }, { ...desired, listenAddresses: ['0.0.0.0'] }, 'restart'],
    ['listen addresses in another order', { ...desired, listenAddresses: ['::', '10.0.0.5'] }, { ...desired, listenAddresses: ['10.0.0.5', '::'] }, 'none'],
  ];
  for (const [name, want, running, plan] of cases) assert.equal(planGlobal(want, running), plan, name);
});

const spec = (address: string, extra: Partial<PeerSpec> = {}): PeerSpec => ({
  address,
  asn: 64512,
  port: 179,
  holdTime: 9,
  keepaliveInterval: 3,
  connectRetry: 1,
  families: ['ipv4-unicast'],
  passive: false,
  ...extra,
});

/** As gobgpd lists a peer configured from `s`. */
const running = (s: PeerSpec, state: GobgpPeer['state'] = 'Established'): GobgpPeer => {
  const { password, ...config } = s;
  const fingerprint = password !== undefined ? { passwordFingerprint: secretFingerprint(password) } : {};
  return { address: s.address, asn: s.asn, state, config: { ...config, hasPassword: password !== undefined, ...fingerprint }, prefixes: [] };
};

void test('planPeers: add missing, re-create changed, remove unknown, leave equal ones alone', () => {
  const a = spec('192.0.2.1');
  const b = spec('192.0.2.2');
  const cases: Array<[string, PeerSpec[], GobgpPeer[], PeerPlan]> = [
    ['cold start', [a, b], [], { add: [a, b], recreate: [], remove: [] }],
    ['all in place (session state does not matter)', [a, b], [running(a, 'Active'), running(b)], { add: [], recreate: [], remove: [] }],
    ['one added to the config', [a, b], [running(a)], { add: [b], recreate: [], remove: [] }],
    ['one removed from the config', [a], [running(a), running(b)], { add: [], recreate: [], remove: ['192.0.2.2'] }],
    ['ASN changed', [spec('192.0.2.1', { asn: 64999 })], [running(a)], { add: [], recreate: [spec('192.0.2.1', { asn: 64999 })], remove: [] }],
    ['password added', [spec('192.0.2.1', { password: 'x' })], [running(a)], { add: [], recreate: [spec('192.0.2.1', { password: 'x' })], remove: [] }],
    ['no peers configured', [], [running(a)], { add: [], recreate: [], remove: ['192.0.2.1'] }],
  ];
  for (const [name, want, have, plan] of cases) assert.deepEqual(planPeers(want, have), plan, name);
});

void test('planPeers: a changed password re-creates only that peer; an unchanged one nothing', () => {
  const a = spec('192.0.2.1', { password: 'old-key' });
  const b = spec('192.0.2.2', { password: 'b-key' });
  const aNew = spec('192.0.2.1', { password: 'new-key' });
  const fp = secretFingerprint;
  const applied = (entries: Array<[string, string | null]>): Map<string, string | null> => new Map(entries);
  const none: PeerPlan = { add: [], recreate: [], remove: [] };
  const cases: Array<[string, PeerSpec[], GobgpPeer[], Map<string, string | null>, PeerPlan]> = [
    ['unchanged, as gobgpd reports it', [a, b], [running(a), running(b)], applied([]), none],
    ['unchanged, as applied', [a, b], [running(a), running(b)], applied([[a.address, fp('old-key')], [b.address, fp('b-key')]]), none],
    ['changed: read back from gobgpd', [aNew, b], [running(a), running(b)], applied([]), { ...none, recreate: [aNew] }],
    ['changed: as applied', [aNew, b], [running(a), running(b)], applied([[a.address, fp('old-key')]]), { ...none, recreate: [aNew] }],
    ['removed', [spec('192.0.2.1'), b], [running(a), running(b)], applied([]), { ...none, recreate: [spec('192.0.2.1')] }],
  ];
  for (const [name, want, have, done, plan] of cases) assert.deepEqual(planPeers(want, have, done), plan, name);
});

void test('planImportPolicy: define, assign, replace only what differs', () => {
  const ours = REJECT_PEER_ROUTES.policies[0];
  assert.ok(ours);
  const other: PolicySpec = { name: 'someone-elses', statements: [{ name: 's', action: 'accept' }] };
  const changed: PolicySpec = { ...ours, statements: [{ name: 'vip-announcer-accept-local', routeType: 'internal', action: 'accept' }] };
  const assigned = (policies: PolicySpec[], defaultAction: ImportPolicySpec['defaultAction']): ImportPolicySpec => ({ policies, defaultAction });
  const nothing: ImportPolicyPlan = { detach: false, remove: [], add: [], assign: false };
  const cases: Array<[string, ImportPolicySpec, PolicySpec[], ImportPolicyPlan]> = [
    ['fresh gobgpd', assigned([], 'accept'), [], { ...nothing, add: [ours], assign: true }],
    ['in place', assigned([ours], 'reject'), [ours], nothing],
    ['default set back to accept', assigned([ours], 'accept'), [ours], { ...nothing, assign: true }],
    ['defined but not assigned', assigned([], 'reject'), [ours], { ...nothing, assign: true }],
    ['another policy assigned before ours', assigned([other, ours], 'reject'), [other, ours], { ...nothing, assign: true }],
    ['ours redefined and assigned', assigned([changed], 'reject'), [changed], { detach: true, remove: [ours.name], add: [ours], assign: true }],
    ['ours redefined, not assigned', assigned([], 'reject'), [changed], { detach: false, remove: [ours.name], add: [ours], assign: true }],
    ['a statement lost its condition', assigned([ours], 'reject'), [{ ...ours, statements: [{ name: 'vip-announcer-accept-local', action: 'accept' }] }], { detach: true, remove: [ours.name], add: [ours], assign: true }],
  ];
  for (const [name, running, defined, plan] of cases) assert.deepEqual(planImportPolicy(REJECT_PEER_ROUTES, running, defined), plan, name);
});
