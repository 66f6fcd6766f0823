// gRPC client for one gobgpd (v3 API). Thin I/O around codec.ts: every call
// has a deadline, every failure becomes a GobgpError with a kind, and nothing
// here logs (requests may carry a peer password).
import type { BgpRouter } from './router';
import { GobgpError } from './errors';
import { existsSync } from 'node:fs';
import path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import {
  InvalidSpecError,
  decodeDestination,
  decodeGlobal,
  decodePeer,
  decodePeerEvent,
  encodeAddPath,
  encodeAddPathStream,
  encodeDeletePath,
  encodeGlobal,
  encodeListPath,
  errorKind,
  sameGlobal,
  uuidFromBytes,
} from './codec';
import type { TableName } from './codec';
import { GLOBAL_RIB, decodeImportAssignment, decodePolicy, encodeImportAssignment, encodePolicy } from './policyCodec';
import type { Family } from '../api/families';
import type { ApiVersion, GlobalSpec, ImportPolicySpec, ObservedPath, PathSpec, PeerEvent, PeerSpec, GobgpPeer, PolicySpec, RouteAction } from './types';
import { gobgpTargetProblem } from '../util/gobgpTarget';
import { V3_DIALECT, V4_DIALECT, type Dialect } from './dialect';
import { LOADER_OPTIONS } from './wire';
import type {
  WireAddPathResponse,
  WireGetBgpResponse,
  WireListPathResponse,
  WireListPeerResponse,
  WireListPolicyAssignmentResponse,
  WireListPolicyResponse,
  WireWatchEventRequest,
  WireWatchEventResponse,
} from './wire';

export { InvalidSpecError } from './codec';
export { GobgpError } from './errors';
export type { GobgpErrorKind, TableName } from './codec';


function toGobgpError(rpc: string, err: unknown): GobgpError {
  if (err instanceof GobgpError) return err;
  const e = err as Partial<grpc.ServiceError> | undefined;
  const code = typeof e?.code === 'number' ? e.code : undefined;
  const details = typeof e?.details === 'string' && e.details !== '' ? e.details : String(e?.message ?? err);
  return new GobgpError(rpc, errorKind(code, details), code, details);
}

export interface GobgpClientOptions {
  /** Deadline of unary calls; default 10 s. */
  timeoutMs?: number;
  /** Deadline of a whole listing (ListPeer, ListPath); default 30 s. */
  listTimeoutMs?: number;
  /** gobgpd's API has no authentication: only loopback and unix sockets unless this is set. */
  allowRemote?: boolean;
}

type Rpc =
  | 'StartBgp'
  | 'StopBgp'
  | 'GetBgp'
  | 'WatchEvent'
  | 'AddPeer'
  | 'DeletePeer'
  | 'ListPeer'
  | 'AddPath'
  | 'AddPathStream'
  | 'DeletePath'
  | 'ListPath'
  | 'AddPolicy'
  | 'DeletePolicy'
  | 'ListPolicy'
  | 'ListPolicyAssignment'
  | 'SetPolicyAssignment'
  | 'ResetPeer';

/**
 * The build copies proto/ next to the compiled client; a bare `tsc` does not,
 * so the source tree (seen from dist/operator/gobgp) is the fallback.
 */
export function protoPath(file: string): string {
  return [
    path.join(__dirname, 'proto', file),
    path.join(__dirname, '..', '..', '..', 'operator', 'gobgp', 'proto', file),
  ].find((p) => existsSync(p)) ?? path.join(__dirname, 'proto', file);
}

/** The v3 API's proto subset. */
export const PROTO_PATH = protoPath(V3_DIALECT.protoFile);

const services = new Map<string, protoLoader.ServiceDefinition>();

function loadService(dialect: Dialect): protoLoader.ServiceDefinition {
  const cached = services.get(dialect.service);
  if (cached) return cached;
  const file = protoPath(dialect.protoFile);
  const definition = protoLoader.loadSync(file, { ...LOADER_OPTIONS });
  const svc = definition[dialect.service];
  if (!svc || 'format' in svc) throw new Error(`${dialect.service} service not found in ${file}`);
  services.set(dialect.service, svc);
  return svc;
}

