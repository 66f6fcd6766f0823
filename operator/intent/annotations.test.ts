import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ANNOTATIONS } from '../api/types';
import { parseServiceAnnotations } from './annotations';

const ips = ANNOTATIONS.loadBalancerIPs;
const comm = ANNOTATIONS.communities;
const large = ANNOTATIONS.largeCommunities;
const pref = ANNOTATIONS.localPref;

interface Case {
  name: string;
  annotations: Record<string, string> | undefined;
  want: {
    loadBalancerIPs?: string[];
    communities?: string[];
    largeCommunities?: string[];
    localPref?: number;
  };
  /** [annotation, bad value] of each expected problem, in order. */
  problems?: Array<[string, string]>;
}

const cases: Case[] = [
  { name: 'no annotations', annotations: undefined, want: {} },
  { name: 'unrelated annotations', annotations: { 'example.com/x': '1' }, want: {} },
  { name: 'blank values count as absent', annotations: { [ips]: '  ', [comm]: '' }, want: {} },
  {
    name: 'addresses: canonical, sorted v4 before v6, deduplicated',
    annotations: { [ips]: '2001:DB8::10, 203.0.113.10,2001:db8:0::10,198.51.100.1,' },
    want: { loadBalancerIPs: ['198.51.100.1', '203.0.113.10', '2001:db8::10'] },
  },
  {
    name: 'bad addresses are reported, good ones kept',
    annotations: { [ips]: '203.0.113.10,300.1.1.1,fe80::1,::ffff:1.2.3.4,10.0.0.0/24' },
    want: { loadBalancerIPs: ['203.0.113.10'] },
    problems: [
      [ips, '300.1.1.1'],
      [ips, 'fe80::1'],
      [ips, '::ffff:1.2.3.4'],
      [ips, '10.0.0.0/24'],
    ],
  },
  {
    name: 'only bad addresses: present but empty',
    annotations: { [ips]: 'nope' },
    want: { loadBalancerIPs: [] },
    problems: [[ips, 'nope']],
  },
  {
    name: 'communities: numeric, leading zeros dropped, sorted numerically, unique',
    annotations: { [comm]: '65000:100, 0065000:100 , 9:20,65000:20' },
    want: { communities: ['9:20', '65000:20', '65000:100'] },
  },
  {
    name: 'communities: well-known names become numbers',
    annotations: { [comm]: 'NO-EXPORT,no_advertise,blackhole,no-export-subconfed,no-peer' },
    want: { communities: ['65535:666', '65535:65281', '65535:65282', '65535:65283', '65535:65284'] },
  },
  {
    name: 'communities: out of range and malformed',
    annotations: { [comm]: '65536:1,1:65536,1,1:2:3,a:b,-1:2,65535:65535' },
    want: { communities: ['65535:65535'] },
    problems: [
      [comm, '65536:1'],
      [comm, '1:65536'],
      [comm, '1'],
      [comm, '1:2:3'],
      [comm, 'a:b'],
      [comm, '-1:2'],
    ],
  },
  {
    name: 'large communities: uint32 parts',
    annotations: { [large]: '4294967295:0:1, 65000:1:2,65000:1:2, 4294967296:1:1, 1:2' },
    want: { largeCommunities: ['65000:1:2', '4294967295:0:1'] },
    problems: [
      [large, '4294967296:1:1'],
      [large, '1:2'],
    ],
  },
  { name: 'localPref ok', annotations: { [pref]: ' 200 ' }, want: { localPref: 200 } },
  { name: 'localPref max', annotations: { [pref]: '4294967295' }, want: { localPref: 4294967295 } },
  { name: 'localPref zero', annotations: { [pref]: '0' }, want: { localPref: 0 } },
  { name: 'localPref too big', annotations: { [pref]: '4294967296' }, want: {}, problems: [[pref, '4294967296']] },
  { name: 'localPref negative', annotations: { [pref]: '-1' }, want: {}, problems: [[pref, '-1']] },
  { name: 'localPref not an integer', annotations: { [pref]: '1.5' }, want: {}, problems: [[pref, '1.5']] },
];

void describe('parseServiceAnnotations', () => {
  for (const c of cases) {
    void it(c.name, () => {
      const { values, problems } = parseServiceAnnotations(c.annotations);
      assert.deepEqual(
        {
          loadBalancerIPs: values.loadBalancerIPs?.map((ip) => ip.address),
          communities: values.communities,
          largeCommunities: values.largeCommunities,
          localPref: values.localPref,
        },
        {
          loadBalancerIPs: c.want.loadBalancerIPs,
          communities: c.want.communities,
          largeCommunities: c.want.largeCommunities,
          localPref: c.want.localPref,
        },
      );
      assert.deepEqual(
        problems.map((p) => [p.source, p.value]),
        c.problems ?? [],
      );
      for (const p of problems) {
        assert.match(p.reason, /^Invalid(Address|Annotation)$/);
        assert.ok(p.message.includes(p.value), `message names the bad value: ${p.message}`);
      }
    });
  }

  void it('more communities than the CRD allows: the first 32 kept, the rest reported', () => {
    const many = Array.from({ length: 40 }, (_, i) => `65000:${i}`).join(',');
    const { values, problems } = parseServiceAnnotations({ [comm]: many });
    assert.equal(values.communities?.length, 32);
    assert.equal(values.communities?.[31], '65000:31');
    assert.equal(problems.length, 1);
    assert.equal(problems[0].source, comm);
  });
});
