import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { V1ConfigMap, V1DaemonSet } from '@kubernetes/client-node';
import type { VipAnnouncer } from '../api/types';
import { announcer, NOW, NOW_TEXT, served, servedConfigMap, type Rollout } from './installerTesting';
import { APPLIED_HASH_ANNOTATION, planInstaller, planApplyFailed, type InstallerAction, type InstallerSnapshot, type VipAnnouncerStatusBody } from './planInstaller';
import { INSTALLER_REASONS } from './render';

function snapshot(va: VipAnnouncer | undefined, over: Partial<InstallerSnapshot> = {}): InstallerSnapshot {
  return { announcer: va, announcers: va ? [va] : [], configMap: undefined, daemonSet: undefined, speakerNamespace: 'vip-announcer', now: NOW, ...over };
}

const kinds = (actions: readonly InstallerAction[]): string[] =>
  actions.map((a) => (a.kind === 'event' ? `${a.type} ${a.reason}` : a.kind));

/** The body of the first action of this kind (the caller names its type). */
function body(actions: readonly InstallerAction[], kind: InstallerAction['kind']): unknown {
  const a = actions.find((x) => x.kind === kind);
  assert.ok(a && 'body' in a, `no ${kind} in ${kinds(actions).join(', ')}`);
  return a.body;
}

const statusOf = (actions: readonly InstallerAction[]): VipAnnouncerStatusBody['status'] => (body(actions, 'applyStatus') as VipAnnouncerStatusBody).status;
const ready = (actions: readonly InstallerAction[]): string => {
  const c = statusOf(actions).conditions?.find((x) => x.type === 'Ready');
  return `${c?.status} ${c?.reason}`;
};

/** The VipAnnouncer after the status of `actions` was written (the next reconcile's input). */
function withStatus(va: VipAnnouncer, actions: readonly InstallerAction[]): VipAnnouncer {
  return { ...va, status: statusOf(actions) };
}

/** The caches after a first plan's writes, the DaemonSet in the given rollout state. */
function afterWrites(va: VipAnnouncer, rollout: Rollout): InstallerSnapshot {
  const first = planInstaller(snapshot(va));
  return snapshot(withStatus(va, first), {
    configMap: servedConfigMap(body(first, 'applyConfigMap') as V1ConfigMap),
    daemonSet: served(body(first, 'applyDaemonSet') as V1DaemonSet, rollout),
  });
}

const ROLLED_OUT: Rollout = { desired: 3, ready: 3, updated: 3 };

