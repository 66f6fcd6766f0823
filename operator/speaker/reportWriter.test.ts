import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { V1Node } from '@kubernetes/client-node';
import type { VipSpeakerStatus } from '../api/vipSpeaker';
import { KubeApiError } from '../kube/request';
import { FakeKubeWriter } from '../kube/testing';
import { HEARTBEAT_MS, MIN_REPORT_GAP_MS, PROGRESS_GAP_MS, ReportWriter } from './reportWriter';

const report = (extra: Partial<VipSpeakerStatus> = {}): VipSpeakerStatus => ({ phase: 'Running', gobgpReachable: true, sessions: [], ...extra });
const withUid: V1Node = { metadata: { name: 'node-a', uid: 'uid-1' }, status: { nodeInfo: { bootID: 'boot-1' } as NonNullable<V1Node['status']>['nodeInfo'] } };

void describe('this node\'s report', () => {
  it('creates the object owned by its Node, then applies the status with the boot id', async () => {
    const writer = new FakeKubeWriter();
    const w = new ReportWriter(writer, 'node-a', () => withUid, () => 0);
    await w.write(report());
    assert.deepEqual(writer.calls.map((c) => c.op), ['apply', 'applyStatus']);
    const object = writer.calls[0]?.body as { metadata: { ownerReferences?: { kind: string; uid: string }[] } };
    assert.deepEqual(object.metadata.ownerReferences?.map((o) => [o.kind, o.uid]), [['Node', 'uid-1']]);
    const status = (writer.calls[1]?.body as { status: { bootID?: string } }).status;
    assert.equal(status.bootID, 'boot-1');
    await w.write(report());
    assert.deepEqual(writer.calls.map((c) => c.op), ['apply', 'applyStatus', 'applyStatus'], 'the object is applied once');
  });

  it('without its Node in the cache, applies the object again with the next write (to add the owner)', async () => {
    const writer = new FakeKubeWriter();
    const cache: { node?: V1Node } = {};
    const w = new ReportWriter(writer, 'node-a', () => cache.node, () => 0);
    await w.write(report());
    cache.node = withUid;
    await w.write(report());
    assert.deepEqual(writer.calls.map((c) => c.op), ['apply', 'applyStatus', 'apply', 'applyStatus']);
  });

  it('a report deleted meanwhile (404) is created again by the next write', async () => {
    const writer = new FakeKubeWriter();
    const w = new ReportWriter(writer, 'node-a', () => withUid, () => 0);
    await w.write(report());
    writer.respond = (call) => {
      if (call.op === 'applyStatus') throw new KubeApiError(404, 'NotFound', 'gone', 'PATCH', '/x');
      return undefined;
    };
    await assert.rejects(w.write(report()));
    writer.respond = () => undefined;
    await w.write(report());
    assert.deepEqual(writer.calls.map((c) => c.op).slice(-2), ['apply', 'applyStatus']);
  });

  it('waits: not at all before the first write, the heartbeat when nothing changed; a lone change goes at once, a storm at the pace', async () => {
    let now = 10_000;
    const w = new ReportWriter(new FakeKubeWriter(), 'node-a', () => withUid, () => now);
    assert.equal(w.wait(report(), now, false, new Set(), 250), 0);
    await w.write(report());
    now += 100;
    assert.equal(w.wait(report(), now, false, new Set(), 250), HEARTBEAT_MS - 100);
    const session = (state: string): VipSpeakerStatus => report({ sessions: [{ address: '192.0.2.1', state }] as VipSpeakerStatus['sessions'] });
    assert.equal(w.wait(session('Established'), now, false, new Set(), 250), 0, 'within the burst: at once');
    // Changes back to back: the burst is used up, then one write per MIN_REPORT_GAP_MS.
    const states = ['Established', 'Idle', 'Established', 'Idle', 'Established'];
    const waits: number[] = [];
    for (const state of states) {
      const wait = w.wait(session(state), now, false, new Set(), 250);
      waits.push(wait);
      now += wait;
      await w.write(session(state));
    }
    assert.deepEqual(waits.slice(-2), [MIN_REPORT_GAP_MS, MIN_REPORT_GAP_MS], `paced once the burst is spent: ${waits.join(', ')}`);
    assert.ok(waits.slice(0, 2).every((x) => x < MIN_REPORT_GAP_MS));
  });

  it('paces a report that settles a few changes as a change, one that settles many (a cold start) as progress', async () => {
    const w = new ReportWriter(new FakeKubeWriter(), 'node-a', () => withUid, () => 0);
    await w.write(report({ announcementsResourceVersion: '100' }));
    const moved = report({ announcementsResourceVersion: '200' });
    assert.equal(w.pace(moved, [150]), MIN_REPORT_GAP_MS);
    assert.equal(w.pace(moved, [101, 102, 103, 104, 105]), PROGRESS_GAP_MS);
    assert.equal(w.pace(moved, [90, 91, 92, 93, 94, 150]), MIN_REPORT_GAP_MS, 'only revisions the move covers count');
    assert.equal(w.pace(report({ announcementsResourceVersion: '200', sessions: [{ address: '192.0.2.1', state: 'Idle' }] as VipSpeakerStatus['sessions'] }), [101, 102, 103, 104, 105]), MIN_REPORT_GAP_MS, 'more than the watermark changed');
  });

  it('marks Stopped only what it wrote', async () => {
    const writer = new FakeKubeWriter();
    const w = new ReportWriter(writer, 'node-a', () => withUid, () => 0);
    await w.markStopped(new AbortController().signal);
    assert.equal(writer.calls.length, 0, 'a report never written was marked');
    await w.write(report());
    await w.markStopped(new AbortController().signal);
    assert.equal((writer.calls.at(-1)?.body as { status: { phase: string } }).status.phase, 'Stopped');
  });
});
