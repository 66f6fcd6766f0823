// A VipAnnouncement deleted by hand while its Service still wants it is re-created by the
// controller within a moment; the route must not leave the router meanwhile. BIRD's route log
// is the proof, and the same reader must see the withdrawal that deleting the Service causes,
// so the check cannot pass on an empty or missing log.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { birdLogOffset, birdLogSince, birdNextHops } from './harness/bird';
import { kubectl, lab, waitFor } from './harness/lab';
import { createReadyPod, createService, deleteNamespace, uniqueNamespace, prepareSuite } from './harness/kube';
import { controllerConfig, speakerConfig, startOperator, waitReady, type OperatorProcess } from './harness/operator';

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
