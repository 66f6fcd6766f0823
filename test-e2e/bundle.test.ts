// The OLM bundle: hack/bundle.sh writes it deterministically, operator-sdk's
// validators (operatorframework suite) find nothing to say about it, and the
// CSV's own install strategy (permissions, ServiceAccounts, the controller
// Deployment) is accepted by the lab's real API server exactly as rendered.
// The lab has no kubelet and no deployment controller, so no pod is awaited.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import yaml from 'js-yaml';
import { REPO_ROOT, kubectl, kubectlResult, lab } from './harness/lab';
import { deleteNamespace, ensureNamespace, uniqueNamespace } from './harness/kube';

const BUNDLE = path.join(REPO_ROOT, 'bundle');
const CSV_FILE = path.join(BUNDLE, 'manifests', 'vip-announcer.clusterserviceversion.yaml');

interface PolicyRule {
  apiGroups?: string[];
  resources?: string[];
  resourceNames?: string[];
  nonResourceURLs?: string[];
  verbs: string[];
}
interface Permission {
  serviceAccountName: string;
  rules: PolicyRule[];
}
interface CsvDeployment {
  name: string;
  label?: Record<string, string>;
  spec: { template: { spec: { serviceAccountName?: string } } } & Record<string, unknown>;
}
interface Csv {
  spec: {
    installModes: { type: string; supported: boolean }[];
    install: {
      strategy: string;
      spec: { clusterPermissions?: Permission[]; permissions?: Permission[]; deployments: CsvDeployment[] };
    };
  };
}

interface BundleObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; labels?: Record<string, string> };
}
/** Bundle objects OLM creates in the install namespace that the lab's API server serves. */
const NAMESPACED_KINDS = new Set(['ConfigMap', 'Secret', 'Service', 'PodDisruptionBudget', 'NetworkPolicy']);

function run(cmd: string, args: string[]): { status: number; stdout: string; out: string } {
  const r = spawnSync(cmd, args, { cwd: REPO_ROOT, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, env: process.env });
  return { status: r.status ?? -1, stdout: r.stdout, out: `${r.stdout}${r.stderr}` };
}

function bundleDigest(): string {
  const h = createHash('sha256');
  for (const dir of ['manifests', 'metadata']) {
    for (const f of readdirSync(path.join(BUNDLE, dir)).sort()) {
      h.update(`${dir}/${f}\0`).update(readFileSync(path.join(BUNDLE, dir, f)));
    }
  }
  return h.update(readFileSync(path.join(REPO_ROOT, 'bundle.Dockerfile'))).digest('hex');
}

let generated: ReturnType<typeof run> | undefined;
/** Runs hack/bundle.sh once per test file. */
function generateBundle(): ReturnType<typeof run> {
  generated ??= run('bash', [path.join(REPO_ROOT, 'hack', 'bundle.sh')]);
  return generated;
}

function readCsv(): Csv {
  const r = generateBundle();
  assert.equal(r.status, 0, `hack/bundle.sh failed:\n${r.out}`);
  return yaml.load(readFileSync(CSV_FILE, 'utf8')) as Csv;
}

/** Paths where `actual` differs from `expected`, comparing only what `expected` sets. */
function mismatches(expected: unknown, actual: unknown, at = ''): string[] {
  if (Array.isArray(expected)) {
    if (!Array.isArray(actual) || actual.length !== expected.length) {
      return [`${at}: expected ${JSON.stringify(expected)}, got ${JSON.stringify(actual)}`];
    }
    return expected.flatMap((e, i) => mismatches(e, actual[i], `${at}[${i}]`));
  }
  if (expected !== null && typeof expected === 'object') {
    if (actual === null || typeof actual !== 'object' || Array.isArray(actual)) {
      return [`${at}: expected an object, got ${JSON.stringify(actual)}`];
    }
    const a = actual as Record<string, unknown>;
    return Object.entries(expected).flatMap(([k, v]) => mismatches(v, a[k], `${at}.${k}`));
  }
  return expected === actual ? [] : [`${at}: expected ${JSON.stringify(expected)}, got ${JSON.stringify(actual)}`];
}

