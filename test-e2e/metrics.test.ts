// /metrics tells the truth after known changes, on the real lab: session-up per peer, the
// prefixes a node originates, the announcements that are not advertised, and the
// event-to-announcement latency, as the shipped alert rules read them.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { birdc, birdNextHops } from './harness/bird';
import { kubectl, lab, waitFor, waitUntilNoMismatch } from './harness/lab';
import { createReadyPod, createService, deleteNamespace, uniqueNamespace, prepareSuite } from './harness/kube';
import { controllerConfig, speakerConfig, startOperator, waitReady, type OperatorProcess } from './harness/operator';

const NS = uniqueNamespace('e2e-metrics');

/** The value of one series in Prometheus text, or undefined when the series is absent. */
function sample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of text.split('\n')) {
    if (!line.startsWith(name)) continue;
    const m = /^([a-z_]+)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const have = Object.fromEntries([...(m[2] ?? '').matchAll(/(\w+)="([^"]*)"/g)].map((x) => [x[1], x[2]]));
    if (Object.entries(labels).every(([k, v]) => have[k] === v)) return Number(m[3]);
  }
  return undefined;
}

async function waitSample(p: OperatorProcess, name: string, labels: Record<string, string>, want: number | undefined): Promise<void> {
  await waitUntilNoMismatch(`${p.name} ${name}${JSON.stringify(labels)} = ${want}`, async () => {
    const got = sample(await p.metrics(), name, labels);
    return got === want ? '' : String(got);
  }, { timeoutMs: 60_000 });
}

describe('metrics', () => {
  const [n1] = lab().nodes;
  const router = lab().routerAddress;
  let ctl: OperatorProcess | undefined;
  let spk: OperatorProcess | undefined;

  before(async () => {
    await prepareSuite(NS, [n1]);
  });

  after(async () => {
    await Promise.all([ctl?.stop(), spk?.stop()]);
    await birdc('enable', 'node_1');
    await deleteNamespace(NS);
  });

  it('session-up, announced prefixes, not-advertised and latency follow known changes', async () => {
    ctl = await startOperator('metrics-ctl', 'controller', controllerConfig());
    spk = await startOperator('metrics-spk', 'speaker', speakerConfig(n1));
    await Promise.all([waitReady(ctl), waitReady(spk)]);
    await waitSample(spk, 'vipannouncer_bgp_session_up', { peer: router }, 1);
    const before = sample(await spk.metrics(), 'vipannouncer_announced_prefixes', { family: 'ipv4-unicast' }) ?? 0;

    for (const [i, vip] of ['198.23.0.1', '198.23.0.2'].entries()) {
      await createService({ namespace: NS, name: `m-${i}`, policy: 'Cluster', annotations: { 'vipannouncer.io/loadBalancerIPs': vip } });
      await createReadyPod({ namespace: NS, name: `m-${i}-pod`, app: `m-${i}`, node: n1.name, ip: `10.23.0.${i + 1}` });
    }
    await waitFor('both routes in BIRD', async () => {
      const hops = await birdNextHops();
      return hops.has('198.23.0.1/32') && hops.has('198.23.0.2/32');
    }, { timeoutMs: 60_000 });
    await waitSample(spk, 'vipannouncer_announced_prefixes', { family: 'ipv4-unicast' }, before + 2);
    await waitSample(ctl, 'vipannouncer_announcements_not_advertised', {}, 0);
    const latency = sample(await spk.metrics(), 'vipannouncer_event_to_announcement_seconds_count', { role: 'speaker' }) ?? 0;
    assert.ok(latency >= 1, `the speaker timed its table changes (count ${latency})`);

    // The router drops the session: the speaker says so, and the controller counts both
    // announcements as not advertised; both recover with the session.
    await birdc('disable', 'node_1');
    await waitSample(spk, 'vipannouncer_bgp_session_up', { peer: router }, 0);
    await waitSample(ctl, 'vipannouncer_announcements_not_advertised', {}, 2);
    await birdc('enable', 'node_1');
    await waitSample(spk, 'vipannouncer_bgp_session_up', { peer: router }, 1);
    await waitSample(ctl, 'vipannouncer_announcements_not_advertised', {}, 0);

    await kubectl(['delete', 'service', 'm-1', '-n', NS, '--wait=false']);
    await waitSample(spk, 'vipannouncer_announced_prefixes', { family: 'ipv4-unicast' }, before + 1);
  });
});
