import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createLogger, errorFields, errorMessage, nullLogger } from './log';

function capture(level: 'debug' | 'info' | 'warn' | 'error' = 'info') {
  const lines: string[] = [];
  const log = createLogger({ name: 'vip-announcer', format: 'json', level, write: (l) => lines.push(l) });
  const parsed = () => lines.map((l) => JSON.parse(l) as Record<string, unknown>);
  return { log, lines, parsed };
}

void test('json: one flat line per event with time, level, logger, msg and fields', () => {
  const { log, lines, parsed } = capture();
  log.info('reconciled', { key: 'shop/web', durationMs: 3 });
  assert.equal(lines.length, 1);
  assert.ok(!lines[0].includes('\n'));
  const [l] = parsed();
  assert.equal(l.level, 'info');
  assert.equal(l.logger, 'vip-announcer');
  assert.equal(l.msg, 'reconciled');
  assert.equal(l.key, 'shop/web');
  assert.equal(l.durationMs, 3);
  assert.match(String(l.time), /^\d{4}-\d\d-\d\dT/);
  assert.equal(l._meta, undefined);
});

void test('child loggers add key fields; the call site can override them', () => {
  const { log, parsed } = capture();
  const child = log.child({ role: 'controller' }).child({ key: 'a/b' });
  child.warn('slow', { key: 'c/d', extra: true });
  child.error('failed');
  const [a, b] = parsed();
  assert.deepEqual([a.role, a.key, a.extra, a.level], ['controller', 'c/d', true, 'warn']);
  assert.deepEqual([b.role, b.key, b.level], ['controller', 'a/b', 'error']);
});

void test('levels below the minimum are dropped', () => {
  const { log, lines } = capture('warn');
  log.debug('d');
  log.info('i');
  log.warn('w');
  assert.equal(lines.length, 1);
});

void test('secrets are masked', () => {
  const { log, lines } = capture();
  log.info('peer', { address: '192.0.2.1', password: 'hunter2', Token: 'abc' });
  assert.ok(!lines[0].includes('hunter2'));
  assert.ok(!lines[0].includes('"abc"'));
  assert.ok(lines[0].includes('192.0.2.1'));
});

void test('implements the framework logger interface (message only)', () => {
  const { log, lines } = capture('debug');
  const fw: { debug(m: string): void; info(m: string): void; warn(m: string): void; error(m: string): void } = log;
  fw.debug('x');
  fw.error('y');
  assert.equal(lines.length, 2);
  nullLogger().child({ a: 1 }).error('nothing');
});

void test('errorMessage / errorFields', () => {
  const e = Object.assign(new Error('connect refused'), { code: 'ECONNREFUSED', statusCode: 0 });
  assert.equal(errorMessage(e), 'connect refused (ECONNREFUSED)');
  assert.deepEqual(errorFields(Object.assign(new Error('nope'), { statusCode: 404 })), { error: 'nope', statusCode: 404 });
  assert.equal(errorMessage('plain'), 'plain');
  assert.equal(errorMessage({ a: 1 }), '{"a":1}');
});
