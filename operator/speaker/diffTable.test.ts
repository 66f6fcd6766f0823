import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ObservedPath, PathSpec } from '../gobgp/types';
import { diffTable } from './diffTable';

const v4 = (ip: string, extra: Partial<PathSpec> = {}): PathSpec => ({
  prefix: `${ip}/32`,
  family: 'ipv4-unicast',
  nextHop: '0.0.0.0',
  communities: [],
  largeCommunities: [],
  ...extra,
});
const v6 = (ip: string, extra: Partial<PathSpec> = {}): PathSpec => ({
  prefix: `${ip}/128`,
  family: 'ipv6-unicast',
  nextHop: '::',
  communities: [],
  largeCommunities: [],
  ...extra,
});
const seen = (p: PathSpec, uuid?: string, local = true): ObservedPath => ({ ...p, local, ...(uuid ? { uuid } : {}) });

void test('diffTable', () => {
  const cases: Array<{ name: string; desired: PathSpec[]; observed: ObservedPath[]; add: PathSpec[]; remove: ObservedPath[] }> = [
    { name: 'nothing', desired: [], observed: [], add: [], remove: [] },
    {
      name: 'restart: table already right, no operation (no flap)',
      desired: [v4('192.0.2.1', { communities: ['65000:1'], localPref: 100 }), v6('2001:db8::1')],
      observed: [seen(v4('192.0.2.1', { communities: ['65000:1'], localPref: 100 }), 'u1'), seen(v6('2001:db8::1'), 'u2')],
      add: [],
      remove: [],
    },
    {
      name: 'equal after canonicalisation (spelling, community order) is equal',
      desired: [v6('2001:db8::1', { communities: ['65000:2', '65000:10'], nextHop: '2001:db8::ff' })],
      observed: [seen(v6('2001:DB8:0::1', { communities: ['65000:10', '65000:2'], nextHop: '2001:DB8::FF' }), 'u')],
      add: [],
      remove: [],
    },
    {
      name: 'missing path is added',
      desired: [v4('192.0.2.1'), v4('192.0.2.2')],
      observed: [seen(v4('192.0.2.1'))],
      add: [v4('192.0.2.2')],
      remove: [],
    },
    {
      name: 'changed local-pref: add only, replaced in place, never removed',
      desired: [v4('192.0.2.1', { localPref: 200 })],
      observed: [seen(v4('192.0.2.1', { localPref: 100 }), 'old')],
      add: [v4('192.0.2.1', { localPref: 200 })],
      remove: [],
    },
    {
      name: 'local-pref set vs absent differs',
      desired: [v4('192.0.2.1')],
      observed: [seen(v4('192.0.2.1', { localPref: 100 }))],
      add: [v4('192.0.2.1')],
      remove: [],
    },
    {
      name: 'changed communities or next hop: add only',
      desired: [v4('192.0.2.1', { communities: ['65000:2'] }), v4('192.0.2.2', { nextHop: '198.51.100.1' })],
      observed: [seen(v4('192.0.2.1', { communities: ['65000:1'] })), seen(v4('192.0.2.2'))],
      add: [v4('192.0.2.1', { communities: ['65000:2'] }), v4('192.0.2.2', { nextHop: '198.51.100.1' })],
      remove: [],
    },
    {
      name: 'changed large communities: add only',
      desired: [v4('192.0.2.1', { largeCommunities: ['1:2:3'] })],
      observed: [seen(v4('192.0.2.1'))],
      add: [v4('192.0.2.1', { largeCommunities: ['1:2:3'] })],
      remove: [],
    },
    {
      name: 'local path no longer desired is removed, exactly as observed',
      desired: [v4('192.0.2.1')],
      observed: [seen(v4('192.0.2.1'), 'keep'), seen(v4('192.0.2.9', { localPref: 5 }), 'gone')],
      add: [],
      remove: [seen(v4('192.0.2.9', { localPref: 5 }), 'gone')],
    },
    {
      name: 'paths learned from peers are never touched nor count as present',
      desired: [v4('192.0.2.1')],
      observed: [seen(v4('192.0.2.1'), 'p', false), seen(v4('10.0.0.0'), 'q', false)],
      add: [v4('192.0.2.1')],
      remove: [],
    },
    {
      name: 'nothing desired: each local path removed one by one, learned ones stay',
      desired: [],
      observed: [seen(v6('2001:db8::1'), 'c'), seen(v4('192.0.2.10'), 'b'), seen(v4('192.0.2.9'), 'a'), seen(v4('10.0.0.1'), 'x', false)],
      add: [],
      remove: [seen(v4('192.0.2.9'), 'a'), seen(v4('192.0.2.10'), 'b'), seen(v6('2001:db8::1'), 'c')],
    },
    {
      name: 'several observed copies of a desired prefix, one equal: no operation (a delete would withdraw the NLRI)',
      desired: [v4('192.0.2.1', { localPref: 200 })],
      observed: [seen(v4('192.0.2.1', { localPref: 100 }), 'x'), seen(v4('192.0.2.1', { localPref: 200 }), 'y')],
      add: [],
      remove: [],
    },
    {
      name: 'duplicate desired prefix: the first wins',
      desired: [v4('192.0.2.1', { localPref: 1 }), v4('192.0.2.1', { localPref: 2 })],
      observed: [],
      add: [v4('192.0.2.1', { localPref: 1 })],
      remove: [],
    },
    {
      name: 'adds are canonical and sorted',
      desired: [v6('2001:DB8::2'), v4('10.0.0.10', { communities: ['2:1', '1:1'] }), v4('10.0.0.9')],
      observed: [],
      add: [v4('10.0.0.9'), v4('10.0.0.10', { communities: ['1:1', '2:1'] }), v6('2001:db8::2')],
      remove: [],
    },
  ];
  for (const c of cases) {
    assert.deepEqual(diffTable(c.desired, c.observed), { add: c.add, remove: c.remove }, c.name);
  }
});

void test('applying the diff converges: a second diff against the result is empty', () => {
  const desired = [v4('192.0.2.1', { localPref: 200 }), v4('192.0.2.3')];
  const observed = [seen(v4('192.0.2.1', { localPref: 100 })), seen(v4('192.0.2.2')), seen(v4('8.8.8.0'), undefined, false)];
  const { add, remove } = diffTable(desired, observed);
  // Model of gobgpd: AddPath replaces the local path of the same NLRI; DeletePath drops it.
  const table = new Map(observed.map((p) => [`${p.local} ${p.prefix}`, p]));
  for (const r of remove) table.delete(`true ${r.prefix}`);
  for (const a of add) table.set(`true ${a.prefix}`, seen(a));
  assert.deepEqual(diffTable(desired, [...table.values()]), { add: [], remove: [] });
});
