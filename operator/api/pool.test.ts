import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { acceptedAttributes, communityPatternMatches, comparePools, compilePool, parseAddressRange, poolContains, poolSelects, rangeSize, selectorMatches, type OwnAttributes, type PoolAdvertisement, type VipPool } from './pool';
import { parseIP } from '../util/ip';

const ip = (text: string): { family: 4 | 6; value: bigint } => {
  const p = parseIP(text);
  assert.ok(p.ok, text);
  return p.ip;
};

function pool(name: string, spec: Partial<VipPool['spec']>, deleting = false): VipPool {
  return {
    apiVersion: 'vipannouncer.io/v1alpha1',
    kind: 'VipPool',
    metadata: { name, ...(deleting ? { deletionTimestamp: '2030-01-01T00:00:00Z' } : {}) },
    spec: { addresses: [], ...spec },
  };
}

void describe('parseAddressRange', () => {
  const cases: Array<[string, string | null]> = [
    ['192.0.2.0/24', '4 192.0.2.0 192.0.2.255'],
    ['192.0.2.10-192.0.2.20', '4 192.0.2.10 192.0.2.20'],
    ['192.0.2.10 - 192.0.2.10', '4 192.0.2.10 192.0.2.10'],
    ['2001:db8::/126', '6 2001:db8:: 2001:db8::3'],
    ['2001:db8::1-2001:db8::ff', '6 2001:db8::1 2001:db8::ff'],
    ['192.0.2.1/24', null], // host bits
    ['192.0.2.0/33', null],
    ['192.0.2.20-192.0.2.10', null],
    ['192.0.2.1-2001:db8::1', null],
    ['192.0.2.1', null],
    ['nonsense-192.0.2.1', null],
  ];
  for (const [text, want] of cases) {
    void it(`${text} → ${want ?? 'rejected'}`, () => {
      const r = parseAddressRange(text);
      const fmt = (v: bigint, f: 4 | 6): string => (f === 4 ? [24n, 16n, 8n, 0n].map((s) => Number((v >> s) & 0xffn)).join('.') : '');
      if (want === null) return assert.equal(r.ok, false);
      assert.ok(r.ok);
      const [family, first, last] = want.split(' ');
      assert.equal(r.range.family, Number(family));
      assert.equal(r.range.first, ip(first).value);
      assert.equal(r.range.last, ip(last).value);
      if (r.range.family === 4) assert.equal(fmt(r.range.first, 4), first);
    });
  }
});

void describe('pools', () => {
  it('contain usable addresses of their ranges only; avoidBuggyIPs skips .0 and .255', () => {
    const p = compilePool(pool('a', { addresses: ['192.0.2.0/24', '2001:db8::/120'] }));
    assert.equal(poolContains(p, ip('192.0.2.0')), true);
    assert.equal(poolContains(p, ip('192.0.3.1')), false);
    assert.equal(poolContains(p, ip('2001:db8::ff')), true);
    const buggy = compilePool(pool('b', { addresses: ['192.0.2.0/24'], avoidBuggyIPs: true }));
    assert.equal(poolContains(buggy, ip('192.0.2.0')), false);
    assert.equal(poolContains(buggy, ip('192.0.2.255')), false);
    assert.equal(poolContains(buggy, ip('192.0.2.254')), true);
    assert.equal(rangeSize(buggy.ranges[0], true), 254);
    const loop = compilePool(pool('c', { addresses: ['127.0.0.0/30'] }));
    assert.equal(poolContains(loop, ip('127.0.0.1')), false, 'never a loopback address');
  });

  it('report entries that are not ranges', () => {
    assert.deepEqual(compilePool(pool('a', { addresses: ['192.0.2.1/24', '192.0.2.0/24'] })).invalid.map((i) => i.value), ['192.0.2.1/24']);
  });

  it('select by namespace list, namespace selector and Service selector; all given parts must match', () => {
    const p = compilePool(
      pool('a', { serviceAllocation: { namespaces: ['shop'], namespaceSelector: { matchLabels: { team: 'a' } }, serviceSelector: { matchExpressions: [{ key: 'tier', operator: 'In', values: ['web'] }] } } }),
    );
    const subject = { namespace: 'shop', namespaceLabels: { team: 'a' }, labels: { tier: 'web' } };
    assert.equal(poolSelects(p, subject), true);
    assert.equal(poolSelects(p, { ...subject, namespace: 'other' }), false);
    assert.equal(poolSelects(p, { ...subject, namespaceLabels: { team: 'b' } }), false);
    assert.equal(poolSelects(p, { ...subject, labels: {} }), false);
    assert.equal(poolSelects(compilePool(pool('all', {})), { namespace: 'x', namespaceLabels: undefined, labels: undefined }), true);
  });

  it('selector operators', () => {
    const l = { a: '1' };
    assert.equal(selectorMatches({ matchExpressions: [{ key: 'a', operator: 'NotIn', values: ['1'] }] }, l), false);
    assert.equal(selectorMatches({ matchExpressions: [{ key: 'b', operator: 'NotIn', values: ['1'] }] }, l), true);
    assert.equal(selectorMatches({ matchExpressions: [{ key: 'a', operator: 'Exists' }] }, l), true);
    assert.equal(selectorMatches({ matchExpressions: [{ key: 'a', operator: 'DoesNotExist' }] }, l), false);
    assert.equal(selectorMatches({}, undefined), true);
  });

  it('order: lower priority values first, none last, then by name', () => {
    const names = [pool('z', {}), pool('b', { serviceAllocation: { priority: 5 } }), pool('a', {}), pool('c', { serviceAllocation: { priority: 1 } })]
      .map(compilePool)
      .sort(comparePools)
      .map((p) => p.name);
    assert.deepEqual(names, ['c', 'b', 'a', 'z']);
  });
});

