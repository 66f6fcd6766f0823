import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Condition, PeerStatus, SpeakerStatus, VipAnnouncementSpec } from '../api/types';
import { conditionsEqual, summarizeAnnouncement, type AnnouncementSummaryInput } from './conditions';
import type { Problem } from '../intent/problem';

const V4 = '203.0.113.10';
const V6 = '2001:db8::10';
const T0 = '2024-01-01T00:00:00Z';
const NOW = new Date('2024-01-02T03:04:05.678Z');
const NOW_TEXT = '2024-01-02T03:04:05Z';

function peer(state: string, advertised: string[], address = '192.0.2.1'): PeerStatus {
  return { address, asn: 65000, state, advertised };
}
function speaker(node: string, ...peers: PeerStatus[]): SpeakerStatus {
  return { node, addresses: [], peers, lastUpdateTime: T0 };
}
const up = (...prefixes: string[]): PeerStatus => peer('Established', prefixes);
const down = (...prefixes: string[]): PeerStatus => peer('Active', prefixes);

function local(nodes: string[], addresses = [V4], serving = nodes.length): VipAnnouncementSpec {
  return { addresses, externalTrafficPolicy: 'Local', nodes, endpoints: { ready: serving, serving } };
}
function cluster(addresses = [V4], serving: number | undefined = 1): VipAnnouncementSpec {
  const spec: VipAnnouncementSpec = { addresses, externalTrafficPolicy: 'Cluster' };
  if (serving !== undefined) spec.endpoints = { ready: serving, serving };
  return spec;
}

const badAnnotation: Problem = { reason: 'InvalidAnnotation', source: 'vipannouncer.io/localPref', value: 'x', message: '"x" is not a local preference' };
const badAddress: Problem = { reason: 'InvalidAddress', source: 'spec.loadBalancerIP', value: '1.2.3', message: '"1.2.3": not an IPv4 or IPv6 address' };

interface Case {
  name: string;
  spec: VipAnnouncementSpec;
  speakers?: SpeakerStatus[];
  eligibleNodes?: string[];
  problems?: Problem[];
  /** "Status Reason" of Advertised, then of Ready. */
  advertised: string;
  ready?: string;
  advertisedBy: number;
  message?: RegExp;
}