/** "host:port" on loopback or "unix:///path" (the rule the configuration checks too); anything else only with allowRemote. */
export function checkTarget(target: string, allowRemote = false): void {
  const problem = gobgpTargetProblem(target, allowRemote);
  if (problem !== undefined) throw new InvalidSpecError(problem);
}

/** A BgpRouter over GoBGP's v3 API (gobgpd 3.x); GobgpV4Client speaks v4. */
export class GobgpClient implements BgpRouter {
  /** The API this client speaks. */
  readonly api: ApiVersion;
  private readonly client: grpc.Client;
  private readonly svc: protoLoader.ServiceDefinition;
  private readonly timeoutMs: number;
  private readonly listTimeoutMs: number;
  private readonly watches = new Set<() => void>();

  constructor(
    readonly target: string,
    options: GobgpClientOptions = {},
    private readonly dialect: Dialect = V3_DIALECT,
  ) {
    checkTarget(target, options.allowRemote);
    this.api = dialect.api;
    this.svc = loadService(dialect);
    this.timeoutMs = options.timeoutMs ?? 10_000;
    this.listTimeoutMs = options.listTimeoutMs ?? 30_000;
    this.client = new grpc.Client(target, grpc.credentials.createInsecure());
  }

  /** gobgpd could not be reached (down, restarting, or not answering in time). */
  static isUnavailable(err: unknown): boolean {
    return err instanceof GobgpError && (err.kind === 'unavailable' || err.kind === 'timeout');
  }

  /**
   * Starts BGP unless gobgpd already runs. gobgpd itself would re-run
   * StartBgp on a started daemon and replace its RIB, so the current global
   * config is read first: same config → 'already-running'; another one →
   * GobgpError kind 'exists' (only a gobgpd restart changes ASN or router id).
   */
  async startBgp(spec: GlobalSpec): Promise<'started' | 'already-running'> {
    const global = encodeGlobal(spec);
    const current = await this.getBgp();
    if (current) {
      if (sameGlobal(spec, current)) return 'already-running';
      throw new GobgpError(
        'StartBgp',
        'exists',
        undefined,
        `already running as AS ${current.asn} router-id ${current.routerId} port ${current.listenPort}, ` +
          `wanted AS ${spec.asn} router-id ${spec.routerId} port ${spec.listenPort}`,
      );
    }
    await this.unary<object>('StartBgp', { global });
    return 'started';
  }

  /** Stops BGP: every peer and path goes; getBgp() is null afterwards. */
  async stopBgp(): Promise<void> {
    await this.unary<object>('StopBgp', {});
  }

  restartsBgpInPlace(): boolean {
    return true;
  }

  /** The running global config, or null when gobgpd has not been started (it answers AS 0 then). */
  async getBgp(): Promise<GlobalSpec | null> {
    return decodeGlobal(await this.unary<WireGetBgpResponse>('GetBgp', {}));
  }

  /** Fails with kind 'exists' when the peer is already configured (gobgpd does not update on AddPeer). */
  async addPeer(spec: PeerSpec): Promise<void> {
    await this.unary<object>('AddPeer', this.dialect.addPeer(spec));
  }

  /** Fails with kind 'not-found' when no such peer is configured. */
  async deletePeer(address: string): Promise<void> {
    await this.unary<object>('DeletePeer', { address });
  }

  /** All configured peers (or one), with session state, config and per-family counters. */
  async listPeers(address?: string): Promise<GobgpPeer[]> {
    const responses = await this.list<WireListPeerResponse>('ListPeer', this.dialect.listPeer(address ?? ''));
    const out: GobgpPeer[] = [];
    for (const r of responses) {
      const peer = r.peer ? decodePeer(this.dialect.peer(r.peer)) : undefined;
      if (peer) out.push(peer);
    }
    return out;
  }

  /** Adds (or replaces) our path for spec.prefix in the global RIB; returns its uuid. */
  async addPath(spec: PathSpec): Promise<string> {
    const response = await this.unary<WireAddPathResponse>('AddPath', this.dialect.addPath(encodeAddPath(spec)));
    const uuid = uuidFromBytes(response.uuid);
    if (uuid === undefined) throw new GobgpError('AddPath', 'rejected', undefined, 'answer carried no path uuid');
    return uuid;
  }

