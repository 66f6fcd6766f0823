// Fixtures for the installer's unit tests (not loaded by the program).
import type { V1ConfigMap, V1DaemonSet } from '@kubernetes/client-node';
import type { VipAnnouncer, VipAnnouncerSpec } from '../api/types';

export const NOW = new Date('2030-01-02T03:04:05.678Z');
export const NOW_TEXT = '2030-01-02T03:04:05Z';

export function announcer(name = 'default', spec: Partial<VipAnnouncerSpec> = {}, created = '2030-01-01T00:00:00Z'): VipAnnouncer {
  return {
    apiVersion: 'vipannouncer.io/v1alpha1',
    kind: 'VipAnnouncer',
    metadata: { name, uid: `uid-${name}`, generation: 2, creationTimestamp: created },
    spec: { asn: 64512, peers: [{ address: '192.0.2.1', asn: 65000 }], speaker: { gobgpdImage: 'example.org/gobgpd:3' }, ...spec },
  };
}

export interface Rollout {
  desired: number;
  ready: number;
  updated: number;
  /** Generation the DaemonSet controller has seen (default: the current one). */
  observed?: number;
}

/**
 * The DaemonSet as the API server stores what the installer applied: a generation, defaults
 * filled in, quantities canonicalised, an annotation of the DaemonSet controller, a status.
 */
export function served(applied: V1DaemonSet, rollout: Rollout, generation = 1): V1DaemonSet {
  const ds = structuredClone(applied);
  const meta = ds.metadata ?? {};
  ds.metadata = { ...meta, generation, uid: 'ds-uid', annotations: { ...meta.annotations, 'deprecated.daemonset.template.generation': String(generation) } };
  const pod = ds.spec?.template.spec;
  for (const c of [...(pod?.containers ?? []), ...(pod?.initContainers ?? [])]) {
    c.terminationMessagePath = '/dev/termination-log';
    if (c.readinessProbe) c.readinessProbe.timeoutSeconds = 1;
    if (c.resources?.requests?.cpu === '0.5') c.resources.requests.cpu = '500m';
  }
  if (ds.spec?.updateStrategy?.rollingUpdate) ds.spec.updateStrategy.rollingUpdate.maxSurge = 0;
  ds.status = {
    currentNumberScheduled: rollout.desired,
    numberMisscheduled: 0,
    desiredNumberScheduled: rollout.desired,
    numberReady: rollout.ready,
    updatedNumberScheduled: rollout.updated,
    observedGeneration: rollout.observed ?? generation,
  };
  return ds;
}

/** The ConfigMap as stored. */
export function servedConfigMap(applied: V1ConfigMap): V1ConfigMap {
  return { ...structuredClone(applied), metadata: { ...applied.metadata, uid: 'cm-uid', resourceVersion: '7' } };
}
