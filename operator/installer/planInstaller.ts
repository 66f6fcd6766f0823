// What one reconcile of a VipAnnouncer must do, as data: a pure function of what the caches
// hold. The executor (./installerController.ts) runs the actions in order.
//
//   deleted or deleting              → nothing (the garbage collector removes what it owned)
//   another VipAnnouncer in effect   → Superseded status (+ Warning when new)
//   invalid configuration            → InvalidConfiguration status (+ Warning when new); nothing
//                                      else written, the speakers keep the last good config
//   otherwise                        → ConfigMap, DaemonSet (each only when it would change),
//                                      ConfigurationApplied Event for a new config, status
// Every status also says whether the API server enforces the admission policies (a Warning
// Event when they stop being enforced, or are not from the start).
// Every status is written only when it differs from the stored one.
import type { V1ConfigMap, V1DaemonSet } from '@kubernetes/client-node';
import type { CachedAnnouncer, CachedConfigMap, CachedDaemonSet } from './installerCaches';
import { condition, conditionsEqual } from '../api/conditions';
import { API_VERSION, INSTALLER_CONDITION_TYPES, INSTALLER_KIND, type Condition, type VipAnnouncer, type VipAnnouncerStatus } from '../api/types';
import { appliedFieldsHold } from './appliedFields';
import { SHIPPED_ADMISSION_POLICIES } from '../api/admissionPolicies';
import {
  activeAnnouncer,
  CONFIG_HASH_ANNOTATION,
  CONFIG_KEY,
  desiredConfigMap,
  desiredDaemonSet,
  desiredSpeakerConfig,
  INSTALLER_REASONS,
  namespaceOf,
  objectHash,
  SPEAKER_NAME,
  speakersRolledOut,
  type DaemonSetView,
  type RolloutState,
} from './render';

/** On the DaemonSet: hash of what the installer last applied. */
export const APPLIED_HASH_ANNOTATION = 'vipannouncer.io/applied-hash';

export interface InstallerSnapshot {
  /** The VipAnnouncer being reconciled; undefined once it is gone from the cache. */
  announcer: CachedAnnouncer | undefined;
  /** Every VipAnnouncer: which one is in effect depends on all of them. */
  announcers: readonly CachedAnnouncer[];
  /** The cached <namespace>/vip-announcer-speaker objects, whoever owns them. */
  configMap: CachedConfigMap | undefined;
  daemonSet: CachedDaemonSet | undefined;
  /** The one namespace the installer may write to (its RBAC is a Role there). */
  speakerNamespace: string;
  /**
   * What keeps the shipped admission policies from being enforced (admissionGaps); empty:
   * enforced; null: they could not be listed (Unknown). undefined: no such condition (tests).
   */
  admissionGaps?: readonly string[] | null;
  /** The controller's own loadBalancerClasses, rendered for the speakers (absent: the default). */
  loadBalancerClasses?: readonly string[];
  now: Date;
}

export interface VipAnnouncerStatusBody {
  apiVersion: typeof API_VERSION;
  kind: typeof INSTALLER_KIND;
  metadata: { name: string };
  status: VipAnnouncerStatus;
}

export type InstallerAction =
  | { kind: 'applyConfigMap'; body: V1ConfigMap }
  | { kind: 'applyDaemonSet'; body: V1DaemonSet }
  | { kind: 'applyStatus'; body: VipAnnouncerStatusBody }
  | { kind: 'event'; type: 'Normal' | 'Warning'; reason: string; message: string };

type Ready = Pick<Condition, 'status' | 'reason' | 'message'>;