const cases: Case[] = [
  {
    name: 'Local: every node advertises',
    spec: local(['node-a', 'node-b']),
    speakers: [speaker('node-a', up(`${V4}/32`)), speaker('node-b', up(`${V4}/32`))],
    advertised: 'True Advertised',
    advertisedBy: 2,
    message: /advertised by 2 of 2 nodes/,
  },
  {
    name: 'Local: one of two',
    spec: local(['node-a', 'node-b']),
    speakers: [speaker('node-a', up(`${V4}/32`)), speaker('node-b', down())],
    advertised: 'False PartiallyAdvertised',
    advertisedBy: 1,
    message: /1 of 2 nodes; node-b: no Established peer/,
  },
  {
    name: 'Local: one node has not reported',
    spec: local(['node-a', 'node-b']),
    speakers: [speaker('node-a', up(`${V4}/32`))],
    advertised: 'False PartiallyAdvertised',
    advertisedBy: 1,
    message: /node-b: no report yet/,
  },
  { name: 'Local: no report yet', spec: local(['node-a']), speakers: [], advertised: 'Unknown Pending', advertisedBy: 0, message: /node-a/ },
  {
    name: 'Local: peers down everywhere',
    spec: local(['node-a', 'node-b']),
    speakers: [speaker('node-a', down(`${V4}/32`)), speaker('node-b')],
    advertised: 'False PeersDown',
    advertisedBy: 0,
  },
  {
    name: 'Local: peer up but prefix not in adj-RIB-out',
    spec: local(['node-a']),
    speakers: [speaker('node-a', up('198.51.100.1/32'), down(`${V4}/32`))],
    advertised: 'False NotAdvertised',
    advertisedBy: 0,
    message: /203\.0\.113\.10\/32 not advertised/,
  },
  {
    name: 'dual-stack: IPv4 and IPv6 to different Established peers',
    spec: local(['node-a'], [V4, V6]),
    speakers: [speaker('node-a', up(`${V4}/32`), peer('Established', [`${V6}/128`], '2001:db8:ffff::1'))],
    advertised: 'True Advertised',
    advertisedBy: 1,
  },
  {
    name: 'dual-stack: only IPv4 advertised',
    spec: local(['node-a'], [V4, V6]),
    speakers: [speaker('node-a', up(`${V4}/32`))],
    advertised: 'False NotAdvertised',
    advertisedBy: 0,
    message: /2001:db8::10\/128 not advertised/,
  },
  {
    name: 'reported prefixes are compared in canonical form',
    spec: local(['node-a'], [V6]),
    speakers: [speaker('node-a', up('2001:DB8:0::10/128'))],
    advertised: 'True Advertised',
    advertisedBy: 1,
  },
  {
    name: 'Local: no serving endpoint, a speaker still withdrawing',
    spec: local([], [V4], 0),
    speakers: [speaker('node-a', up(`${V4}/32`))],
    advertised: 'False NoServingEndpoints',
    advertisedBy: 1,
    message: /still withdrawing from node-a/,
  },
  {
    name: 'Local: serving endpoints only on excluded nodes',
    spec: local([], [V4], 2),
    advertised: 'False NoEligibleNodes',
    advertisedBy: 0,
  },
  { name: 'Cluster: no serving endpoint', spec: cluster([V4], 0), advertised: 'False NoServingEndpoints', advertisedBy: 0 },
  {
    name: 'Cluster: one eligible node of three is enough',
    spec: cluster(),
    eligibleNodes: ['node-a', 'node-b', 'node-c'],
    speakers: [speaker('node-a', down()), speaker('node-b', up(`${V4}/32`))],
    advertised: 'True Advertised',
    advertisedBy: 1,
    message: /advertised by 1 of 3 eligible nodes/,
  },
  { name: 'Cluster: nobody reported', spec: cluster(), eligibleNodes: ['node-a'], advertised: 'Unknown Pending', advertisedBy: 0 },
  { name: 'Cluster: no eligible node', spec: cluster(), eligibleNodes: [], advertised: 'False NoEligibleNodes', advertisedBy: 0 },
  {
    name: 'Cluster: only an excluded node advertises',
    spec: cluster(),
    eligibleNodes: ['node-a'],
    speakers: [speaker('node-x', up(`${V4}/32`))],
    advertised: 'Unknown Pending',
    advertisedBy: 1,
  },
  {
    name: 'hand-made: no endpoints gate, every reporting speaker counts',
    spec: cluster([V4, V6], undefined),
    speakers: [speaker('node-a', up(`${V4}/32`, `${V6}/128`)), speaker('node-b', up(`${V4}/32`))],
    advertised: 'True Advertised',
    advertisedBy: 1,
    message: /1 of 2 reporting nodes/,
  },
  { name: 'no addresses', spec: local(['node-a'], []), advertised: 'False NoAddresses', advertisedBy: 0 },
  {
    name: 'no valid address because of a bad one',
    spec: local(['node-a'], []),
    problems: [badAddress],
    advertised: 'False InvalidAddress',
    ready: 'False InvalidAddress',
    advertisedBy: 0,
    message: /spec\.loadBalancerIP/,
  },
  {
    name: 'advertised, but an annotation was rejected: Ready says so',
    spec: local(['node-a']),
    speakers: [speaker('node-a', up(`${V4}/32`))],
    problems: [badAnnotation],
    advertised: 'True Advertised',
    ready: 'False InvalidAnnotation',
    advertisedBy: 1,
  },
];

function input(c: Partial<AnnouncementSummaryInput> & { spec: VipAnnouncementSpec }): AnnouncementSummaryInput {
  return { speakers: [], generation: 3, previousConditions: undefined, now: NOW, ...c };
}

