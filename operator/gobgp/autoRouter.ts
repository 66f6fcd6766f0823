// The BgpRouter the speaker gets: one implementation per GoBGP API version, or, for
// `speaker.gobgp.api: auto`, a router that asks the daemon which API it serves.
import { GobgpClient, GobgpError, GobgpV4Client, type GobgpClientOptions } from './client';
import type { TableName } from './codec';
import type { BgpRouter } from './router';
import type { Family } from '../api/families';
import type {
  ApiVersion,
  GlobalSpec,
  GobgpPeer,
  ImportPolicySpec,
  ObservedPath,
  PathSpec,
  PeerEvent,
  PeerSpec,
  PolicySpec,
  RouteAction,
} from './types';

export type ApiChoice = ApiVersion | 'auto';

/** gRPC UNIMPLEMENTED: the daemon does not serve the service (or method) asked for. */
const UNIMPLEMENTED = 12;

/**
 * What the answer to v4's GetBgp says about the daemon: it answered → v4; it does not
 * serve v4's service → v3 (the only other API); anything else (down, timeout) says
 * nothing, and is the caller's error.
 */
export function apiFromProbe(error: unknown): ApiVersion | undefined {
  if (error === undefined) return 'v4';
  if (error instanceof GobgpError && error.code === UNIMPLEMENTED) return 'v3';
  return undefined;
}

/**
 * Chooses an API once per connection: the first call probes with v4's GetBgp (harmless:
 * it only reads). A daemon that stops answering may come back as another version (an
 * upgraded sidecar), so after an unavailable or timed-out call the next one probes again.
 */
export class AutoRouter implements BgpRouter {
  private chosen: BgpRouter | undefined;
  private probe: Promise<BgpRouter> | undefined;
  private chosenApi: ApiVersion | undefined;

  constructor(
    private readonly routers: Readonly<Record<ApiVersion, BgpRouter>>,
    /** Told each time a probe finds the API out (for the log). */
    private readonly onChoose: (api: ApiVersion) => void = () => undefined,
  ) {}

  /** The API of the daemon, once a call has found it out. */
  get api(): ApiVersion | undefined {
    return this.chosenApi;
  }

  getBgp(): Promise<GlobalSpec | null> {
    return this.call((r) => r.getBgp());
  }
  startBgp(spec: GlobalSpec): Promise<'started' | 'already-running'> {
    return this.call((r) => r.startBgp(spec));
  }
  stopBgp(): Promise<void> {
    return this.call((r) => r.stopBgp());
  }
  /** Known once a call found the API out (getBgp comes first); unknown: not in place, the safe answer. */
  restartsBgpInPlace(): boolean {
    return this.chosen?.restartsBgpInPlace() ?? false;
  }
  listPeers(address?: string): Promise<GobgpPeer[]> {
    return this.call((r) => r.listPeers(address));
  }
  addPeer(spec: PeerSpec): Promise<void> {
    return this.call((r) => r.addPeer(spec));
  }
  deletePeer(address: string): Promise<void> {
    return this.call((r) => r.deletePeer(address));
  }
  listPath(family: Family, table: TableName, peerAddress?: string, prefixes?: readonly string[]): Promise<ObservedPath[]> {
    return this.call((r) => r.listPath(family, table, peerAddress, prefixes));
  }
  addPaths(specs: readonly PathSpec[]): Promise<void> {
    return this.call((r) => r.addPaths(specs));
  }
  deletePath(target: PathSpec): Promise<void> {
    return this.call((r) => r.deletePath(target));
  }
  getImportPolicy(): Promise<ImportPolicySpec> {
    return this.call((r) => r.getImportPolicy());
  }
  listPolicies(): Promise<PolicySpec[]> {
    return this.call((r) => r.listPolicies());
  }
  addPolicy(spec: PolicySpec): Promise<void> {
    return this.call((r) => r.addPolicy(spec));
  }
  deletePolicy(name: string): Promise<void> {
    return this.call((r) => r.deletePolicy(name));
  }
  setImportPolicy(policyNames: readonly string[], defaultAction: RouteAction): Promise<void> {
    return this.call((r) => r.setImportPolicy(policyNames, defaultAction));
  }
  softResetIn(): Promise<void> {
    return this.call((r) => r.softResetIn());
  }

  watchPeerEvents(onEvent: (event: PeerEvent) => void, onEnd: (error: GobgpError) => void): () => void {
    let cancelled = false;
    let cancelInner: (() => void) | undefined;
    const ended = (error: GobgpError): void => {
      this.forgetIfGone(error);
      onEnd(error);
    };
    this.router().then(
      (r) => {
        if (!cancelled) cancelInner = r.watchPeerEvents(onEvent, ended);
      },
      (err: unknown) => {
        if (!cancelled) ended(err instanceof GobgpError ? err : new GobgpError('WatchEvent', 'rejected', undefined, String(err)));
      },
    );
    return () => {
      cancelled = true;
      cancelInner?.();
    };
  }

  close(): void {
    this.routers.v3.close();
    this.routers.v4.close();
  }

  private async call<T>(fn: (router: BgpRouter) => Promise<T>): Promise<T> {
    const router = await this.router();
    try {
      return await fn(router);
    } catch (err) {
      this.forgetIfGone(err);
      throw err;
    }
  }

  private router(): Promise<BgpRouter> {
    if (this.chosen) return Promise.resolve(this.chosen);
    this.probe ??= this.routers.v4.getBgp().then(
      () => this.choose('v4'),
      (err: unknown) => {
        const api = apiFromProbe(err);
        if (api === undefined) throw err;
        return this.choose(api);
      },
    ).finally(() => {
      this.probe = undefined;
    });
    return this.probe;
  }

  private choose(api: ApiVersion): BgpRouter {
    this.chosenApi = api;
    this.onChoose(api);
    this.chosen = this.routers[api];
    return this.chosen;
  }

  private forgetIfGone(err: unknown): void {
    if (GobgpClient.isUnavailable(err)) {
      this.chosen = undefined;
      this.chosenApi = undefined;
    }
  }
}

/** The router for `speaker.gobgp.api`; onChoose hears what `auto` found out. */
export function createRouter(
  target: string,
  api: ApiChoice,
  options: GobgpClientOptions = {},
  onChoose?: (api: ApiVersion) => void,
): BgpRouter {
  if (api === 'v3') return new GobgpClient(target, options);
  if (api === 'v4') return new GobgpV4Client(target, options);
  return new AutoRouter({ v3: new GobgpClient(target, options), v4: new GobgpV4Client(target, options) }, onChoose);
}
