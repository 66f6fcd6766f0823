// Least privilege, proven on the lab's real API server (RBAC authorizer):
// config/rbac and config/admission are applied as shipped, the controller and one speaker
// per node run with tokens of their own ServiceAccounts (TokenRequest API; each speaker's
// bound to a Pod on its node, as the kubelet's are), and do the whole
// job (the announcement controller, the installer of a VipAnnouncer, the speakers).
// Then every verb of every rule is taken away in turn, and the process shows the
// 403 the API server answered in its log; the shipped roles are restored after
// each case. The lab enables the OwnerReferencesPermissionEnforcement admission
// plugin (as OpenShift and hardened clusters do), so the `update` on the owners'
// finalizers that blockOwnerDeletion needs is proven like every other rule.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import yaml from 'js-yaml';
import type { VipAnnouncement } from '../operator/api/types';
import { birdNextHops } from './harness/bird';
import { REPO_ROOT, kubectl, kubectlResult, lab, waitFor, waitUntilNoMismatch } from './harness/lab';
import { core, createReadyPod, createService, customObjects, deleteNamespace, ensureNamespace, ignoreNotFound, statusOf, uniqueNamespace } from './harness/kube';
import { controllerConfig, speakerConfig, startOperator, waitReady, type OperatorProcess } from './harness/operator';
import { installShippedAccess } from './harness/install';
import { canI, deleteBoundPods, metricsReaderToken, podBoundKubeconfig, serviceAccountKubeconfig, serviceAccountUser } from './harness/serviceAccount';

const SYSTEM_NS = 'vip-announcer';
const LEASE = 'vip-announcer-controller';
const CONTROLLER_SA = 'vip-announcer-controller';
const SPEAKER_SA = 'vip-announcer-speaker';
const NS = uniqueNamespace('e2e-rbac');
const HOLD_FINALIZER = 'e2e.vipannouncer.io/hold';
/** The installer's VipAnnouncer (cluster-scoped: unique per run); it installs into SYSTEM_NS, the only namespace its Role covers. */
const ANNOUNCER = NS;
const SPEAKER_OBJECTS = 'vip-announcer-speaker';
/**
 * Covers every address this suite asks for, for NS only, and lets its Services set their own
 * attributes (the Event cases use a local-pref annotation): the run works as it would once
 * pools are configured.
 */
const POOL = NS;
const OWNER_FINALIZERS_MARKER = "cannot set blockOwnerDeletion if an ownerReference refers to a resource you can't set finalizers on";

interface PolicyRule {
  apiGroups?: string[];
  resources?: string[];
  resourceNames?: string[];
  verbs: string[];
}
interface RbacObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string };
  rules?: PolicyRule[];
}

async function applyPool(name: string, addresses: string[]): Promise<void> {
  await kubectl(['apply', '-f', '-'], JSON.stringify({ apiVersion: 'vipannouncer.io/v1alpha1', kind: 'VipPool', metadata: { name }, spec: { addresses, serviceAllocation: { namespaces: [NS] }, advertisement: { allowServiceOverrides: true, allowedLocalPref: { min: 0, max: 4294967295 } } } }));
}

function render(dir: string): string {
  const r = kubectlResult(['kustomize', path.join(REPO_ROOT, 'config', dir)]);
  assert.equal(r.status, 0, `kubectl kustomize config/${dir} failed:\n${r.stderr}`);
  return r.stdout;
}

const shippedRbac = (): RbacObject[] => (yaml.loadAll(render('rbac')) as RbacObject[]).filter(Boolean);


const leaderElected = controllerConfig({
  speakerNamespace: SYSTEM_NS,
  leaderElection: { enabled: true, leaseName: LEASE, leaseNamespace: SYSTEM_NS, leaseDuration: '15s', renewDeadline: '10s', retryPeriod: '2s' },
});

/**
 * Log lines where the authorizer refused a request. A namespace being deleted answers 403 too
 * ("unable to create new content in namespace … because it is being terminated"): that is
 * the NamespaceLifecycle admission plugin, not RBAC, and another suite's namespace may still
 * be going away while this one runs.
 */
function forbidden(p: OperatorProcess): string[] {
  const out: string[] = [];
  for (const line of p.log().split('\n')) {
    if (!line.startsWith('{')) continue;
    try {
      const l = JSON.parse(line) as { statusCode?: unknown; error?: unknown };
      const text = typeof l.error === 'string' ? l.error : line;
      if (l.statusCode === 403 && !text.includes('because it is being terminated')) out.push(text);
    } catch {
      // not a log line of ours
    }
  }
  return out;
}

