// A term's onStart runs before any reconcile, and a failing one is retried, never skipped.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { nullLogger } from '../util/log';
import { ControllerRunner, type EventSource } from './controllerRunner';
import { Cached } from './cachedKinds';

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

void describe('ControllerRunner: priorities', () => {
  it("a full sync's keys wait behind watch events and a reconcile's own requests", async () => {
    const seen: string[] = [];
    const stop = new AbortController();
    let emit: (name: string) => void = () => undefined;
    const source: EventSource = {
      onChange: (fn) => {
        emit = (name) => fn('MODIFIED', { metadata: { name } });
        return () => undefined;
      },
    };
    const runner = new ControllerRunner(
      {
        name: 'test',
        concurrency: 1,
        watches: [{ shape: Cached.services, toKeys: (_t, obj) => [obj.metadata?.name ?? ''] }],
        fullSyncKeys: () => ['a', 'b', 'c', 'd'],
        reconcile: (key, ctx) => {
          seen.push(key);
          // The first key's write echoes back through the watch; the second asks for itself again.
          if (seen.length === 1) emit(`${key}-echo`);
          if (seen.length === 3) ctx.enqueue(key);
          if (seen.length === 6) stop.abort();
          return Promise.resolve(undefined);
        },
      },
      [source],
      nullLogger(),
    );
    await runner.run(stop.signal);
    assert.deepEqual(seen.slice(0, 6), ['a', 'a-echo', 'b', 'b', 'c', 'd']);
  });
});
