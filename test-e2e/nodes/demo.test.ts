// `make demo` end to end: the one command a newcomer runs. It boots its own lab of real nodes
// (its own folder and ports; hack/e2e.sh runs it before the nodes pass boots its lab, as two
// real-node labs share the fabric's addresses) and, with DEMO_EXIT=1, exits after printing the state.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { REPO_ROOT } from '../harness/lab';

// Offset from the suite's own lab, so a developer's labs on other bases do not collide with it.
const DEMO_PORT_BASE = String((Number(process.env.LAB_PORT_BASE) || 26600) + 2000);

describe('make demo', () => {
  it('boots real nodes, installs the product as Pods, and shows the Pods, the VIPs advertised and in BIRD', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'vipa-demo-'));
    try {
      const r = spawnSync(path.join(REPO_ROOT, 'hack', 'demo.sh'), [], {
        env: { ...process.env, DEMO_EXIT: '1', VIPA_LAB_DIR: dir, LAB_PORT_BASE: DEMO_PORT_BASE },
        encoding: 'utf8',
        timeout: 900_000,
      });
      const out = `${r.stdout}\n${r.stderr}`;
      assert.equal(r.status, 0, out.slice(-4000));
      // kubectl get vipannouncements: both Services advertised, by 2 (Local) and 3 (Cluster) speakers.
      assert.match(r.stdout, /demo\s+web\s+web\s+\["203\.0\.113\.10"\]\s+Local\s+True\s+2\s/, r.stdout);
      assert.match(r.stdout, /demo\s+api\s+api\s+\["203\.0\.113\.20"\]\s+Cluster\s+True\s+3\s/, r.stdout);
      // The product runs as Pods: two controllers, a speaker (gobgpd sidecar + speaker) on each node.
      assert.equal((r.stdout.match(/vip-announcer-controller-\S+\s+1\/1\s+Running/g) ?? []).length, 2, r.stdout);
      assert.equal((r.stdout.match(/vip-announcer-speaker-\S+\s+2\/2\s+Running/g) ?? []).length, 3, r.stdout);
      assert.match(r.stdout, /web-1\s+1\/1\s+Running/, r.stdout);
      // 'auto' requested nothing: the pool's lowest free address (.0 is avoided).
      assert.match(r.stdout, /demo\s+auto\s+auto\s+\["203\.0\.113\.1"\]\s+Cluster\s+True\s+3\s/, r.stdout);
      assert.match(r.stdout, /\ndemo\s+\["203\.0\.113\.0\/24","2001:db8::\/120"\]\s+true\s/, r.stdout);
      // kubectl get svc: the VIPs are the EXTERNAL-IPs.
      assert.match(r.stdout, /web\s+LoadBalancer\s+\S+\s+203\.0\.113\.10\s/, r.stdout);
      // BIRD: web from node-1 and node-2, api and auto from all three.
      const birdPart = r.stdout.slice(r.stdout.indexOf('birdc show route'));
      assert.equal((birdPart.match(/\[node_\d/g) ?? []).length, 2 + 3 + 3, birdPart);
      // Everything the demo started is gone: its processes, the runc shims (named by their
      // containerd's socket), the containers (in the kubelets' cgroups) and the namespaces.
      for (const mark of [dir, `/run/vipa-lab-${DEMO_PORT_BASE}/`]) {
        const left = spawnSync('pgrep', ['-af', mark], { encoding: 'utf8' });
        assert.equal(left.stdout.trim(), '', `processes left behind: ${left.stdout}`);
      }
      const cgroups = spawnSync('sh', ['-c', `ls -d /sys/fs/cgroup/pids/v${DEMO_PORT_BASE}-* 2>/dev/null`], { encoding: 'utf8' });
      assert.equal(cgroups.stdout.trim(), '', 'the kubelets\' cgroups are gone (so are their containers)');
      const netns = spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' });
      assert.doesNotMatch(netns.stdout, new RegExp(`^v${DEMO_PORT_BASE}-`, 'm'), 'the nodes\' network namespaces are gone');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