describe('acceptedAttributes: a Service\'s own attributes by allowlist', () => {
  const asked = { communities: ['65000:1', '3356:666', '65535:666'], largeCommunities: ['65000:1:2', '64512:9:9'], localPref: 300 };
  const open = { allowServiceOverrides: true, allowedCommunities: ['65000:*', '65535:666'], allowedLargeCommunities: ['65000:1:*'], allowedLocalPref: { min: 100, max: 300 } };
  const cases: Array<{ name: string; adv: PoolAdvertisement; accepted: OwnAttributes; refused: string[] }> = [
    { name: 'overrides not allowed: nothing', adv: {}, accepted: { communities: [], largeCommunities: [] }, refused: ['communities:65000:1', 'communities:3356:666', 'communities:65535:666', 'largeCommunities:65000:1:2', 'largeCommunities:64512:9:9', 'localPref:300'] },
    { name: 'allowed but no allowlist: nothing (an allowlist, never a denylist)', adv: { allowServiceOverrides: true }, accepted: { communities: [], largeCommunities: [] }, refused: ['communities:65000:1', 'communities:3356:666', 'communities:65535:666', 'largeCommunities:65000:1:2', 'largeCommunities:64512:9:9', 'localPref:300'] },
    { name: 'what the lists name; a provider action community (3356:666) is not named; BLACKHOLE needs allowWellKnownCommunities too', adv: open, accepted: { communities: ['65000:1'], largeCommunities: ['65000:1:2'], localPref: 300 }, refused: ['communities:3356:666', 'communities:65535:666', 'largeCommunities:64512:9:9'] },
    { name: 'well-known allowed and listed', adv: { ...open, allowWellKnownCommunities: true }, accepted: { communities: ['65000:1', '65535:666'], largeCommunities: ['65000:1:2'], localPref: 300 }, refused: ['communities:3356:666', 'largeCommunities:64512:9:9'] },
    { name: 'a local-pref above the range', adv: { ...open, allowedLocalPref: { min: 100, max: 200 } }, accepted: { communities: ['65000:1'], largeCommunities: ['65000:1:2'] }, refused: ['communities:3356:666', 'communities:65535:666', 'largeCommunities:64512:9:9', 'localPref:300'] },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const got = acceptedAttributes(c.adv, asked);
      assert.deepEqual(got.accepted, c.accepted);
      assert.deepEqual(got.refused.map((r) => `${r.field}:${r.value}`), c.refused);
    });
  }

  it('patterns: "*" parts match anything, numeric parts must be equal, the part count must match', () => {
    assert.ok(communityPatternMatches('65000:*', '65000:7', 'standard'));
    assert.ok(!communityPatternMatches('65000:*', '65001:7', 'standard'));
    assert.ok(communityPatternMatches('*:*:3', '1:2:3', 'large'));
    assert.ok(!communityPatternMatches('1:2', '1:2:3', 'large'));
    assert.ok(!communityPatternMatches('x:1', '0:1', 'standard'));
  });
});