  /**
   * Adds (or replaces) many paths in one client-streaming call, `batch` per
   * message: a cold start with thousands of VIPs costs a few messages instead
   * of a unary call each. Paths added this way have no uuid (delete them by
   * spec). On failure some of the paths may have been added; adding again is
   * harmless.
   */
  async addPaths(specs: readonly PathSpec[], batch = 256): Promise<void> {
    if (specs.length === 0) return;
    const messages: object[] = [];
    // Encode first: a bad spec fails here, before anything is sent.
    for (let i = 0; i < specs.length; i += batch) messages.push(this.dialect.addPathStream(encodeAddPathStream(specs.slice(i, i + batch))));
    const m = this.method('AddPathStream');
    await new Promise<void>((resolve, reject) => {
      const call = this.client.makeClientStreamRequest<object, object>(
        m.path,
        m.requestSerialize,
        m.responseDeserialize,
        new grpc.Metadata(),
        { deadline: Date.now() + this.listTimeoutMs },
        (err) => (err ? reject(toGobgpError('AddPathStream', err)) : resolve()),
      );
      for (const msg of messages) call.write(msg);
      call.end();
    });
  }

  /**
   * By uuid: exactly the path AddPath returned it for (kind 'not-found' when
   * gone). By spec: withdraws our local path for that prefix; a no-op when
   * there is none.
   */
  async deletePath(target: PathSpec | string): Promise<void> {
    await this.unary<object>('DeletePath', this.dialect.deletePath(encodeDeletePath(target)));
  }

  /**
   * Paths of one family in the global RIB or in the adj-RIB-out towards a
   * peer (empty until the session is Established; kind 'not-found' for an
   * unknown peer). Fails with kind 'not-started' before startBgp.
   */
  async listPath(family: Family, table: TableName, peerAddress?: string, prefixes?: readonly string[]): Promise<ObservedPath[]> {
    const request = this.dialect.listPath(encodeListPath(family, table, peerAddress, prefixes));
    const responses = await this.list<WireListPathResponse>('ListPath', request);
    return responses.flatMap((r) => decodeDestination(this.dialect.destination(r.destination)));
  }

  /** The policies and default decision applied to every route entering the global RIB. */
  async getImportPolicy(): Promise<ImportPolicySpec> {
    const request = this.dialect.listPolicyAssignment({ name: GLOBAL_RIB, direction: 'IMPORT' });
    const responses = await this.list<WireListPolicyAssignmentResponse>('ListPolicyAssignment', request);
    return decodeImportAssignment(this.dialect.assignment(responses[0]?.assignment));
  }

  /** Every defined policy (assigned or not), or the one named. */
  async listPolicies(name?: string): Promise<PolicySpec[]> {
    const responses = await this.list<WireListPolicyResponse>('ListPolicy', { name: name ?? '' });
    return responses.map((r) => decodePolicy(this.dialect.policy(r.policy))).filter((p): p is PolicySpec => p !== undefined);
  }

  /** Defines a policy and its statements (a statement name already defined fails). */
  async addPolicy(spec: PolicySpec): Promise<void> {
    await this.unary<object>('AddPolicy', { policy: this.dialect.policyToApi(encodePolicy(spec)), refer_existing_statements: false });
  }

  /** Removes a policy and its statements no other policy uses. */
  async deletePolicy(name: string): Promise<void> {
    await this.unary<object>('DeletePolicy', {
      policy: this.dialect.policyToApi({ name, statements: [] }),
      preserve_statements: false,
      all: true,
    });
  }

  /** Replaces the global RIB's import policies (defined ones, by name) and its default decision. */
  async setImportPolicy(policyNames: readonly string[], defaultAction: RouteAction): Promise<void> {
    await this.unary<object>('SetPolicyAssignment', { assignment: this.dialect.assignmentToApi(encodeImportAssignment(policyNames, defaultAction)) });
  }

