// Credentials of a ServiceAccount in the lab: a token from the TokenRequest API
// (`kubectl create token`, so exactly the RBAC bound to that ServiceAccount
// applies), written into a kubeconfig the operator can be started with.
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { dump, load } from 'js-yaml';
import { REPO_ROOT, kubectl, kubectlResult, lab, waitFor } from './lab';

/** LAB_APISERVER and LAB_CA_FILE from the lab's env file. */
export function labApiServer(): { server: string; caFile: string } {
  const env = readFileSync(path.join(lab().dir, 'env'), 'utf8');
  const get = (k: string): string => {
    const m = new RegExp(`^export ${k}="?(.*?)"?$`, 'm').exec(env);
    if (!m) throw new Error(`${lab().dir}/env lacks ${k}`);
    return m[1];
  };
  return { server: get('LAB_APISERVER'), caFile: get('LAB_CA_FILE') };
}

/** The username the API server gives a ServiceAccount's tokens. */
export function serviceAccountUser(namespace: string, name: string): string {
  return `system:serviceaccount:${namespace}:${name}`;
}

/**
 * Mints a token for namespace/name (TokenRequest API) and writes a kubeconfig
 * using it to the lab's e2e folder. Returns the kubeconfig's path.
 */
export async function serviceAccountKubeconfig(namespace: string, name: string, duration = '1h'): Promise<string> {
  const token = (await kubectl(['create', 'token', name, '-n', namespace, '--duration', duration])).trim();
  return writeTokenKubeconfig(namespace, name, token, `sa-${namespace}-${name}`);
}

/** The Pod a node-bound token of namespace/name is bound to (podBoundKubeconfig). */
export function boundPodName(name: string, node: string): string {
  return `${name}-${node}`.slice(0, 63).replace(/-+$/, '');
}

/**
 * A token of namespace/name bound to a Pod of that ServiceAccount on `node`, as the kubelet
 * gives a DaemonSet's Pod: the API server then adds the claim
 * authentication.kubernetes.io/node-name (userInfo.extra), which the shipped policy
 * vip-announcer-node-reports checks. The lab has no kubelet: the Pod has spec.nodeName and
 * never runs, which is all TokenRequest reads. Deleting the Pod revokes the token.
 */
export async function podBoundKubeconfig(namespace: string, name: string, node: string, duration = '1h'): Promise<string> {
  const pod = boundPodName(name, node);
  await kubectl(['apply', '-f', '-'], JSON.stringify({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: pod, namespace, labels: { 'app.kubernetes.io/name': 'e2e-bound-token' } },
    spec: { nodeName: node, serviceAccountName: name, automountServiceAccountToken: false, containers: [{ name: 'never-runs', image: 'registry.invalid/never-runs:lab' }] },
  }));
  const token = (await kubectl(['create', 'token', name, '-n', namespace, '--duration', duration, '--bound-object-kind', 'Pod', '--bound-object-name', pod])).trim();
  return writeTokenKubeconfig(namespace, name, token, `sa-${namespace}-${pod}`);
}

/**
 * Deletes the Pods podBoundKubeconfig made, which revokes their tokens. At once: no kubelet would
 * ever confirm a graceful deletion, and a Pod left Terminating keeps its namespace from going.
 */
export function deleteBoundPods(namespace: string, name: string, nodes: readonly string[]): void {
  const pods = nodes.map((n) => boundPodName(name, n));
  kubectlResult(['delete', 'pod', ...pods, '-n', namespace, '--ignore-not-found', '--grace-period=0', '--force', '--wait=false']);
}

/** Waits while `namespace` is being deleted (ensureNamespace then makes it anew). */
export async function untilNotTerminating(namespace: string): Promise<void> {
  await waitFor(`namespace ${namespace} to finish terminating`, () => kubectlResult(['get', 'namespace', namespace, '-o', 'jsonpath={.status.phase}']).stdout !== 'Terminating', { timeoutMs: 120_000, intervalMs: 500 });
}

/** The claims the API server reads from a token (TokenReview, as the lab's admin). */
export async function tokenUser(token: string): Promise<{ username: string; extra: Record<string, string[]> }> {
  const review = JSON.parse(await kubectl(['create', '-o', 'json', '-f', '-'], JSON.stringify({ apiVersion: 'authentication.k8s.io/v1', kind: 'TokenReview', spec: { token } }))) as {
    status?: { authenticated?: boolean; user?: { username?: string; extra?: Record<string, string[]> } };
  };
  if (!review.status?.authenticated) throw new Error('the token does not authenticate');
  return { username: review.status.user?.username ?? '', extra: review.status.user?.extra ?? {} };
}

