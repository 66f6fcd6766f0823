// config/admission names in CEL what the code renders: the installer's policy must admit exactly
// the DaemonSet render.ts makes, and the announcement policy must know our managed-by label.
// The API server proves the policies (test-e2e/admission.test.ts, rbac.test.ts); this catches a
// constant changed on one side only, without a lab.
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { loadAll } from 'js-yaml';
import { MANAGED_BY, MANAGED_BY_LABEL } from '../api/labels';
import { admissionGaps, SHIPPED_ADMISSION_POLICIES } from '../api/admissionPolicies';
import { DEFAULTS, GOBGP_API, GOBGPD_PRE_STOP, SPEAKER_NAME, SPEAKER_SERVICE_ACCOUNT, gobgpdCommand } from './render';
import { nodeOptionsFor } from './heapFlags';
import { InstallerCached } from './installerCaches';
import type { KubeObject } from '../kube/resources';

function repoFile(...parts: string[]): string {
  let dir = __dirname;
  while (!existsSync(join(dir, 'config', 'admission'))) {
    const up = dirname(dir);
    assert.notEqual(up, dir, 'config/admission not found above the test');
    dir = up;
  }
  return readFileSync(join(dir, ...parts), 'utf8');
}

/** Every CEL text of a policy file, joined: what the tests below look for. */
function celOf(file: string): string {
  const docs = loadAll(repoFile('config', 'admission', file)) as Array<{ kind?: string; spec?: Record<string, unknown> }>;
  return JSON.stringify(docs.filter((d) => d?.kind === 'ValidatingAdmissionPolicy').map((d) => d.spec));
}

const quoted = (s: string): string => JSON.stringify(`'${s}'`).slice(1, -1);
const list = (xs: readonly string[]): string => JSON.stringify(`[${xs.map((x) => `'${x}'`).join(', ')}]`).slice(1, -1);

void test('the installer policy admits the rendered names, ServiceAccount, commands, hook and default images', () => {
  const cel = celOf('installer_objects.yaml');
  for (const s of [SPEAKER_NAME, SPEAKER_SERVICE_ACCOUNT, DEFAULTS.image]) assert.ok(cel.includes(quoted(s)), `the policy lacks ${s}`);
  for (const port of [179, 1790]) {
    const { command, args } = gobgpdCommand(port);
    assert.ok(cel.includes(list(command)), `the policy lacks gobgpd's command ${command.join(' ')}`);
    assert.ok(cel.includes(list(args)), `the policy lacks gobgpd's args ${args.join(' ')}`);
  }
  assert.ok(gobgpdCommand(179).args.includes(GOBGP_API), 'gobgpd serves the socket the speaker dials');
  assert.ok(cel.includes(list(GOBGPD_PRE_STOP)), 'the policy lacks the preStop hook');
  const crd = repoFile('crds', 'vipannouncers.vipannouncer.io.yaml');
  const gobgpdDefault = /gobgpdImage:[\s\S]*?default: (\S+)/.exec(crd)?.[1];
  assert.ok(gobgpdDefault && cel.includes(quoted(gobgpdDefault)), `the policy lacks the CRD's default gobgpd image ${gobgpdDefault}`);
});

void test('the announcement policy knows our managed-by label', () => {
  const cel = celOf('service_backed_announcements.yaml');
  assert.ok(cel.includes(quoted(MANAGED_BY_LABEL)) && cel.includes(quoted(MANAGED_BY)));
});

void test('the installer knows every policy config/admission ships, each with a Deny binding', () => {
  const docs = ['service_backed_announcements.yaml', 'node_reports.yaml', 'installer_objects.yaml'].flatMap(
    (f) => loadAll(repoFile('config', 'admission', f)) as Array<KubeObject & { kind?: string; spec?: { policyName?: string; validationActions?: string[] } }>,
  );
  // As the installer caches them: names, and the namespaces of the ServiceAccounts they name.
  const policies = docs.filter((d) => d?.kind === 'ValidatingAdmissionPolicy').map((d) => InstallerCached.admissionPolicies.trim(structuredClone(d)));
  assert.deepEqual([...SHIPPED_ADMISSION_POLICIES].sort(), policies.map((p) => p.metadata.name).sort());
  for (const p of policies) assert.ok(p.serviceAccountNamespaces?.includes('vip-announcer'), `${p.metadata.name ?? ''} names the product's ServiceAccounts: ${String(p.serviceAccountNamespaces)}`);
  const views = policies.map((p) => ({ name: p.metadata.name ?? '', serviceAccountNamespaces: p.serviceAccountNamespaces ?? [] }));
  const bindings = docs.filter((d) => d?.kind === 'ValidatingAdmissionPolicyBinding').map((d) => ({ name: d.metadata?.name ?? '', ...d.spec }));
  assert.deepEqual(admissionGaps(views, bindings, 'vip-announcer'), [], 'config/admission as shipped counts as enforced');
  // Installed in another namespace without rewriting the policies: they match none of its identities.
  const other = admissionGaps(views, bindings, 'lb-system');
  assert.equal(other.length, SHIPPED_ADMISSION_POLICIES.length);
  for (const g of other) assert.match(g, /names the ServiceAccounts of namespace (kube-system, )?vip-announcer, not lb-system/);
});

void test('admission gaps: a policy missing, unbound, or bound only to warn or audit', () => {
  const all = [...SHIPPED_ADMISSION_POLICIES].map((name) => ({ name }));
  const deny = all.map((p) => ({ name: p.name, policyName: p.name, validationActions: ['Deny'] }));
  const first = all[0]?.name ?? '';
  assert.deepEqual(admissionGaps(all, deny), []);
  assert.deepEqual(admissionGaps(all.slice(1), deny), [`ValidatingAdmissionPolicy ${first} is missing`]);
  assert.deepEqual(admissionGaps(all, deny.slice(1)), [`ValidatingAdmissionPolicy ${first} has no binding`]);
  const warnOnly = [{ name: 'w', policyName: first, validationActions: ['Warn', 'Audit'] }, ...deny.slice(1)];
  assert.deepEqual(admissionGaps(all, warnOnly), [`ValidatingAdmissionPolicy ${first} is bound without Deny (w)`]);
  assert.equal(admissionGaps([], []).length, all.length, 'nothing installed: every policy is a gap');
});

void test('the installer policy admits the NODE_OPTIONS the installer renders, and nothing that loads code', () => {
  const docs = loadAll(repoFile('config', 'admission', 'installer_objects.yaml')) as Array<{ spec?: { validations?: { expression: string }[] } }>;
  const expressions = docs.flatMap((d) => d?.spec?.validations ?? []).map((v) => v.expression);
  const pattern = expressions.map((e) => /matches\('([^']+)'\)/.exec(e)?.[1]).find((m) => m !== undefined);
  assert.ok(pattern, 'the policy has no NODE_OPTIONS pattern');
  const re = new RegExp(pattern);
  for (const limit of ['64Mi', '256Mi', '1Gi']) assert.ok(re.test(nodeOptionsFor(limit) ?? ''), `refused: ${String(nodeOptionsFor(limit))}`);
  for (const bad of ['--import=data:text/javascript,process.exit()', '--require /etc/vip-announcer/config.yaml', '--max-semi-space-size=2 --import=x', '--max-semi-space-size=2\n--require x']) {
    assert.ok(!re.test(bad), `admitted: ${bad}`);
  }
});
