// Memory from tenant input (issue 19): any user with `edit` may put 256 KiB of annotations on
// each of their Services. The controller caches every Service of the cluster; it must keep only
// what its decisions read (annotations under vipannouncer.io/), or a few hundred such Services
// exhaust its shipped memory limit and a crash-looping controller allocates nothing. Measured on
// the real process: its peak RSS (/proc, VmHWM) against the limit in config/manager, and what
// its heap retains after a full collection (a heap snapshot, which collects first).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import yaml from 'js-yaml';
import { REPO_ROOT, lab, waitFor } from './harness/lab';
import { core, deleteNamespace, ensureNamespace, inPool, uniqueNamespace } from './harness/kube';
import { controllerConfig, startOperator, waitReady, type OperatorProcess } from './harness/operator';

const NS = uniqueNamespace('e2e-memory');
const SERVICES = 300;
/** The API server's limit is 256 KiB for all annotations of an object, keys included. */
const ANNOTATION_BYTES = 250 * 1024;

/** The controller container's memory limit as shipped (config/manager/manager.yaml), in bytes. */
function shippedLimitBytes(): number {
  const docs = yaml.loadAll(readFileSync(path.join(REPO_ROOT, 'config', 'manager', 'manager.yaml'), 'utf8')) as Array<{
    kind?: string;
    spec?: { template?: { spec?: { containers?: Array<{ resources?: { limits?: { memory?: string } } }> } } };
  }>;
  const memory = docs.find((d) => d?.kind === 'Deployment')?.spec?.template?.spec?.containers?.[0]?.resources?.limits?.memory ?? '';
  const m = /^(\d+)Mi$/.exec(memory);
  assert.ok(m, `config/manager's memory limit "${memory}" is not in Mi`);
  return Number(m[1]) * 1024 * 1024;
}

/** A line of /proc/PID/status in bytes (VmHWM: the peak resident set). */
function procStatusBytes(pid: number, field: string): number {
  const m = new RegExp(`^${field}:\\s+(\\d+) kB$`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  assert.ok(m, `/proc/${pid}/status has no ${field}`);
  return Number(m[1]) * 1024;
}

describe('memory: tenant-sized annotations do not grow the controller', () => {
  let ctl: OperatorProcess | undefined;
  const dir = path.join(lab().dir, 'e2e', 'heap');

  before(async () => {
    await ensureNamespace(NS);
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
  });

  after(async () => {
    await ctl?.stop();
    rmSync(dir, { recursive: true, force: true });
    await deleteNamespace(NS);
  });

  it(`${SERVICES} Services with ${ANNOTATION_BYTES / 1024} KiB annotations: peak RSS under the shipped limit, and the heap keeps none of them`, async (t) => {
    const names = Array.from({ length: SERVICES }, (_, i) => `big-${i}`);
    // ClusterIP without a selector: cached like any Service, but no slices and nothing to announce.
    // Each blob differs: a heap snapshot stores equal strings once.
    await inPool(names, 16, async (name) => {
      const blob = randomBytes(((ANNOTATION_BYTES - 1024) * 3) / 4).toString('base64');
      await core().createNamespacedService(NS, { metadata: { name, namespace: NS, annotations: { 'example.com/blob': blob } }, spec: { ports: [{ port: 80 }] } });
    });
    const limit = shippedLimitBytes();
    // In its container Node sizes the heap from the cgroup's limit; the lab has none, so the
    // heap gets what a 384 MiB container leaves it (half), and V8 collects as it would there.
    const heapMiB = Math.floor(limit / 2 ** 20 / 2);
    ctl = await startOperator('memory-ctl', 'controller', controllerConfig(), { nodeArgs: [`--max-old-space-size=${heapMiB}`, '--heapsnapshot-signal=SIGUSR2', `--diagnostic-dir=${dir}`] });
    // Ready: every cache holds its initial list, these Services included.
    await waitReady(ctl, 120_000);
    const peak = procStatusBytes(ctl.pid, 'VmHWM');
    assert.ok(peak < limit, `peak RSS ${(peak / 2 ** 20).toFixed(0)} MiB over the shipped limit ${limit / 2 ** 20} MiB`);

    ctl.signal('SIGUSR2');
    const snapshot = await waitFor('the heap snapshot to be written', () => {
      const f = readdirSync(dir).find((n) => n.endsWith('.heapsnapshot'));
      if (!f) return undefined;
      const file = path.join(dir, f);
      const size = statSync(file).size;
      // Complete once it ends with the JSON's closing brace and stops growing.
      return size > 0 && readFileSync(file, 'utf8').trimEnd().endsWith('}') ? file : undefined;
    }, { timeoutMs: 120_000, intervalMs: 1_000 });
    // The snapshot's strings are cut at 1 KiB: what counts is the sum of its nodes' self sizes.
    const heap = JSON.parse(readFileSync(snapshot, 'utf8')) as { snapshot: { meta: { node_fields: string[] } }; nodes: number[] };
    const fields = heap.snapshot.meta.node_fields;
    const selfSize = fields.indexOf('self_size');
    let retained = 0;
    for (let i = selfSize; i < heap.nodes.length; i += fields.length) retained += heap.nodes[i];
    const annotations = SERVICES * ANNOTATION_BYTES;
    t.diagnostic(`peak RSS ${(peak / 2 ** 20).toFixed(0)} MiB (limit ${limit / 2 ** 20} MiB), heap retained ${(retained / 2 ** 20).toFixed(0)} MiB`);
    // Keeping them would retain at least their total size, over what an idle controller holds.
    assert.ok(retained < annotations / 2, `the heap retains ${(retained / 2 ** 20).toFixed(0)} MiB for ${(annotations / 2 ** 20).toFixed(0)} MiB of annotations`);
  });
});
