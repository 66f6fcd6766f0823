// The Helm chart, on the lab's real nodes: generated from config/ (it renders to exactly what
// `kubectl apply -k config/default` applies, and into another namespace to what the README's
// kustomize overlay for it applies), with the values users of MetalLB's and Cilium's
// charts expect, installed by helm v4 (built from its Go module) with the README's commands,
// checked at the router, upgraded without a withdrawal, and uninstalled by its pre-delete hook
// with every route withdrawn.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import yaml from 'js-yaml';
import { birdLogOffset, birdLogSince, birdNextHops } from '../harness/bird';
import { REPO_ROOT, kubectl, kubectlResult, lab, waitFor, waitUntilNoMismatch } from '../harness/lab';
import { SYSTEM_NS, labAnnouncerObject, labPoolObject } from '../harness/nodesInstall';

const execFileP = promisify(execFile);

const APP_NS = 'e2e-helm';
const POOL = 'e2e-helm';
const POOL_RANGE = '203.0.113.48/28';
const CHART = path.join(REPO_ROOT, 'dist', 'chart', 'vip-announcer');
/** A release namespace other than config/'s. */
const OTHER_NS = 'lb-system';
/** The kinds of config/ that live in no namespace. */
const CLUSTER_SCOPED = new Set(['Namespace', 'CustomResourceDefinition', 'ClusterRole', 'ClusterRoleBinding', 'ValidatingAdmissionPolicy', 'ValidatingAdmissionPolicyBinding']);

interface Doc {
  apiVersion?: string;
  kind?: string;
  metadata?: { name?: string; namespace?: string; annotations?: Record<string, string> };
  spec?: Record<string, unknown>;
}

