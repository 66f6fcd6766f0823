import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { VipAnnouncement, VipAnnouncementSpec } from '../api/types';
import { pathsForNode } from './pathsForNode';
import type { NodeInfo } from './pathsForNode';

function va(key: string, spec: Partial<VipAnnouncementSpec>, deleting = false): VipAnnouncement {
  const [namespace = '', name = ''] = key.split('/');
  return {
    apiVersion: 'vipannouncer.io/v1alpha1',
    kind: 'VipAnnouncement',
    metadata: { namespace, name, ...(deleting ? { deletionTimestamp: '2024-01-01T00:00:00Z' } : {}) },
    spec: { addresses: [], externalTrafficPolicy: 'Cluster', ...spec },
  };
}

const nodeA: NodeInfo = { name: 'node-a', eligible: true };
const local = (addresses: string[], nodes: string[], extra: Partial<VipAnnouncementSpec> = {}) =>
  ({ addresses, externalTrafficPolicy: 'Local', nodes, ...extra }) as const;
const cluster = (addresses: string[], serving: number, extra: Partial<VipAnnouncementSpec> = {}) =>
  ({ addresses, externalTrafficPolicy: 'Cluster', endpoints: { ready: serving, serving }, ...extra }) as const;

void test('which announcements this node announces', () => {
  const cases: Array<{ name: string; a: VipAnnouncement; node?: NodeInfo; announces: boolean }> = [
    { name: 'Local, node listed', a: va('s/a', local(['192.0.2.1'], ['node-a', 'node-c'])), announces: true },
    { name: 'Local, node not listed', a: va('s/a', local(['192.0.2.1'], ['node-c'])), announces: false },
    { name: 'Local, no nodes', a: va('s/a', { addresses: ['192.0.2.1'], externalTrafficPolicy: 'Local' }), announces: false },
    {
      name: 'Local, listed but node not eligible',
      a: va('s/a', local(['192.0.2.1'], ['node-a'])),
      node: { name: 'node-a', eligible: false },
      announces: false,
    },
    { name: 'Cluster, serving endpoints', a: va('s/a', cluster(['192.0.2.1'], 2)), announces: true },
    { name: 'Cluster, no serving endpoint', a: va('s/a', cluster(['192.0.2.1'], 0)), announces: false },
    // Hand-made announcement: no Service, so no endpoint counts to gate on.
    { name: 'Cluster, no endpoint counts', a: va('s/a', { addresses: ['192.0.2.1'], externalTrafficPolicy: 'Cluster' }), announces: true },
    {
      name: 'Cluster, node not eligible',
      a: va('s/a', cluster(['192.0.2.1'], 2)),
      node: { name: 'node-a', eligible: false },
      announces: false,
    },
    { name: 'being deleted', a: va('s/a', cluster(['192.0.2.1'], 2), true), announces: false },
    { name: 'Local being deleted', a: va('s/a', local(['192.0.2.1'], ['node-a']), true), announces: false },
    {
      name: 'unknown policy',
      a: va('s/a', { ...cluster(['192.0.2.1'], 2), externalTrafficPolicy: 'Bogus' as 'Local' }),
      announces: false,
    },
  ];
  for (const c of cases) {
    const r = pathsForNode([c.a], c.node ?? nodeA, {});
    assert.equal(r.paths.length, c.announces ? 1 : 0, c.name);
    assert.equal(r.prefixesByAnnouncement.has('s/a'), c.announces, c.name);
  }
});

void test('one announcement: /32 and /128, default next hops, sorted communities', () => {
  const r = pathsForNode(
    [
      va(
        'shop/web',
        cluster(['2001:DB8::10', '203.0.113.10'], 3, {
          communities: ['65000:100', '65000:20', '065000:20'],
          largeCommunities: ['65000:1:2', '64512:9:9'],
          localPref: 200,
        }),
      ),
    ],
    nodeA,
    {},
  );
  assert.deepEqual(r.paths, [
    {
      prefix: '203.0.113.10/32',
      family: 'ipv4-unicast',
      nextHop: '0.0.0.0',
      communities: ['65000:20', '65000:100'],
      largeCommunities: ['64512:9:9', '65000:1:2'],
      localPref: 200,
    },
    {
      prefix: '2001:db8::10/128',
      family: 'ipv6-unicast',
      nextHop: '::',
      communities: ['65000:20', '65000:100'],
      largeCommunities: ['64512:9:9', '65000:1:2'],
      localPref: 200,
    },
  ]);
  assert.deepEqual([...r.prefixesByAnnouncement], [['shop/web', ['203.0.113.10/32', '2001:db8::10/128']]]);
  assert.deepEqual(r.conflicts, []);
  assert.deepEqual(r.invalid, []);
});

void test('configured next hops and no optional attributes', () => {
  const r = pathsForNode([va('s/a', cluster(['192.0.2.7', '2001:db8::7'], 1))], nodeA, {
    ipv4: '198.51.100.1',
    ipv6: '2001:db8:ff::1',
  });
  assert.deepEqual(r.paths, [
    { prefix: '192.0.2.7/32', family: 'ipv4-unicast', nextHop: '198.51.100.1', communities: [], largeCommunities: [] },
    { prefix: '2001:db8::7/128', family: 'ipv6-unicast', nextHop: '2001:db8:ff::1', communities: [], largeCommunities: [] },
  ]);
});

