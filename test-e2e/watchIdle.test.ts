// A half-open connection between the operator and the API server: a TCP proxy turns every
// connection open at that moment into a black hole that never closes (as a load balancer that
// dropped its state does), while new connections work. A Service created meanwhile reaches the
// controller's cache only because its watches notice the silence (the idle timeout, above the
// API server's one-minute bookmarks), end, and resume from their last resourceVersion.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { dump, load } from 'js-yaml';
import { DEFAULT_WATCH_IDLE_TIMEOUT_MS } from '../operator/kube/informer';
import { lab, waitFor } from './harness/lab';
import { createService, customObjects, deleteNamespace, statusOf, uniqueNamespace, prepareSuite } from './harness/kube';
import { controllerConfig, startOperator, waitReady, type OperatorProcess } from './harness/operator';
import { labApiServer } from './harness/serviceAccount';
import { startTcpProxy, type TcpProxy } from './harness/tcpProxy';

const NS = uniqueNamespace('e2e-watch-idle');

async function vaExists(name: string): Promise<boolean> {
  try {
    await customObjects().getNamespacedCustomObject('vipannouncer.io', 'v1alpha1', NS, 'vipannouncements', name);
    return true;
  } catch (err) {
    if (statusOf(err) === 404) return false;
    throw err;
  }
}

/** The lab's admin kubeconfig, pointed at `server`. */
function viaServer(server: string): string {
  const doc = load(readFileSync(lab().kubeconfig, 'utf8')) as { clusters: { cluster: { server: string } }[] };
  for (const c of doc.clusters) c.cluster.server = server;
  const file = path.join(lab().dir, 'e2e', 'watch-idle-proxied.kubeconfig');
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, dump(doc), { mode: 0o600 });
  return file;
}

void describe('watches that notice silence', () => {
  let proxy: TcpProxy | undefined;
  let ctl: OperatorProcess | undefined;

  before(async () => {
    await prepareSuite(NS, lab().nodes);
  });

  after(async () => {
    await ctl?.stop();
    await proxy?.close();
    await deleteNamespace(NS);
  });

  void it('a change made while every open connection is a black hole reaches the cache within the idle timeout plus a backoff', { timeout: 240_000 }, async () => {
    const api = new URL(labApiServer().server);
    proxy = await startTcpProxy({ host: api.hostname, port: Number(api.port) });
    ctl = await startOperator('watch-idle', 'controller', controllerConfig(), { kubeconfig: viaServer(`https://127.0.0.1:${proxy.port}`) });
    await waitReady(ctl);
    await createService({ namespace: NS, name: 'before' });
    await waitFor('the controller announces "before"', () => vaExists('before'));
    await new Promise((r) => setTimeout(r, 2_000)); // its writes and Events done: only watches stay open

    proxy.stallOpen();
    const stalledAt = Date.now();
    await createService({ namespace: NS, name: 'during' });
    // The control: the event went into the black hole and nothing else brought it in.
    await new Promise((r) => setTimeout(r, 20_000));
    assert.equal(await vaExists('during'), false, 'announced although every open watch was stalled: the test proves nothing');
    assert.ok(proxy.dropped().down > 0, 'the API server sent the event into the black hole');

    const budgetMs = DEFAULT_WATCH_IDLE_TIMEOUT_MS + 15_000; // + one backoff step, the reconcile and the write
    await waitFor('the controller announces "during"', () => vaExists('during'), { timeoutMs: stalledAt + budgetMs - Date.now(), intervalMs: 500 });
    const caughtUpMs = Date.now() - stalledAt;
    assert.ok(ctl.log().includes('watch silent, resuming from the last resourceVersion'), 'resumed through the idle timeout');
    assert.ok(caughtUpMs < budgetMs, `caught up after ${caughtUpMs} ms`);
  });
});
