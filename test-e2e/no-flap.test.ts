// A VipAnnouncement deleted by hand while its Service still wants it is re-created by the
// controller within a moment; the route must not leave the router meanwhile. BIRD's route log
// is the proof, and the same reader must see the withdrawal that deleting the Service causes,
// so the check cannot pass on an empty or missing log.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { birdLogOffset, birdLogSince, birdNextHops, birdRoutes } from './harness/bird';
import { kubectl, lab, waitFor } from './harness/lab';
import { MERGE, createReadyPod, createService, customObjects, deleteNamespace, uniqueNamespace, prepareSuite } from './harness/kube';
import { controllerConfig, speakerConfig, startOperator, waitReady, type OperatorProcess } from './harness/operator';
import { applyPool, removePools } from './harness/pools';

const NS = uniqueNamespace('e2e-noflap');
const VIP = '198.24.0.1';
const PREFIX = `${VIP}/32`;

/** BIRD's log lines that withdraw PREFIX, from `offset` on. */
const withdrawals = (offset: number): string[] => birdLogSince(offset).filter((l) => l.includes(PREFIX) && l.includes(' removed '));

describe('no flap', () => {
  const [n1] = lab().nodes;
  let ctl: OperatorProcess | undefined;
  let spk: OperatorProcess | undefined;

  before(async () => {
    await prepareSuite(NS, [n1]);
  });

  after(async () => {
    await Promise.all([ctl?.stop(), spk?.stop()]);
    await deleteNamespace(NS);
  });

  it('deleting a wanted VipAnnouncement by hand withdraws nothing; deleting its Service does', async () => {
    ctl = await startOperator('noflap-ctl', 'controller', controllerConfig());
    spk = await startOperator('noflap-spk', 'speaker', speakerConfig(n1));
    await Promise.all([waitReady(ctl), waitReady(spk)]);
    await createService({ namespace: NS, name: 'web', policy: 'Cluster', annotations: { 'vipannouncer.io/loadBalancerIPs': VIP } });
    await createReadyPod({ namespace: NS, name: 'web-pod', app: 'web', node: n1.name, ip: '10.24.0.1' });
    await waitFor(`${PREFIX} in BIRD`, async () => (await birdNextHops()).has(PREFIX), { timeoutMs: 60_000 });

    const offset = birdLogOffset();
    for (let i = 0; i < 3; i++) {
      const uid = (await kubectl(['get', 'vipannouncement', 'web', '-n', NS, '-o', 'jsonpath={.metadata.uid}'])).trim();
      await kubectl(['delete', 'vipannouncement', 'web', '-n', NS]);
      await waitFor('the controller re-creates the announcement', async () => {
        const now = (await kubectl(['get', 'vipannouncement', 'web', '-n', NS, '-o', 'jsonpath={.metadata.uid}', '--ignore-not-found'])).trim();
        return now !== '' && now !== uid;
      }, { timeoutMs: 30_000 });
    }
    // Longer than the speaker's hold: a withdrawal it only delayed would show by now.
    await new Promise((r) => setTimeout(r, 5_000));
    assert.deepEqual(withdrawals(offset), [], 'BIRD saw the route withdrawn while its Service wanted it');
    assert.ok((await birdNextHops()).has(PREFIX));

    // Positive control: the same reader sees a real withdrawal.
    await kubectl(['delete', 'service', 'web', '-n', NS]);
    await waitFor('BIRD logs the withdrawal of the deleted Service', () => withdrawals(offset).length > 0, { timeoutMs: 60_000 });
  });
});