export function planInstaller(s: InstallerSnapshot): InstallerAction[] {
  const announcer = s.announcer;
  if (!announcer || announcer.metadata.deletionTimestamp) return [];
  const currentDs = ownedBy(s.daemonSet, announcer);

  const active = activeAnnouncer(s.announcers);
  if (active && active.metadata.name !== announcer.metadata.name) {
    const message = `VipAnnouncer ${active.metadata.name} is in effect (the oldest); this one is ignored`;
    return planReport(announcer, s.admissionGaps, s.now, { status: 'False', reason: INSTALLER_REASONS.superseded, message }, speakersRolledOut(currentDs), true);
  }

  if (namespaceOf(announcer) !== s.speakerNamespace) {
    const message = `spec.namespace ${namespaceOf(announcer)} is not the speakers' namespace ${s.speakerNamespace} (controller.speakerNamespace); nothing applied`;
    return planReport(announcer, s.admissionGaps, s.now, { status: 'False', reason: INSTALLER_REASONS.namespaceNotAllowed, message }, speakersRolledOut(currentDs), true);
  }

  const rendered = desiredSpeakerConfig(announcer, s.loadBalancerClasses);
  if (!rendered.ok) {
    const message = `invalid configuration, nothing applied: ${rendered.problems.join('; ')}`;
    return planReport(announcer, s.admissionGaps, s.now, { status: 'False', reason: INSTALLER_REASONS.invalidConfiguration, message }, speakersRolledOut(currentDs), true);
  }

  const writes: InstallerAction[] = [];
  if (!configMapCurrent(ownedBy(s.configMap, announcer), rendered)) writes.push({ kind: 'applyConfigMap', body: desiredConfigMap(announcer, rendered) });
  const dsBody = daemonSetBody(announcer, rendered.hash);
  // The DaemonSet the status describes: the cached one, or what the apply will make of it.
  let ds: DaemonSetView | undefined = currentDs;
  if (!currentDs || !appliedFieldsHold(currentDs, { metadata: dsBody.metadata, spec: dsBody.spec })) {
    writes.push({ kind: 'applyDaemonSet', body: dsBody });
    ds = afterApply(s.daemonSet, dsBody);
  }

  const ns = namespaceOf(announcer);
  const short = rendered.hash.slice(0, 12);
  const events: InstallerAction[] =
    announcer.status?.configHash !== rendered.hash
      ? [{ kind: 'event', type: 'Normal', reason: INSTALLER_REASONS.configurationApplied, message: `speaker configuration ${short} applied to ${ns}/${SPEAKER_NAME}` }]
      : [];
  const rollout = speakersRolledOut(ds);
  const ready: Ready =
    rollout.condition.status === 'True'
      ? { status: 'True', reason: INSTALLER_REASONS.ready, message: `configuration ${short} runs on ${rollout.desired} speakers` }
      : { status: 'False', reason: rollout.condition.reason, message: rollout.condition.message };
  return [...writes, ...events, ...planReport(announcer, s.admissionGaps, s.now, ready, rollout, false, rendered.hash)];
}

/** What to do when applying the ConfigMap or DaemonSet failed with `error`. */
export function planApplyFailed(s: InstallerSnapshot, error: string): InstallerAction[] {
  const announcer = s.announcer;
  if (!announcer) return [];
  const message = `applying the speaker ConfigMap/DaemonSet in namespace ${namespaceOf(announcer)} failed: ${error}`;
  return planReport(announcer, s.admissionGaps, s.now, { status: 'False', reason: INSTALLER_REASONS.applyFailed, message }, speakersRolledOut(ownedBy(s.daemonSet, announcer)), true);
}

/** The object if it carries the controller ownerReference of this VipAnnouncer incarnation. */
function ownedBy<T extends { metadata?: { ownerReferences?: Array<{ uid: string; controller?: boolean }> } }>(obj: T | undefined, announcer: VipAnnouncer): T | undefined {
  return obj && (obj.metadata?.ownerReferences ?? []).some((o) => o.uid === announcer.metadata.uid && o.controller === true) ? obj : undefined;
}

function configMapCurrent(cm: V1ConfigMap | undefined, rendered: { text: string; hash: string }): boolean {
  return cm?.data?.[CONFIG_KEY] === rendered.text && cm.metadata?.annotations?.[CONFIG_HASH_ANNOTATION] === rendered.hash;
}

function daemonSetBody(announcer: VipAnnouncer, configHash: string): V1DaemonSet {
  const desired = desiredDaemonSet(announcer, configHash);
  return { ...desired, metadata: { ...desired.metadata, annotations: { [APPLIED_HASH_ANNOTATION]: objectHash(desired) } } };
}

/**
 * The DaemonSet as the apply will leave it, for the status written in the same reconcile: the
 * API server bumps the generation when the spec changes (1 for a new one), and the DaemonSet
 * controller has not observed it yet. The next DaemonSet event brings the real state.
 */
