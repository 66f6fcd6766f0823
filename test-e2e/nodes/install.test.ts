// It runs as it ships: on the lab's real nodes (a kubelet, containerd and kube-proxy per node,
// each node in a network namespace of its own), the product is installed exactly as the README
// says (`kubectl apply -k config/default`, then a VipPool and a VipAnnouncer), from the images
// `make images` built, and BIRD's table proves that every node announces what it should.
// Then what only real Pods can show: the gobgpd sidecar and its socket, a gobgpd crash, a
// rollout restart without a withdrawal, and an uninstall that withdraws everything.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { birdc, birdLogOffset, birdLogSince, birdNextHops, birdProtocolState } from '../harness/bird';
import { REPO_ROOT, kubectl, kubectlResult, lab, waitFor, waitUntilNoMismatch } from '../harness/lab';
import { SYSTEM_NS, labAnnouncerObject, labPoolObject } from '../harness/nodesInstall';

const execFileP = promisify(execFile);

const APP_NS = 'e2e-install';
const POOL = 'e2e-install';
const POOL_RANGE = '203.0.113.16/28';
const SPEAKERS = 'vip-announcer-speaker';
const CONTROLLER = 'vip-announcer-controller';
/** The app's Pods: the lab has no registry, so the backend is the pause image every node holds. */
const APP_IMAGE = 'vipa.local/pause:1';

interface PodView {
  metadata: { name: string; uid: string };
  spec: { nodeName?: string };
  status: {
    phase?: string;
    initContainerStatuses?: ContainerStatus[];
    containerStatuses?: ContainerStatus[];
  };
}
interface ContainerStatus {
  name: string;
  restartCount: number;
  ready: boolean;
  started?: boolean;
  containerID?: string;
  state?: { running?: { startedAt: string } };
}

async function json<T>(args: string[]): Promise<T> {
  return JSON.parse(await kubectl([...args, '-o', 'json'])) as T;
}

async function speakerPods(): Promise<PodView[]> {
  return (await json<{ items: PodView[] }>(['get', 'pods', '-n', SYSTEM_NS, '-l', 'app.kubernetes.io/component=speaker'])).items;
}

async function ingressOf(name: string): Promise<string[]> {
  const svc = await json<{ status?: { loadBalancer?: { ingress?: { ip?: string }[] } } }>(['get', 'service', name, '-n', APP_NS]);
  return (svc.status?.loadBalancer?.ingress ?? []).map((i) => i.ip ?? '').filter(Boolean);
}

/** The address the Service got, once it has one. */
async function addressOf(name: string): Promise<string> {
  return waitFor(`Service ${name} to get an address`, async () => (await ingressOf(name))[0], { timeoutMs: 120_000 });
}

/** What is wrong with BIRD's next hops for a prefix, or ''. */
async function routeMismatch(prefix: string, wantHops: string[]): Promise<string> {
  const have = (await birdNextHops()).get(prefix) ?? [];
  const want = [...wantHops].sort();
  return JSON.stringify(have) === JSON.stringify(want) ? '' : `BIRD holds ${prefix} via ${JSON.stringify(have)}, want ${JSON.stringify(want)}`;
}

const addressOfNode = (name: string): string => {
  const n = lab().nodes.find((x) => x.name === name);
  assert.ok(n, `lab node ${name}`);
  return n.address;
};

/** BIRD's log lines that withdraw one of `prefixes`, from `offset` on. */
const withdrawals = (offset: number, prefixes: string[]): string[] =>
  birdLogSince(offset).filter((l) => l.includes(' removed ') && prefixes.some((p) => l.includes(p)));

