// An in-memory BgpRouter for unit tests (not loaded by the program). It keeps what gobgpd
// would hold (global config, peers, locally originated paths), records every call as a
// short string, and answers like gobgpd where the speaker depends on it: calls before
// StartBgp fail with 'not-started', StopBgp drops every peer and path, AddPath of a prefix
// replaces its local path, and an Established peer's adj-RIB-out holds every local path.
import { GobgpError, type GobgpErrorKind, type TableName } from './client';
import { sameGlobal } from './codec';
import type { BgpRouter } from './router';
import type { Family, GlobalSpec, ObservedPath, PathSpec, PeerEvent, PeerSpec, PeerStatus, SessionState } from './types';

interface PeerWatch {
  onEvent: (event: PeerEvent) => void;
  onEnd: (error: GobgpError) => void;
}

export class FakeRouter implements BgpRouter {
  global: GlobalSpec | null = null;
  readonly peers = new Map<string, PeerStatus>();
  /** Local paths by "family prefix". */
  readonly paths = new Map<string, ObservedPath>();
  /** Every call, e.g. "startBgp(65001 10.0.0.1 179)", "addPeer(192.0.2.1)", "addPaths(2)". */
  readonly calls: string[] = [];
  /** When set, every call (close aside) fails with a GobgpError of this kind. */
  failing: GobgpErrorKind | undefined;
  /** The gRPC code of those failures (14 UNAVAILABLE; 12 UNIMPLEMENTED for a daemon of the other API). */
  failingCode = 14;
  closed = false;
  private readonly watches = new Set<PeerWatch>();
  private nextUuid = 1;

  /** Calls whose text starts with `prefix`. */
  callsOf(prefix: string): string[] {
    return this.calls.filter((c) => c.startsWith(prefix));
  }

  get activeWatches(): number {
    return this.watches.size;
  }

  setPeerState(address: string, state: SessionState): void {
    const p = this.peers.get(address);
    if (!p) throw new Error(`fake router: no peer ${address}`);
    p.state = state;
    for (const w of this.watches) w.onEvent({ type: 'state', peer: { address, asn: p.asn, state } });
  }

  /** The event stream breaks, as when gobgpd restarts. */
  breakStreams(): void {
    const ws = [...this.watches];
    this.watches.clear();
    for (const w of ws) w.onEnd(new GobgpError('WatchEvent', 'unavailable', 14, 'fake: stream broken'));
  }

  getBgp(): Promise<GlobalSpec | null> {
    return this.op('getBgp()', () => (this.global ? { ...this.global, listenAddresses: [...this.global.listenAddresses] } : null));
  }

  startBgp(spec: GlobalSpec): Promise<'started' | 'already-running'> {
    return this.op(`startBgp(${spec.asn} ${spec.routerId} ${spec.listenPort})`, () => {
      if (this.global) {
        if (sameGlobal(spec, this.global)) return 'already-running' as const;
        throw new GobgpError('StartBgp', 'exists', 6, 'fake: already running with another config');
      }
      this.global = { ...spec, listenAddresses: [...spec.listenAddresses] };
      return 'started' as const;
    });
  }

  stopBgp(): Promise<void> {
    return this.op('stopBgp()', () => {
      this.global = null;
      this.peers.clear();
      this.paths.clear();
    });
  }

  listPeers(address?: string): Promise<PeerStatus[]> {
    return this.started('listPeers()', () => [...this.peers.values()].filter((p) => address === undefined || p.address === address).map((p) => structuredClone(p)));
  }

  addPeer(spec: PeerSpec): Promise<void> {
    return this.started(`addPeer(${spec.address})`, () => {
      if (this.peers.has(spec.address)) throw new GobgpError('AddPeer', 'exists', 6, `fake: peer ${spec.address} exists`);
      this.peers.set(spec.address, peerStatusOf(spec));
    });
  }

  deletePeer(address: string): Promise<void> {
    return this.started(`deletePeer(${address})`, () => {
      if (!this.peers.delete(address)) throw new GobgpError('DeletePeer', 'not-found', 5, `fake: no peer ${address}`);
    });
  }

  listPath(family: Family, table: TableName, peerAddress?: string): Promise<ObservedPath[]> {
    return this.started(`listPath(${family} ${table}${peerAddress ? ' ' + peerAddress : ''})`, () => {
      if (table === 'adj-out' && this.peers.get(peerAddress ?? '')?.state !== 'Established') return [];
      return [...this.paths.values()].filter((p) => p.family === family).map((p) => structuredClone(p));
    });
  }

  addPaths(specs: readonly PathSpec[]): Promise<void> {
    return this.started(`addPaths(${specs.length})`, () => {
      for (const s of specs) this.paths.set(`${s.family} ${s.prefix}`, { ...structuredClone(s), local: true, uuid: `uuid-${this.nextUuid++}` });
    });
  }

  deletePath(target: PathSpec): Promise<void> {
    return this.started(`deletePath(${target.prefix})`, () => {
      if (!this.paths.delete(`${target.family} ${target.prefix}`)) throw new GobgpError('DeletePath', 'not-found', 5, `fake: no path ${target.prefix}`);
    });
  }

  watchPeerEvents(onEvent: (event: PeerEvent) => void, onEnd: (error: GobgpError) => void): () => void {
    this.calls.push('watchPeerEvents()');
    const w: PeerWatch = { onEvent, onEnd };
    this.watches.add(w);
    return () => void this.watches.delete(w);
  }

  close(): void {
    this.calls.push('close()');
    this.closed = true;
  }

  private op<T>(call: string, fn: () => T): Promise<T> {
    this.calls.push(call);
    try {
      if (this.failing) throw new GobgpError(call, this.failing, this.failingCode, `fake: ${this.failing}`);
      return Promise.resolve(fn());
    } catch (err) {
      return Promise.reject(err instanceof Error ? err : new Error(String(err)));
    }
  }

  private started<T>(call: string, fn: () => T): Promise<T> {
    return this.op(call, () => {
      if (!this.global) throw new GobgpError(call, 'not-started', 9, "fake: bgp server hasn't started yet");
      return fn();
    });
  }
}

/** What gobgpd reports for a peer just added: the config back (no password), session not up. */
function peerStatusOf(spec: PeerSpec): PeerStatus {
  const { password, ...config } = spec;
  return {
    address: spec.address,
    asn: spec.asn,
    state: 'Active',
    config: { ...structuredClone(config), hasPassword: password !== undefined && password !== '' },
    prefixes: [],
  };
}