describe('OLM bundle', () => {
  it('hack/bundle.sh writes the same bundle twice, and operator-sdk bundle validate reports no error and no warning', { timeout: 30 * 60_000 }, () => {
    const first = generateBundle();
    assert.equal(first.status, 0, `hack/bundle.sh failed:\n${first.out}`);
    const digest = bundleDigest();
    const again = run('bash', [path.join(REPO_ROOT, 'hack', 'bundle.sh')]);
    assert.equal(again.status, 0, `hack/bundle.sh (second run) failed:\n${again.out}`);
    assert.equal(bundleDigest(), digest, 'a second run of hack/bundle.sh changed the bundle');

    const build = run('bash', [path.join(REPO_ROOT, 'hack', 'build-operator-sdk.sh')]);
    assert.equal(build.status, 0, `hack/build-operator-sdk.sh failed:\n${build.out}`);
    const sdk = build.stdout.trim();
    const v = run(sdk, ['bundle', 'validate', './bundle', '--select-optional', 'suite=operatorframework']);
    assert.equal(v.status, 0, `operator-sdk bundle validate failed:\n${v.out}`);
    const noisy = v.out.split('\n').filter((l) => /^(WARN|ERRO)/.test(l));
    assert.deepEqual(noisy, [], `operator-sdk bundle validate reported:\n${v.out}`);
    assert.match(v.out, /All validation tests have completed successfully/);
  });

  it('the CSV installs with the deployment strategy, AllNamespaces, and every CRD it owns is in the bundle', () => {
    const csv = readCsv();
    assert.equal(csv.spec.install.strategy, 'deployment');
    assert.equal(csv.spec.install.spec.deployments.length, 1);
    assert.ok(csv.spec.installModes.some((m) => m.type === 'AllNamespaces' && m.supported), 'AllNamespaces install mode not supported');
    const files = readdirSync(path.join(BUNDLE, 'manifests'));
    const owned = (yaml.load(readFileSync(CSV_FILE, 'utf8')) as { spec: { customresourcedefinitions: { owned: { name: string }[] } } })
      .spec.customresourcedefinitions.owned;
    assert.ok(owned.length > 0);
    for (const o of owned) {
      const [plural, ...group] = o.name.split('.');
      assert.ok(files.includes(`${group.join('.')}_${plural}.yaml`), `CRD ${o.name} missing from bundle/manifests: ${files.join(', ')}`);
    }
  });

  describe("the CSV's install strategy on the lab's API server", () => {
    const NS = uniqueNamespace('e2e-bundle');
    const LABEL = 'vipannouncer.io/e2e-bundle';
    let csv: Csv;
    let objects: Record<string, unknown>[] = [];

    before(async () => {
      lab();
      // OLM installs the bundle's CRDs before the CSV: RBAC on their resources is only
      // checkable once they exist.
      const crdFiles = readdirSync(path.join(BUNDLE, 'manifests')).filter((f) => f.startsWith('vipannouncer.io_')).sort();
      await kubectl(['apply', ...crdFiles.flatMap((f) => ['-f', path.join(BUNDLE, 'manifests', f)])]);
      await kubectl(['wait', '--for=condition=Established', '--timeout=60s', 'crd/vipannouncements.vipannouncer.io', 'crd/vipannouncers.vipannouncer.io', 'crd/vippools.vipannouncer.io']);
      csv = readCsv();
      const install = csv.spec.install.spec;
      const dep = install.deployments[0];
      const sas = new Set<string>([
        ...(install.clusterPermissions ?? []).map((p) => p.serviceAccountName),
        ...(install.permissions ?? []).map((p) => p.serviceAccountName),
      ]);
      const depSA = dep.spec.template.spec.serviceAccountName;
      assert.ok(depSA && sas.has(depSA), `the Deployment's ServiceAccount ${depSA} has no permissions in the CSV`);
      const labels = { [LABEL]: NS };
      objects = [
        ...[...sas].sort().map((name) => ({ apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name, namespace: NS, labels } })),
        // OLM names the cluster-scoped objects after the CSV; here, after the namespace.
        ...(install.clusterPermissions ?? []).flatMap((p) => [
          { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata: { name: `${NS}-${p.serviceAccountName}`, labels }, rules: p.rules },
          {
            apiVersion: 'rbac.authorization.k8s.io/v1',
            kind: 'ClusterRoleBinding',
            metadata: { name: `${NS}-${p.serviceAccountName}`, labels },
            roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: `${NS}-${p.serviceAccountName}` },
            subjects: [{ kind: 'ServiceAccount', name: p.serviceAccountName, namespace: NS }],
          },
        ]),
        ...(install.permissions ?? []).flatMap((p) => [
          { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role', metadata: { name: p.serviceAccountName, namespace: NS, labels }, rules: p.rules },
          {
            apiVersion: 'rbac.authorization.k8s.io/v1',
            kind: 'RoleBinding',
            metadata: { name: p.serviceAccountName, namespace: NS, labels },
            roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: p.serviceAccountName },
            subjects: [{ kind: 'ServiceAccount', name: p.serviceAccountName, namespace: NS }],
          },
        ]),
        // What OLM installs next to the CSV into its namespace (the controller's ConfigMap, its PDB).
        ...readdirSync(path.join(BUNDLE, 'manifests'))
          .sort()
          .map((f) => yaml.load(readFileSync(path.join(BUNDLE, 'manifests', f), 'utf8')) as BundleObject)
          .filter((o) => NAMESPACED_KINDS.has(o.kind))
          .map((o) => ({ ...o, metadata: { ...o.metadata, namespace: NS, labels: { ...o.metadata.labels, ...labels } } })),
        { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: dep.name, namespace: NS, labels: { ...dep.label, ...labels } }, spec: dep.spec },
      ];
      await ensureNamespace(NS);
    });

    after(async () => {
      kubectlResult(['delete', 'clusterrolebinding,clusterrole', '-l', `${LABEL}=${NS}`, '--ignore-not-found', '--wait=false']);
      await deleteNamespace(NS);
    });

    const list = (): string => JSON.stringify({ apiVersion: 'v1', kind: 'List', items: objects });

    it('kubectl apply --dry-run=server accepts every object', () => {
      const r = kubectlResult(['apply', '--dry-run=server', '-f', '-'], list());
      assert.equal(r.status, 0, `server dry-run rejected the install strategy:\n${r.stderr}`);
      assert.equal(r.stdout.trim().split('\n').length, objects.length, r.stdout);
    });

    it('a real apply stores the Deployment exactly as the CSV renders it', async () => {
      const r = kubectlResult(['apply', '-f', '-'], list());
      assert.equal(r.status, 0, `apply rejected the install strategy:\n${r.stderr}`);
      const dep = csv.spec.install.spec.deployments[0];
      const stored = JSON.parse(await kubectl(['get', 'deployment', dep.name, '-n', NS, '-o', 'json'])) as { spec: unknown };
      assert.deepEqual(mismatches(dep.spec, stored.spec, 'spec'), [], 'the API server changed the rendered Deployment spec');
    });

    it('grants each ServiceAccount every rule of the CSV (kubectl auth can-i)', () => {
      const install = csv.spec.install.spec;
      const denied: string[] = [];
      const check = (p: Permission, scope: string[]): void => {
        for (const rule of p.rules) {
          for (const group of rule.apiGroups ?? []) {
            for (const res of rule.resources ?? []) {
              const [resource, sub] = res.split('/');
              const kind = group ? `${resource}.${group}` : resource;
              // A rule limited to resourceNames grants only those objects.
              const targets = rule.resourceNames?.length ? rule.resourceNames.map((n) => `${kind}/${n}`) : [kind];
              for (const verb of rule.verbs) {
                for (const target of targets) {
                  const args = ['auth', 'can-i', verb, target, `--as=system:serviceaccount:${NS}:${p.serviceAccountName}`, ...scope];
                  if (sub) args.push(`--subresource=${sub}`);
                  const r = kubectlResult(args);
                  if (r.stdout.trim() !== 'yes') denied.push(`${p.serviceAccountName}: ${verb} ${target}${sub ? `/${sub}` : ''} ${scope.join(' ')}`);
                }
              }
            }
          }
        }
      };
      for (const p of install.clusterPermissions ?? []) check(p, ['-n', 'default']);
      for (const p of install.permissions ?? []) check(p, ['-n', NS]);
      assert.deepEqual(denied, []);
    });
  });
});