/** The README section's ```sh blocks, as command lines (comments dropped). */
function readmeBlocks(title: string): string[][] {
  const readme = readFileSync(path.join(REPO_ROOT, 'README.md'), 'utf8');
  const section = readme.split('\n## ').find((s) => s.startsWith(title));
  assert.ok(section, `README has a "${title}" section`);
  return [...section.matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => m[1].split('\n').map((l) => l.replace(/#.*$/, '').trim()).filter(Boolean));
}

/** The README section's ```yaml block that is a Kustomization (the overlay for another namespace). */
function readmeOverlay(title: string): string {
  const readme = readFileSync(path.join(REPO_ROOT, 'README.md'), 'utf8');
  const section = readme.split('\n## ').find((s) => s.startsWith(title));
  assert.ok(section, `README has a "${title}" section`);
  const block = [...section.matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => m[1]).find((b) => /^kind: Kustomization$/m.test(b));
  assert.ok(block, `the "${title}" section shows a kustomize overlay`);
  return block;
}

const docKey = (d: Doc): string => `${d.kind ?? ''}/${d.metadata?.namespace ?? ''}/${d.metadata?.name ?? ''}`;
const parseDocs = (text: string): Doc[] => (yaml.loadAll(text) as (Doc | null)[]).filter((d): d is Doc => d !== null && typeof d === 'object');

/** The chart's objects (hooks left out) are the kustomization's, object by object, less helm's own marks. */
function assertSameObjects(chartDocs: Doc[], kustomizedDocs: Doc[]): void {
  const chart = chartDocs.filter((d) => d.metadata?.annotations?.['helm.sh/hook'] === undefined);
  const kustomized = kustomizedDocs.filter((d) => d.kind !== 'Namespace');
  // The CRDs carry helm's keep annotation (crds.keep): compare them without it.
  for (const d of chart) if (d.kind === 'CustomResourceDefinition') delete d.metadata?.annotations?.['helm.sh/resource-policy'];
  const byKey = (list: Doc[]): Map<string, Doc> => new Map(list.map((d) => [docKey(d), d]));
  const [a, b] = [byKey(chart), byKey(kustomized)];
  assert.deepEqual([...a.keys()].sort(), [...b.keys()].sort(), 'the same objects');
  for (const [k, d] of b) {
    const c = a.get(k) as Doc & { metadata?: { annotations?: Record<string, string> } };
    // An empty annotations map left by the keep toggle is no difference.
    if (c.metadata?.annotations && Object.keys(c.metadata.annotations).length === 0) delete c.metadata.annotations;
    // Empty placement values render as empty fields the kustomization leaves out.
    const spec = (c.spec as { template?: { spec?: Record<string, unknown> } } | undefined)?.template?.spec;
    if (spec) for (const f of ['nodeSelector', 'tolerations']) if (JSON.stringify(spec[f]) === '{}' || JSON.stringify(spec[f]) === '[]') delete spec[f];
    assert.deepEqual(c, d, `${k} as the kustomization has it`);
  }
}

/** The product's ServiceAccount user names a document names (system:serviceaccount:NS:vip-announcer-…), as [NS, name]. */
const productUsers = (d: Doc): [string, string][] =>
  [...JSON.stringify(d).matchAll(/system:serviceaccount:([^:'"\\\s]+):(vip-announcer-[-a-z0-9]+)/g)].map((m) => [m[1], m[2]]);

/** Where a render into `ns` puts the product's own objects or identities anywhere else, as a reader would say it. Pure. */
function namespaceProblems(docs: Doc[], ns: string): string[] {
  const problems: string[] = [];
  for (const d of docs) {
    const where = docKey(d);
    const have = d.metadata?.namespace;
    if (have === undefined ? !CLUSTER_SCOPED.has(d.kind ?? '') : have !== ns) problems.push(`${where}: metadata.namespace ${have ?? 'unset'}`);
    const { subjects, spec } = d as Doc & { subjects?: { kind: string; name: string; namespace?: string }[] };
    for (const s of subjects ?? []) {
      if (s.kind === 'ServiceAccount' && s.name.startsWith('vip-announcer-') && s.namespace !== ns) problems.push(`${where}: subject ServiceAccount ${s.namespace ?? ''}/${s.name}`);
    }
    const matchNames = (spec as { namespaceSelector?: { matchNames?: string[] } } | undefined)?.namespaceSelector?.matchNames;
    if (matchNames && JSON.stringify(matchNames) !== JSON.stringify([ns])) problems.push(`${where}: namespaceSelector.matchNames ${JSON.stringify(matchNames)}`);
    for (const [userNs, name] of productUsers(d)) if (userNs !== ns) problems.push(`${where}: user system:serviceaccount:${userNs}:${name}`);
    if (d.kind === 'CustomResourceDefinition' && d.metadata?.name === 'vipannouncers.vipannouncer.io') {
      const versions = (spec as { versions: { schema: { openAPIV3Schema: { properties: { spec: { properties: { namespace: { default?: string } } } } } } }[] }).versions;
      for (const v of versions) {
        const dflt = v.schema.openAPIV3Schema.properties.spec.properties.namespace.default;
        if (dflt !== ns) problems.push(`${where}: spec.namespace defaults to ${dflt ?? 'nothing'}`);
      }
    }
    const job = (spec as { template?: { spec?: { containers?: { args?: string[] }[] } } } | undefined)?.template?.spec;
    for (const c of d.kind === 'Job' ? (job?.containers ?? []) : []) {
      const i = c.args?.indexOf('--namespace') ?? -1;
      if (i >= 0 && c.args?.[i + 1] !== ns) problems.push(`${where}: --namespace ${c.args?.[i + 1] ?? ''}`);
    }
    const rules = (d as Doc & { rules?: { resources?: string[]; resourceNames?: string[] }[] }).rules ?? [];
    for (const r of rules) {
      if (r.resources?.includes('namespaces') && r.resourceNames && JSON.stringify(r.resourceNames) !== JSON.stringify([ns])) problems.push(`${where}: a rule on namespaces ${JSON.stringify(r.resourceNames)}`);
    }
  }
  return problems;
}

describe('the Helm chart, installed with helm v4 on real nodes', { timeout: 30 * 60_000 }, () => {
  const nodes = lab().nodes;
  const allHops = nodes.map((n) => n.address).sort();
  let helmBin = '';
  let vip = '';
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'vipa-helm-'));
  /** A command line of the README, run as a user would, with the lab's kubectl and the built helm first on PATH. */
  const sh = async (line: string): Promise<string> => {
    const l = lab();
    const { stdout } = await execFileP('bash', ['-c', line], {
      cwd: REPO_ROOT,
      env: { ...process.env, KUBECONFIG: l.kubeconfig, PATH: `${path.dirname(helmBin)}:${l.k8sBin}:${process.env.PATH ?? ''}` },
      maxBuffer: 64 * 1024 * 1024,
    });
    return stdout;
  };
  const helm = (...args: string[]): Promise<string> => sh(['helm', ...args.map((a) => `'${a.replace(/'/g, `'\\''`)}'`)].join(' '));
  const templateIn = async (ns: string, ...args: string[]): Promise<Doc[]> => parseDocs(await helm('template', 'vip-announcer', CHART, '-n', ns, ...args));
  const template = (...args: string[]): Promise<Doc[]> => templateIn(SYSTEM_NS, ...args);
  const routeMismatch = async (prefix: string, want: string[]): Promise<string> => {
    const have = (await birdNextHops()).get(prefix) ?? [];
    return JSON.stringify(have) === JSON.stringify(want) ? '' : `BIRD holds ${prefix} via ${JSON.stringify(have)}, want ${JSON.stringify(want)}`;
  };

  before(() => {
    assert.equal(lab().mode, 'nodes', 'this suite needs the real-nodes lab (LAB_MODE=nodes hack/lab.sh up)');
    // The chart's own build step, and helm from its Go module (cached after the first build).
    execFileSync(path.join(REPO_ROOT, 'hack', 'chart.sh'), { stdio: ['ignore', 'ignore', 'inherit'] });
    helmBin = execFileSync(path.join(REPO_ROOT, 'hack', 'build-helm.sh'), { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }).trim().split('\n').at(-1) ?? '';
    assert.match(helmBin, /\/helm$/);
  });

  after(() => {
    rmSync(tmp, { recursive: true, force: true });
    kubectlResult(['delete', 'namespace', APP_NS, '--ignore-not-found', '--wait=false']);
  });

  it('is config/ as it is: the default render is what kubectl apply -k config/default applies (less the namespace), plus the uninstall hook', async () => {
    assert.match(await helm('version', '--short'), /^v4\./);
    await helm('lint', CHART, '--namespace', SYSTEM_NS);
    const kustomized = parseDocs(await kubectl(['kustomize', path.join(REPO_ROOT, 'config', 'default')]));
    assertSameObjects(await template(), kustomized);
  });

  it('takes the values users of MetalLB\'s and Cilium\'s charts set', async () => {
    const docs = await template(
      '--set', 'controller.image.repository=registry.example/vipa', '--set', 'controller.image.tag=9.9.9',
      '--set', 'controller.replicas=3', '--set', 'controller.priorityClassName=system-cluster-critical',
      '--set', 'controller.resources.limits.memory=1Gi', '--set', 'controller.nodeOptions=--max-old-space-size=614', '--set', 'controller.nodeSelector.role=infra',
      '--set-json', 'controller.tolerations=[{"key":"infra","operator":"Exists"}]',
      '--set', 'crds.enabled=false', '--set', 'prometheus.podMonitor.enabled=true', '--set', 'prometheus.prometheusRule.enabled=true',
    );
    const kinds = docs.map((d) => d.kind);
    assert.ok(!kinds.includes('CustomResourceDefinition'), 'crds.enabled=false: no CRD');
    assert.ok(kinds.includes('PodMonitor') && kinds.includes('PrometheusRule') && kinds.includes('Service'), 'the monitoring toggles');
    assert.ok(!kinds.includes('ServiceMonitor'), 'only the monitors asked for');
    const dep = docs.find((d) => d.kind === 'Deployment') as { spec: { replicas: number; template: { spec: Record<string, unknown> & { containers: { image: string; env: { name: string; value?: string }[]; resources: { limits: Record<string, string> } }[] } } } } | undefined;
    assert.ok(dep);
    assert.equal(dep.spec.replicas, 3);
    const pod = dep.spec.template.spec;
    assert.equal(pod.containers[0].image, 'registry.example/vipa:9.9.9');
    assert.equal(pod.containers[0].resources.limits.memory, '1Gi');
    assert.equal(pod.containers[0].env.find((e) => e.name === 'NODE_OPTIONS')?.value, '--max-old-space-size=614', 'the heap flags follow the value');
    assert.equal(pod.priorityClassName, 'system-cluster-critical');
    assert.deepEqual(pod.nodeSelector, { role: 'infra' });
    assert.deepEqual(pod.tolerations, [{ key: 'infra', operator: 'Exists' }]);
    const job = docs.find((d) => d.kind === 'Job') as { spec: { template: { spec: { containers: { image: string; args: string[] }[] } } } } | undefined;
    assert.equal(job?.spec.template.spec.containers[0].image, 'registry.example/vipa:9.9.9', 'the hook runs the controller image');
    assert.deepEqual(job?.spec.template.spec.containers[0].args.slice(0, 1), ['prepare-uninstall']);
  });

  it(`installs into any namespace: into ${OTHER_NS}, every namespaced object, RBAC subject, monitor and the uninstall hook are there, and the admission policies name its ServiceAccounts`, async () => {
    await helm('lint', CHART, '--namespace', OTHER_NS);
    const monitors = ['--set', 'prometheus.serviceMonitor.enabled=true', '--set', 'prometheus.podMonitor.enabled=true', '--set', 'prometheus.prometheusRule.enabled=true'];
    const text = await helm('template', 'vip-announcer', CHART, '-n', OTHER_NS, ...monitors);
    const docs = parseDocs(text);
    assert.deepEqual(namespaceProblems(docs, OTHER_NS), [], `rendered with -n ${OTHER_NS}`);
    assert.doesNotMatch(text, new RegExp(`serviceaccount:${SYSTEM_NS}:`), `no user name of the namespace ${SYSTEM_NS} left`);
    // Every policy that names one of the product's ServiceAccounts in config/'s namespace names it in this one.
    const naming = (list: Doc[], ns: string): string[] =>
      list.filter((d) => d.kind === 'ValidatingAdmissionPolicy' && productUsers(d).some(([n]) => n === ns)).map((d) => d.metadata?.name ?? '').sort();
    const usual = naming(await template(...monitors), SYSTEM_NS);
    assert.ok(usual.length > 0, `the policies name the ServiceAccounts in ${SYSTEM_NS}`);
    assert.deepEqual(naming(docs, OTHER_NS), usual, `the same policies name system:serviceaccount:${OTHER_NS}:…`);
    const users = new Set(docs.flatMap((d) => (d.kind === 'ValidatingAdmissionPolicy' ? productUsers(d).map(([n, name]) => `system:serviceaccount:${n}:${name}`) : [])));
    for (const who of ['vip-announcer-controller', 'vip-announcer-speaker']) assert.ok(users.has(`system:serviceaccount:${OTHER_NS}:${who}`), `a policy names ${who} in ${OTHER_NS}`);
    // The README's kustomize overlay for another namespace applies what the chart installs there.
    const overlay = path.join(tmp, 'overlay');
    mkdirSync(overlay, { recursive: true });
    const kustomization = readmeOverlay('Install on a cluster')
      .replace(/^namespace: .*$/m, `namespace: ${OTHER_NS}`)
      .replace(/^( *- ).*\/config\/default\b.*$/m, `$1${path.relative(overlay, path.join(REPO_ROOT, 'config', 'default'))}`);
    writeFileSync(path.join(overlay, 'kustomization.yaml'), kustomization);
    assertSameObjects(await templateIn(OTHER_NS), parseDocs(await kubectl(['kustomize', overlay])));
  });

  it('helm install as the README says: the controller, the speakers on every node, an address and a route from every node', async () => {
    const [install] = readmeBlocks('Install with Helm');
    assert.ok(install.includes('make chart'), `the README builds the chart with make chart; it says: ${install.join('; ')}`);
    assert.ok(install.some((l) => l.startsWith('helm install vip-announcer dist/chart/vip-announcer -n vip-announcer')), 'the README installs with helm install');
    const values = path.join(tmp, 'my-values.yaml');
    writeFileSync(values, yaml.dump({ controller: { logLevel: 'info' } }));
    const pool = labPoolObject(POOL, POOL_RANGE, APP_NS);
    const announcer = labAnnouncerObject();
    // The README's lines in order: make chart ran in before(); the samples become this lab's pool and BGP settings.
    for (const line of install) {
      if (line === 'make chart') continue;
      if (line.endsWith('vippool.yaml')) await kubectl(['apply', '-f', '-'], JSON.stringify(pool));
      else if (line.endsWith('vipannouncer.yaml')) await kubectl(['apply', '-f', '-'], JSON.stringify(announcer));
      else {
        // The installer writes the DaemonSet a moment after the VipAnnouncer is applied.
        if (line.includes('rollout status daemonset/')) await waitFor('DaemonSet vip-announcer-speaker', () => kubectlResult(['get', 'daemonset', 'vip-announcer-speaker', '-n', SYSTEM_NS]).status === 0, { timeoutMs: 120_000 });
        await sh(line.replace('my-values.yaml', values));
      }
    }
    assert.equal(kubectlResult(['get', 'vippool', POOL]).status, 0, 'the README applies a pool');
    assert.equal(kubectlResult(['get', 'vipannouncer', 'default']).status, 0, 'the README applies a VipAnnouncer');
    await kubectl(['create', 'namespace', APP_NS]);
    await kubectl(['apply', '-f', '-'], JSON.stringify({
      apiVersion: 'v1', kind: 'Service', metadata: { name: 'web', namespace: APP_NS },
      spec: { type: 'LoadBalancer', externalTrafficPolicy: 'Cluster', ports: [{ port: 80, protocol: 'TCP' }] },
    }));
    // A Service without a selector: its endpoints are this hand-made slice, served from node 1's address.
    await kubectl(['apply', '-f', '-'], JSON.stringify({
      apiVersion: 'discovery.k8s.io/v1', kind: 'EndpointSlice', metadata: { name: 'web-1', namespace: APP_NS, labels: { 'kubernetes.io/service-name': 'web' } },
      addressType: 'IPv4', endpoints: [{ addresses: [nodes[0].address], conditions: { ready: true } }], ports: [{ port: 80, protocol: 'TCP' }],
    }));
    vip = await waitFor('the Service to get an address', async () => {
      const svc = JSON.parse(await kubectl(['get', 'service', 'web', '-n', APP_NS, '-o', 'json'])) as { status?: { loadBalancer?: { ingress?: { ip?: string }[] } } };
      return svc.status?.loadBalancer?.ingress?.[0]?.ip ?? false;
    }, { timeoutMs: 120_000 });
    assert.ok(vip.startsWith('203.0.113.'), `address ${vip} from ${POOL_RANGE}`);
    await waitUntilNoMismatch(`${vip}/32 from every node`, () => routeMismatch(`${vip}/32`, allHops), { timeoutMs: 120_000 });
  });

  it('helm upgrade of a value rolls the controller; no route is withdrawn', async () => {
    const offset = birdLogOffset();
    await helm('upgrade', 'vip-announcer', CHART, '-n', SYSTEM_NS, '--reuse-values', '--set', 'controller.logLevel=debug', '--wait');
    const env = await kubectl(['get', 'deployment', 'vip-announcer-controller', '-n', SYSTEM_NS, '-o', 'jsonpath={.spec.template.spec.containers[0].env[?(@.name=="LOG_LEVEL")].value}']);
    assert.equal(env.trim(), 'debug');
    await kubectl(['-n', SYSTEM_NS, 'rollout', 'status', 'deployment/vip-announcer-controller', '--timeout=300s']);
    await waitUntilNoMismatch(`${vip}/32 from every node after the upgrade`, () => routeMismatch(`${vip}/32`, allHops), { timeoutMs: 120_000 });
    assert.deepEqual(birdLogSince(offset).filter((l) => l.includes(' removed ') && l.includes(`${vip}/32`)), [], 'BIRD withdrew the route during the upgrade');
  });

  it('helm uninstall as the README says: the hook withdraws every route before helm removes the controller; then nothing is left', async () => {
    const [, uninstall] = readmeBlocks('Install with Helm');
    assert.ok(uninstall?.some((l) => l.startsWith('helm uninstall vip-announcer')), 'the README uninstalls with helm uninstall');
    const offset = birdLogOffset();
    await sh(uninstall[0]);
    // Withdrawn, not aged out: the graceful-restart time (120 s) has not run out when helm returns.
    await waitUntilNoMismatch(`${vip}/32 gone from BIRD`, async () => ((await birdNextHops()).has(`${vip}/32`) ? `${vip}/32 still routed` : ''), { timeoutMs: 60_000 });
    assert.ok(birdLogSince(offset).some((l) => l.includes(' removed ') && l.includes(`${vip}/32`)), 'BIRD logged the withdrawals');
    const left = kubectlResult(['get', 'clusterrole,clusterrolebinding,validatingadmissionpolicy,validatingadmissionpolicybinding', '-l', 'app.kubernetes.io/part-of=vip-announcer', '-o', 'name']);
    assert.equal(left.stdout.trim(), '', 'cluster-scoped objects of the release left behind');
    assert.equal(kubectlResult(['get', 'vipannouncers', '-o', 'name']).stdout.trim(), '', 'the hook deleted the VipAnnouncer');
    // crds.keep: the CRDs and the pool stay until the user deletes them, which now goes through (no finalizer held).
    for (const line of uninstall.slice(1)) await sh(line);
    await waitFor('the CRDs and the namespace to be gone', () => {
      const crds = kubectlResult(['get', 'crd', '-l', 'app.kubernetes.io/part-of=vip-announcer', '-o', 'name']).stdout.trim();
      return crds === '' && kubectlResult(['get', 'namespace', SYSTEM_NS]).status !== 0;
    }, { timeoutMs: 180_000 });
  });
});
