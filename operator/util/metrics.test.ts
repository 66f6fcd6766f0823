import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { registry } from './metrics';

void test('every metric the shipped alert rules use is one this program exports', () => {
  const rules = readFileSync(path.resolve(__dirname, '../../../config/prometheus/rules.yaml'), 'utf8');
  const used = new Set(rules.match(/vipannouncer_[a-z_]+/g) ?? []);
  assert.ok(used.size >= 5, 'the rules name our metrics');
  const exported = new Set(registry.getMetricsAsArray().map((m) => m.name));
  const missing = [...used].filter((name) => !exported.has(name.replace(/_(bucket|sum|count)$/, '')));
  assert.deepEqual(missing, []);
});