void test('paths and prefixes sorted numerically, IPv4 first; duplicate spellings collapse', () => {
  const r = pathsForNode(
    [va('s/b', cluster(['10.0.0.10', '2001:db8::1', '10.0.0.9', '2001:DB8:0::1'], 1)), va('s/a', cluster(['10.0.0.2'], 1))],
    nodeA,
    {},
  );
  assert.deepEqual(
    r.paths.map((p) => p.prefix),
    ['10.0.0.2/32', '10.0.0.9/32', '10.0.0.10/32', '2001:db8::1/128'],
  );
  assert.deepEqual([...r.prefixesByAnnouncement.keys()], ['s/a', 's/b']);
  assert.deepEqual(r.prefixesByAnnouncement.get('s/b'), ['10.0.0.9/32', '10.0.0.10/32', '2001:db8::1/128']);
});

void test('shared address, same attributes: one path, no conflict, both announcements credited', () => {
  const spec = cluster(['192.0.2.1'], 1, { communities: ['65000:1'], localPref: 150 });
  const r = pathsForNode([va('s/tcp', spec), va('s/udp', spec)], nodeA, {});
  assert.equal(r.paths.length, 1);
  assert.deepEqual(r.conflicts, []);
  assert.deepEqual(r.prefixesByAnnouncement.get('s/tcp'), ['192.0.2.1/32']);
  assert.deepEqual(r.prefixesByAnnouncement.get('s/udp'), ['192.0.2.1/32']);
});

void test('shared address, different attributes: union of communities, highest local-pref, conflict reported, order-independent', () => {
  const a = va('s/a', cluster(['192.0.2.1', '192.0.2.2'], 1, { communities: ['65000:2'], largeCommunities: ['1:2:3'], localPref: 100 }));
  const b = va('s/b', cluster(['192.0.2.1'], 1, { communities: ['65000:1', '65000:2'], localPref: 300 }));
  const c = va('t/c', cluster(['192.0.2.1'], 1, { communities: ['65000:3'] }));
  const want = {
    prefix: '192.0.2.1/32',
    family: 'ipv4-unicast',
    nextHop: '0.0.0.0',
    communities: ['65000:1', '65000:2', '65000:3'],
    largeCommunities: ['1:2:3'],
    localPref: 300,
  };
  const forward = pathsForNode([a, b, c], nodeA, {});
  const backward = pathsForNode([c, b, a], nodeA, {});
  assert.deepEqual(forward, backward);
  assert.deepEqual(forward.paths[0], want);
  assert.deepEqual(forward.paths[1], {
    prefix: '192.0.2.2/32',
    family: 'ipv4-unicast',
    nextHop: '0.0.0.0',
    communities: ['65000:2'],
    largeCommunities: ['1:2:3'],
    localPref: 100,
  });
  assert.deepEqual(forward.conflicts, [
    {
      prefix: '192.0.2.1/32',
      announcements: ['s/a', 's/b', 't/c'],
      message:
        's/a, s/b, t/c announce 192.0.2.1/32 with different attributes; announced once with the union of their communities and the highest local-pref (300)',
    },
  ]);
});

void test('shared address announced by only one of its owners on this node: no conflict', () => {
  const r = pathsForNode(
    [va('s/a', local(['192.0.2.1'], ['node-b'], { localPref: 50 })), va('s/b', local(['192.0.2.1'], ['node-a'], { localPref: 70 }))],
    nodeA,
    {},
  );
  assert.deepEqual(r.conflicts, []);
  assert.equal(r.paths[0]?.localPref, 70);
  assert.deepEqual([...r.prefixesByAnnouncement.keys()], ['s/b']);
});

void test('bad values are left out and reported; the rest is announced', () => {
  const r = pathsForNode(
    [
      va(
        's/a',
        cluster(['not-an-ip', '::ffff:192.0.2.1', '192.0.2.5'], 1, {
          communities: ['65000:1', '70000:1', 'no-export'],
          largeCommunities: ['1:2', '1:2:3'],
        }),
      ),
    ],
    nodeA,
    {},
  );
  assert.deepEqual(r.paths, [
    {
      prefix: '192.0.2.5/32',
      family: 'ipv4-unicast',
      nextHop: '0.0.0.0',
      communities: ['65000:1'],
      largeCommunities: ['1:2:3'],
    },
  ]);
  assert.deepEqual(r.invalid, [
    { announcement: 's/a', field: 'communities', value: '70000:1', reason: 'not a valid community' },
    { announcement: 's/a', field: 'communities', value: 'no-export', reason: 'not a valid community' },
    { announcement: 's/a', field: 'largeCommunities', value: '1:2', reason: 'not a valid large community' },
    { announcement: 's/a', field: 'addresses', value: 'not-an-ip', reason: 'not an IP address' },
    { announcement: 's/a', field: 'addresses', value: '::ffff:192.0.2.1', reason: 'IPv4-mapped IPv6 addresses are not announced' },
  ]);
});

void test('nothing to announce: empty results', () => {
  assert.deepEqual(pathsForNode([], nodeA, {}), { paths: [], prefixesByAnnouncement: new Map(), conflicts: [], invalid: [], refused: [] });
  assert.deepEqual(pathsForNode([va('s/a', cluster([], 3))], nodeA, {}).prefixesByAnnouncement, new Map());
});
