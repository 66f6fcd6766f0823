import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { metrics } from '../util/metrics';
import { SessionSeries } from './sessionSeries';

const series = async (node: string): Promise<string[]> =>
  (await metrics.sessionUp.get()).values.filter((v) => v.labels.node === node).map((v) => `${String(v.labels.peer)}=${v.value}`).sort();

void describe('session-up series', () => {
  it('one per configured peer, none for another peer, and gone once gobgpd no longer lists the peer', async () => {
    const node = `series-${process.pid}`;
    const s = new SessionSeries(node, [{ address: '192.0.2.1' }, { address: '2001:db8::1' }]);
    s.publish({ address: '192.0.2.1', state: 'Established' });
    s.publish({ address: '2001:0db8:0:0::1', state: 'Active' });
    s.publish({ address: '192.0.2.99', state: 'Established' });
    assert.deepEqual(await series(node), ['192.0.2.1=1', '2001:0db8:0:0::1=0']);
    s.retainListed([{ address: '192.0.2.1' }]);
    assert.deepEqual(await series(node), ['192.0.2.1=1']);
  });
});