  /**
   * Runs every route the peers have sent through the import policy again (soft reset in of
   * all peers): a changed policy applies only to routes received afterwards otherwise.
   */
  async softResetIn(): Promise<void> {
    await this.unary<object>('ResetPeer', this.dialect.resetPeer({ address: 'all', communication: '', soft: true, direction: 'IN' }));
  }

  /**
   * Follows peer events until cancelled. The stream first replays every
   * configured peer ('init', then one 'end-of-init'), then reports each
   * transition ('state'). When it breaks (daemon
   * gone, stream ended, onEvent threw) onEnd is called once with the reason,
   * so the caller can resynchronise and watch again; never after cancel() or close().
   */
  watchPeerEvents(onEvent: (event: PeerEvent) => void, onEnd: (error: GobgpError) => void): () => void {
    const method = this.method('WatchEvent');
    const request: WireWatchEventRequest = { peer: {} };
    const call = this.client.makeServerStreamRequest<object, object>(
      method.path,
      method.requestSerialize,
      method.responseDeserialize,
      request,
      new grpc.Metadata(),
      {},
    );
    let done = false;
    const cancel = (): void => {
      this.watches.delete(cancel);
      if (done) return;
      done = true;
      call.cancel();
    };
    const finish = (error: GobgpError): void => {
      if (done) return;
      done = true;
      this.watches.delete(cancel);
      onEnd(error);
    };
    call.on('data', (message: WireWatchEventResponse) => {
      if (done) return;
      const event = decodePeerEvent(this.dialect.watchEvent(message));
      if (!event) return;
      try {
        onEvent(event);
      } catch (err) {
        finish(new GobgpError('WatchEvent', 'rejected', undefined, `event handler failed: ${String(err)}`));
        call.cancel();
      }
    });
    // An 'error' listener must stay attached: cancel() itself emits CANCELLED.
    call.on('error', (err: unknown) => finish(toGobgpError('WatchEvent', err)));
    call.on('end', () => finish(new GobgpError('WatchEvent', 'ended', 0, 'event stream ended')));
    this.watches.add(cancel);
    return cancel;
  }

  /** Cancels open watches (without calling their onEnd) and closes the channel. */
  close(): void {
    for (const cancel of [...this.watches]) cancel();
    this.client.close();
  }

  private method(rpc: Rpc): protoLoader.MethodDefinition<object, object> {
    const m = this.svc[rpc];
    if (!m) throw new Error(`rpc ${rpc} missing from ${this.dialect.protoFile}`);
    return m;
  }

  private unary<Res>(rpc: Rpc, request: object): Promise<Res> {
    const m = this.method(rpc);
    return new Promise<Res>((resolve, reject) => {
      this.client.makeUnaryRequest<object, object>(
        m.path,
        m.requestSerialize,
        m.responseDeserialize,
        request,
        new grpc.Metadata(),
        { deadline: Date.now() + this.timeoutMs },
        (err, response) => {
          // The deserialized shape is the one wire.ts describes for this RPC.
          if (err) reject(toGobgpError(rpc, err));
          else resolve((response ?? {}) as Res);
        },
      );
    });
  }

  private list<Res>(rpc: Rpc, request: object): Promise<Res[]> {
    const m = this.method(rpc);
    return new Promise<Res[]>((resolve, reject) => {
      const out: Res[] = [];
      const call = this.client.makeServerStreamRequest<object, object>(
        m.path,
        m.requestSerialize,
        m.responseDeserialize,
        request,
        new grpc.Metadata(),
        { deadline: Date.now() + this.listTimeoutMs },
      );
      call.on('data', (message: object) => out.push(message as Res));
      call.on('error', (err: unknown) => reject(toGobgpError(rpc, err)));
      call.on('end', () => resolve(out));
    });
  }
}

/** A BgpRouter over GoBGP's v4 API (gobgpd 4.x): the same calls, v4's messages, and BFD. */
export class GobgpV4Client extends GobgpClient {
  constructor(target: string, options: GobgpClientOptions = {}) {
    super(target, options, V4_DIALECT);
  }

  /** GoBGP 4's StopBgp cancels the server's loop: nothing can start it again in that process. */
  override restartsBgpInPlace(): boolean {
    return false;
  }
}