/** The PID (on this machine) of a container's main process, from its node's containerd. */
async function containerPid(node: string, containerID: string): Promise<number> {
  const n = lab().nodes.find((x) => x.name === node);
  assert.ok(n?.containerd, `node ${node} has a containerd`);
  const id = containerID.replace(/^containerd:\/\//, '');
  const { stdout } = await execFileP('ctr', ['--address', n.containerd, '-n', 'k8s.io', 'tasks', 'ls']);
  const line = stdout.split('\n').find((l) => l.startsWith(id));
  assert.ok(line, `container ${id} runs on ${node}`);
  return Number(line.split(/\s+/)[1]);
}

/** TCP listeners in a node's network namespace: "address:port process" lines. */
async function listeners(node: string): Promise<string> {
  const n = lab().nodes.find((x) => x.name === node);
  assert.ok(n?.netns);
  const { stdout } = await execFileP('nsenter', [`--net=/run/netns/${n.netns}`, 'ss', '-Hltnp']);
  return stdout;
}

/** The Pod's Ready condition: 'True', 'False' or '' (gone). */
async function podReady(name: string): Promise<string> {
  const out = await kubectl(['get', 'pod', name, '-n', SYSTEM_NS, '-o', 'jsonpath={.status.conditions[?(@.type=="Ready")].status}']).catch(() => '');
  return out.trim();
}

/** BIRD's sessions with the nodes take this TCP MD5 password ('' none): the lab's per-node include files, reloaded. */
async function birdPassword(password: string): Promise<void> {
  for (const n of lab().nodes) writeFileSync(path.join(lab().dir, `bird-${n.name}.conf`), password ? `password "${password}";\n` : '');
  await birdc('configure');
}

/** '' once BIRD's session with every node is Established, else which are not. */
async function sessionsDown(): Promise<string> {
  const down: string[] = [];
  for (const n of lab().nodes) {
    const state = await birdProtocolState(n.name.replace(/-/g, '_'));
    if (state !== 'Established') down.push(`${n.name}: ${state}`);
  }
  return down.join(', ');
}

function applyApp(name: string, policy: 'Cluster' | 'Local', replicas: number): Promise<string> {
  const labels = { app: name };
  return kubectl(['apply', '-f', '-'], JSON.stringify({
    apiVersion: 'v1',
    kind: 'List',
    items: [
      {
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: { name, namespace: APP_NS },
        spec: {
          replicas,
          selector: { matchLabels: labels },
          template: {
            metadata: { labels },
            spec: {
              automountServiceAccountToken: false,
              terminationGracePeriodSeconds: 1,
              containers: [{ name: 'app', image: APP_IMAGE, imagePullPolicy: 'Never', ports: [{ containerPort: 80 }] }],
            },
          },
        },
      },
      {
        apiVersion: 'v1',
        kind: 'Service',
        metadata: { name, namespace: APP_NS },
        spec: { type: 'LoadBalancer', externalTrafficPolicy: policy, selector: labels, ports: [{ port: 80, targetPort: 80, protocol: 'TCP' }] },
      },
    ],
  }));
}

/** The nodes the app's Ready Pods run on. */
async function appNodes(name: string): Promise<string[]> {
  const pods = (await json<{ items: PodView[] }>(['get', 'pods', '-n', APP_NS, '-l', `app=${name}`])).items;
  return [...new Set(pods.filter((p) => p.status.containerStatuses?.every((c) => c.ready)).map((p) => p.spec.nodeName ?? ''))].sort();
}

/** The README's install section, read so the test runs what a user is told to run. */
function readmeInstallCommands(): string[] {
  const readme = readFileSync(path.join(REPO_ROOT, 'README.md'), 'utf8');
  const section = readme.split('\n## ').find((s) => s.startsWith('Install on a cluster'));
  assert.ok(section, 'README has an "Install on a cluster" section');
  const block = /```sh\n([\s\S]*?)```/.exec(section);
  assert.ok(block, 'the install section shows its commands');
  return block[1].split('\n').map((l) => l.replace(/#.*$/, '').trim()).filter(Boolean);
}

describe('installed as the README says, on real nodes', { timeout: 30 * 60_000 }, () => {
  const nodes = lab().nodes;
  const nodeNames = nodes.map((n) => n.name);
  const allHops = nodes.map((n) => n.address);
  let clusterVip = '';

  before(() => {
    assert.equal(lab().mode, 'nodes', 'this suite needs the real-nodes lab (LAB_MODE=nodes hack/lab.sh up)');
    for (const image of ['vip-announcer.tar', 'gobgpd-v4.tar', 'pause.tar']) {
      assert.ok(existsSync(path.join(REPO_ROOT, '.images', image)), `make images wrote .images/${image}`);
    }
  });

  after(() => {
    // Whatever a failed step left: the lab's teardown stops the nodes, this only tidies the API.
    kubectlResult(['delete', 'namespace', APP_NS, '--ignore-not-found', '--wait=false']);
    kubectlResult(['delete', '-k', path.join(REPO_ROOT, 'config', 'default'), '--ignore-not-found', '--wait=false']);
  });

  it('kubectl apply -k config/default: the controller Deployment becomes Available with two replicas', async () => {
    const commands = readmeInstallCommands();
    assert.ok(commands.includes('kubectl apply -k config/default'), `the README installs with kubectl apply -k config/default; it says: ${commands.join('; ')}`);
    await kubectl(['apply', '-k', path.join(REPO_ROOT, 'config', 'default')]);
    await kubectl(['-n', SYSTEM_NS, 'rollout', 'status', `deployment/${CONTROLLER}`, '--timeout=300s']);
    const dep = await json<{ status: { readyReplicas?: number } }>(['get', 'deployment', CONTROLLER, '-n', SYSTEM_NS]);
    assert.equal(dep.status.readyReplicas, 2);
  });

  it('a VipPool and a VipAnnouncer: the speaker DaemonSet rolls out on every node, sessions up', async () => {
    await kubectl(['apply', '-f', '-'], JSON.stringify(labPoolObject(POOL, POOL_RANGE, APP_NS)));
    await kubectl(['apply', '-f', '-'], JSON.stringify(labAnnouncerObject()));
    await waitFor(`DaemonSet ${SPEAKERS}`, () => kubectlResult(['get', 'daemonset', SPEAKERS, '-n', SYSTEM_NS]).status === 0, { timeoutMs: 120_000 });
    await kubectl(['-n', SYSTEM_NS, 'rollout', 'status', `daemonset/${SPEAKERS}`, '--timeout=300s']);
    const pods = await speakerPods();
    assert.deepEqual(pods.map((p) => p.spec.nodeName).sort(), nodeNames, 'one speaker per node');
    await kubectl(['wait', '--for=condition=Ready', '--timeout=120s', 'vipannouncer/default']);
    await kubectl(['wait', '--for=condition=SpeakersRolledOut', '--timeout=120s', 'vipannouncer/default']);
  });

  it('the gobgpd sidecar starts before the speaker, serves gRPC on the socket only, and listens for BGP on the node address', async () => {
    for (const pod of await speakerPods()) {
      const gobgpd = pod.status.initContainerStatuses?.find((c) => c.name === 'gobgpd');
      const speaker = pod.status.containerStatuses?.find((c) => c.name === 'speaker');
      assert.ok(gobgpd?.state?.running && speaker?.state?.running, `${pod.metadata.name}: both containers run`);
      assert.ok(Date.parse(gobgpd.state.running.startedAt) <= Date.parse(speaker.state.running.startedAt), `${pod.metadata.name}: gobgpd started first`);
      const node = pod.spec.nodeName ?? '';
      const listening = await listeners(node);
      const portsOf = (pid: number): string[] => listening.split('\n').filter((l) => l.includes(`pid=${pid},`)).map((l) => l.split(/\s+/)[3]).sort();
      const gobgpdPid = await containerPid(node, gobgpd.containerID ?? '');
      // gobgpd's only TCP listener is BGP (179, both families); its gRPC API is the unix socket in the emptyDir.
      assert.deepEqual(portsOf(gobgpdPid), ['0.0.0.0:179', '[::]:179'], `${node}: gobgpd's TCP listeners`);
      assert.ok(existsSync(`/proc/${gobgpdPid}/root/run/gobgp/gobgp.sock`), `${node}: gobgpd's socket is in its /run/gobgp`);
      // $(POD_IP) expanded: the speaker's listeners are on the node's own address.
      const speakerPid = await containerPid(node, speaker.containerID ?? '');
      assert.deepEqual(portsOf(speakerPid), [`${addressOfNode(node)}:9464`, `${addressOfNode(node)}:9465`], `${node}: the speaker's metrics and health listeners`);
    }
  });

  it('a LoadBalancer Service gets an address from the pool and a route from every node (Cluster policy)', async () => {
    await kubectl(['create', 'namespace', APP_NS]);
    await applyApp('web', 'Cluster', 2);
    clusterVip = await addressOf('web');
    assert.ok(clusterVip.startsWith('203.0.113.'), `address ${clusterVip} from ${POOL_RANGE}`);
    await waitUntilNoMismatch(`${clusterVip}/32 from every node`, () => routeMismatch(`${clusterVip}/32`, allHops), { timeoutMs: 120_000 });
    await waitFor('the announcement Advertised by every node', async () => {
      const va = await json<{ status?: { advertisedBy?: number; conditions?: { type: string; status: string }[] } }>(['get', 'vipannouncement', 'web', '-n', APP_NS]);
      return va.status?.advertisedBy === nodes.length && va.status.conditions?.some((c) => c.type === 'Advertised' && c.status === 'True');
    }, { timeoutMs: 120_000 });
  });

  it('Local policy: only the nodes with a Ready endpoint announce', async () => {
    await applyApp('local', 'Local', 1);
    const vip = await addressOf('local');
    await waitFor('the app Pod Ready', async () => (await appNodes('local')).length === 1, { timeoutMs: 120_000 });
    const where = await appNodes('local');
    await waitUntilNoMismatch(`${vip}/32 from the Pod's node`, () => routeMismatch(`${vip}/32`, where.map(addressOfNode)), { timeoutMs: 120_000 });
  });

  it('a gobgpd crash restarts only the sidecar; the speaker re-syncs and the route stays', async () => {
    const [pod] = await speakerPods();
    const node = pod.spec.nodeName ?? '';
    const before = (name: string): number => (name === 'gobgpd' ? pod.status.initContainerStatuses : pod.status.containerStatuses)?.find((c) => c.name === name)?.restartCount ?? -1;
    const gobgpd = pod.status.initContainerStatuses?.find((c) => c.name === 'gobgpd');
    process.kill(await containerPid(node, gobgpd?.containerID ?? ''), 'SIGKILL');
    await waitFor(`${node}: gobgpd restarted`, async () => {
      const now = (await speakerPods()).find((p) => p.metadata.uid === pod.metadata.uid);
      const g = now?.status.initContainerStatuses?.find((c) => c.name === 'gobgpd');
      return g !== undefined && g.restartCount > before('gobgpd') && g.started === true;
    }, { timeoutMs: 120_000 });
    const now = (await speakerPods()).find((p) => p.metadata.uid === pod.metadata.uid);
    assert.equal(now?.status.containerStatuses?.find((c) => c.name === 'speaker')?.restartCount, before('speaker'), 'the speaker container did not restart');
    // The new gobgpd starts empty: the speaker must configure it again for the route to come back from this node.
    await waitUntilNoMismatch(`${clusterVip}/32 from every node after the gobgpd restart`, async () => {
      const mismatch = await routeMismatch(`${clusterVip}/32`, allHops);
      if (mismatch) return mismatch;
      const out = await kubectl(['get', 'vipspeaker', node, '-o', 'jsonpath={.status.sessions[0].state}']);
      return out.trim() === 'Established' ? '' : `${node}'s session is ${out}`;
    }, { timeoutMs: 120_000 });
  });

  it('kubectl rollout restart of the speakers and of the controller: zero withdrawals, statuses stay true', async () => {
    const prefixes = [`${clusterVip}/32`];
    const offset = birdLogOffset();
    await kubectl(['-n', SYSTEM_NS, 'rollout', 'restart', `daemonset/${SPEAKERS}`]);
    await kubectl(['-n', SYSTEM_NS, 'rollout', 'status', `daemonset/${SPEAKERS}`, '--timeout=300s']);
    await kubectl(['-n', SYSTEM_NS, 'rollout', 'restart', `deployment/${CONTROLLER}`]);
    await kubectl(['-n', SYSTEM_NS, 'rollout', 'status', `deployment/${CONTROLLER}`, '--timeout=300s']);
    await waitUntilNoMismatch(`${clusterVip}/32 from every node after the rollouts`, () => routeMismatch(`${clusterVip}/32`, allHops), { timeoutMs: 120_000 });
    assert.deepEqual(withdrawals(offset, prefixes), [], 'BIRD withdrew a route during a rollout restart');
    const va = await json<{ status?: { advertisedBy?: number } }>(['get', 'vipannouncement', 'web', '-n', APP_NS]);
    assert.equal(va.status?.advertisedBy, nodes.length);
  });

  it('a wedged gobgpd turns its Pod unready (the kubelet runs the readiness probe); resumed, Ready again and its route back', async () => {
    const pod = (await speakerPods())[1];
    const node = pod.spec.nodeName ?? '';
    const gobgpd = pod.status.initContainerStatuses?.find((c) => c.name === 'gobgpd');
    const pid = await containerPid(node, gobgpd?.containerID ?? '');
    assert.equal(await podReady(pod.metadata.name), 'True');
    process.kill(pid, 'SIGSTOP');
    try {
      // The speaker's calls time out (10 s), /readyz fails, and after three probes (10 s apart) the kubelet marks the Pod unready.
      await waitFor(`${pod.metadata.name} unready while gobgpd is stopped`, async () => (await podReady(pod.metadata.name)) === 'False', { timeoutMs: 180_000, intervalMs: 1_000 });
    } finally {
      process.kill(pid, 'SIGCONT');
    }
    await waitFor(`${pod.metadata.name} Ready once gobgpd runs again`, async () => (await podReady(pod.metadata.name)) === 'True', { timeoutMs: 180_000, intervalMs: 1_000 });
    await waitUntilNoMismatch(`${clusterVip}/32 from every node after gobgpd resumed`, () => routeMismatch(`${clusterVip}/32`, allHops), { timeoutMs: 180_000 });
  });

  it('TCP MD5 from a Secret: the sessions key with it, and a rotation of the Secret re-keys them without restarting a Pod', async () => {
    const secret = (password: string): string => JSON.stringify({
      apiVersion: 'v1', kind: 'Secret', metadata: { name: 'bgp-md5', namespace: SYSTEM_NS }, type: 'Opaque', stringData: { password },
    });
    await kubectl(['apply', '-f', '-'], secret('md5-first-9c1e'));
    const announcer = await json<{ spec: { peers: Record<string, unknown>[] } }>(['get', 'vipannouncer', 'default']);
    const peers = announcer.spec.peers.map((p) => ({ ...p, passwordSecretRef: { name: 'bgp-md5', key: 'password' } }));
    await kubectl(['patch', 'vipannouncer', 'default', '--type=merge', '-p', JSON.stringify({ spec: { peers } })]);
    await birdPassword('md5-first-9c1e');
    // The password volume changes the Pod template: one rollout, then every session keyed.
    await waitFor('the DaemonSet to mount the password', async () => (await kubectl(['get', 'daemonset', SPEAKERS, '-n', SYSTEM_NS, '-o', 'jsonpath={.spec.template.spec.volumes[*].name}'])).includes('peer-passwords'), { timeoutMs: 120_000 });
    await kubectl(['-n', SYSTEM_NS, 'rollout', 'status', `daemonset/${SPEAKERS}`, '--timeout=300s']);
    await waitUntilNoMismatch('every session Established with the first password', sessionsDown, { timeoutMs: 180_000 });
    await waitUntilNoMismatch(`${clusterVip}/32 from every node, keyed`, () => routeMismatch(`${clusterVip}/32`, allHops), { timeoutMs: 120_000 });
    const pods = (await speakerPods()).map((p) => `${p.metadata.uid}:${p.status.containerStatuses?.map((c) => c.restartCount).join(',')}`).sort();

    // Rotation: the Secret and the router change; BIRD now accepts only the new key, so an
    // Established session proves the kubelet's refresh of the volume reached the speaker.
    await kubectl(['apply', '-f', '-'], secret('md5-second-4b7d'));
    await birdPassword('md5-second-4b7d');
    await waitUntilNoMismatch('every session Established again with the rotated password', sessionsDown, { timeoutMs: 300_000, intervalMs: 1_000 });
    await waitUntilNoMismatch(`${clusterVip}/32 from every node, re-keyed`, () => routeMismatch(`${clusterVip}/32`, allHops), { timeoutMs: 120_000 });
    const after = (await speakerPods()).map((p) => `${p.metadata.uid}:${p.status.containerStatuses?.map((c) => c.restartCount).join(',')}`).sort();
    assert.deepEqual(after, pods, 'no speaker Pod was replaced or restarted by the rotation');
  });

  it('two controller replicas: deleting the leader Pod moves the Lease; no address moves, no route flaps', async () => {
    const prefixes = [`${clusterVip}/32`];
    const addressesBefore = [await ingressOf('web'), await ingressOf('local')];
    // The holder identity is "<Pod name>_<process id>".
    const holder = async (): Promise<string> => (await kubectl(['get', 'lease', CONTROLLER, '-n', SYSTEM_NS, '-o', 'jsonpath={.spec.holderIdentity}'])).trim().replace(/_[^_]*$/, '');
    const leader = await waitFor('a Lease holder', async () => (await holder()) || false, { timeoutMs: 60_000 });
    const pods = (await json<{ items: PodView[] }>(['get', 'pods', '-n', SYSTEM_NS, '-l', 'app.kubernetes.io/component=controller'])).items.map((p) => p.metadata.name);
    assert.ok(pods.includes(leader), `the Lease holder ${leader} is one of the controller Pods ${pods.join(', ')}`);
    const offset = birdLogOffset();
    await kubectl(['delete', 'pod', leader, '-n', SYSTEM_NS]);
    const next = await waitFor('another Pod to take the Lease', async () => {
      const h = await holder();
      return h !== '' && h !== leader ? h : false;
    }, { timeoutMs: 120_000 });
    // The standby, or the Deployment's replacement Pod if it was quicker (the old leader releases the Lease as it stops).
    assert.notEqual(next, leader, `${next} leads now`);
    // The new leader works: a new Service gets an address and routes.
    await applyApp('after-failover', 'Cluster', 1);
    const vip = await addressOf('after-failover');
    await waitUntilNoMismatch(`${vip}/32 from every node`, () => routeMismatch(`${vip}/32`, allHops), { timeoutMs: 120_000 });
    assert.deepEqual([await ingressOf('web'), await ingressOf('local')], addressesBefore, 'no address moved');
    assert.deepEqual(withdrawals(offset, prefixes), [], 'BIRD withdrew a route during the failover');
  });

  it('/metrics through the metrics Service: 200 with a permitted token, 401 without one, 403 with one lacking the right', async () => {
    // The monitoring kustomization's Service and scraper identity (its ServiceMonitor and
    // PodMonitor need the Prometheus Operator's CRDs, which the lab does not run).
    const rendered = (await kubectl(['kustomize', path.join(REPO_ROOT, 'config', 'prometheus')])).split(/^---$/m);
    const wanted = rendered.filter((doc) => /^kind: (Service|ServiceAccount|ClusterRoleBinding|ClusterRole)$/m.test(doc));
    await kubectl(['apply', '-f', '-'], wanted.join('\n---\n'));
    const svc = await json<{ spec: { clusterIP: string } }>(['get', 'service', 'vip-announcer-controller-metrics', '-n', SYSTEM_NS]);
    const token = (await kubectl(['create', 'token', 'vip-announcer-metrics-scraper', '-n', SYSTEM_NS])).trim();
    await kubectl(['create', 'serviceaccount', 'nobody', '-n', APP_NS]);
    const unprivileged = (await kubectl(['create', 'token', 'nobody', '-n', APP_NS])).trim();
    const url = `https://${svc.spec.clusterIP}:9464/metrics`;
    // From inside a node, where kube-proxy serves the Service's ClusterIP.
    const curl = async (bearer?: string): Promise<string> => {
      const n = lab().nodes[2];
      const args = [`--net=/run/netns/${n.netns ?? ''}`, 'curl', '-sk', '-o', '/dev/null', '-w', '%{http_code}', '--max-time', '10', ...(bearer ? ['-H', `Authorization: Bearer ${bearer}`] : []), url];
      return (await execFileP('nsenter', args)).stdout.trim();
    };
    await waitFor('the metrics Service to answer 200 to the scraper', async () => (await curl(token)) === '200', { timeoutMs: 60_000 });
    assert.equal(await curl(), '401');
    assert.equal(await curl(unprivileged), '403');
    // The shipped PodMonitor selects exactly the speaker Pods, each with a port named metrics.
    const monitor = rendered.find((doc) => /^kind: PodMonitor$/m.test(doc));
    assert.ok(monitor, 'config/prometheus ships a PodMonitor');
    const selector = /matchLabels:\n((?:\s+\S+: \S+\n)+)/.exec(monitor)?.[1].trim().split('\n').map((l) => l.trim().replace(': ', '=')).join(',');
    assert.ok(selector, 'the PodMonitor has a label selector');
    const selected = (await json<{ items: (PodView & { spec: { containers: { ports?: { name?: string }[] }[] } })[] }>(['get', 'pods', '-n', SYSTEM_NS, '-l', selector])).items;
    assert.deepEqual(selected.map((p) => p.spec.nodeName).sort(), nodeNames, `the PodMonitor (${selector}) selects one speaker per node`);
    for (const p of selected) assert.ok(p.spec.containers.some((c) => c.ports?.some((port) => port.name === 'metrics')), `${p.metadata.name} has a port named metrics`);
    // Monitoring is not part of config/default: its cluster-scoped objects go with it, not with the uninstall.
    await kubectl(['delete', '-f', '-'], wanted.join('\n---\n'));
  });

  it('kubectl drain: the node\'s Cluster routes leave before its Pods are evicted, Local ones follow their endpoints, the PodDisruptionBudget holds, uncordon brings it back', async () => {
    const localVip = (await ingressOf('local'))[0];
    assert.ok(localVip, 'the Local Service has an address');
    // Drain the node of the Local Service's endpoint, so its route has to move.
    const [target] = await appNodes('local');
    assert.ok(target, 'the Local app runs somewhere');
    const others = nodeNames.filter((n) => n !== target);
    // The shipped PodDisruptionBudget selects the two controller Pods.
    const pdb = await json<{ status?: { expectedPods?: number; currentHealthy?: number } }>(['get', 'pdb', CONTROLLER, '-n', SYSTEM_NS]);
    assert.equal(pdb.status?.expectedPods, 2, 'the PodDisruptionBudget covers both controller replicas');
    // The app's own budget: evictions keep one of its two replicas serving, so the Cluster VIP always has an endpoint.
    await kubectl(['apply', '-f', '-'], JSON.stringify({
      apiVersion: 'policy/v1', kind: 'PodDisruptionBudget', metadata: { name: 'web', namespace: APP_NS }, spec: { minAvailable: 1, selector: { matchLabels: { app: 'web' } } },
    }));
    // Sampled throughout: the Cluster VIP always has a next hop at BIRD (no blackhole), and a controller replica stays Ready.
    const gaps: string[] = [];
    let minReady = Infinity;
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        if (((await birdNextHops()).get(`${clusterVip}/32`) ?? []).length === 0) gaps.push(new Date().toISOString());
        const dep = await json<{ status: { readyReplicas?: number } }>(['get', 'deployment', CONTROLLER, '-n', SYSTEM_NS]);
        minReady = Math.min(minReady, dep.status.readyReplicas ?? 0);
        await new Promise((r) => setTimeout(r, 100));
      }
    })();
    try {
      // drain's first step, alone: the cordoned node's Cluster route leaves BIRD while its Pods still run.
      const cordonedAt = Date.now();
      await kubectl(['cordon', target]);
      await waitUntilNoMismatch(`${clusterVip}/32 from every node but the cordoned ${target}`, () => routeMismatch(`${clusterVip}/32`, others.map(addressOfNode)), { timeoutMs: 120_000 });
      // The figure for the record (not asserted: speed lives in benchmarks).
      console.log(`drain: ${target}'s Cluster route left BIRD ${Date.now() - cordonedAt} ms after kubectl cordon started (BIRD polled every 200 ms)`);
      assert.deepEqual(await appNodes('local'), [target], 'nothing evicted yet: the Local endpoint is still on the node');
      assert.equal(await routeMismatch(`${localVip}/32`, [addressOfNode(target)]), '', 'its Local route stays while its endpoint serves');
      await kubectl(['drain', target, '--ignore-daemonsets', '--delete-emptydir-data', '--timeout=300s']);
      const moved = await waitFor('the Local app Ready on another node', async () => {
        const where = await appNodes('local');
        return where.length === 1 && where[0] !== target ? where : false;
      }, { timeoutMs: 180_000 });
      await waitUntilNoMismatch(`${localVip}/32 from the endpoint's new node`, () => routeMismatch(`${localVip}/32`, moved.map(addressOfNode)), { timeoutMs: 120_000 });
      await kubectl(['uncordon', target]);
      await waitUntilNoMismatch(`${clusterVip}/32 from every node once ${target} is uncordoned`, () => routeMismatch(`${clusterVip}/32`, allHops), { timeoutMs: 120_000 });
    } finally {
      sampling = false;
      await sampler;
      kubectlResult(['uncordon', target]);
    }
    assert.deepEqual(gaps, [], 'the Cluster VIP had no next hop at BIRD during the drain');
    assert.ok(minReady >= 1, `a controller replica stayed Ready throughout (fewest Ready: ${minReady})`);
  });

  it('uninstall (kubectl delete -k config/default) withdraws every route and leaves nothing behind', async () => {
    const services = (await json<{ items: { status?: { loadBalancer?: { ingress?: { ip?: string }[] } } }[] }>(['get', 'services', '-n', APP_NS])).items;
    const vips = services.flatMap((svc) => (svc.status?.loadBalancer?.ingress ?? []).map((i) => `${i.ip ?? ''}/32`));
    assert.ok(vips.includes(`${clusterVip}/32`), `the Services' addresses ${vips.join(', ')}`);
    const offset = birdLogOffset();
    const started = Date.now();
    // Its failure is kept for later, so it is not an unhandled rejection meanwhile.
    const deletion = kubectl(['delete', '-k', path.join(REPO_ROOT, 'config', 'default'), '--timeout=300s']).then(() => undefined, (err: unknown) => err);
    // Withdrawn, not aged out: BIRD keeps a route the speakers left behind for the
    // graceful-restart time (120 s) after their sessions drop, so every route must be gone
    // within 60 s of the uninstall's start.
    await waitUntilNoMismatch('no route left at BIRD', async () => {
      const hops = await birdNextHops();
      const left = vips.filter((v) => hops.has(v));
      return left.length === 0 ? '' : `still routed: ${left.join(', ')}`;
    }, { timeoutMs: 60_000 });
    console.log(`uninstall: every route gone from BIRD ${Date.now() - started} ms after kubectl delete -k started`);
    const failed = await deletion;
    if (failed) throw failed instanceof Error ? failed : new Error('kubectl delete -k failed');
    assert.ok(withdrawals(offset, vips).length > 0, 'BIRD logged the withdrawals');
    const left = kubectlResult(['get', 'crd,clusterrole,clusterrolebinding,validatingadmissionpolicy,validatingadmissionpolicybinding', '-l', 'app.kubernetes.io/part-of=vip-announcer', '-o', 'name']);
    assert.equal(left.stdout.trim(), '', 'cluster-scoped objects left behind');
    assert.notEqual(kubectlResult(['get', 'namespace', SYSTEM_NS]).status, 0, `namespace ${SYSTEM_NS} is gone`);
  });
});