async function getVA(name: string): Promise<VipAnnouncement | undefined> {
  try {
    return (await customObjects().getNamespacedCustomObject('vipannouncer.io', 'v1alpha1', NS, 'vipannouncements', name)).body as VipAnnouncement;
  } catch (err) {
    if (statusOf(err) === 404) return undefined;
    throw err;
  }
}

interface RemovalCase {
  sa: typeof CONTROLLER_SA | typeof SPEAKER_SA;
  role: { kind: 'ClusterRole' | 'Role'; name: string };
  group: string;
  /** Resource as RBAC names it: "services", "services/status". */
  resource: string;
  verb: string;
  /** What the 403 says, when it is not the authorizer's "User ... cannot VERB resource ..." (admission). */
  marker?: string;
  /** Runs before the process starts. */
  setup?: () => Promise<void>;
  /** Runs once the process is started: makes it need the verb. */
  trigger?: (p: OperatorProcess) => Promise<void>;
}

describe('RBAC: the shipped roles are enough, and each verb is needed', () => {
  const nodes = lab().nodes;
  const procs = new Set<OperatorProcess>();
  let controllerKubeconfig = '';
  /** Per node: a speaker token bound to a Pod on that node, as the kubelet's (config/admission checks the node). */
  const speakerKubeconfigs = new Map<string, string>();
  let createdSystemNs = false;
  let serial = 0;

  const start = async (name: string, role: 'controller' | 'speaker', config: Record<string, unknown>): Promise<OperatorProcess> => {
    const node = (config.speaker as { nodeName?: string } | undefined)?.nodeName ?? '';
    const speakerKubeconfig = speakerKubeconfigs.get(node);
    if (role === 'speaker' && !speakerKubeconfig) throw new Error(`no speaker token for node ${node}`);
    // Logs are appended to: start from an empty one, so an earlier run's 403 cannot count.
    mkdirSync(path.join(lab().dir, 'logs'), { recursive: true });
    writeFileSync(path.join(lab().dir, 'logs', `rbac-${name}.log`), '');
    const p = await startOperator(`rbac-${name}`, role, config, {
      kubeconfig: role === 'controller' ? controllerKubeconfig : speakerKubeconfig,
      env: { POD_NAME: `rbac-${name}` },
    });
    procs.add(p);
    return p;
  };
  const stop = async (p: OperatorProcess): Promise<void> => {
    await p.stop();
    procs.delete(p);
  };

  /** A LoadBalancer Service with a VIP and one ready pod on node 1. */
  const newService = async (annotations: Record<string, string> = {}): Promise<string> => {
    const i = ++serial;
    const name = `svc-${i}`;
    await createService({ namespace: NS, name, policy: 'Cluster', annotations: { 'vipannouncer.io/loadBalancerIPs': `198.31.0.${i + 10}`, ...annotations } });
    await createReadyPod({ namespace: NS, name: `${name}-pod`, app: name, node: nodes[0].name, ip: `10.31.0.${i + 10}` });
    return name;
  };

  before(async () => {
    createdSystemNs = await installShippedAccess(SYSTEM_NS, nodes);
    await ensureNamespace(NS);
    await ignoreNotFound(kubectl(['delete', 'lease', LEASE, '-n', SYSTEM_NS, '--ignore-not-found']));
    await kubectl(['apply', '-f', '-'], JSON.stringify({
      apiVersion: 'vipannouncer.io/v1alpha1',
      kind: 'VipAnnouncer',
      metadata: { name: ANNOUNCER },
      spec: { asn: 64512, namespace: SYSTEM_NS, peers: [{ address: '192.0.2.1', asn: 65000 }], speaker: { image: 'registry.invalid/vip-announcer:lab', gobgpdImage: 'registry.invalid/gobgpd:lab' } },
    }));
    await applyPool(POOL, ['198.31.0.0/16']);
    controllerKubeconfig = await serviceAccountKubeconfig(SYSTEM_NS, CONTROLLER_SA);
    for (const n of nodes) speakerKubeconfigs.set(n.name, await podBoundKubeconfig(SYSTEM_NS, SPEAKER_SA, n.name));
  });

  after(async () => {
    await Promise.all([...procs].map((p) => p.stop()));
    // Services held by the test's finalizer must be let go before the namespace can go.
    const held = kubectlResult(['get', 'services', '-n', NS, '-o', 'name']).stdout.split('\n').filter(Boolean);
    for (const s of held) kubectlResult(['patch', '-n', NS, s, '--type=merge', '-p', '{"metadata":{"finalizers":null}}']);
    kubectlResult(['delete', 'vipannouncers.vipannouncer.io', ANNOUNCER, '--ignore-not-found', '--wait=true']);
    // No controller runs any more to release the pools' finalizers.
    for (const pool of kubectlResult(['get', 'vippools', '-o', 'name']).stdout.split('\n').filter((n) => n.startsWith(`vippool.vipannouncer.io/${POOL}`))) {
      kubectlResult(['patch', pool, '--type=merge', '-p', '{"metadata":{"finalizers":null}}']);
      kubectlResult(['delete', pool, '--ignore-not-found', '--wait=false']);
    }
    await deleteNamespace(NS);
    kubectlResult(['delete', 'lease', LEASE, '-n', SYSTEM_NS, '--ignore-not-found']);
    deleteBoundPods(SYSTEM_NS, SPEAKER_SA, nodes.map((n) => n.name));
    kubectlResult(['delete', '-k', path.join(REPO_ROOT, 'config', 'admission'), '--ignore-not-found', '--wait=false']);
    kubectlResult(['delete', '-k', path.join(REPO_ROOT, 'config', 'rbac'), '--ignore-not-found', '--wait=false']);
    if (createdSystemNs) kubectlResult(['delete', 'namespace', SYSTEM_NS, '--wait=false']);
  });

  it('every kustomization under config/ renders, and config/crd/bases is a copy of crds/', () => {
    for (const dir of ['crd', 'rbac', 'manager', 'default', 'prometheus', 'samples']) render(dir);
    const crds = readdirSync(path.join(REPO_ROOT, 'crds')).filter((f) => f.endsWith('.yaml')).sort();
    const copies = readdirSync(path.join(REPO_ROOT, 'config', 'crd', 'bases')).sort();
    assert.deepEqual(copies, crds, 'config/crd/bases must hold the files of crds/ (cp crds/*.yaml config/crd/bases/)');
    for (const f of crds) {
      assert.ok(
        readFileSync(path.join(REPO_ROOT, 'crds', f)).equals(readFileSync(path.join(REPO_ROOT, 'config', 'crd', 'bases', f))),
        `config/crd/bases/${f} differs from crds/${f}: cp crds/*.yaml config/crd/bases/`,
      );
    }
    const kinds = (yaml.loadAll(render('default')) as RbacObject[]).map((o) => `${o.kind}/${o.metadata.name}`);
    for (const k of ['Namespace/vip-announcer', 'CustomResourceDefinition/vipannouncements.vipannouncer.io', 'Deployment/vip-announcer-controller', 'ConfigMap/vip-announcer-controller-config', 'ClusterRole/vip-announcer-speaker']) {
      assert.ok(kinds.includes(k), `config/default lacks ${k}: ${kinds.join(', ')}`);
    }
  });

  it('with only their own ServiceAccounts, the controller and the speakers announce a Service end to end', async () => {
    const ctl = await start('controller', 'controller', leaderElected);
    const speakers = await Promise.all(nodes.map((n) => start(`speaker-${n.name}`, 'speaker', speakerConfig(n))));
    await waitReady(ctl);
    for (const s of speakers) await waitReady(s);
    // Stopped also when an assertion fails: a leftover leader would hold the Lease for the cases below.
    try {
      const name = await newService();
      const vip = '198.31.0.11';
      const svcUid = (await core().readNamespacedService(name, NS)).body.metadata?.uid;
      await waitUntilNoMismatch('the announcement owned by the Service, a status entry per node, and Advertised', async () => {
        const va = await getVA(name);
        if (!va) return 'no VipAnnouncement';
        const owner = va.metadata.ownerReferences?.find((o) => o.controller === true);
        const entries = (va.status?.speakers ?? []).map((s) => s.node).sort();
        const adv = va.status?.conditions?.find((c) => c.type === 'Advertised')?.status;
        const ok = owner?.uid === svcUid && owner?.blockOwnerDeletion === true && JSON.stringify(entries) === JSON.stringify(nodes.map((n) => n.name)) && adv === 'True';
        return ok ? '' : JSON.stringify({ owner, entries, adv });
      }, { timeoutMs: 90_000 });
      await waitUntilNoMismatch('BIRD to hold the VIP from every node', async () => {
        const got = (await birdNextHops()).get(`${vip}/32`) ?? [];
        const want = nodes.map((n) => n.address).sort();
        return JSON.stringify(got) === JSON.stringify(want) ? '' : `[${got.join(', ')}]`;
      });
      await waitUntilNoMismatch('the Service ingress to be the VIP', async () => {
        const ips = ((await core().readNamespacedService(name, NS)).body.status?.loadBalancer?.ingress ?? []).map((i) => i.ip);
        return JSON.stringify(ips) === JSON.stringify([vip]) ? '' : JSON.stringify(ips);
      });
      await waitFor('an AnnouncementCreated Event on the Service, from the controller', async () => {
        const evs = (await core().listNamespacedEvent(NS)).body.items;
        return evs.some((e) => e.reason === 'AnnouncementCreated' && e.involvedObject.name === name && (e.reportingInstance ?? '').startsWith('rbac-controller_'));
      });
      await waitUntilNoMismatch('the installer to write the speakers\' ConfigMap and DaemonSet, owned by the VipAnnouncer', () => {
        const owners = ['configmap', 'daemonset'].map((kind) => {
          const r = kubectlResult(['get', kind, SPEAKER_OBJECTS, '-n', SYSTEM_NS, '-o', 'jsonpath={.metadata.ownerReferences[0].name}']);
          return r.status === 0 ? r.stdout : `no ${kind}`;
        });
        return Promise.resolve(owners.every((o) => o === ANNOUNCER) ? '' : owners.join(', '));
      });
      const lease = JSON.parse(await kubectl(['get', 'lease', LEASE, '-n', SYSTEM_NS, '-o', 'json'])) as { spec?: { holderIdentity?: string } };
      assert.match(lease.spec?.holderIdentity ?? '', /^rbac-controller_/, 'the Lease is held by the controller');
      // Their /metrics check a permitted scraper's token with their own ServiceAccounts' reviews.
      const token = await metricsReaderToken();
      for (const p of [ctl, ...speakers]) assert.equal((await p.scrape({ token })).status, 200, `${p.name} GET /metrics as a metrics reader`);
      for (const p of [ctl, ...speakers]) assert.deepEqual(forbidden(p), [], `${p.name} was refused something`);
    } finally {
      for (const p of [ctl, ...speakers]) await stop(p);
    }
  });

  // Each case: the shipped role minus one verb; a fresh process of that role;
  // the action that needs the verb; the 403 in its log. Then the role as shipped.
  const controllerRole = { kind: 'ClusterRole', name: 'vip-announcer-controller' } as const;
  const leaseRole = { kind: 'Role', name: 'vip-announcer-leader-election' } as const;
  const speakerRole = { kind: 'ClusterRole', name: 'vip-announcer-speaker' } as const;
  const installerRole = { kind: 'ClusterRole', name: 'vip-announcer-installer' } as const;
  const installerNsRole = { kind: 'Role', name: 'vip-announcer-installer' } as const;
  /** A new generation of the VipAnnouncer: its status (observedGeneration) is written again. */
  const changeAnnouncer = async (): Promise<void> => {
    const asn = Number(await kubectl(['get', 'vipannouncers.vipannouncer.io', ANNOUNCER, '-o', 'jsonpath={.spec.asn}']));
    await kubectl(['patch', 'vipannouncers.vipannouncer.io', ANNOUNCER, '--type=merge', '-p', JSON.stringify({ spec: { asn: asn === 64512 ? 64513 : 64512 } })]);
  };
  /** The installer writes (creates) them again when they are gone. */
  const withoutSpeakerObjects = async (): Promise<void> => {
    await kubectl(['delete', 'configmap,daemonset', SPEAKER_OBJECTS, '-n', SYSTEM_NS, '--ignore-not-found', '--wait=true']);
  };
  const withService = async (): Promise<void> => {
    await newService();
  };
  /** A new pool gets the controller's finalizer, then its status. */
  const withPool = async (): Promise<void> => {
    await applyPool(`${POOL}-${++serial}`, [`198.32.${serial}.0/24`]);
  };
  /** A permitted scraper's GET /metrics: the process reviews the token (TokenReview, then SubjectAccessReview). */
  const scrape = async (p: OperatorProcess): Promise<void> => {
    await waitReady(p);
    const status = (await p.scrape({ token: await metricsReaderToken() })).status;
    // Without either review the process cannot decide: 503, never the metrics.
    assert.equal(status, 503, `${p.name} answered ${status} to a scrape it could not check`);
  };
  const cases: RemovalCase[] = [
    { sa: CONTROLLER_SA, role: controllerRole, group: '', resource: 'services', verb: 'list' },
    { sa: CONTROLLER_SA, role: controllerRole, group: '', resource: 'services', verb: 'watch', },
    { sa: CONTROLLER_SA, role: controllerRole, group: '', resource: 'services/status', verb: 'patch', trigger: withService },
    { sa: CONTROLLER_SA, role: controllerRole, group: 'discovery.k8s.io', resource: 'endpointslices', verb: 'list' },
    { sa: CONTROLLER_SA, role: controllerRole, group: 'discovery.k8s.io', resource: 'endpointslices', verb: 'watch' },
    { sa: CONTROLLER_SA, role: controllerRole, group: '', resource: 'nodes', verb: 'list' },
    { sa: CONTROLLER_SA, role: controllerRole, group: '', resource: 'nodes', verb: 'watch' },
    { sa: CONTROLLER_SA, role: controllerRole, group: 'vipannouncer.io', resource: 'vipannouncements', verb: 'list' },
    { sa: CONTROLLER_SA, role: controllerRole, group: 'vipannouncer.io', resource: 'vipannouncements', verb: 'watch' },
    // Server-side apply of an object that does not exist yet is authorized as patch, then as create.
    { sa: CONTROLLER_SA, role: controllerRole, group: 'vipannouncer.io', resource: 'vipannouncements', verb: 'create', trigger: withService },
    { sa: CONTROLLER_SA, role: controllerRole, group: 'vipannouncer.io', resource: 'vipannouncements', verb: 'patch', trigger: withService },
    {
      // A Service being deleted (held by a finalizer, so the garbage collector waits) is withdrawn.
      sa: CONTROLLER_SA, role: controllerRole, group: 'vipannouncer.io', resource: 'vipannouncements', verb: 'delete',
      setup: async () => {
        await kubectl(['patch', 'service', 'svc-1', '-n', NS, '--type=merge', '-p', JSON.stringify({ metadata: { finalizers: [HOLD_FINALIZER] } })]);
      },
      trigger: async () => {
        await kubectl(['delete', 'service', 'svc-1', '-n', NS, '--wait=false']);
      },
    },
    { sa: CONTROLLER_SA, role: controllerRole, group: 'vipannouncer.io', resource: 'vipannouncements/status', verb: 'patch', trigger: withService },
    { sa: CONTROLLER_SA, role: controllerRole, group: 'vipannouncer.io', resource: 'vipspeakers', verb: 'list' },
    { sa: CONTROLLER_SA, role: controllerRole, group: 'vipannouncer.io', resource: 'vipspeakers', verb: 'watch' },
    // The announcement's ownerReference to its Service has blockOwnerDeletion (admission checks it).
    { sa: CONTROLLER_SA, role: controllerRole, group: '', resource: 'services/finalizers', verb: 'update', trigger: withService, marker: OWNER_FINALIZERS_MARKER },
    { sa: CONTROLLER_SA, role: controllerRole, group: 'vipannouncer.io', resource: 'vippools', verb: 'list' },
    { sa: CONTROLLER_SA, role: controllerRole, group: 'vipannouncer.io', resource: 'vippools', verb: 'watch' },
    { sa: CONTROLLER_SA, role: controllerRole, group: 'vipannouncer.io', resource: 'vippools', verb: 'patch', trigger: withPool },
    { sa: CONTROLLER_SA, role: controllerRole, group: 'vipannouncer.io', resource: 'vippools/status', verb: 'patch', trigger: withPool },
    { sa: CONTROLLER_SA, role: controllerRole, group: '', resource: 'namespaces', verb: 'list' },
    { sa: CONTROLLER_SA, role: controllerRole, group: '', resource: 'namespaces', verb: 'watch' },
    { sa: CONTROLLER_SA, role: controllerRole, group: '', resource: 'events', verb: 'create', trigger: withService },
    {
      // A problem is reported once per change of the Service's problems; the same problem
      // again after it was fixed repeats the Event, which is a PATCH of the same Event.
      sa: CONTROLLER_SA, role: controllerRole, group: '', resource: 'events', verb: 'patch',
      trigger: async () => {
        const name = await newService({ 'vipannouncer.io/localPref': 'not-a-number' });
        const readyReason = (): string =>
          kubectlResult(['get', 'vipannouncement', name, '-n', NS, '-o', 'jsonpath={.status.conditions[?(@.type=="Ready")].reason}']).stdout;
        const events = (): string => kubectlResult(['get', 'events', '-n', NS, '--field-selector', `involvedObject.name=${name},reason=InvalidAnnotation`, '-o', 'name']).stdout;
        await waitFor('the first InvalidAnnotation Event', () => events().trim() !== '', { timeoutMs: 30_000 });
        await kubectl(['annotate', '--overwrite', 'service', name, '-n', NS, 'vipannouncer.io/localPref=200']);
        await waitFor('the problem to be gone', () => readyReason() !== '' && readyReason() !== 'InvalidAnnotation', { timeoutMs: 30_000 });
        await kubectl(['annotate', '--overwrite', 'service', name, '-n', NS, 'vipannouncer.io/localPref=not-a-number']);
      },
    },
    {
      sa: CONTROLLER_SA, role: leaseRole, group: 'coordination.k8s.io', resource: 'leases', verb: 'create',
      setup: async () => {
        await kubectl(['delete', 'lease', LEASE, '-n', SYSTEM_NS, '--ignore-not-found']);
      },
    },
    // GET comes first in every round, whether the Lease exists or not.
    { sa: CONTROLLER_SA, role: leaseRole, group: 'coordination.k8s.io', resource: 'leases', verb: 'get' },
    {
      sa: CONTROLLER_SA, role: leaseRole, group: 'coordination.k8s.io', resource: 'leases', verb: 'update',
      setup: async () => {
        // An existing, free Lease is taken (and then renewed) with PUT.
        await kubectl(['apply', '-f', '-'], JSON.stringify({
          apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { name: LEASE, namespace: SYSTEM_NS }, spec: { holderIdentity: '', leaseDurationSeconds: 1 },
        }));
      },
    },
    // The installer (same process and ServiceAccount as the controller, its own ClusterRole).
    { sa: CONTROLLER_SA, role: installerRole, group: 'vipannouncer.io', resource: 'vipannouncers', verb: 'list' },
    { sa: CONTROLLER_SA, role: installerRole, group: 'vipannouncer.io', resource: 'vipannouncers', verb: 'watch' },
    { sa: CONTROLLER_SA, role: installerRole, group: 'vipannouncer.io', resource: 'vipannouncers/status', verb: 'patch', trigger: changeAnnouncer },
    { sa: CONTROLLER_SA, role: installerRole, group: 'vipannouncer.io', resource: 'vipannouncers/finalizers', verb: 'update', setup: withoutSpeakerObjects, marker: OWNER_FINALIZERS_MARKER },
    { sa: CONTROLLER_SA, role: installerNsRole, group: '', resource: 'configmaps', verb: 'list' },
    { sa: CONTROLLER_SA, role: installerNsRole, group: '', resource: 'configmaps', verb: 'watch' },
    { sa: CONTROLLER_SA, role: installerNsRole, group: '', resource: 'configmaps', verb: 'create', setup: withoutSpeakerObjects },
    { sa: CONTROLLER_SA, role: installerNsRole, group: '', resource: 'configmaps', verb: 'patch' },
    { sa: CONTROLLER_SA, role: installerNsRole, group: 'apps', resource: 'daemonsets', verb: 'list' },
    { sa: CONTROLLER_SA, role: installerNsRole, group: 'apps', resource: 'daemonsets', verb: 'watch' },
    { sa: CONTROLLER_SA, role: installerNsRole, group: 'apps', resource: 'daemonsets', verb: 'create', setup: withoutSpeakerObjects },
    { sa: CONTROLLER_SA, role: installerNsRole, group: 'apps', resource: 'daemonsets', verb: 'patch' },
    { sa: CONTROLLER_SA, role: installerRole, group: 'admissionregistration.k8s.io', resource: 'validatingadmissionpolicies', verb: 'list' },
    { sa: CONTROLLER_SA, role: installerRole, group: 'admissionregistration.k8s.io', resource: 'validatingadmissionpolicies', verb: 'watch' },
    { sa: CONTROLLER_SA, role: installerRole, group: 'admissionregistration.k8s.io', resource: 'validatingadmissionpolicybindings', verb: 'list' },
    { sa: CONTROLLER_SA, role: installerRole, group: 'admissionregistration.k8s.io', resource: 'validatingadmissionpolicybindings', verb: 'watch' },
    { sa: SPEAKER_SA, role: speakerRole, group: 'vipannouncer.io', resource: 'vipannouncements', verb: 'list' },
    { sa: SPEAKER_SA, role: speakerRole, group: 'vipannouncer.io', resource: 'vipannouncements', verb: 'watch' },
    // The node's VipSpeaker: server-side apply of the object (PATCH, then create when it is
    // absent), then of its status.
    {
      sa: SPEAKER_SA, role: speakerRole, group: 'vipannouncer.io', resource: 'vipspeakers', verb: 'create',
      setup: async () => {
        await kubectl(['delete', 'vipspeakers.vipannouncer.io', nodes[0].name, '--ignore-not-found', '--wait=true']);
      },
    },
    { sa: SPEAKER_SA, role: speakerRole, group: 'vipannouncer.io', resource: 'vipspeakers', verb: 'patch' },
    {
      // A report with no owner (made before the speaker saw its Node, or by an earlier version):
      // only who may delete it may add the Node as owner (OwnerReferencesPermissionEnforcement).
      sa: SPEAKER_SA, role: speakerRole, group: 'vipannouncer.io', resource: 'vipspeakers', verb: 'delete',
      marker: 'cannot set an ownerRef on a resource you can\'t delete',
      setup: async () => {
        await kubectl(['delete', 'vipspeakers.vipannouncer.io', nodes[0].name, '--ignore-not-found', '--wait=true']);
        await kubectl(['create', '-f', '-'], JSON.stringify({ apiVersion: 'vipannouncer.io/v1alpha1', kind: 'VipSpeaker', metadata: { name: nodes[0].name } }));
      },
    },
    { sa: SPEAKER_SA, role: speakerRole, group: 'vipannouncer.io', resource: 'vipspeakers/status', verb: 'patch' },
    { sa: SPEAKER_SA, role: speakerRole, group: '', resource: 'nodes', verb: 'list' },
    { sa: SPEAKER_SA, role: speakerRole, group: '', resource: 'nodes', verb: 'watch' },
    // Routes from the Services themselves, before the controller's announcements.
    { sa: SPEAKER_SA, role: speakerRole, group: '', resource: 'services', verb: 'list' },
    { sa: SPEAKER_SA, role: speakerRole, group: '', resource: 'services', verb: 'watch' },
    { sa: SPEAKER_SA, role: speakerRole, group: 'discovery.k8s.io', resource: 'endpointslices', verb: 'list' },
    { sa: SPEAKER_SA, role: speakerRole, group: 'discovery.k8s.io', resource: 'endpointslices', verb: 'watch' },
    { sa: SPEAKER_SA, role: speakerRole, group: 'vipannouncer.io', resource: 'vippools', verb: 'list' },
    { sa: SPEAKER_SA, role: speakerRole, group: 'vipannouncer.io', resource: 'vippools', verb: 'watch' },
    { sa: SPEAKER_SA, role: speakerRole, group: '', resource: 'namespaces', verb: 'list' },
    { sa: SPEAKER_SA, role: speakerRole, group: '', resource: 'namespaces', verb: 'watch' },
    { sa: CONTROLLER_SA, role: controllerRole, group: 'authentication.k8s.io', resource: 'tokenreviews', verb: 'create', trigger: scrape },
    { sa: CONTROLLER_SA, role: controllerRole, group: 'authorization.k8s.io', resource: 'subjectaccessreviews', verb: 'create', trigger: scrape },
    { sa: SPEAKER_SA, role: speakerRole, group: 'authentication.k8s.io', resource: 'tokenreviews', verb: 'create', trigger: scrape },
    { sa: SPEAKER_SA, role: speakerRole, group: 'authorization.k8s.io', resource: 'subjectaccessreviews', verb: 'create', trigger: scrape },
  ];

  it('namespace users (view, edit, admin) read announcements but cannot make or change one; the editor role is granted by hand', async () => {
    // The lab runs no clusterrole-aggregation controller: what aggregates is read from the labels.
    const aggregated = (yaml.loadAll(render('rbac')) as Array<RbacObject & { metadata: { labels?: Record<string, string> } }>)
      .filter((o) => o.kind === 'ClusterRole' && Object.keys(o.metadata.labels ?? {}).some((l) => l.startsWith('rbac.authorization.k8s.io/aggregate-to-')));
    const into = (role: string): string[] => aggregated.filter((o) => o.metadata.labels?.[`rbac.authorization.k8s.io/aggregate-to-${role}`] === 'true').map((o) => o.metadata.name);
    for (const role of ['view', 'edit', 'admin']) assert.deepEqual(into(role), ['vip-announcer-vipannouncement-viewer'], `aggregated into ${role}`);
    const verbs = aggregated.flatMap((o) => (o.rules ?? []).filter((r) => (r.resources ?? []).includes('vipannouncements')).flatMap((r) => r.verbs));
    assert.deepEqual([...new Set(verbs)].sort(), ['get', 'list', 'watch']);
    // And on the API server: the viewer reads; the editor, bound by an administrator, writes.
    const user = `e2e-tenant-${NS}`;
    await kubectl(['create', 'rolebinding', 'tenant-view', '-n', NS, '--clusterrole=vip-announcer-vipannouncement-viewer', `--user=${user}`]);
    await waitFor(`${user} to read VipAnnouncements`, () => canI(user, 'list', 'vipannouncements.vipannouncer.io', { namespace: NS }), { timeoutMs: 20_000 });
    for (const verb of ['create', 'update', 'patch']) assert.equal(canI(user, verb, 'vipannouncements.vipannouncer.io', { namespace: NS }), false, `the viewer may ${verb}`);
    await kubectl(['create', 'rolebinding', 'tenant-handmade', '-n', NS, '--clusterrole=vip-announcer-vipannouncement-editor', `--user=${user}`]);
    await waitFor(`${user} to create VipAnnouncements once granted`, () => canI(user, 'create', 'vipannouncements.vipannouncer.io', { namespace: NS }), { timeoutMs: 20_000 });
  });

  it('the shipped roles grant exactly the verbs the cases take away', () => {
    const granted = new Set<string>();
    const mine = new Set<string>([controllerRole, leaseRole, speakerRole, installerRole, installerNsRole].map((r) => `${r.kind}/${r.name}`));
    for (const o of shippedRbac()) {
      if (o.kind !== 'ClusterRole' && o.kind !== 'Role') continue;
      if (!mine.has(`${o.kind}/${o.metadata.name}`)) continue;
      for (const r of o.rules ?? []) {
        for (const g of r.apiGroups ?? []) for (const res of r.resources ?? []) for (const v of r.verbs) granted.add(`${o.kind}/${o.metadata.name} ${g}/${res} ${v}`);
      }
    }
    const proven = new Set(cases.map((c) => `${c.role.kind}/${c.role.name} ${c.group}/${c.resource} ${c.verb}`));
    assert.deepEqual([...granted].sort(), [...proven].sort());
  });

  it('the controller may write the speakers\' ConfigMap and DaemonSet by name in its namespace, and nothing else of those kinds', () => {
    const user = serviceAccountUser(SYSTEM_NS, CONTROLLER_SA);
    assert.ok(canI(user, 'patch', `configmaps/${SPEAKER_OBJECTS}`, { namespace: SYSTEM_NS }), 'the positive case must hold, or the refusals below prove nothing');
    assert.ok(canI(user, 'patch', `daemonsets.apps/${SPEAKER_OBJECTS}`, { namespace: SYSTEM_NS }));
    const refused = [
      ['patch', 'configmaps/coredns', 'kube-system'],
      ['patch', 'daemonsets.apps/kube-proxy', 'kube-system'],
      ['create', 'daemonsets.apps', 'kube-system'],
      ['create', 'configmaps', NS],
      ['patch', `configmaps/${SPEAKER_OBJECTS}`, NS],
      ['patch', 'configmaps/vip-announcer-controller-config', SYSTEM_NS],
      ['update', `daemonsets.apps/${SPEAKER_OBJECTS}`, SYSTEM_NS],
    ] as const;
    for (const [verb, resource, namespace] of refused) assert.ok(!canI(user, verb, resource, { namespace }), `${verb} ${resource} in ${namespace} must be refused`);
  });

  for (const c of cases) {
    const what = `${c.sa} without ${c.verb} on ${c.resource}${c.role.kind === 'Role' ? ' (Role)' : ''}`;
    it(`${what}: refused with 403`, async () => {
      const user = serviceAccountUser(SYSTEM_NS, c.sa);
      const [base, subresource] = c.resource.split('/');
      const qualified = c.group ? `${base}.${c.group}` : base;
      // Rules limited to one name (the Lease; patch of the speakers' objects): ask about that object.
      const byName = c.resource === 'leases' ? LEASE : ['configmaps', 'daemonsets'].includes(c.resource) && c.verb === 'patch' ? SPEAKER_OBJECTS : undefined;
      const target = byName && c.verb !== 'create' ? `${qualified}/${byName}` : qualified;
      const allowed = (): boolean => canI(user, c.verb, target, { namespace: c.role.kind === 'Role' ? SYSTEM_NS : undefined, subresource });

      const reduced = shippedRbac().find((o) => o.kind === c.role.kind && o.metadata.name === c.role.name);
      assert.ok(reduced, `${c.role.kind} ${c.role.name} not in config/rbac`);
      const before = JSON.stringify(reduced.rules);
      reduced.rules = (reduced.rules ?? [])
        .map((r) => ((r.apiGroups ?? []).includes(c.group) && (r.resources ?? []).includes(c.resource) ? { ...r, verbs: r.verbs.filter((v) => v !== c.verb) } : r))
        .filter((r) => r.verbs.length > 0);
      assert.notEqual(JSON.stringify(reduced.rules), before, `${c.role.name} does not grant ${c.verb} on ${c.resource}`);

      await kubectl(['apply', '-f', '-'], JSON.stringify(reduced));
      let p: OperatorProcess | undefined;
      try {
        // Only a barrier: the authorizer has seen the change (its cache is eventually consistent).
        await waitFor(`the API server to refuse ${c.verb} ${c.resource}`, () => !allowed(), { timeoutMs: 20_000 });
        await c.setup?.();
        p = c.sa === CONTROLLER_SA
          ? await start(`ctl-no-${c.verb}-${c.resource.replace('/', '-')}`, 'controller', leaderElected)
          : await start(`spk-no-${c.verb}-${c.resource.replace('/', '-')}`, 'speaker', speakerConfig(nodes[0]));
        await c.trigger?.(p);
        const proc = p;
        const marker = c.marker ?? `User "${user}" cannot ${c.verb} resource "${c.resource}" in API group "${c.group}"`;
        await waitFor(`${proc.name} to log a 403: ${marker}`, () => {
          const seen = forbidden(proc);
          if (proc.exited()) throw new Error(`${proc.name} exited; 403s: ${seen.join(' | ')}`);
          return seen.some((e) => e.includes(marker));
        }, { timeoutMs: 30_000 });
      } finally {
        if (p) await stop(p);
        await kubectl(['apply', '-k', path.join(REPO_ROOT, 'config', 'rbac')]);
        await waitFor(`the API server to allow ${c.verb} ${c.resource} again`, () => allowed(), { timeoutMs: 20_000 });
      }
    });
  }
});
