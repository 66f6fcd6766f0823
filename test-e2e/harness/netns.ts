// Two network namespaces joined by a veth pair: a point-to-point link between two test
// hosts of our own, for what loopback cannot show. Single-hop BFD needs it: on 127.0.0.x
// every local address shares one interface and the kernel picks 127.0.0.1 as the source
// of gobgpd's BFD packets, which the router then cannot match to its session.
// Addresses are TEST-NET-1 and exist only inside these namespaces.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { promisify } from 'node:util';

const execFileP = promisify(execFile);

export interface Host {
  ns: string;
  address: string;
}

export interface Link {
  a: Host;
  b: Host;
  /** Runs a command inside a host's namespace, as a child of this process. */
  spawnIn(host: Host, command: string, args: string[], logFd: number): ChildProcess;
  /** Deletes both namespaces (and with them the veth pair). */
  remove(): Promise<void>;
}

async function ip(...args: string[]): Promise<void> {
  await execFileP('ip', args, { timeout: 10_000 });
}

/** Namespaces "<tag>-a" and "<tag>-b"; a stale pair of the same name is removed first. */
export async function createLink(tag: string): Promise<Link> {
  const a: Host = { ns: `${tag}-a`, address: '192.0.2.1' };
  const b: Host = { ns: `${tag}-b`, address: '192.0.2.2' };
  const remove = async (): Promise<void> => {
    for (const h of [a, b]) await ip('netns', 'del', h.ns).catch(() => undefined);
  };
  await remove();
  await ip('netns', 'add', a.ns);
  await ip('netns', 'add', b.ns);
  await ip('-n', a.ns, 'link', 'add', 'veth-a', 'type', 'veth', 'peer', 'name', 'veth-b', 'netns', b.ns);
  for (const [h, dev] of [[a, 'veth-a'], [b, 'veth-b']] as const) {
    await ip('-n', h.ns, 'addr', 'add', `${h.address}/30`, 'dev', dev);
    await ip('-n', h.ns, 'link', 'set', dev, 'up');
    await ip('-n', h.ns, 'link', 'set', 'lo', 'up');
  }
  return {
    a,
    b,
    // `ip netns exec` execs the command: the child's PID is the command's own.
    spawnIn: (host, command, args, logFd) => spawn('ip', ['netns', 'exec', host.ns, command, ...args], { stdio: ['ignore', logFd, logFd] }),
    remove,
  };
}
