import { test } from 'node:test';
import assert from 'node:assert/strict';
import { gracefulRestartOnAdd } from './gracefulRestart';

const now = Date.parse('2026-01-01T00:10:00Z');
const recent = { bootID: 'boot-a', phase: 'Running', heartbeatTime: '2026-01-01T00:09:30Z' };

void test('gracefulRestartOnAdd: a restart within the same boot, recent and Running, is graceful', () => {
  assert.equal(gracefulRestartOnAdd(recent, 'boot-a', now, 120_000), true);
});

void test('gracefulRestartOnAdd: a cold boot is not', () => {
  const cases: Array<[string, Parameters<typeof gracefulRestartOnAdd>[0], string | undefined, number]> = [
    ['no previous report (a new node, a first install)', undefined, 'boot-a', 120_000],
    ['the node rebooted since', recent, 'boot-b', 120_000],
    ['the Node reports no boot id', recent, undefined, 120_000],
    ['the previous report has no boot id', { phase: 'Running', heartbeatTime: recent.heartbeatTime }, 'boot-a', 120_000],
    ['the last stop withdrew the routes', { ...recent, phase: 'Stopped' }, 'boot-a', 120_000],
    ['older than the restart time: the router dropped the routes', recent, 'boot-a', 29_000],
    ['no heartbeat', { bootID: 'boot-a', phase: 'Running' }, 'boot-a', 120_000],
  ];
  for (const [what, previous, bootID, restartTimeMs] of cases) assert.equal(gracefulRestartOnAdd(previous, bootID, now, restartTimeMs), false, what);
});
