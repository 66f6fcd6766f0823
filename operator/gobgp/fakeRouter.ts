// An in-memory BgpRouter for unit tests (not loaded by the program). It keeps what gobgpd
// would hold (global config, peers, locally originated paths), records every call as a
// short string, and answers like gobgpd where the speaker depends on it: calls before
// StartBgp fail with 'not-started', StopBgp drops every peer and path, AddPath of a prefix
// replaces its local path, and an Established peer's adj-RIB-out holds every local path.
// Routes peers send (receive()) enter the global RIB only if the import policy accepts
// them, evaluated as gobgpd does: policies in order, first deciding statement, else the default.
import { GobgpError, type GobgpErrorKind, type TableName } from './client';
import { sameGlobal } from './codec';
import type { BgpRouter } from './router';
import type { Family } from '../api/families';
import { passwordFingerprint } from '../util/fingerprint';
import type { GlobalSpec, ImportPolicySpec, ObservedPath, PathSpec, PeerEvent, PeerSpec, GobgpPeer, PolicySpec, RouteAction, SessionState } from './types';

interface PeerWatch {
  onEvent: (event: PeerEvent) => void;
  onEnd: (error: GobgpError) => void;
}

export class FakeRouter implements BgpRouter {
  global: GlobalSpec | null = null;
  readonly peers = new Map<string, GobgpPeer>();
  /** Every spec AddPeer was given, in order (what gobgpd's config does not echo, e.g. gracefulRestart.restarting). */
  readonly addedPeers: PeerSpec[] = [];
  /** Local paths by "family prefix". */
  readonly paths = new Map<string, ObservedPath>();
  /** Defined policies by name. */
  readonly policies = new Map<string, PolicySpec>();
  /** The global RIB's import assignment: policy names and default decision (gobgpd starts accepting everything). */
  importAssignment: { names: string[]; defaultAction: RouteAction } = { names: [], defaultAction: 'accept' };
  /** Routes peers sent (the adj-RIB-ins), by "family prefix"; receive() adds to it. */
  readonly received = new Map<string, ObservedPath & { fromIbgp: boolean }>();
  /** Every call, e.g. "startBgp(65001 10.0.0.1 179)", "addPeer(192.0.2.1)", "addPaths(2)". */
  readonly calls: string[] = [];
  /** When set, every call (close aside) fails with a GobgpError of this kind. */
  failing: GobgpErrorKind | undefined;
  /** The gRPC code of those failures (14 UNAVAILABLE; 12 UNIMPLEMENTED for a daemon of the other API). */
  failingCode = 14;
  closed = false;
  /** Prefixes gobgpd has "not sent yet": left out of every adj-RIB-out (tests of the settle logic). */
  readonly unsent = new Set<string>();
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

  /** false: as GoBGP 4, which cannot start BGP again after StopBgp. */
  restartsInPlace = true;

  restartsBgpInPlace(): boolean {
    return this.restartsInPlace;
  }

  stopBgp(): Promise<void> {
    return this.op('stopBgp()', () => {
      this.global = null;
      this.peers.clear();
      this.paths.clear();
    });
  }

  listPeers(address?: string): Promise<GobgpPeer[]> {
    return this.started('listPeers()', () => [...this.peers.values()].filter((p) => address === undefined || p.address === address).map((p) => structuredClone(p)));
  }

  addPeer(spec: PeerSpec): Promise<void> {
    return this.started(`addPeer(${spec.address})`, () => {
      if (this.peers.has(spec.address)) throw new GobgpError('AddPeer', 'exists', 6, `fake: peer ${spec.address} exists`);
      this.peers.set(spec.address, gobgpPeerOf(spec));
      this.addedPeers.push(structuredClone(spec));
    });
  }

  deletePeer(address: string): Promise<void> {
    return this.started(`deletePeer(${address})`, () => {
      if (!this.peers.delete(address)) throw new GobgpError('DeletePeer', 'not-found', 5, `fake: no peer ${address}`);
    });
  }

