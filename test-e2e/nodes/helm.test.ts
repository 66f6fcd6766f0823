// The Helm chart, on the lab's real nodes: generated from config/ (it renders to exactly what
// `kubectl apply -k config/default` applies), with the values users of MetalLB's and Cilium's
// charts expect, installed by helm v4 (built from its Go module) with the README's commands,
// checked at the router, upgraded without a withdrawal, and uninstalled by its pre-delete hook
// with every route withdrawn.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
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

const docKey = (d: Doc): string => `${d.kind ?? ''}/${d.metadata?.namespace ?? ''}/${d.metadata?.name ?? ''}`;
const parseDocs = (text: string): Doc[] => (yaml.loadAll(text) as (Doc | null)[]).filter((d): d is Doc => d !== null && typeof d === 'object');

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
  const template = async (...args: string[]): Promise<Doc[]> => parseDocs(await helm('template', 'vip-announcer', CHART, '-n', SYSTEM_NS, ...args));
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
    const chart = (await template()).filter((d) => d.metadata?.annotations?.['helm.sh/hook'] === undefined);
    const kustomized = parseDocs(await kubectl(['kustomize', path.join(REPO_ROOT, 'config', 'default')])).filter((d) => d.kind !== 'Namespace');
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
      assert.deepEqual(c, d, `${k} as config/default has it`);
    }
  });

  it('takes the values users of MetalLB\'s and Cilium\'s charts set, and refuses another namespace', async () => {
    const docs = await template(
      '--set', 'controller.image.repository=registry.example/vipa', '--set', 'controller.image.tag=9.9.9',
      '--set', 'controller.replicas=3', '--set', 'controller.priorityClassName=system-cluster-critical',
      '--set', 'controller.resources.limits.memory=1Gi', '--set', 'controller.nodeSelector.role=infra',
      '--set-json', 'controller.tolerations=[{"key":"infra","operator":"Exists"}]',
      '--set', 'crds.enabled=false', '--set', 'prometheus.podMonitor.enabled=true', '--set', 'prometheus.prometheusRule.enabled=true',
    );
    const kinds = docs.map((d) => d.kind);
    assert.ok(!kinds.includes('CustomResourceDefinition'), 'crds.enabled=false: no CRD');
    assert.ok(kinds.includes('PodMonitor') && kinds.includes('PrometheusRule') && kinds.includes('Service'), 'the monitoring toggles');
    assert.ok(!kinds.includes('ServiceMonitor'), 'only the monitors asked for');
    const dep = docs.find((d) => d.kind === 'Deployment') as { spec: { replicas: number; template: { spec: Record<string, unknown> & { containers: { image: string; resources: { limits: Record<string, string> } }[] } } } } | undefined;
    assert.ok(dep);
    assert.equal(dep.spec.replicas, 3);
    const pod = dep.spec.template.spec;
    assert.equal(pod.containers[0].image, 'registry.example/vipa:9.9.9');
    assert.equal(pod.containers[0].resources.limits.memory, '1Gi');
    assert.equal(pod.priorityClassName, 'system-cluster-critical');
    assert.deepEqual(pod.nodeSelector, { role: 'infra' });
    assert.deepEqual(pod.tolerations, [{ key: 'infra', operator: 'Exists' }]);
    const job = docs.find((d) => d.kind === 'Job') as { spec: { template: { spec: { containers: { image: string; args: string[] }[] } } } } | undefined;
    assert.equal(job?.spec.template.spec.containers[0].image, 'registry.example/vipa:9.9.9', 'the hook runs the controller image');
    assert.deepEqual(job?.spec.template.spec.containers[0].args.slice(0, 1), ['prepare-uninstall']);
    await assert.rejects(helm('template', 'x', CHART, '-n', 'other'), /installs into the namespace vip-announcer/);
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