void describe('summarizeAnnouncement', () => {
  for (const c of cases) {
    void it(c.name, () => {
      const out = summarizeAnnouncement(
        input({ spec: c.spec, speakers: c.speakers, eligibleNodes: c.eligibleNodes, problems: c.problems }),
      );
      const [adv, ready] = out.conditions;
      assert.equal(adv.type, 'Advertised');
      assert.equal(ready.type, 'Ready');
      assert.equal(`${adv.status} ${adv.reason}`, c.advertised);
      assert.equal(`${ready.status} ${ready.reason}`, c.ready ?? c.advertised);
      assert.equal(out.advertisedBy, c.advertisedBy);
      if (c.message) assert.match(adv.message, c.message);
      for (const cond of out.conditions) {
        assert.match(cond.reason, /^[A-Za-z]([A-Za-z0-9_,:]*[A-Za-z0-9_])?$/); // metav1.Condition reason pattern
        assert.equal(cond.observedGeneration, 3);
        assert.equal(cond.lastTransitionTime, NOW_TEXT);
      }
      assert.equal(out.observedGeneration, 3);
    });
  }
});

void describe('summarizeAnnouncement: transitions', () => {
  const spec = local(['node-a', 'node-b']);
  const both = [speaker('node-a', up(`${V4}/32`)), speaker('node-b', up(`${V4}/32`))];
  const prev = (status: Condition['status'], reason: string, message = 'm'): Condition[] => [
    { type: 'Advertised', status, reason, message, lastTransitionTime: T0, observedGeneration: 2 },
    { type: 'Ready', status, reason, message, lastTransitionTime: T0, observedGeneration: 2 },
  ];

  void it('status change moves lastTransitionTime', () => {
    const out = summarizeAnnouncement(input({ spec, speakers: both, previousConditions: prev('False', 'Pending') }));
    assert.deepEqual(out.conditions.map((c) => c.lastTransitionTime), [NOW_TEXT, NOW_TEXT]);
  });

  void it('same status keeps lastTransitionTime; reason, message and generation still update', () => {
    const out = summarizeAnnouncement(input({ spec, speakers: both, previousConditions: prev('True', 'Old', 'old') }));
    const adv = out.conditions[0];
    assert.equal(adv.lastTransitionTime, T0);
    assert.equal(adv.reason, 'Advertised');
    assert.notEqual(adv.message, 'old');
    assert.equal(adv.observedGeneration, 3);
  });

  void it('Pending (Unknown) → PartiallyAdvertised (False) → Advertised (True)', () => {
    let conditions: Condition[] | undefined;
    const steps: Array<[SpeakerStatus[], string, string]> = [
      [[], 'Unknown Pending', '2024-01-01T00:00:00Z'],
      [[both[0]], 'False PartiallyAdvertised', '2024-01-01T00:01:00Z'],
      [both, 'True Advertised', '2024-01-01T00:02:00Z'],
      [both, 'True Advertised', '2024-01-01T00:02:00Z'], // no change: time stays
    ];
    steps.forEach(([speakers, want, wantTime], i) => {
      const now = new Date(Date.parse('2024-01-01T00:00:00Z') + i * 60_000);
      conditions = summarizeAnnouncement(input({ spec, speakers, previousConditions: conditions, now })).conditions;
      assert.equal(`${conditions[0].status} ${conditions[0].reason}`, want);
      assert.equal(conditions[0].lastTransitionTime, wantTime);
    });
  });

  void it('is idempotent: feeding back its own output changes nothing (no write)', () => {
    const first = summarizeAnnouncement(input({ spec, speakers: both }));
    const second = summarizeAnnouncement(
      input({ spec, speakers: both, previousConditions: first.conditions, now: new Date('2030-01-01T00:00:00Z') }),
    );
    assert.ok(conditionsEqual(first.conditions, second.conditions));
    assert.deepEqual(second, first);
  });

  void it('conditionsEqual sees a changed message and ignores order', () => {
    const a = prev('True', 'Advertised');
    assert.ok(conditionsEqual(a, [a[1], a[0]]));
    assert.ok(!conditionsEqual(a, [{ ...a[0], message: 'other' }, a[1]]));
    assert.ok(!conditionsEqual(a, undefined));
  });

  void it('without a generation, observedGeneration is omitted', () => {
    const out = summarizeAnnouncement(input({ spec, speakers: both, generation: undefined }));
    assert.equal(out.observedGeneration, undefined);
    assert.ok(out.conditions.every((c) => !('observedGeneration' in c)));
  });
});
