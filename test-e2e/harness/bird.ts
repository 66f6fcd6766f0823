// Reads BIRD's routing table through birdc: the truth of what reached the network.
import { execFile } from 'node:child_process';
import { readFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { lab, waitUntilNoMismatch } from './lab';

const execFileP = promisify(execFile);

export interface BirdRoute {
  prefix: string;
  /** BIRD protocol the route came from, e.g. node_1. */
  protocol: string;
  /** Address of the BGP neighbor it was learned from. */
  from: string;
  nextHop: string;
  origin: string;
  asPath: string;
  localPref?: number;
  /** "65000:100" */
  communities: string[];
  /** "65000:1:2" */
  largeCommunities: string[];
}

export async function birdc(...args: string[]): Promise<string> {
  const { stdout } = await execFileP('birdc', ['-s', lab().birdSocket, ...args], { maxBuffer: 256 * 1024 * 1024 });
  return stdout;
}

/** Parses `birdc show route all` output. Exported for the harness's own unit test. */
export function parseRoutes(out: string): BirdRoute[] {
  const routes: BirdRoute[] = [];
  let prefix = '';
  let cur: BirdRoute | undefined;
  const header = /^(\S+)?\s+\S+\s+\[(\S+)\s+[^\]]*?(?:from (\S+))?\]/;
  for (const line of out.split('\n')) {
    if (line.startsWith('BIRD ') || line.startsWith('Table ') || line.trim() === '') continue;
    if (!line.startsWith('\t')) {
      const m = header.exec(line);
      if (!m) continue;
      if (m[1]) prefix = m[1];
      cur = { prefix, protocol: m[2], from: m[3] ?? '', nextHop: '', origin: '', asPath: '', communities: [], largeCommunities: [] };
      routes.push(cur);
      continue;
    }
    if (!cur) continue;
    const attr = /^\t(BGP\.[a-z_]+): ?(.*)$/.exec(line);
    if (!attr) continue;
    const [, key, value] = attr;
    switch (key) {
      case 'BGP.next_hop':
        cur.nextHop = value.split(' ')[0];
        break;
      case 'BGP.origin':
        cur.origin = value;
        break;
      case 'BGP.as_path':
        cur.asPath = value;
        break;
      case 'BGP.local_pref':
        cur.localPref = Number(value);
        break;
      case 'BGP.community':
        cur.communities = [...value.matchAll(/\((\d+),(\d+)\)/g)].map((c) => `${c[1]}:${c[2]}`).sort();
        break;
      case 'BGP.large_community':
        cur.largeCommunities = [...value.matchAll(/\((\d+), (\d+), (\d+)\)/g)].map((c) => `${c[1]}:${c[2]}:${c[3]}`).sort();
        break;
    }
  }
  return routes.filter((r) => r.protocol.startsWith('node_'));
}

/** Every BGP route BIRD holds from the lab's nodes. */
export async function birdRoutes(): Promise<BirdRoute[]> {
  return parseRoutes(await birdc('show', 'route', 'all'));
}

/** prefix → sorted next hops (one per node announcing it). */
export async function birdNextHops(): Promise<Map<string, string[]>> {
  const byPrefix = new Map<string, string[]>();
  for (const r of await birdRoutes()) {
    const list = byPrefix.get(r.prefix) ?? [];
    list.push(r.nextHop);
    byPrefix.set(r.prefix, list);
  }
  for (const list of byPrefix.values()) list.sort();
  return byPrefix;
}

export async function birdProtocolState(protocol: string): Promise<string> {
  const out = await birdc('show', 'protocols', protocol);
  const line = out.split('\n').find((l) => l.startsWith(protocol + ' '));
  return line ? line.split(/\s+/)[5] ?? '' : '';
}

/**
 * Withdrawals BIRD logged for a prefix (the "routes" debug of each BGP
 * protocol), counted from a byte offset so a test can look at its own window.
 */
export function birdLogOffset(): number {
  const file = path.join(lab().dir, 'logs', 'bird-routes.log');
  return existsSync(file) ? readFileSync(file).length : 0;
}

export function birdLogSince(offset: number): string[] {
  const file = path.join(lab().dir, 'logs', 'bird-routes.log');
  if (!existsSync(file)) return [];
  return readFileSync(file).subarray(offset).toString('utf8').split('\n').filter(Boolean);
}

/** Waits until BIRD's next hops of every prefix are exactly the wanted ones (sorted addresses). */
export async function waitForNextHops(what: string, want: ReadonlyMap<string, readonly string[]>, timeoutMs = 120_000): Promise<void> {
  await waitUntilNoMismatch(what, async () => {
    const hops = await birdNextHops();
    const wrong: string[] = [];
    for (const [prefix, expected] of want) {
      const got = hops.get(prefix) ?? [];
      if (JSON.stringify(got) !== JSON.stringify([...expected].sort())) wrong.push(`${prefix}: [${got.join(',')}]`);
    }
    return wrong.length === 0 ? '' : `${wrong.length} wrong, e.g. ${wrong.slice(0, 3).join('; ')}`;
  }, { timeoutMs });
}
