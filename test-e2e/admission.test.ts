// The API server refuses forgeries (issue 19): each ValidatingAdmissionPolicy of
// config/admission, as shipped, on the lab's real API server. Each is proven with a negative
// control: its binding deleted, the attack goes through; the binding back, the same request
// is refused with the policy's message. Tenants are impersonated users holding the documented
// roles; the speakers' and the controller's identities are real ServiceAccount tokens, the
// speakers' bound to a Pod on their node as the kubelet's are.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import yaml from 'js-yaml';
import { gobgpdCommand } from '../operator/installer/render';
import { nodeOptionsFor } from '../operator/installer/heapFlags';
import { REPO_ROOT, kubectl, kubectlResult, lab, waitFor } from './harness/lab';
import { createReadyPod, createService, deleteNamespace, ensureNamespace, uniqueNamespace } from './harness/kube';
import { installShippedAccess } from './harness/install';
import { controllerConfig, startOperator, waitReady, type OperatorProcess } from './harness/operator';
import { deleteBoundPods, kubeconfigToken, podBoundKubeconfig, serviceAccountKubeconfig, serviceAccountUser, tokenUser } from './harness/serviceAccount';

const SYSTEM_NS = 'vip-announcer';
const CONTROLLER_SA = 'vip-announcer-controller';
const SPEAKER_SA = 'vip-announcer-speaker';
const NS = uniqueNamespace('e2e-admission');
const TENANT = `e2e-tenant-${NS}`;
/** The installer policy's param (cluster-scoped, unique per run). */
const ANNOUNCER = NS;
const SPEAKER_IMAGE = 'registry.invalid/vip-announcer:admission';
const GOBGPD_IMAGE = 'registry.invalid/gobgpd:admission';
const NODE_CLAIM = 'authentication.kubernetes.io/node-name';

const ANNOUNCEMENTS_POLICY = 'vip-announcer-service-backed-announcements';
const REPORTS_POLICY = 'vip-announcer-node-reports';
const INSTALLER_POLICY = 'vip-announcer-installer-daemonsets';
const INSTALLER_CM_POLICY = 'vip-announcer-installer-configmaps';

interface Manifest {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  status?: { typeChecking?: { expressionWarnings?: unknown[] } };
}

const shipped = (): Manifest[] => {
  const r = kubectlResult(['kustomize', path.join(REPO_ROOT, 'config', 'admission')]);
  assert.equal(r.status, 0, `kubectl kustomize config/admission failed:\n${r.stderr}`);
  return (yaml.loadAll(r.stdout) as Manifest[]).filter(Boolean);
};

type Result = { status: number; stdout: string; stderr: string };

interface Forgery {
  policy: string;
  what: string;
  /** The attack; `dryRun` asks the API server to run admission and store nothing. */
  attempt: (dryRun: boolean) => Result;
  /** Puts back what the attack changed while the policy was away. */
  undo: () => Promise<void>;
  /** In the refusal: the policy's message. */
  message: RegExp;
}

const dry = (dryRun: boolean): string[] => (dryRun ? ['--dry-run=server'] : []);

async function restoreBinding(policy: string): Promise<void> {
  const binding = shipped().find((o) => o.kind === 'ValidatingAdmissionPolicyBinding' && o.metadata.name === policy);
  assert.ok(binding, `config/admission has no binding ${policy}`);
  await kubectl(['apply', '-f', '-'], JSON.stringify(binding));
}

/**
 * The negative control: without the binding the attack succeeds; with it, it is refused with the
 * policy's message. Policies reach the admission chain through an informer: server-side dry runs
 * (which run admission) are the barrier, the real request the proof.
 */
