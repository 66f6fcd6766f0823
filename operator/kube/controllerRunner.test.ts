// A term's onStart runs before any reconcile, and a failing one is retried, never skipped.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { nullLogger } from '../util/log';
import { ControllerRunner } from './controllerRunner';

void describe('ControllerRunner: onStart', () => {
  it('no key is reconciled before onStart succeeds; a failure is retried', async () => {
    const seen: string[] = [];
    let attempts = 0;
    const stop = new AbortController();
    const runner = new ControllerRunner(
      {
        name: 'test',
        watches: [],
        fullSyncKeys: () => ['a'],
        onStart: () => {
          seen.push(`start ${++attempts}`);
          return attempts < 3 ? Promise.reject(new Error('API server away')) : Promise.resolve();
        },
        reconcile: (key) => {
          seen.push(`reconcile ${key}`);
          stop.abort();
          return Promise.resolve(undefined);
        },
      },
      [],
      nullLogger(),
    );
    await runner.run(stop.signal);
    assert.deepEqual(seen, ['start 1', 'start 2', 'start 3', 'reconcile a']);
  });
});
