import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bgpIdentity } from './nodeIdentity';

const node = (labels: Record<string, string> = {}, annotations: Record<string, string> = {}) => ({
  metadata: { name: 'n', labels, annotations },
  status: { addresses: [{ type: 'InternalIP', address: '10.0.0.5' }] },
});

void test('bgpIdentity: the ASN from the Node label or annotation named, else the configuration; the router id from the configuration, else the InternalIP', () => {
  const cfg = { asn: 64512, asnFrom: { label: 'example.com/asn' } };
  assert.deepEqual(bgpIdentity(cfg, node({ 'example.com/asn': '65010' })), { asn: 65010, routerId: '10.0.0.5', problems: [] });
  assert.deepEqual(bgpIdentity(cfg, node()), { asn: 64512, routerId: '10.0.0.5', problems: [] }, 'absent on the Node: the defaults');
  assert.deepEqual(bgpIdentity({ ...cfg, routerId: '192.0.2.1' }, node()), { asn: 64512, routerId: '192.0.2.1', problems: [] });
  assert.deepEqual(bgpIdentity({ asn: 64512 }, node({ 'example.com/asn': '65010' })), { asn: 64512, routerId: '10.0.0.5', problems: [] }, 'nothing named: labels are not read');
  assert.deepEqual(bgpIdentity({ asn: 64512, asnFrom: { annotation: 'example.com/asn' } }, node({}, { 'example.com/asn': '4294967295' })).asn, 4294967295);
  assert.deepEqual(bgpIdentity(cfg, undefined), { asn: 64512, problems: [] }, 'no Node: no router id');
});

void test('bgpIdentity: a value that is no AS number is refused, named, and the default used', () => {
  const cfg = { asn: 64512, asnFrom: { label: 'asn' } };
  for (const bad of ['0', '4294967296', '65x', '-1', '']) {
    const id = bgpIdentity(cfg, node({ asn: bad }));
    assert.equal(id.asn, 64512, bad);
    assert.match(id.problems[0] ?? '', /Node label asn: .* is not an AS number/);
  }
});