async function proveRefused(f: Forgery): Promise<void> {
  const passes = (dryRun: boolean): true => {
    const r = f.attempt(dryRun);
    if (r.status !== 0) throw new Error(r.stderr.trim());
    return true;
  };
  await kubectl(['delete', 'validatingadmissionpolicybinding', f.policy, '--ignore-not-found']);
  try {
    await waitFor(`${f.what}: admitted without the binding ${f.policy}`, () => passes(true), { timeoutMs: 60_000, intervalMs: 500 });
    passes(false);
    await f.undo();
  } finally {
    await restoreBinding(f.policy);
  }
  await waitFor(`${f.what}: refused with the binding ${f.policy}`, () => f.attempt(true).status !== 0, { timeoutMs: 60_000, intervalMs: 500 });
  const r = f.attempt(false);
  assert.notEqual(r.status, 0, `${f.what} went through with the policy in place`);
  assert.match(r.stderr, new RegExp(`ValidatingAdmissionPolicy '${f.policy}'`), r.stderr);
  assert.match(r.stderr, f.message, r.stderr);
}

/** kubectl as the tenant (impersonated by the lab's admin: a user with the roles bound to it, nothing more). */
const asTenant = (args: string[], input?: string): Result => kubectlResult([...args, `--as=${TENANT}`], input);
const asUser = (user: string, args: string[], input?: string): Result => kubectlResult([...args, `--as=${user}`], input);
const withKubeconfig = (file: string, args: string[], input?: string): Result => kubectlResult([...args, '--kubeconfig', file], input);

const announcement = (name: string, extra: { spec?: Record<string, unknown>; metadata?: Record<string, unknown> } = {}): string =>
  JSON.stringify({
    apiVersion: 'vipannouncer.io/v1alpha1',
    kind: 'VipAnnouncement',
    metadata: { name, namespace: NS, ...extra.metadata },
    spec: { addresses: ['198.51.100.10'], externalTrafficPolicy: 'Cluster', endpoints: { ready: 1, serving: 1 }, ...extra.spec },
  });

