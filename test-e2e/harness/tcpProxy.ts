// A TCP proxy a test can stall: pause() turns the path into a black hole without closing
// anything, the way a partition or a hung API server looks to a client (requests are sent and
// never answered; no error, no reset), so only the client's own deadlines can notice.
//
// While paused, bytes arriving from either side are read and DISCARDED, not held. Held bytes
// would be delivered at resume(), so a request a client sent while it still held a Lease would
// reach the server long after it lost it: that is a late delivery by the network, which no client
// can prevent, and it would hide what the test asks (did the *process* write after it lost?).
// Discarding is a partition that drops packets, and it keeps the server-side record (the audit
// log) a record of what the client did in time.
//
// resume() heals the path: connections that lost bytes are reset (their TLS streams cannot go
// on), new ones are forwarded, so a client still alive after the pause reconnects and is heard.
//
// stallOpen() is the half-open connection a load balancer leaves when it drops its state: the
// connections open now go silent for good (bytes discarded both ways, never closed or reset,
// resume() does not heal them), while new connections are forwarded as usual. Only a client
// that notices the silence itself reconnects.
import { createServer, connect, type Server, type Socket } from 'node:net';

export interface TcpProxy {
  /** The port the proxy listens on, on 127.0.0.1. */
  port: number;
  pause(): void;
  resume(): void;
  /** The connections open now become black holes for good; later ones work. */
  stallOpen(): void;
  close(): Promise<void>;
  /** Bytes discarded while paused (client to server, server to client). */
  dropped(): { up: number; down: number };
}

interface Pair {
  client: Socket;
  server: Socket;
  /** Lost bytes during a pause: cannot carry a valid stream any more. */
  broken: boolean;
  /** Black-holed by stallOpen(): drops everything, closes nothing. */
  stalled: boolean;
}

export async function startTcpProxy(target: { host: string; port: number }): Promise<TcpProxy> {
  const pairs = new Set<Pair>();
  let paused = false;
  const dropped = { up: 0, down: 0 };

  const forward = (pair: Pair, from: Socket, to: Socket, dir: 'up' | 'down'): void => {
    from.on('data', (chunk: Buffer) => {
      if (pair.stalled) {
        dropped[dir] += chunk.length;
        return;
      }
      if (paused || pair.broken) {
        pair.broken = true;
        dropped[dir] += chunk.length;
        return;
      }
      to.write(chunk);
    });
    from.on('end', () => {
      if (!paused && !pair.stalled) to.end();
    });
    from.on('error', () => {
      if (!pair.stalled) to.destroy();
    });
    from.on('close', () => {
      // While paused a close is lost like any byte; resume() resets the other side.
      if (pair.stalled) return;
      if (paused) {
        pair.broken = true;
        return;
      }
      to.destroy();
      pairs.delete(pair);
    });
  };

  const server: Server = createServer((client) => {
    const upstream = connect(target.port, target.host);
    const pair: Pair = { client, server: upstream, broken: paused, stalled: false };
    pairs.add(pair);
    forward(pair, client, upstream, 'up');
    forward(pair, upstream, client, 'down');
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const addr = server.address();
  if (typeof addr !== 'object' || !addr) throw new Error('tcp proxy: no address');

  return {
    port: addr.port,
    pause() {
      paused = true;
    },
    resume() {
      paused = false;
      for (const p of pairs) {
        if (!p.broken || p.stalled) continue;
        p.client.destroy();
        p.server.destroy();
        pairs.delete(p);
      }
    },
    stallOpen() {
      for (const p of pairs) p.stalled = true;
    },
    async close() {
      for (const p of pairs) {
        p.client.destroy();
        p.server.destroy();
      }
      pairs.clear();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
    dropped: () => ({ ...dropped }),
  };
}