describe('planInstaller', () => {
  void it('does nothing for a VipAnnouncer that is gone or being deleted', () => {
    assert.deepEqual(planInstaller(snapshot(undefined)), []);
    const deleting = announcer();
    deleting.metadata.deletionTimestamp = '2030-01-01T00:00:00Z';
    assert.deepEqual(planInstaller(snapshot(deleting)), []);
  });

  void it('a new VipAnnouncer: ConfigMap, DaemonSet, Event, status waiting for the DaemonSet controller', () => {
    const actions = planInstaller(snapshot(announcer()));
    assert.deepEqual(kinds(actions), ['applyConfigMap', 'applyDaemonSet', 'Normal ConfigurationApplied', 'applyStatus']);
    const st = statusOf(actions);
    assert.equal(ready(actions), `False ${INSTALLER_REASONS.generationNotObserved}`);
    assert.match(st.conditions?.[0].message ?? '', /generation 1$/);
    assert.equal(st.configHash, (body(actions, 'applyConfigMap') as V1ConfigMap).metadata?.annotations?.['vipannouncer.io/config-hash']);
    assert.equal(st.observedGeneration, 2);
    assert.equal(st.conditions?.[0].lastTransitionTime, NOW_TEXT);
    const ds = body(actions, 'applyDaemonSet') as V1DaemonSet;
    assert.match(ds.metadata?.annotations?.[APPLIED_HASH_ANNOTATION] ?? '', /^[0-9a-f]{64}$/);
  });

  void it('objects as applied and rolled out: only the status, Ready', () => {
    const actions = planInstaller(afterWrites(announcer(), ROLLED_OUT));
    assert.deepEqual(kinds(actions), ['applyStatus']);
    assert.equal(ready(actions), 'True Ready');
    assert.equal(statusOf(actions).readySpeakers, 3);
  });

  void it('rolling out: Ready False with the rollout reason', () => {
    const actions = planInstaller(afterWrites(announcer(), { desired: 3, ready: 3, updated: 1 }));
    assert.deepEqual(kinds(actions), ['applyStatus']);
    assert.equal(ready(actions), `False ${INSTALLER_REASONS.rollingOut}`);
  });

  void it('the same inputs again: nothing at all', () => {
    const s = afterWrites(announcer(), ROLLED_OUT);
    const settled = { ...s, announcer: withStatus(s.announcer as VipAnnouncer, planInstaller(s)) };
    assert.deepEqual(planInstaller(settled), []);
  });

  void it('quantities the API server canonicalised are not a change', () => {
    const va = announcer('default', { speaker: { gobgpdImage: 'g', resources: { requests: { cpu: '0.5' } } } });
    assert.ok(!kinds(planInstaller(afterWrites(va, ROLLED_OUT))).includes('applyDaemonSet'));
  });

  void it('a DaemonSet someone edited is applied again, and the status expects the next generation', () => {
    const s = afterWrites(announcer(), ROLLED_OUT);
    const edited = structuredClone(s.daemonSet as V1DaemonSet);
    const containers = edited.spec?.template.spec?.containers ?? [];
    containers[0].image = 'someone/else:1';
    const actions = planInstaller({ ...s, daemonSet: edited });
    assert.deepEqual(kinds(actions), ['applyDaemonSet', 'applyStatus']);
    assert.equal(ready(actions), `False ${INSTALLER_REASONS.generationNotObserved}`);
    assert.match(statusOf(actions).conditions?.[0].message ?? '', /generation 2$/);
  });

  void it('a DaemonSet of another incarnation is taken over', () => {
    const s = afterWrites(announcer(), ROLLED_OUT);
    const foreign = structuredClone(s.daemonSet as V1DaemonSet);
    foreign.metadata = { ...foreign.metadata, ownerReferences: [{ apiVersion: 'v', kind: 'VipAnnouncer', name: 'default', uid: 'old', controller: true }] };
    assert.ok(kinds(planInstaller({ ...s, daemonSet: foreign })).includes('applyDaemonSet'));
  });

  void it('a ConfigMap that changed or is owned by another incarnation is applied, the DaemonSet not', () => {
    const s = afterWrites(announcer(), ROLLED_OUT);
    const cm = s.configMap as V1ConfigMap;
    const edited = { ...cm, data: { 'config.yaml': 'speaker: {}\n' } };
    const foreign = { ...cm, metadata: { ...cm.metadata, ownerReferences: [] } };
    for (const configMap of [edited, foreign]) {
      assert.deepEqual(kinds(planInstaller({ ...s, configMap })), ['applyConfigMap', 'applyStatus']);
    }
  });

  void it('superseded: status and a Warning once, nothing else written', () => {
    const older = announcer('first', {}, '2029-01-01T00:00:00Z');
    const va = announcer('second');
    const actions = planInstaller(snapshot(va, { announcers: [va, older] }));
    assert.deepEqual(kinds(actions), [`Warning ${INSTALLER_REASONS.superseded}`, 'applyStatus']);
    assert.match(statusOf(actions).conditions?.[0].message ?? '', /VipAnnouncer first is in effect/);
    const again = withStatus(va, actions);
    assert.deepEqual(planInstaller(snapshot(again, { announcers: [again, older] })), []);
  });

  void it('invalid configuration: status and a Warning only for a new problem, nothing applied', () => {
    const va = announcer('default', { speaker: {} });
    const actions = planInstaller(snapshot(va));
    assert.deepEqual(kinds(actions), [`Warning ${INSTALLER_REASONS.invalidConfiguration}`, 'applyStatus']);
    assert.match(statusOf(actions).conditions?.[0].message ?? '', /spec\.speaker\.gobgpdImage/);
    assert.deepEqual(planInstaller(snapshot(withStatus(va, actions))), []);
    const other = { ...withStatus(va, actions), spec: { ...va.spec, routerIdPolicy: 'Other' as 'NodeInternalIP' } };
    assert.deepEqual(kinds(planInstaller(snapshot(other))), [`Warning ${INSTALLER_REASONS.invalidConfiguration}`, 'applyStatus']);
  });

  void it('invalid configuration keeps the last good config hash and the rollout counts', () => {
    const s = afterWrites(announcer(), ROLLED_OUT);
    const good = s.announcer as VipAnnouncer;
    const broken = { ...good, spec: { ...good.spec, speaker: {} } };
    const st = statusOf(planInstaller({ ...s, announcer: broken, announcers: [broken] }));
    assert.equal(st.configHash, good.status?.configHash);
    assert.equal(st.readySpeakers, 3);
  });
});