  listPath(family: Family, table: TableName, peerAddress?: string, prefixes?: readonly string[]): Promise<ObservedPath[]> {
    const only = prefixes && prefixes.length > 0 ? new Set(prefixes) : undefined;
    return this.started(`listPath(${family} ${table}${peerAddress ? ' ' + peerAddress : ''}${only ? ` ${only.size} prefixes` : ''})`, () => {
      if (table === 'adj-out' && this.peers.get(peerAddress ?? '')?.state !== 'Established') return [];
      const learned = table === 'global' ? this.acceptedFromPeers() : [];
      const sent = (p: ObservedPath): boolean => table !== 'adj-out' || !this.unsent.has(p.prefix);
      return [...this.paths.values(), ...learned].filter((p) => p.family === family && sent(p) && (!only || only.has(p.prefix))).map((p) => structuredClone(p));
    });
  }

  /** A peer sent this route (iBGP unless said otherwise); the import policy decides whether listPath('global') shows it. */
  receive(path: PathSpec, fromIbgp = true): void {
    this.received.set(`${path.family} ${path.prefix}`, { ...structuredClone(path), local: false, fromIbgp });
  }

  getImportPolicy(): Promise<ImportPolicySpec> {
    return this.op('getImportPolicy()', () => ({
      policies: this.importAssignment.names.flatMap((n) => this.policies.get(n) ?? []).map((p) => structuredClone(p)),
      defaultAction: this.importAssignment.defaultAction,
    }));
  }

  listPolicies(): Promise<PolicySpec[]> {
    return this.op('listPolicies()', () => [...this.policies.values()].map((p) => structuredClone(p)));
  }

  addPolicy(spec: PolicySpec): Promise<void> {
    return this.op(`addPolicy(${spec.name})`, () => {
      if (this.policies.has(spec.name)) throw new GobgpError('AddPolicy', 'rejected', 2, `fake: statements of ${spec.name} already defined`);
      this.policies.set(spec.name, structuredClone(spec));
    });
  }

  deletePolicy(name: string): Promise<void> {
    return this.op(`deletePolicy(${name})`, () => {
      if (!this.policies.delete(name)) throw new GobgpError('DeletePolicy', 'rejected', 2, `fake: not found policy: ${name}`);
    });
  }

  setImportPolicy(policyNames: readonly string[], defaultAction: RouteAction): Promise<void> {
    return this.op(`setImportPolicy(${policyNames.join(',')} ${defaultAction})`, () => {
      const missing = policyNames.find((n) => !this.policies.has(n));
      if (missing) throw new GobgpError('SetPolicyAssignment', 'rejected', 2, `fake: not found policy ${missing}`);
      this.importAssignment = { names: [...policyNames], defaultAction: defaultAction === 'none' ? this.importAssignment.defaultAction : defaultAction };
    });
  }

  softResetIn(): Promise<void> {
    return this.started('softResetIn()', () => undefined);
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

  /**
   * Received routes the import policy lets into the global RIB. Unlike gobgpd, evaluated at
   * every read, as if each policy change were followed by a soft reset in; tests that need
   * the difference look at the calls.
   */
  private acceptedFromPeers(): ObservedPath[] {
    return [...this.received.values()].filter((p) => this.importDecision(p.fromIbgp ? 'internal' : 'external') === 'accept').map(({ fromIbgp: _, ...p }) => p);
  }

  private importDecision(origin: 'internal' | 'external'): RouteAction {
    for (const name of this.importAssignment.names) {
      for (const st of this.policies.get(name)?.statements ?? []) {
        if ((st.routeType === undefined || st.routeType === origin) && st.action !== 'none') return st.action;
      }
    }
    return this.importAssignment.defaultAction;
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

/** What gobgpd reports for a peer just added: the config back (the password as a fingerprint), session not up. */
function gobgpPeerOf(spec: PeerSpec): GobgpPeer {
  const { password, ...config } = spec;
  const fingerprint = passwordFingerprint(password);
  return {
    address: spec.address,
    asn: spec.asn,
    state: 'Active',
    config: { ...structuredClone(config), hasPassword: fingerprint !== undefined, ...(fingerprint !== undefined ? { passwordFingerprint: fingerprint } : {}) },
    prefixes: [],
  };
}
