import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { appliedFieldsHold, quantityValue } from './appliedFields';

describe('appliedFieldsHold', () => {
  const cases: Array<[string, unknown, unknown, boolean]> = [
    ['equal scalars', { a: 1 }, { a: 1 }, true],
    ['changed scalar', { a: 2 }, { a: 1 }, false],
    ['fields others set are ignored', { a: 1, b: 2 }, { a: 1 }, true],
    ['a field we set is missing', { b: 2 }, { a: 1 }, false],
    ['empty values may be omitted by the server', { x: 1 }, { s: '', l: [], o: {}, n: 0, f: false }, true],
    ['an empty value must not be replaced', { s: 'x' }, { s: '' }, false],
    ['scalar lists are exact', { args: ['a', 'b'] }, { args: ['b', 'a'] }, false],
    ['scalar lists: an extra item is a change', { args: ['a', 'b'] }, { args: ['a'] }, false],
    ['object lists: defaults inside items', { c: [{ name: 'x', image: 'i', tmp: '/dev' }] }, { c: [{ name: 'x', image: 'i' }] }, true],
    ['object lists: an item added by others', { c: [{ name: 'x' }, { name: 'sidecar' }] }, { c: [{ name: 'x' }] }, true],
    ['object lists: a changed item', { c: [{ name: 'x', image: 'j' }] }, { c: [{ name: 'x', image: 'i' }] }, false],
    ['object lists: order of ours matters', { c: [{ name: 'y' }, { name: 'x' }] }, { c: [{ name: 'x' }, { name: 'y' }] }, false],
    ['canonicalised quantity', { resources: { requests: { cpu: '500m', memory: '1Gi' } } }, { resources: { requests: { cpu: '0.5', memory: '1024Mi' } } }, true],
    ['changed quantity', { resources: { limits: { cpu: '1' } } }, { resources: { limits: { cpu: '2' } } }, false],
    ['quantities only under requests/limits', { args: ['500m'] }, { args: ['0.5'] }, false],
    ['type mismatch', { a: { b: 1 } }, { a: [1] }, false],
  ];
  for (const [name, live, applied, want] of cases) {
    void it(name, () => assert.equal(appliedFieldsHold(live, applied), want));
  }
});

describe('quantityValue', () => {
  const cases: Array<[string, number | undefined]> = [
    ['1', 1],
    ['100m', 0.1],
    ['1Ki', 1024],
    ['2G', 2e9],
    ['1e3', 1000],
    ['.5', 0.5],
    ['1.5Gi', 1.5 * 2 ** 30],
    ['abc', undefined],
    ['1 Gi', undefined],
  ];
  for (const [q, want] of cases) {
    void it(q, () => assert.equal(quantityValue(q), want));
  }
});
