import { test } from 'node:test';
import assert from 'node:assert/strict';

import { canonicalCommunity, canonicalLargeCommunity, communityParts, compareCommunities, sortCommunities } from './communities';

test('communityParts: shape and range per kind', () => {
  const cases: Array<[string, 'standard' | 'large', number[] | undefined]> = [
    ['65000:100', 'standard', [65000, 100]],
    ['0065000:0100', 'standard', [65000, 100]],
    ['65535:65535', 'standard', [65535, 65535]],
    ['65536:1', 'standard', undefined],
    ['1:2:3', 'standard', undefined],
    [' 1:2', 'standard', undefined],
    ['12345678901:1', 'standard', undefined],
    ['4294967295:0:7', 'large', [4294967295, 0, 7]],
    ['4294967296:0:7', 'large', undefined],
    ['1:2', 'large', undefined],
    ['', 'large', undefined],
  ];
  for (const [text, kind, want] of cases) assert.deepEqual(communityParts(text, kind), want, `${kind} ${text}`);
});

test('canonical forms drop leading zeros', () => {
  assert.equal(canonicalCommunity('01:002'), '1:2');
  assert.equal(canonicalCommunity('x'), undefined);
  assert.equal(canonicalLargeCommunity('01:0:002'), '1:0:2');
});

test('compareCommunities is numeric part by part; sortCommunities canonicalises and keeps junk', () => {
  assert.deepEqual(['65000:100', '65000:20', '1:5'].sort(compareCommunities), ['1:5', '65000:20', '65000:100']);
  const sorted = sortCommunities(['65000:100', '065000:20', 'junk', '65000:100']);
  assert.deepEqual(sorted.filter((c) => c !== 'junk'), ['65000:20', '65000:100']);
  assert.ok(sorted.includes('junk'));
  assert.deepEqual(sortCommunities(['2:0:0', '1:02:3'], 'large'), ['1:2:3', '2:0:0']);
});
