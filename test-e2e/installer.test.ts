// The installer against the real API server and the real DaemonSet controller: a VipAnnouncer
// becomes the speaker ConfigMap (a config file `vip-announcer validate-config` accepts) and
// DaemonSet; the DaemonSet's own status drives SpeakersRolledOut; a CR change rolls the pods;
// a CR the CRD schema accepts but the config schema rejects changes nothing and says why.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { V1ConfigMap, V1DaemonSet, V1Pod, CoreV1Event } from '@kubernetes/client-node';
import type { Condition, VipAnnouncer } from '../operator/api/types';
import { REPO_ROOT, kubectl, kubectlResult, lab, waitFor, waitUntilNoMismatch } from './harness/lab';
import { core, deleteNamespace, ensureNamespace, ensureNode, ignoreNotFound, setPodReady, uniqueNamespace } from './harness/kube';
import { controllerConfig, startOperator, waitReady, type OperatorProcess } from './harness/operator';

const NS = uniqueNamespace('e2e-installer');
const NAME = NS; // cluster-scoped: unique per run
const HASH = 'vipannouncer.io/config-hash';
// Fully qualified, the way scripts should name a kind in a shared API group.
const VA = 'vipannouncers.vipannouncer.io';

function getJSON<T>(args: string[]): Promise<T | undefined> {
  const r = kubectlResult(['get', ...args, '-o', 'json', '--show-managed-fields']);
  if (r.status !== 0) {
    if (/NotFound/.test(r.stderr)) return Promise.resolve(undefined);
    return Promise.reject(new Error(r.stderr));
  }
  return Promise.resolve(JSON.parse(r.stdout) as T);
}

const getVA = (): Promise<VipAnnouncer | undefined> => getJSON<VipAnnouncer>([VA, NAME]);
const getCM = (): Promise<V1ConfigMap | undefined> => getJSON<V1ConfigMap>(['-n', NS, 'configmap', 'vip-announcer-speaker']);
const getDS = (): Promise<V1DaemonSet | undefined> => getJSON<V1DaemonSet>(['-n', NS, 'daemonset', 'vip-announcer-speaker']);
async function speakerPods(): Promise<V1Pod[]> {
  return (await getJSON<{ items: V1Pod[] }>(['-n', NS, 'pods', '-l', 'app.kubernetes.io/component=speaker']))?.items ?? [];
}

function cond(va: VipAnnouncer | undefined, type: string): Condition | undefined {
  return va?.status?.conditions?.find((c) => c.type === type);
}

/** '' when the condition has this status (and reason), else what it is. */
async function conditionMismatch(type: string, status: string, reason?: string): Promise<string> {
  const va = await getVA();
  const c = cond(va, type);
  if (!c) return `no ${type} condition`;
  if (c.observedGeneration !== va?.metadata.generation) return `${type} observedGeneration ${c.observedGeneration} != ${va?.metadata.generation}`;
  if (c.status !== status || (reason !== undefined && c.reason !== reason)) return `${type}=${c.status} ${c.reason}: ${c.message}`;
  return '';
}

/** The node a DaemonSet Pod is for (its nodeName, or the node its required affinity names). */
function targetNode(p: V1Pod): string | undefined {
  const terms = p.spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms ?? [];
  return p.spec?.nodeName ?? terms.flatMap((t) => t.matchFields ?? []).find((f) => f.key === 'metadata.name')?.values?.[0];
}

/** What a kubelet would report for each speaker Pod not yet Ready: Running and Ready, with its host's IP. */
async function markPodsReady(): Promise<void> {
  const nodes = lab().nodes;
  const pods = (await speakerPods()).filter((p) => !p.metadata?.deletionTimestamp && p.status?.conditions?.find((c) => c.type === 'Ready')?.status !== 'True');
  // A Pod the DaemonSet controller deletes meanwhile answers 404: nothing to mark.
  await Promise.all(pods.map((p) => {
    const ip = nodes.find((n) => n.name === targetNode(p))?.address ?? nodes[0].address;
    return ignoreNotFound(setPodReady(NS, p.metadata?.name ?? '', ip, true));
  }));
}

function validateConfig(text: string): { status: number | null; output: string } {
  const dir = path.join(lab().dir, 'e2e');
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `${NAME}-rendered.yaml`);
  writeFileSync(file, text);
  const r = spawnSync(process.execPath, [path.join(REPO_ROOT, 'dist', 'operator', 'main.js'), 'validate-config', file], { encoding: 'utf8' });
  return { status: r.status, output: r.stdout + r.stderr };
}