function afterApply(live: V1DaemonSet | undefined, body: V1DaemonSet): DaemonSetView {
  if (!live) return { metadata: { generation: 1 }, status: { desiredNumberScheduled: 0, numberReady: 0 } };
  const generation = live.metadata?.generation ?? 0;
  const specChanges = !appliedFieldsHold(live.spec, body.spec);
  return { ...live, metadata: { ...live.metadata, generation: specChanges ? generation + 1 : generation } };
}

/**
 * The status (written only when it changed) and, for a problem (`warn`) that differs from the
 * stored Ready condition, a Warning Event first.
 */
function planReport(
  announcer: VipAnnouncer,
  gaps: readonly string[] | null | undefined,
  now: Date,
  ready: Ready,
  rollout: RolloutState,
  warn: boolean,
  configHash = announcer.status?.configHash,
): InstallerAction[] {
  const gen = announcer.metadata.generation;
  const previous = announcer.status?.conditions;
  const admission = gaps === undefined ? undefined : admissionCondition(gaps);
  const conditions = [
    condition(INSTALLER_CONDITION_TYPES.ready, ready, gen, previous, now),
    condition(INSTALLER_CONDITION_TYPES.speakersRolledOut, rollout.condition, gen, previous, now),
    ...(admission ? [condition(INSTALLER_CONDITION_TYPES.admissionPolicies, admission, gen, previous, now)] : []),
  ];
  const actions: InstallerAction[] = [];
  const prevReady = previous?.find((c) => c.type === INSTALLER_CONDITION_TYPES.ready);
  if (warn && (prevReady?.reason !== ready.reason || prevReady.message !== ready.message)) {
    actions.push({ kind: 'event', type: 'Warning', reason: ready.reason, message: ready.message });
  }
  const prevAdmission = previous?.find((c) => c.type === INSTALLER_CONDITION_TYPES.admissionPolicies);
  if (admission?.status === 'False' && (prevAdmission?.status !== 'False' || prevAdmission.message !== admission.message)) {
    actions.push({ kind: 'event', type: 'Warning', reason: admission.reason, message: admission.message });
  }
  const status: VipAnnouncerStatus = {
    ...(gen !== undefined ? { observedGeneration: gen } : {}),
    conditions,
    ...(configHash ? { configHash } : {}),
    desiredSpeakers: rollout.desired,
    readySpeakers: rollout.ready,
    updatedSpeakers: rollout.updated,
  };
  if (!statusEqual(announcer.status ?? {}, status)) {
    actions.push({ kind: 'applyStatus', body: { apiVersion: API_VERSION, kind: INSTALLER_KIND, metadata: { name: announcer.metadata.name }, status } });
  }
  return actions;
}

/** Enforced, or what keeps the policies from it and how to fix it; null: not known. */
export function admissionCondition(gaps: readonly string[] | null): Ready {
  if (gaps === null) {
    const message = 'the installer cannot list ValidatingAdmissionPolicies and their bindings (its ClusterRole vip-announcer-installer lacks list/watch on them, or the API server does not serve admissionregistration.k8s.io/v1)';
    return { status: 'Unknown', reason: INSTALLER_REASONS.policiesUnread, message };
  }
  if (gaps.length === 0) {
    return { status: 'True', reason: INSTALLER_REASONS.policiesEnforced, message: `the API server enforces the ${SHIPPED_ADMISSION_POLICIES.length} admission policies of config/admission` };
  }
  const message = `tenant isolation is not enforced by the API server: ${gaps.join('; ')}; apply them with kubectl apply -k config/admission (README, Security)`;
  return { status: 'False', reason: INSTALLER_REASONS.policiesMissing, message };
}

function statusEqual(old: VipAnnouncerStatus, status: VipAnnouncerStatus): boolean {
  return (
    conditionsEqual(old.conditions, status.conditions) &&
    old.observedGeneration === status.observedGeneration &&
    old.configHash === status.configHash &&
    old.desiredSpeakers === status.desiredSpeakers &&
    old.readySpeakers === status.readySpeakers &&
    old.updatedSpeakers === status.updatedSpeakers
  );
}
