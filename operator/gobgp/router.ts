// The BGP router the speaker drives, as one small interface: GobgpClient implements it over
// gRPC, and the speaker's unit tests drive its ordered steps with an in-memory fake.
import type { TableName } from './codec';
import type { GobgpError } from './errors';
import type { Family } from '../api/families';
import type { GlobalSpec, ImportPolicySpec, ObservedPath, PathSpec, PeerEvent, PeerSpec, GobgpPeer, PolicySpec, RouteAction } from './types';

export interface BgpRouter {
  /** The running global config, or null when BGP is not started. */
  getBgp(): Promise<GlobalSpec | null>;
  startBgp(spec: GlobalSpec): Promise<'started' | 'already-running'>;
  stopBgp(): Promise<void>;
  /**
   * Whether gobgpd can start BGP again after stopBgp. GoBGP 3 can; GoBGP 4's StopBgp ends its
   * server for good (every later call answers "server stopped") until the process restarts.
   */
  restartsBgpInPlace(): boolean;
  listPeers(address?: string): Promise<GobgpPeer[]>;
  addPeer(spec: PeerSpec): Promise<void>;
  deletePeer(address: string): Promise<void>;
  /** With `prefixes` (non-empty), only those (exact match): a report after a few changes reads only them. */
  listPath(family: Family, table: TableName, peerAddress?: string, prefixes?: readonly string[]): Promise<ObservedPath[]>;
  addPaths(specs: readonly PathSpec[]): Promise<void>;
  deletePath(target: PathSpec): Promise<void>;
  /** The global RIB's import policies (with their statements) and default decision. */
  getImportPolicy(): Promise<ImportPolicySpec>;
  /** Every defined policy, assigned or not. */
  listPolicies(): Promise<PolicySpec[]>;
  addPolicy(spec: PolicySpec): Promise<void>;
  deletePolicy(name: string): Promise<void>;
  /** Replaces the global RIB's import policies (defined ones, by name) and default decision. */
  setImportPolicy(policyNames: readonly string[], defaultAction: RouteAction): Promise<void>;
  /** Runs every route received from peers through the import policy again. */
  softResetIn(): Promise<void>;
  /** Peer state changes until cancelled; onEnd when the stream breaks (daemon restarted). */
  watchPeerEvents(onEvent: (event: PeerEvent) => void, onEnd: (error: GobgpError) => void): () => void;
  close(): void;
}