/** The bearer token in a kubeconfig written here. */
export function kubeconfigToken(file: string): string {
  const doc = load(readFileSync(file, 'utf8')) as { users: { user: { token: string } }[] };
  return doc.users[0].user.token;
}

function writeTokenKubeconfig(namespace: string, name: string, token: string, fileStem: string): string {
  if (!token) throw new Error(`kubectl create token ${namespace}/${name} returned nothing`);
  const { server, caFile } = labApiServer();
  const dir = path.join(lab().dir, 'e2e');
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `${fileStem}.kubeconfig`);
  const user = serviceAccountUser(namespace, name);
  writeFileSync(
    file,
    dump({
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [{ name: 'lab', cluster: { server, 'certificate-authority': caFile } }],
      users: [{ name: user, user: { token } }],
      contexts: [{ name: 'lab', context: { cluster: 'lab', user, namespace } }],
      'current-context': 'lab',
    }),
    { mode: 0o600 },
  );
  return file;
}

/**
 * `kubectl auth can-i` as the ServiceAccount; `resource` as kubectl takes it
 * (RESOURCE.GROUP, or RESOURCE.GROUP/NAME for a named object). (admin impersonates it). Used only
 * to wait until an RBAC change has reached the API server's authorizer, never
 * as the proof that a permission is needed.
 */
export function canI(user: string, verb: string, resource: string, opts: { namespace?: string; subresource?: string } = {}): boolean {
  const args = ['auth', 'can-i', verb, resource, `--as=${user}`];
  args.push(...(opts.namespace ? ['-n', opts.namespace] : ['--all-namespaces']));
  if (opts.subresource) args.push(`--subresource=${opts.subresource}`);
  return kubectlResult(args).stdout.trim() === 'yes';
}

/** Where the e2e scrapers' ServiceAccounts live: a namespace no suite deletes. */
export const SCRAPER_NAMESPACE = 'kube-system';
/** Bound to the shipped ClusterRole vip-announcer-metrics-reader, as a Prometheus would be. */
export const METRICS_READER_SA = 'e2e-metrics-reader';
/** Authenticates, but holds no grant on /metrics. */
export const METRICS_NOBODY_SA = 'e2e-metrics-nobody';

async function ensureServiceAccount(namespace: string, name: string): Promise<void> {
  await kubectl(['apply', '-f', '-'], JSON.stringify({ apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name, namespace } }));
}

export async function serviceAccountToken(namespace: string, name: string, duration = '1h'): Promise<string> {
  await ensureServiceAccount(namespace, name);
  const token = (await kubectl(['create', 'token', name, '-n', namespace, '--duration', duration])).trim();
  if (!token) throw new Error(`kubectl create token ${namespace}/${name} returned nothing`);
  return token;
}

/** `kubectl auth can-i get /metrics` as the user (a barrier for RBAC changes, never the proof). */
export function canGetMetrics(user: string): boolean {
  return kubectlResult(['auth', 'can-i', 'get', '/metrics', `--as=${user}`]).stdout.trim() === 'yes';
}

let readerToken: Promise<string> | undefined;

/**
 * A token allowed to read /metrics: the shipped ClusterRole (config/rbac/metrics_reader_role.yaml,
 * applied here: a suite may have deleted config/rbac) bound to a ServiceAccount of the lab.
 */
export function metricsReaderToken(): Promise<string> {
  readerToken ??= (async () => {
    await kubectl(['apply', '-f', path.join(REPO_ROOT, 'config', 'rbac', 'metrics_reader_role.yaml')]);
    await ensureServiceAccount(SCRAPER_NAMESPACE, METRICS_READER_SA);
    const binding = { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRoleBinding', metadata: { name: METRICS_READER_SA }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'vip-announcer-metrics-reader' }, subjects: [{ kind: 'ServiceAccount', name: METRICS_READER_SA, namespace: SCRAPER_NAMESPACE }] };
    await kubectl(['apply', '-f', '-'], JSON.stringify(binding));
    await waitFor('the metrics reader to be allowed GET /metrics', () => canGetMetrics(serviceAccountUser(SCRAPER_NAMESPACE, METRICS_READER_SA)), { timeoutMs: 20_000 });
    return serviceAccountToken(SCRAPER_NAMESPACE, METRICS_READER_SA, '2h');
  })();
  // A failure (lab not up yet) is not remembered.
  readerToken.catch(() => (readerToken = undefined));
  return readerToken;
}