describe('admission policies: the API server refuses forged announcements, reports and speaker objects', () => {
  const nodes = lab().nodes;
  const controller = serviceAccountUser(SYSTEM_NS, CONTROLLER_SA);
  let createdSystemNs = false;
  let serviceUid = '';
  let controllerProcess: OperatorProcess | undefined;

  before(async () => {
    createdSystemNs = await installShippedAccess(SYSTEM_NS, nodes);
    await ensureNamespace(NS);
    await kubectl(['create', 'rolebinding', 'tenant-handmade', '-n', NS, '--clusterrole=vip-announcer-vipannouncement-editor', `--user=${TENANT}`]);
    const svc = JSON.parse(await kubectl(['create', '-o', 'json', '-f', '-'], JSON.stringify({
      apiVersion: 'v1', kind: 'Service', metadata: { name: 'victim', namespace: NS }, spec: { type: 'LoadBalancer', ports: [{ port: 80 }] },
    }))) as { metadata: { uid: string } };
    serviceUid = svc.metadata.uid;
    await kubectl(['apply', '-f', '-'], JSON.stringify({
      apiVersion: 'vipannouncer.io/v1alpha1',
      kind: 'VipAnnouncer',
      metadata: { name: ANNOUNCER },
      spec: { asn: 64512, namespace: SYSTEM_NS, peers: [{ address: '192.0.2.1', asn: 65000 }], speaker: { image: SPEAKER_IMAGE, gobgpdImage: GOBGPD_IMAGE } },
    }));
  });

  after(async () => {
    await controllerProcess?.stop();
    kubectlResult(['patch', 'vippool', ANNOUNCER, '--type=merge', '-p', '{"metadata":{"finalizers":null}}']);
    kubectlResult(['delete', 'vippool', ANNOUNCER, '--ignore-not-found', '--wait=false']);
    deleteBoundPods(SYSTEM_NS, SPEAKER_SA, nodes.map((n) => n.name));
    kubectlResult(['delete', 'vipspeakers.vipannouncer.io', ...nodes.slice(0, 2).map((n) => n.name), 'e2e-admission-ghost', '--ignore-not-found', '--wait=false']);
    kubectlResult(['delete', 'daemonset,configmap', 'vip-announcer-speaker', 'e2e-admission-rogue', '-n', SYSTEM_NS, '--ignore-not-found', '--wait=false']);
    kubectlResult(['delete', 'vipannouncers.vipannouncer.io', ANNOUNCER, '--ignore-not-found', '--wait=false']);
    // Policies stay only for the suites that apply them.
    kubectlResult(['delete', '-k', path.join(REPO_ROOT, 'config', 'admission'), '--ignore-not-found', '--wait=false']);
    await deleteNamespace(NS);
    if (createdSystemNs) kubectlResult(['delete', 'namespace', SYSTEM_NS, '--wait=false']);
  });

  it('a tenant with the editor role cannot forge a Service-backed announcement (serviceRef); without the policy it could', async () => {
    await proveRefused({
      policy: ANNOUNCEMENTS_POLICY,
      what: 'a tenant creates an announcement with spec.serviceRef',
      attempt: (dryRun) => asTenant(['create', '-f', '-', ...dry(dryRun)], announcement('forged', { spec: { serviceRef: { name: 'victim', uid: serviceUid } } })),
      undo: async () => {
        await kubectl(['delete', 'vipannouncement', 'forged', '-n', NS, '--ignore-not-found']);
      },
      message: /only vip-announcer's controller may create or change a Service-backed VipAnnouncement/,
    });
    // The other marks are refused as well; a hand-made announcement without them is not.
    const refused = [
      ['an ownerReference to a Service', announcement('forged-owner', { metadata: { ownerReferences: [{ apiVersion: 'v1', kind: 'Service', name: 'victim', uid: serviceUid }] } })],
      ['the managed-by label', announcement('forged-label', { metadata: { labels: { 'app.kubernetes.io/managed-by': 'vip-announcer' } } })],
    ] as const;
    for (const [what, body] of refused) {
      const r = asTenant(['create', '-f', '-'], body);
      assert.notEqual(r.status, 0, `a tenant's announcement with ${what} was admitted`);
      assert.match(r.stderr, /only vip-announcer's controller may create or change/, r.stderr);
    }
    const handMade = asTenant(['create', '-f', '-'], announcement('hand-made', { metadata: { labels: { 'app.kubernetes.io/managed-by': 'Helm' } } }));
    assert.equal(handMade.status, 0, `a hand-made announcement was refused: ${handMade.stderr}`);
    const relabel = asTenant(['label', 'vipannouncement', 'hand-made', '-n', NS, '--overwrite', 'app.kubernetes.io/managed-by=vip-announcer']);
    assert.notEqual(relabel.status, 0, 'the tenant turned a hand-made announcement into a managed one');
  });

  it('the editor role cannot change or strip the controller\'s announcement; the controller may write it', async () => {
    const made = asUser(controller, ['create', '-f', '-'], announcement('victim', {
      metadata: { labels: { 'app.kubernetes.io/managed-by': 'vip-announcer' }, ownerReferences: [{ apiVersion: 'v1', kind: 'Service', name: 'victim', uid: serviceUid, controller: true }] },
      spec: { serviceRef: { name: 'victim', uid: serviceUid } },
    }));
    assert.equal(made.status, 0, `the controller's ServiceAccount was refused: ${made.stderr}`);
    const addresses = (): string => kubectlResult(['get', 'vipannouncement', 'victim', '-n', NS, '-o', 'jsonpath={.spec.addresses}']).stdout;
    const original = addresses();
    await proveRefused({
      policy: ANNOUNCEMENTS_POLICY,
      what: 'a tenant adds an address to the controller\'s announcement',
      attempt: (dryRun) => asTenant(['patch', 'vipannouncement', 'victim', '-n', NS, '--type=merge', '-p', JSON.stringify({ spec: { addresses: ['198.51.100.10', '198.51.100.66'] } }), ...dry(dryRun)]),
      undo: async () => {
        await kubectl(['patch', 'vipannouncement', 'victim', '-n', NS, '--type=merge', '-p', JSON.stringify({ spec: { addresses: JSON.parse(original) as string[] } })]);
      },
      message: /only vip-announcer's controller may create or change a Service-backed VipAnnouncement/,
    });
    assert.equal(addresses(), original);
    const strip = asTenant(['patch', 'vipannouncement', 'victim', '-n', NS, '--type=json', '-p', JSON.stringify([{ op: 'remove', path: '/spec/serviceRef' }])]);
    assert.notEqual(strip.status, 0, 'the tenant stripped serviceRef from the controller\'s announcement');
    // As the controller writes: server-side apply (its role has no `get`, which kubectl patch needs).
    const ctl = asUser(controller, ['apply', '--server-side', '--force-conflicts', '--field-manager=vip-announcer-controller', '-f', '-'], announcement('victim', {
      metadata: { labels: { 'app.kubernetes.io/managed-by': 'vip-announcer' } },
      spec: { serviceRef: { name: 'victim', uid: serviceUid }, addresses: ['198.51.100.11'] },
    }));
    assert.equal(ctl.status, 0, `the controller could not change its own announcement: ${ctl.stderr}`);
  });

  it('a speaker\'s Pod-bound token carries its node; it writes its own VipSpeaker, and not another node\'s', async () => {
    const [one, two] = nodes;
    assert.ok(two, 'the lab has at least two nodes');
    const oneKubeconfig = await podBoundKubeconfig(SYSTEM_NS, SPEAKER_SA, one.name);
    const twoKubeconfig = await podBoundKubeconfig(SYSTEM_NS, SPEAKER_SA, two.name);
    const claims = await tokenUser(kubeconfigToken(oneKubeconfig));
    assert.equal(claims.username, serviceAccountUser(SYSTEM_NS, SPEAKER_SA));
    assert.deepEqual(claims.extra[NODE_CLAIM], [one.name], `the bound token's claims: ${JSON.stringify(claims.extra)}`);
    const report = (node: string, status?: Record<string, unknown>): string => JSON.stringify({ apiVersion: 'vipannouncer.io/v1alpha1', kind: 'VipSpeaker', metadata: { name: node }, ...(status ? { status } : {}) });
    // Server-side apply, as the speaker writes (its role has no `get`, which kubectl patch needs).
    const applyStatus = (kubeconfig: string, node: string, phase: string, manager: string, dryRun = false): Result =>
      withKubeconfig(kubeconfig, ['apply', '--server-side', '--force-conflicts', '--subresource=status', `--field-manager=${manager}`, '-f', '-', ...dry(dryRun)], report(node, { phase }));
    // Each node's own report, as its speaker makes it (server-side apply).
    for (const [n, kc] of [[one, oneKubeconfig], [two, twoKubeconfig]] as const) {
      const own = withKubeconfig(kc, ['apply', '--server-side', `--field-manager=e2e-speaker-${n.name}`, '-f', '-'], report(n.name));
      assert.equal(own.status, 0, `${n.name}'s speaker could not write its own VipSpeaker: ${own.stderr}`);
      const status = applyStatus(kc, n.name, 'Running', `e2e-speaker-${n.name}`);
      assert.equal(status.status, 0, `${n.name}'s speaker could not write its own report: ${status.stderr}`);
    }
    const phase = (): string => kubectlResult(['get', 'vipspeaker', two.name, '-o', 'jsonpath={.status.phase}']).stdout;
    await proveRefused({
      policy: REPORTS_POLICY,
      what: `${one.name}'s speaker marks ${two.name} Stopped`,
      attempt: (dryRun) => applyStatus(oneKubeconfig, two.name, 'Stopped', 'forger', dryRun),
      undo: () => {
        assert.equal(phase(), 'Stopped', 'the forgery without the policy did not take');
        const back = applyStatus(twoKubeconfig, two.name, 'Running', `e2e-speaker-${two.name}`);
        assert.equal(back.status, 0, back.stderr);
        return Promise.resolve();
      },
      message: new RegExp(`only the speaker of node ${two.name} may write VipSpeaker ${two.name} .*is from node ${one.name}`),
    });
    assert.equal(phase(), 'Running');
    // Its own report, made ownerless above, gets its Node as owner (the API server wants
    // `delete` for that: OwnerReferencesPermissionEnforcement).
    const nodeUid = await kubectl(['get', 'node', one.name, '-o', 'jsonpath={.metadata.uid}']);
    const owned = withKubeconfig(oneKubeconfig, ['apply', '--server-side', `--field-manager=e2e-speaker-${one.name}`, '-f', '-'], JSON.stringify({
      apiVersion: 'vipannouncer.io/v1alpha1', kind: 'VipSpeaker', metadata: { name: one.name, ownerReferences: [{ apiVersion: 'v1', kind: 'Node', name: one.name, uid: nodeUid }] },
    }));
    assert.equal(owned.status, 0, `${one.name}'s speaker could not add its Node as owner of its report: ${owned.stderr}`);
    // Deleting another node's report: refused.
    const exists = (node: string): boolean => kubectlResult(['get', 'vipspeaker', node]).status === 0;
    await proveRefused({
      policy: REPORTS_POLICY,
      what: `${one.name}'s speaker deletes ${two.name}'s report`,
      attempt: (dryRun) => withKubeconfig(oneKubeconfig, ['delete', 'vipspeaker', two.name, '--wait=false', ...dry(dryRun)]),
      undo: () => {
        assert.equal(exists(two.name), false, 'the delete without the policy did not take');
        const back = withKubeconfig(twoKubeconfig, ['apply', '--server-side', `--field-manager=e2e-speaker-${two.name}`, '-f', '-'], report(two.name));
        assert.equal(back.status, 0, back.stderr);
        return Promise.resolve();
      },
      message: new RegExp(`only the speaker of node ${two.name} may write VipSpeaker ${two.name} .*is from node ${one.name}`),
    });
    assert.equal(exists(two.name), true, `${two.name}'s report is still there`);
    // Creating another node's report, and a speaker token bound to no Pod (no node claim): refused.
    const other = withKubeconfig(oneKubeconfig, ['apply', '--server-side', '--field-manager=forger', '-f', '-'], report('e2e-admission-ghost'));
    assert.notEqual(other.status, 0, 'a speaker created a report for a node that is not its own');
    const unbound = await serviceAccountKubeconfig(SYSTEM_NS, SPEAKER_SA);
    const r = applyStatus(unbound, one.name, 'Stopped', 'forger');
    assert.notEqual(r.status, 0, 'a speaker token bound to no Pod wrote a report');
    assert.match(r.stderr, /carries no node claim/, r.stderr);
  });

  it('the controller\'s identity writes only the speakers\' objects, in the rendered shape and the VipAnnouncer\'s images', async () => {
    const kc = await serviceAccountKubeconfig(SYSTEM_NS, CONTROLLER_SA);
    const uid = (await kubectl(['get', 'vipannouncers.vipannouncer.io', ANNOUNCER, '-o', 'jsonpath={.metadata.uid}'])).trim();
    const owner = { apiVersion: 'vipannouncer.io/v1alpha1', kind: 'VipAnnouncer', name: ANNOUNCER, uid, controller: true };
    const pod = (image: string, extra: Record<string, unknown> = {}): Record<string, unknown> => ({
      serviceAccountName: SPEAKER_SA,
      hostNetwork: true,
      containers: [{ name: 'speaker', image, args: ['speaker', '--config', '/etc/vip-announcer/config.yaml'], securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } } }],
      initContainers: [{
        name: 'gobgpd', image: GOBGPD_IMAGE, restartPolicy: 'Always', ...gobgpdCommand(1790),
        securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } },
      }],
      volumes: [{ name: 'gobgp-api', emptyDir: { medium: 'Memory' } }],
      ...extra,
    });
    const daemonSet = (name: string, spec: Record<string, unknown>): string => JSON.stringify({
      apiVersion: 'apps/v1', kind: 'DaemonSet',
      metadata: { name, namespace: SYSTEM_NS, ownerReferences: [owner] },
      spec: { selector: { matchLabels: { app: name } }, template: { metadata: { labels: { app: name } }, spec } },
    });
    // Server-side apply, as the installer writes (its Role has no `get`, which kubectl patch needs).
    const applySpeakers = (spec: Record<string, unknown>, dryRun = false): Result =>
      withKubeconfig(kc, ['apply', '--server-side', '--force-conflicts', '--field-manager=e2e-installer', '-f', '-', ...dry(dryRun)], daemonSet('vip-announcer-speaker', spec));
    // The shape the installer renders is admitted.
    const good = applySpeakers(pod(SPEAKER_IMAGE));
    assert.equal(good.status, 0, `the rendered shape was refused: ${good.stderr}`);
    // A DaemonSet of another name, root on every node (host PID, the host's / as root). (The lab's
    // API server runs with --allow-privileged=false, so `privileged` is refused before any policy.)
    const rogue = daemonSet('e2e-admission-rogue', pod(SPEAKER_IMAGE, {
      hostPID: true,
      containers: [{ name: 'speaker', image: SPEAKER_IMAGE, args: ['speaker'], securityContext: { runAsUser: 0 }, volumeMounts: [{ name: 'host', mountPath: '/host' }] }],
      volumes: [{ name: 'host', hostPath: { path: '/' } }],
    }));
    await proveRefused({
      policy: INSTALLER_POLICY,
      what: 'the controller\'s token creates a privileged DaemonSet of its own',
      attempt: (dryRun) => withKubeconfig(kc, ['create', '-f', '-', ...dry(dryRun)], rogue),
      undo: async () => {
        await kubectl(['delete', 'daemonset', 'e2e-admission-rogue', '-n', SYSTEM_NS, '--ignore-not-found']);
      },
      message: /the installer may write only the ConfigMap and the DaemonSet named vip-announcer-speaker/,
    });
    // The speakers' own DaemonSet with another image: the VipAnnouncer's images only.
    const image = (): string => kubectlResult(['get', 'daemonset', 'vip-announcer-speaker', '-n', SYSTEM_NS, '-o', 'jsonpath={.spec.template.spec.containers[0].image}']).stdout;
    await proveRefused({
      policy: INSTALLER_POLICY,
      what: 'the controller\'s token swaps the speakers\' image',
      attempt: (dryRun) => applySpeakers(pod('registry.invalid/evil:latest'), dryRun),
      undo: () => {
        assert.equal(image(), 'registry.invalid/evil:latest', 'the forgery without the policy did not take');
        const back = applySpeakers(pod(SPEAKER_IMAGE));
        assert.equal(back.status, 0, back.stderr);
        return Promise.resolve();
      },
      message: new RegExp(`must run the images of VipAnnouncer ${ANNOUNCER}: ${SPEAKER_IMAGE.replace(/\./g, '\\.')}`),
    });
    assert.equal(image(), SPEAKER_IMAGE);
    // In the name of the speakers: privilege, host PID, another command, an exec probe; and another ConfigMap.
    const speaker = (c: Record<string, unknown>): Record<string, unknown>[] => [{
      name: 'speaker', image: SPEAKER_IMAGE, args: ['speaker'], securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } }, ...c,
    }];
    // The environment it renders (V8's heap sizes in NODE_OPTIONS) is admitted; NODE_OPTIONS that loads code is not.
    const env = (e: Record<string, unknown>[]): Record<string, unknown> => pod(SPEAKER_IMAGE, { containers: speaker({ env: e }) });
    const rendered = applySpeakers(env([{ name: 'NODE_OPTIONS', value: nodeOptionsFor('256Mi') ?? '' }, { name: 'NODE_NAME', valueFrom: { fieldRef: { fieldPath: 'spec.nodeName' } } }]));
    assert.equal(rendered.status, 0, `the rendered environment was refused: ${rendered.stderr}`);
    const evil = '--import=data:text/javascript,process.exit(0)';
    const nodeOptions = (): string => kubectlResult(['get', 'daemonset', 'vip-announcer-speaker', '-n', SYSTEM_NS, '-o', 'jsonpath={.spec.template.spec.containers[0].env[?(@.name=="NODE_OPTIONS")].value}']).stdout;
    await proveRefused({
      policy: INSTALLER_POLICY,
      what: 'the controller\'s token loads code into every speaker through NODE_OPTIONS',
      attempt: (dryRun) => applySpeakers(env([{ name: 'NODE_OPTIONS', value: evil }]), dryRun),
      undo: () => {
        assert.equal(nodeOptions(), evil, 'the forgery without the policy did not take');
        const back = applySpeakers(pod(SPEAKER_IMAGE));
        assert.equal(back.status, 0, back.stderr);
        return Promise.resolve();
      },
      message: /only the environment the installer renders/,
    });
    const variants: Array<[string, Record<string, unknown>]> = [
      ['an environment variable of its own', env([{ name: 'LD_PRELOAD', value: '/run/gobgp/x.so' }])],
      ['envFrom', pod(SPEAKER_IMAGE, { containers: speaker({ envFrom: [{ configMapRef: { name: 'vip-announcer-speaker' } }] }) })],
      ['privilege escalation', pod(SPEAKER_IMAGE, { containers: speaker({ securityContext: { allowPrivilegeEscalation: true } }) })],
      ['host PID', pod(SPEAKER_IMAGE, { hostPID: true })],
      ['SYS_ADMIN', pod(SPEAKER_IMAGE, { containers: speaker({ securityContext: { allowPrivilegeEscalation: false, capabilities: { add: ['SYS_ADMIN'] } } }) })],
      ['a command', pod(SPEAKER_IMAGE, { containers: speaker({ command: ['/bin/sh', '-c', 'id'] }) })],
      ['an exec probe', pod(SPEAKER_IMAGE, { containers: speaker({ livenessProbe: { exec: { command: ['id'] } } }) })],
      ['a host path', pod(SPEAKER_IMAGE, { volumes: [{ name: 'host', hostPath: { path: '/' } }] })],
      ['another ServiceAccount', pod(SPEAKER_IMAGE, { serviceAccountName: 'default' })],
    ];
    for (const [what, spec] of variants) {
      const r = applySpeakers(spec);
      assert.notEqual(r.status, 0, `the speakers' DaemonSet was given ${what}`);
      assert.match(r.stderr, new RegExp(`ValidatingAdmissionPolicy '${INSTALLER_POLICY}'`), r.stderr);
    }
    await proveRefused({
      policy: INSTALLER_CM_POLICY,
      what: 'the controller\'s token creates a ConfigMap of another name',
      attempt: (dryRun) => withKubeconfig(kc, ['create', 'configmap', 'e2e-admission-rogue', '-n', SYSTEM_NS, '--from-literal=a=b', ...dry(dryRun)]),
      undo: async () => {
        await kubectl(['delete', 'configmap', 'e2e-admission-rogue', '-n', SYSTEM_NS, '--ignore-not-found']);
      },
      message: /the installer may write only the ConfigMap and the DaemonSet named vip-announcer-speaker/,
    });
  });

  it('spec.addresses is atomic: the controller\'s forced apply replaces an address another writer added', async () => {
    const vip = '198.51.100.20';
    await kubectl(['apply', '-f', '-'], JSON.stringify({
      apiVersion: 'vipannouncer.io/v1alpha1', kind: 'VipPool', metadata: { name: ANNOUNCER },
      spec: { addresses: ['198.51.100.0/24'], serviceAllocation: { namespaces: [NS] } },
    }));
    await createService({ namespace: NS, name: 'atomic', policy: 'Cluster', annotations: { 'vipannouncer.io/loadBalancerIPs': vip } });
    await createReadyPod({ namespace: NS, name: 'atomic-pod', app: 'atomic', node: nodes[0].name, ip: '10.51.0.20' });
    controllerProcess = await startOperator('admission-controller', 'controller', controllerConfig());
    await waitReady(controllerProcess);
    const addresses = (): string => kubectlResult(['get', 'vipannouncement', 'atomic', '-n', NS, '-o', 'jsonpath={.spec.addresses}']).stdout;
    await waitFor('the controller to announce the VIP', () => addresses() === JSON.stringify([vip]), { timeoutMs: 60_000 });
    // Another field manager adds an address (the cluster administrator: no policy stops it).
    await kubectl(['patch', 'vipannouncement', 'atomic', '-n', NS, '--type=merge', '--field-manager=e2e-intruder', '-p', JSON.stringify({ spec: { addresses: [vip, '198.51.100.66'] } })]);
    // Any reconcile of the Service: the controller applies its spec again, forced.
    await kubectl(['annotate', 'service', 'atomic', '-n', NS, '--overwrite', `e2e.vipannouncer.io/poke=${Date.now()}`]);
    await waitFor('the controller\'s apply to take the list back', () => addresses() === JSON.stringify([vip]), { timeoutMs: 60_000 });
    const managed = JSON.parse(await kubectl(['get', 'vipannouncement', 'atomic', '-n', NS, '-o', 'json', '--show-managed-fields'])) as {
      metadata: { managedFields?: { manager?: string; fieldsV1?: { 'f:spec'?: Record<string, unknown> } }[] };
    };
    const owners = (managed.metadata.managedFields ?? []).filter((m) => m.fieldsV1?.['f:spec']?.['f:addresses'] !== undefined).map((m) => m.manager);
    assert.deepEqual(owners, ['vip-announcer-controller'], 'the controller alone owns spec.addresses');
  });

  it('the VipAnnouncer says whether the API server enforces the policies: a binding deleted, False naming it; restored, True', async () => {
    controllerProcess ??= await startOperator('admission-controller', 'controller', controllerConfig());
    await waitReady(controllerProcess);
    const enforced = (): string => {
      const va = JSON.parse(kubectlResult(['get', 'vipannouncers.vipannouncer.io', ANNOUNCER, '-o', 'json']).stdout || '{}') as { status?: { conditions?: { type: string; status: string; message: string }[] } };
      const c = va.status?.conditions?.find((x) => x.type === 'AdmissionPoliciesEnforced');
      return c ? `${c.status} ${c.message}` : 'none';
    };
    await waitFor('AdmissionPoliciesEnforced=True with config/admission applied', () => enforced().startsWith('True '), { timeoutMs: 60_000 });
    await kubectl(['delete', 'validatingadmissionpolicybinding', REPORTS_POLICY]);
    try {
      await waitFor(`AdmissionPoliciesEnforced=False naming ${REPORTS_POLICY}`, () => enforced().startsWith(`False tenant isolation is not enforced by the API server: ValidatingAdmissionPolicy ${REPORTS_POLICY} has no binding`), { timeoutMs: 60_000 });
      await waitFor('a Warning Event saying it too', () => {
        const events = kubectlResult(['get', 'events', '-A', '--field-selector', `reason=PoliciesMissing,involvedObject.name=${ANNOUNCER}`, '-o', 'jsonpath={.items[*].message}']).stdout;
        return events.includes(`${REPORTS_POLICY} has no binding`);
      }, { timeoutMs: 60_000 });
    } finally {
      await restoreBinding(REPORTS_POLICY);
    }
    await waitFor('AdmissionPoliciesEnforced=True again', () => enforced().startsWith('True '), { timeoutMs: 60_000 });
  });
});