// The same on a busier lab (issue 20): three speakers, a pool, both policies and a hand-made
// announcement beside them. First a plain delete; then deletes while the controller is held
// (SIGSTOP) and another announcement changes, so every speaker syncs its table inside the hold,
// as on a cluster where announcements change all the time: no such sync may withdraw the route.
describe('no flap, three speakers under a pool, while other announcements change', () => {
  const NS3 = uniqueNamespace('e2e-noflap3');
  const POOL = `${NS3}-pool`;
  const nodes = lab().nodes;
  const [a, b] = nodes;
  const VIPS: Record<string, { vip: string; from: number }> = { cluster: { vip: '198.24.1.10', from: nodes.length }, local: { vip: '198.24.1.11', from: 2 } };
  const OTHER = '198.24.1.20';
  let ctl: OperatorProcess | undefined;
  const procs: OperatorProcess[] = [];
  const removed = (offset: number, vip: string): string[] => birdLogSince(offset).filter((l) => l.includes(`${vip}/32`) && l.includes(' removed '));
  const uidOf = async (name: string): Promise<string> => (await kubectl(['get', 'vipannouncement', name, '-n', NS3, '-o', 'jsonpath={.metadata.uid}', '--ignore-not-found'])).trim();
  const recreated = (name: string, uid: string): Promise<boolean> => waitFor(`the controller to re-create ${name}`, async () => {
    const now = await uidOf(name);
    return now !== '' && now !== uid;
  }, { timeoutMs: 30_000 });
  /** Communities BIRD holds on OTHER from every node, when they agree. */
  const otherCommunities = async (): Promise<string | undefined> => {
    const routes = (await birdRoutes()).filter((r) => r.prefix === `${OTHER}/32`);
    const seen = new Set(routes.map((r) => r.communities.join(',')));
    return routes.length === nodes.length && seen.size === 1 ? [...seen][0] : undefined;
  };

  before(async () => {
    await prepareSuite(NS3, nodes);
    await applyPool(POOL, { addresses: ['198.24.1.0/24'], advertisement: { allowServiceOverrides: true } });
    await createService({ namespace: NS3, name: 'cluster', policy: 'Cluster', annotations: { 'vipannouncer.io/loadBalancerIPs': VIPS.cluster.vip } });
    await createReadyPod({ namespace: NS3, name: 'cluster-1', app: 'cluster', node: a.name, ip: '10.24.1.1' });
    await createService({ namespace: NS3, name: 'local', policy: 'Local', annotations: { 'vipannouncer.io/loadBalancerIPs': VIPS.local.vip } });
    await createReadyPod({ namespace: NS3, name: 'local-1', app: 'local', node: a.name, ip: '10.24.1.2' });
    await createReadyPod({ namespace: NS3, name: 'local-2', app: 'local', node: b.name, ip: '10.24.1.3' });
    await kubectl(['apply', '-f', '-'], JSON.stringify({ apiVersion: 'vipannouncer.io/v1alpha1', kind: 'VipAnnouncement', metadata: { name: 'other', namespace: NS3 }, spec: { addresses: [OTHER], externalTrafficPolicy: 'Cluster' } }));
    ctl = await startOperator('noflap3-ctl', 'controller', controllerConfig());
    procs.push(ctl);
    for (const n of nodes) procs.push(await startOperator(`noflap3-spk-${n.name}`, 'speaker', speakerConfig(n)));
    for (const p of procs) await waitReady(p);
  });

  after(async () => {
    ctl?.signal('SIGCONT');
    await deleteNamespace(NS3);
    try {
      await removePools([POOL]);
    } finally {
      await Promise.all(procs.map((p) => p.stop()));
    }
  });

  for (const name of Object.keys(VIPS)) {
    it(`deleting the ${name === 'cluster' ? 'Cluster' : 'Local'}-policy announcement by hand withdraws nothing at any node`, async () => {
      const { vip, from } = VIPS[name];
      await waitFor(`${vip} in BIRD from ${from} nodes`, async () => (await birdNextHops()).get(`${vip}/32`)?.length === from, { timeoutMs: 90_000 });
      const offset = birdLogOffset();
      const uid = await uidOf(name);
      await kubectl(['delete', 'vipannouncement', name, '-n', NS3]);
      await recreated(name, uid);
      let exercised = 0;
      for (let i = 0; i < 3; i++) {
        const before = await uidOf(name);
        const community = `64512:${100 + i}`;
        ctl?.signal('SIGSTOP');
        try {
          await customObjects().deleteNamespacedCustomObject('vipannouncer.io', 'v1alpha1', NS3, 'vipannouncements', name);
          await customObjects().patchNamespacedCustomObject('vipannouncer.io', 'v1alpha1', NS3, 'vipannouncements', 'other', { spec: { communities: [community] } }, undefined, undefined, undefined, MERGE);
          // Every speaker synced its table while the announcement was away; the controller then
          // has more than a second of the 3 s hold left to re-create it.
          const synced = await waitFor('BIRD to hold the changed announcement from every node', async () => (await otherCommunities()) === community, { timeoutMs: 1_500, intervalMs: 50 }).catch(() => false);
          if (synced) exercised++;
        } finally {
          ctl?.signal('SIGCONT');
        }
        await recreated(name, before);
      }
      assert.ok(exercised > 0, 'no speaker synced its table while the announcement was away: nothing was tested');
      // Longer than the speakers' hold: a withdrawal it only delayed would show by now.
      await new Promise((r) => setTimeout(r, 5_000));
      assert.deepEqual(removed(offset, vip), [], 'BIRD saw the route withdrawn while its Service wanted it');
      assert.equal((await birdNextHops()).get(`${vip}/32`)?.length, from);
    });
  }

  it('positive control: deleting the Services withdraws both routes, and the log shows it', async () => {
    const offset = birdLogOffset();
    await kubectl(['delete', 'service', 'cluster', 'local', '-n', NS3]);
    await waitFor('BIRD logs both withdrawals', () => removed(offset, VIPS.cluster.vip).length > 0 && removed(offset, VIPS.local.vip).length > 0, { timeoutMs: 60_000 });
  });
});