describe('planApplyFailed', () => {
  void it('ApplyFailed status and Warning; the Warning only once', () => {
    const va = announcer();
    const actions = planApplyFailed(snapshot(va), 'boom');
    assert.deepEqual(kinds(actions), [`Warning ${INSTALLER_REASONS.applyFailed}`, 'applyStatus']);
    assert.match(statusOf(actions).conditions?.[0].message ?? '', /namespace vip-announcer failed: boom$/);
    assert.deepEqual(planApplyFailed(snapshot(withStatus(va, actions)), 'boom'), []);
  });

  void it('a VipAnnouncer naming another namespace than the speakers\' one: Ready=False NamespaceNotAllowed, nothing written', () => {
    const va = announcer('default', { namespace: 'kube-system' });
    const actions = planInstaller(snapshot(va));
    assert.deepEqual(kinds(actions), ['Warning NamespaceNotAllowed', 'applyStatus']);
    assert.equal(ready(actions), 'False NamespaceNotAllowed');
    assert.deepEqual(kinds(planInstaller(snapshot(va, { speakerNamespace: 'kube-system' }))).slice(0, 2), ['applyConfigMap', 'applyDaemonSet']);
  });
});

describe('whether the API server enforces the admission policies', () => {
  const admission = (actions: readonly InstallerAction[]): string => {
    const c = statusOf(actions).conditions?.find((x) => x.type === 'AdmissionPoliciesEnforced');
    return `${c?.status} ${c?.reason}: ${c?.message}`;
  };

  void it('enforced: a True condition, no Warning', () => {
    const actions = planInstaller(snapshot(announcer(), { admissionGaps: [] }));
    assert.match(admission(actions), /^True PoliciesEnforced: the API server enforces the 4 admission policies/);
    assert.ok(!kinds(actions).includes('Warning PoliciesMissing'));
  });

  void it('not enforced: a False condition naming each gap and the fix, and one Warning until it changes', () => {
    const gaps = ['ValidatingAdmissionPolicy vip-announcer-node-reports has no binding'];
    const s = afterWrites(announcer(), ROLLED_OUT);
    const first = planInstaller({ ...s, admissionGaps: gaps });
    assert.deepEqual(kinds(first), ['Warning PoliciesMissing', 'applyStatus']);
    assert.match(admission(first), /^False PoliciesMissing: tenant isolation is not enforced by the API server: ValidatingAdmissionPolicy vip-announcer-node-reports has no binding; apply them with kubectl apply -k config\/admission/);
    const again = withStatus(s.announcer as VipAnnouncer, first);
    assert.deepEqual(planInstaller({ ...s, announcer: again, announcers: [again], admissionGaps: gaps }), [], 'the same gap warned again');
    const fixed = planInstaller({ ...s, announcer: again, announcers: [again], admissionGaps: [] });
    assert.deepEqual(kinds(fixed), ['applyStatus']);
    assert.match(admission(fixed), /^True/);
  });

  void it('also on a status that reports a problem (an invalid configuration)', () => {
    const broken = announcer('default', { speaker: {} });
    assert.match(admission(planInstaller(snapshot(broken, { admissionGaps: ['x'] }))), /^False PoliciesMissing/);
  });

  void it('policies that cannot be listed: Unknown, saying which permission or API is missing; no Warning', () => {
    const actions = planInstaller(snapshot(announcer(), { admissionGaps: null }));
    assert.match(admission(actions), /^Unknown PoliciesUnread: the installer cannot list ValidatingAdmissionPolicies/);
    assert.ok(!kinds(actions).some((k) => k.startsWith('Warning Policies')));
  });

  void it('not known (no snapshot of the policies): no condition written', () => {
    const actions = planInstaller(snapshot(announcer()));
    assert.equal(statusOf(actions).conditions?.some((c) => c.type === 'AdmissionPoliciesEnforced'), false);
  });
});
