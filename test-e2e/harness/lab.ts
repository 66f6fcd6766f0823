// Access to the lab booted by hack/lab.sh (hack/e2e.sh boots it once per run).
// Everything here talks to the real processes: kubectl, the API server, birdc.
import { execFile, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';

const execFileP = promisify(execFile);

export const REPO_ROOT = path.resolve(__dirname, '..', '..', '..');

export interface LabNode {
  name: string;
  address: string;
  /** The node's own gobgpd (process mode); '' on real nodes, where gobgpd is the speaker Pod's sidecar. */
  gobgpTarget: string;
  /** Real nodes: the node's network namespace and its containerd's socket. */
  netns?: string;
  containerd?: string;
}

/** Which GoBGP the lab's nodes run (hack/lab.sh LAB_GOBGP) and where its gobgpd and gobgp are. */
export interface LabGobgp {
  flavour: 'v3' | 'v4' | 'debian';
  /** The gRPC API its gobgpd serves. */
  api: 'v3' | 'v4';
  binDir: string;
}

export interface Lab {
  dir: string;
  /** processes: operators run as local processes next to one gobgpd per node; nodes: kubelets run everything as Pods. */
  mode: 'processes' | 'nodes';
  gobgp: LabGobgp;
  kubeconfig: string;
  k8sBin: string;
  birdSocket: string;
  routerAddress: string;
  routerAsn: number;
  nodeAsn: number;
  bgpPort: number;
  nodes: LabNode[];
  /** BIRD's one TCP MD5 session (hack/lab.sh): absent on a lab booted before it had one. */
  md5Peer?: { address: string; protocol: string; password: string };
}

/** Reads .lab/env; fails with the way to boot the lab when it is not up. */
export function lab(): Lab {
  const dir = process.env.VIPA_LAB_DIR ?? path.join(REPO_ROOT, '.lab');
  const envFile = path.join(dir, 'env');
  if (!existsSync(envFile)) {
    throw new Error(`the lab is not up (${envFile} missing): run hack/e2e.sh or make lab-up first`);
  }
  const env = new Map<string, string>();
  for (const line of readFileSync(envFile, 'utf8').split('\n')) {
    const m = /^export ([A-Z0-9_]+)="?(.*?)"?$/.exec(line);
    if (m) env.set(m[1], m[2]);
  }
  const need = (k: string): string => {
    const v = env.get(k);
    if (v === undefined) throw new Error(`${envFile} lacks ${k}`);
    return v;
  };
  const names = need('LAB_NODES').split(' ').filter(Boolean);
  const flavour = need('LAB_GOBGP');
  if (flavour !== 'v3' && flavour !== 'v4' && flavour !== 'debian') throw new Error(`${envFile}: unknown LAB_GOBGP ${flavour}`);
  return {
    dir,
    mode: env.get('LAB_MODE') === 'nodes' ? 'nodes' : 'processes',
    gobgp: { flavour, api: flavour === 'v4' ? 'v4' : 'v3', binDir: need('LAB_GOBGP_BIN') },
    kubeconfig: need('KUBECONFIG'),
    k8sBin: need('LAB_K8S_BIN'),
    birdSocket: need('BIRD_SOCKET'),
    routerAddress: need('LAB_ROUTER_ADDRESS'),
    routerAsn: Number(need('LAB_ROUTER_ASN')),
    nodeAsn: Number(need('LAB_NODE_ASN')),
    bgpPort: Number(need('LAB_BGP_PORT')),
    ...md5PeerOf(env),
    nodes: names.map((_, i) => ({
      name: need(`LAB_NODE_${i + 1}_NAME`),
      address: need(`LAB_NODE_${i + 1}_ADDRESS`),
      gobgpTarget: env.get(`LAB_NODE_${i + 1}_GOBGP`) ?? '',
      netns: env.get(`LAB_NODE_${i + 1}_NETNS`),
      containerd: env.get(`LAB_NODE_${i + 1}_CONTAINERD`),
    })),
  };
}

function md5PeerOf(env: Map<string, string>): Pick<Lab, 'md5Peer'> {
  const address = env.get('LAB_MD5_PEER_ADDRESS');
  const protocol = env.get('LAB_MD5_PROTOCOL');
  const password = env.get('LAB_MD5_PASSWORD');
  return address && protocol && password ? { md5Peer: { address, protocol, password } } : {};
}

export async function kubectl(args: string[], input?: string): Promise<string> {
  const l = lab();
  if (input === undefined) {
    const { stdout } = await execFileP(path.join(l.k8sBin, 'kubectl'), args, {
      env: { ...process.env, KUBECONFIG: l.kubeconfig },
      maxBuffer: 64 * 1024 * 1024,
    });
    return stdout;
  }
  const r = spawnSync(path.join(l.k8sBin, 'kubectl'), args, {
    env: { ...process.env, KUBECONFIG: l.kubeconfig },
    input,
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  if (r.status !== 0) throw new Error(`kubectl ${args.join(' ')} failed: ${r.stderr}`);
  return r.stdout;
}

/** Like kubectl, but returns exit status and stderr instead of throwing. */
export function kubectlResult(args: string[], input?: string): { status: number; stdout: string; stderr: string } {
  const l = lab();
  const r = spawnSync(path.join(l.k8sBin, 'kubectl'), args, {
    env: { ...process.env, KUBECONFIG: l.kubeconfig },
    input,
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

export async function labCommand(...args: string[]): Promise<string> {
  const { stdout } = await execFileP(path.join(REPO_ROOT, 'hack', 'lab.sh'), args, {
    env: { ...process.env, VIPA_LAB_DIR: lab().dir },
  });
  return stdout;
}

export interface WaitOptions {
  timeoutMs?: number;
  intervalMs?: number;
}

/**
 * Polls until `check` returns a value that is not undefined/false; the error on
 * timeout carries the last observation, so a failing test says what it saw.
 */
export async function waitFor<T>(
  what: string,
  check: () => Promise<T | undefined | false> | T | undefined | false,
  opts: WaitOptions = {},
): Promise<T> {
  const deadline = Date.now() + (opts.timeoutMs ?? 60_000);
  let last: unknown;
  for (;;) {
    try {
      const v = await check();
      if (v !== undefined && v !== false) return v;
      last = v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) {
      const seen = last instanceof Error ? last.message : JSON.stringify(last);
      throw new Error(`timed out waiting for ${what}; last saw: ${seen}`);
    }
    await new Promise((r) => setTimeout(r, opts.intervalMs ?? 200));
  }
}

/**
 * Polls until `mismatch` returns '' (nothing wrong); otherwise it returns what
 * is still wrong, and that text is the error on timeout.
 */
export async function waitUntilNoMismatch(what: string, mismatch: () => Promise<string>, opts: WaitOptions = {}): Promise<void> {
  let last = '';
  try {
    await waitFor(what, async () => {
      last = await mismatch();
      return last === '';
    }, opts);
  } catch (err) {
    throw new Error(`${(err as Error).message}; still wrong: ${last}`);
  }
}
