import { test } from 'node:test';
import assert from 'node:assert/strict';

import { kubeTime, microTime } from './time';

test('kubeTime drops the fraction; microTime pads it to six digits', () => {
  const d = new Date('2024-01-02T03:04:05.678Z');
  assert.equal(kubeTime(d), '2024-01-02T03:04:05Z');
  assert.equal(microTime(d), '2024-01-02T03:04:05.678000Z');
  assert.equal(kubeTime(new Date('2024-01-02T03:04:05.999Z')), '2024-01-02T03:04:05Z');
});
