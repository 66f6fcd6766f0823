// The lab's BIRD offers every node a default route and a few prefixes (hack/lab.sh,
// LAB_UPSTREAM_PREFIXES), as an upstream router would. Each gobgpd receives them (its
// adj-RIB-in shows them: the positive control) and none may enter its global RIB: the
// speaker sets an import policy that rejects every route from peers, at start and again
// whenever the drift check finds it changed.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { REPO_ROOT, kubectl, lab, waitFor, waitUntilNoMismatch, type LabNode } from './harness/lab';
import { gobgpBinary } from './harness/gobgp';
import { ensureNode } from './harness/kube';
import { speakerConfig, startOperator, waitReady, type OperatorProcess } from './harness/operator';

const execFileP = promisify(execFile);

function upstreamPrefixes(): string[] {
  const env = readFileSync(path.join(lab().dir, 'env'), 'utf8');
  const m = /^export LAB_UPSTREAM_PREFIXES="(.*)"$/m.exec(env);
  assert.ok(m?.[1], 'the lab records the prefixes BIRD offers (hack/lab.sh up of this version)');
  return m[1].split(' ');
}

async function gobgp(node: LabNode, ...args: string[]): Promise<string> {
  const [host = '', port = ''] = node.gobgpTarget.split(':');
  const { stdout } = await execFileP(gobgpBinary('gobgp'), ['-u', host, '-p', port, ...args]);
  return stdout;
}

/** Prefixes of a `gobgp ... -j` table listing (global rib or adj-in). */
async function prefixes(node: LabNode, ...table: string[]): Promise<string[]> {
  const out: string[] = [];
  for (const family of ['ipv4', 'ipv6']) {
    const text = await gobgp(node, ...table, '-a', family, '-j');
    const parsed = JSON.parse(text.trim() === '' ? '{}' : text) as Record<string, unknown[] | null>;
    // {prefix: [paths]}; a prefix gobgpd treated as withdrawn is listed with no path.
    out.push(...Object.entries(parsed).filter(([, paths]) => Array.isArray(paths) && paths.length > 0).map(([prefix]) => prefix));
  }
  return out.sort();
}

const isUpstream = (upstream: string[]) => (p: string): boolean => upstream.includes(p);

describe('import policy: no route from a peer enters a gobgpd global RIB', () => {
  const nodes = lab().nodes;
  const speakers: OperatorProcess[] = [];
  const upstream = upstreamPrefixes();

  before(async () => {
    await kubectl(['apply', '-f', path.join(REPO_ROOT, 'crds')]);
    await kubectl(['wait', '--for=condition=Established', '--timeout=60s', 'crd/vipannouncements.vipannouncer.io', 'crd/vipspeakers.vipannouncer.io']);
    for (const n of nodes) await ensureNode(n.name, n.address);
  });

  after(async () => {
    await Promise.all(speakers.map((s) => s.stop()));
  });

  it('every node receives what BIRD offers, and its global RIB holds none of it', async () => {
    for (const n of nodes) {
      const s = await startOperator(`import-policy-${n.name}`, 'speaker', speakerConfig(n));
      speakers.push(s);
      await waitReady(s);
    }
    for (const n of nodes) {
      // Positive control: the routes do arrive, so an empty RIB below means rejected, not absent.
      await waitUntilNoMismatch(`${n.name} received every upstream prefix`, async () => {
        const got = await prefixes(n, 'neighbor', lab().routerAddress, 'adj-in');
        const missing = upstream.filter((p) => !got.includes(p));
        return missing.length === 0 ? '' : `missing ${missing.join(', ')}`;
      }, { timeoutMs: 60_000 });
      assert.deepEqual((await prefixes(n, 'global', 'rib')).filter(isUpstream(upstream)), [], n.name);
    }
  });

  it('the drift check restores the policy when someone lets routes in by hand, and flushes them', async () => {
    const n = nodes[0];
    const speaker = speakers[0];
    assert.ok(n && speaker);
    const repairs = (): number => speaker.log().split('\n').filter((l) => l.includes('setting the import policy')).length;
    const before = repairs();
    // The stock CLI, as anyone on the node could: accept by default, then run the routes through it again.
    await gobgp(n, 'global', 'policy', 'import', 'set', 'vip-announcer-import', 'default', 'accept');
    await gobgp(n, 'neighbor', lab().routerAddress, 'softresetin');
    // The speaker's drift check runs every 3 s in the lab configuration.
    await waitFor('the speaker to repair the policy and the upstream routes to be gone', async () =>
      repairs() > before && (await prefixes(n, 'global', 'rib')).filter(isUpstream(upstream)).length === 0, { timeoutMs: 15_000 });
    const policy = await gobgp(n, 'global', 'policy', 'import');
    assert.match(policy, /REJECT/, policy);
  });
});