function announcer(peers: Array<Record<string, unknown>>): Record<string, unknown> {
  return {
    apiVersion: 'vipannouncer.io/v1alpha1',
    kind: 'VipAnnouncer',
    metadata: { name: NAME },
    spec: {
      asn: 64512,
      namespace: NS,
      peers,
      speaker: { image: 'registry.invalid/vip-announcer:lab', gobgpdImage: 'registry.invalid/gobgpd:lab', tolerations: [{ operator: 'Exists' }] },
    },
  };
}

describe('installer', () => {
  const nodes = lab().nodes;
  let ctl: OperatorProcess | undefined;

  before(async () => {
    // The controller role also runs the announcement controller, which needs its CRD.
    await kubectl(['apply', '-f', path.join(REPO_ROOT, 'crds')]);
    await kubectl(['wait', '--for=condition=Established', '--timeout=60s', 'crd/vipannouncers.vipannouncer.io', 'crd/vipannouncements.vipannouncer.io']);
    // A kubelet labels its Node with the OS; the speaker DaemonSet selects kubernetes.io/os=linux.
    for (const n of nodes) await ensureNode(n.name, n.address, { 'kubernetes.io/os': 'linux' });
    // One VipAnnouncer is in effect at a time (the oldest): remove what an earlier run left behind.
    const leftovers = (await getJSON<{ items: VipAnnouncer[] }>([VA]))?.items ?? [];
    for (const v of leftovers.filter((x) => x.metadata.name.startsWith('e2e-installer-'))) await kubectl(['delete', VA, v.metadata.name, '--wait=true']);
    await ensureNamespace(NS);
    // The Pods' ServiceAccount (shipped with the install, not made by the installer) and peer password.
    await core().createNamespacedServiceAccount(NS, { metadata: { name: 'vip-announcer-speaker' } });
    await core().createNamespacedSecret(NS, { metadata: { name: 'bgp-passwords' }, stringData: { 'tor-a': 'secret' } });
    ctl = await startOperator('installer-controller', 'controller', controllerConfig({ speakerNamespace: NS }));
    await waitReady(ctl);
  });

  after(async () => {
    await ctl?.stop();
    kubectlResult(['delete', VA, NAME, '--ignore-not-found', '--wait=true']);
    await deleteNamespace(NS);
  });

  it('the CRD schema rejects what it can see is wrong', () => {
    const bad = announcer([{ address: '192.0.2.300', asn: 65000 }]);
    const r = kubectlResult(['create', '--dry-run=server', '-f', '-'], JSON.stringify(bad));
    assert.notEqual(r.status, 0);
    assert.match(r.stderr, /must be an IP address/);
    const inline = announcer([{ address: '192.0.2.1', asn: 65000, password: 'inline' }]);
    const r2 = kubectlResult(['create', '--dry-run=server', '--validate=strict', '-f', '-'], JSON.stringify(inline));
    assert.notEqual(r2.status, 0, 'an inline password is not a field of the CRD');
  });

  it('a VipAnnouncer becomes a valid speaker ConfigMap and the specified DaemonSet', async () => {
    await kubectl(['create', '-f', '-'], JSON.stringify(announcer([{ address: '192.0.2.1', asn: 65000, passwordSecretRef: { name: 'bgp-passwords', key: 'tor-a' } }])));
    const va = await waitFor('the VipAnnouncer', getVA);
    const cm = await waitFor('speaker ConfigMap', getCM, { timeoutMs: 30_000 });
    const text = cm.data?.['config.yaml'] ?? '';
    const v = validateConfig(text);
    assert.equal(v.status, 0, v.output);
    assert.match(text, /passwordFile: \/var\/run\/vip-announcer\/peer-passwords\/bgp-passwords\/tor-a/);
    assert.doesNotMatch(text, /secret$/m);

    const ds = await waitFor('speaker DaemonSet', getDS, { timeoutMs: 30_000 });
    const owner = { apiVersion: 'vipannouncer.io/v1alpha1', kind: 'VipAnnouncer', name: NAME, uid: va.metadata.uid, controller: true, blockOwnerDeletion: true };
    assert.deepEqual(ds.metadata?.ownerReferences, [owner]);
    assert.deepEqual(cm.metadata?.ownerReferences, [owner]);
    assert.ok(ds.metadata?.managedFields?.some((f) => f.manager === 'vip-announcer-installer' && f.operation === 'Apply'));
    assert.equal(ds.spec?.template.metadata?.annotations?.[HASH], cm.metadata?.annotations?.[HASH]);
    const pod = ds.spec?.template.spec;
    assert.equal(pod?.hostNetwork, true);
    assert.equal(pod?.dnsPolicy, 'ClusterFirstWithHostNet');
    assert.equal(pod?.serviceAccountName, 'vip-announcer-speaker');
    const speaker = pod?.containers.find((c) => c.name === 'speaker');
    assert.deepEqual(pod?.containers.map((c) => c.name), ['speaker']);
    // A native sidecar: the API server keeps restartPolicy on an init container.
    const gobgpd = pod?.initContainers?.find((c) => c.name === 'gobgpd');
    assert.equal(gobgpd?.restartPolicy, 'Always');
    // Both listeners on the Pod IP (the node's address), which the kubelet expands into the args.
    assert.deepEqual(speaker?.args, ['speaker', '--config', '/etc/vip-announcer/config.yaml', '--metrics-bind-address=[$(POD_IP)]:9464', '--health-probe-bind-address=[$(POD_IP)]:9465']);
    assert.equal(speaker?.env?.find((e) => e.name === 'NODE_NAME')?.valueFrom?.fieldRef?.fieldPath, 'spec.nodeName');
    assert.equal(speaker?.env?.find((e) => e.name === 'POD_IP')?.valueFrom?.fieldRef?.fieldPath, 'status.podIP');
    // The probes go to the health port: plain HTTP, no token; /metrics needs one.
    assert.equal(speaker?.readinessProbe?.httpGet?.path, '/readyz');
    assert.equal(speaker?.readinessProbe?.httpGet?.port, 'health');
    assert.equal(speaker?.livenessProbe?.httpGet?.path, '/healthz');
    assert.equal(speaker?.livenessProbe?.httpGet?.port, 'health');
    assert.deepEqual(speaker?.securityContext?.capabilities, { drop: ['ALL'] });
    assert.equal(speaker?.securityContext?.runAsNonRoot, true);
    assert.equal(speaker?.securityContext?.readOnlyRootFilesystem, true);
    // The socket, and no pprof or metrics listener on the node's localhost.
    assert.deepEqual(gobgpd?.args, ['--api-hosts', 'unix:///run/gobgp/gobgp.sock', '--pprof-disable', '--metrics-path=']);
    assert.deepEqual(gobgpd?.volumeMounts, [{ name: 'gobgp-api', mountPath: '/run/gobgp' }]);
    assert.deepEqual(gobgpd?.securityContext?.capabilities, { drop: ['ALL'], add: ['NET_BIND_SERVICE'] });
    const secretVolume = pod?.volumes?.find((vol) => vol.name === 'peer-passwords');
    assert.equal(secretVolume?.projected?.sources?.[0]?.secret?.name, 'bgp-passwords');
  });

  it('the DaemonSet controller makes one Pod per node; pending Pods mean SpeakersRolledOut=False', async () => {
    await waitUntilNoMismatch('one speaker Pod per lab node', async () => {
      const pods = await speakerPods();
      return pods.length === nodes.length ? '' : `${pods.length} pods for ${nodes.length} nodes`;
    });
    await waitUntilNoMismatch('SpeakersRolledOut=False SpeakersNotReady', () => conditionMismatch('SpeakersRolledOut', 'False', 'SpeakersNotReady'));
    await waitUntilNoMismatch('Ready=False', () => conditionMismatch('Ready', 'False'));
    const va = await getVA();
    assert.equal(va?.status?.desiredSpeakers, nodes.length);
    assert.equal(va?.status?.readySpeakers, 0);
  });

  it('Pods reported Ready roll the speakers out: SpeakersRolledOut=True and Ready=True', async () => {
    await markPodsReady();
    await waitUntilNoMismatch('SpeakersRolledOut=True', () => conditionMismatch('SpeakersRolledOut', 'True', 'RolledOut'));
    await waitUntilNoMismatch('Ready=True', () => conditionMismatch('Ready', 'True', 'Ready'));
    const va = await getVA();
    assert.equal(va?.status?.readySpeakers, nodes.length);
    assert.equal(va?.status?.configHash, (await getCM())?.metadata?.annotations?.[HASH]);
  });

  it('changing a peer (same password Secret) changes the config but not the pod template: the speakers apply peers live, no rollout', async () => {
    const before = await getDS();
    const peer = { address: '192.0.2.2', asn: 65001, passwordSecretRef: { name: 'bgp-passwords', key: 'tor-a' } };
    await kubectl(['patch', VA, NAME, '--type', 'merge', '-p', JSON.stringify({ spec: { peers: [peer] } })]);
    await waitUntilNoMismatch('the new peer in the ConfigMap', async () => (/address: 192\.0\.2\.2/.test((await getCM())?.data?.['config.yaml'] ?? '') ? '' : 'old peer'));
    const cm = await getCM();
    assert.equal(validateConfig(cm?.data?.['config.yaml'] ?? '').status, 0);
    const after = await getDS();
    assert.equal(after?.spec?.template.metadata?.annotations?.[HASH], before?.spec?.template.metadata?.annotations?.[HASH]);
    assert.equal(after?.metadata?.generation, before?.metadata?.generation, 'the DaemonSet is not rolled');
  });

  it('changing what a speaker cannot apply live (the local ASN; the password volume gone) changes the pod template, which rolls the DaemonSet', async () => {
    const before = (await getDS())?.spec?.template.metadata?.annotations?.[HASH];
    await kubectl(['patch', VA, NAME, '--type', 'merge', '-p', JSON.stringify({ spec: { asn: 64999, peers: [{ address: '192.0.2.2', asn: 65001 }] } })]);
    await waitUntilNoMismatch('a new hash in the pod template', async () => {
      const h = (await getDS())?.spec?.template.metadata?.annotations?.[HASH];
      return h !== undefined && h !== before ? '' : `hash still ${h}`;
    });
    assert.match((await getCM())?.data?.['config.yaml'] ?? '', /asn: 64999/);
    await waitUntilNoMismatch('SpeakersRolledOut=False while new Pods are pending', () => conditionMismatch('SpeakersRolledOut', 'False'));
    // Old Pods (never bound to a node) are deleted at once; each new one made Ready lets the next go.
    await waitUntilNoMismatch('every speaker updated and ready', async () => {
      await markPodsReady();
      const wrong = await conditionMismatch('SpeakersRolledOut', 'True', 'RolledOut');
      if (wrong === '') return '';
      const pods = (await speakerPods()).map((p) => `${p.metadata?.name}@${p.metadata?.labels?.['controller-revision-hash']}:${p.status?.conditions?.find((c) => c.type === 'Ready')?.status ?? '-'}${p.metadata?.deletionTimestamp ? ':deleting' : ''}`);
      return `${wrong}; pods ${pods.join(' ')}`;
    }, { timeoutMs: 60_000 });
  });

  it('a CR the CRD accepts but the config schema rejects: Ready=False InvalidConfiguration, a Warning Event, nothing applied', async () => {
    const cmBefore = await getCM();
    const dsBefore = await getDS();
    await kubectl(['patch', VA, NAME, '--type', 'merge', '-p', JSON.stringify({ spec: { peers: [{ address: '192.0.2.2', asn: 65001, holdTime: '9s', keepaliveInterval: '9s' }] } })]);
    await waitUntilNoMismatch('Ready=False InvalidConfiguration', () => conditionMismatch('Ready', 'False', 'InvalidConfiguration'));
    const va = await getVA();
    assert.match(cond(va, 'Ready')?.message ?? '', /spec\.peers\[0\]\.keepaliveInterval: must be less than holdTime/);
    // The old configuration keeps running and is reported as such.
    assert.equal(cond(va, 'SpeakersRolledOut')?.status, 'True');
    const ev = await waitFor('a Warning Event InvalidConfiguration', async () => {
      const events = (await core().listNamespacedEvent('default', undefined, undefined, undefined, `involvedObject.name=${NAME}`)).body.items;
      return events.find((e: CoreV1Event) => e.type === 'Warning' && e.reason === 'InvalidConfiguration');
    });
    assert.equal(ev.involvedObject.kind, 'VipAnnouncer');
    const cmAfter = await getCM();
    const dsAfter = await getDS();
    assert.equal(cmAfter?.metadata?.resourceVersion, cmBefore?.metadata?.resourceVersion);
    assert.equal(cmAfter?.data?.['config.yaml'], cmBefore?.data?.['config.yaml']);
    assert.equal(dsAfter?.metadata?.generation, dsBefore?.metadata?.generation);
  });

  it('fixing the CR applies it again', async () => {
    await kubectl(['patch', VA, NAME, '--type', 'merge', '-p', JSON.stringify({ spec: { peers: [{ address: '192.0.2.2', asn: 65001, holdTime: '9s', keepaliveInterval: '3s' }] } })]);
    await waitUntilNoMismatch('config with the fixed timers', async () => {
      const text = (await getCM())?.data?.['config.yaml'] ?? '';
      return /keepaliveInterval: 3s/.test(text) ? '' : 'old config';
    });
    await waitUntilNoMismatch('Ready no longer InvalidConfiguration', async () => {
      const c = cond(await getVA(), 'Ready');
      return c && c.reason !== 'InvalidConfiguration' ? '' : `Ready ${c?.reason}`;
    });
  });
});
