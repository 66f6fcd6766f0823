// Table step 4, the executor of diffTable.ts: gobgpd originates exactly the desired paths.
// It keeps what the last sync left in gobgpd, so a sync after an announcement change diffs
// against that instead of listing gobgpd's table (thousands of paths) every time.
import { FAMILIES } from '../api/families';
import { GobgpError } from '../gobgp/client';
import type { BgpRouter } from '../gobgp/router';
import type { ObservedPath, PathSpec } from '../gobgp/types';
import type { Log } from '../util/log';
import { metrics } from '../util/metrics';
import { inParallel } from '../util/parallel';
import { diffTable } from './diffTable';
import { pathKey } from './pathAttributes';

/** Concurrent DeletePath calls to gobgpd. */
const GOBGP_CONCURRENCY = 32;

export class PathStep {
  /** gobgpd's local paths by pathKey, as the last sync left them; undefined: list them. */
  private known: Map<string, ObservedPath> | undefined;
  /** Prefix → when a sync last added or changed it in gobgpd (pruned by the report's settle logic). */
  readonly addedAt = new Map<string, number>();
  /** Counts syncs and forgets: a listing taken across one of them says nothing (verifyTable). */
  version = 0;

  constructor(
    private readonly router: BgpRouter,
    private readonly nodeName: string,
    private readonly now: () => number,
  ) {}

  /** Whether the next sync must list gobgpd (nothing known, or forgotten after a failure). */
  get unknown(): boolean {
    return this.known === undefined;
  }

  /** What gobgpd holds is not known any more: the next sync lists it. */
  forget(): void {
    this.known = undefined;
    this.version++;
  }

  /** What a listing of gobgpd's local paths lacks (add) or has beyond (remove) the known table. */
  drift(listed: readonly ObservedPath[]): { add: PathSpec[]; remove: ObservedPath[] } {
    return diffTable([...(this.known?.values() ?? [])], listed);
  }

  /** The paths gobgpd originates (its global RIB's local paths), every family. */
  async localPaths(): Promise<ObservedPath[]> {
    return (await Promise.all(FAMILIES.map((f) => this.router.listPath(f, 'global')))).flat();
  }

  /**
   * Against gobgpd's listing (list) or the table the last sync left; with `scope` (and a known
   * table), only those prefixes are compared: the rest cannot have changed (nodeTable.ts). True
   * when gobgpd's table changed.
   */
  async sync(desired: readonly PathSpec[], list: boolean, log: Log, scope?: ReadonlySet<string>): Promise<boolean> {
    this.version++;
    const listed = list || !this.known;
    const known = listed ? new Map((await this.localPaths()).filter((p) => p.local).map((p) => [pathKey(p), p])) : (this.known ?? new Map<string, ObservedPath>());
    this.known = undefined; // until the operations below all succeeded
    const diff = !listed && scope ? diffTable(desired.filter((p) => scope.has(p.prefix)), inScope(known, scope)) : diffTable(desired, [...known.values()]);
    // One streaming call for all additions: unary calls cost the speaker about
    // a millisecond of CPU each, seconds per node on a cold start.
    await this.router.addPaths(diff.add);
    metrics.gobgpOperations.inc({ node: this.nodeName, op: 'add' }, diff.add.length);
    // gobgpd serves API calls concurrently; one at a time would make withdrawing
    // thousands of VIPs take seconds per node.
    await inParallel(diff.remove, GOBGP_CONCURRENCY, async (p) => {
      await this.router.deletePath(p);
      metrics.gobgpOperations.inc({ node: this.nodeName, op: 'delete' });
    });
    const changed = diff.add.length + diff.remove.length > 0;
    for (const p of diff.remove) known.delete(pathKey(p));
    for (const p of diff.add) known.set(pathKey(p), { ...p, local: true });
    this.known = known;
    this.version++;
    for (const p of diff.add) this.addedAt.set(p.prefix, this.now());
    if (changed) log.info('gobgpd table updated', { added: diff.add.length, removed: diff.remove.length, paths: desired.length });
    return changed;
  }

  /** On shutdown: every path we originate goes (one already gone counts as withdrawn). */
  async withdrawAll(signal: AbortSignal, log: Log): Promise<void> {
    const diff = diffTable([], await this.localPaths());
    await inParallel(diff.remove, GOBGP_CONCURRENCY, async (p) => {
      signal.throwIfAborted();
      await this.router.deletePath(p).catch(unlessNotFound);
    });
    this.forget();
    log.info('withdrew routes on shutdown', { removed: diff.remove.length });
  }
}

/** The known paths of these prefixes, whichever family. */
function inScope(known: ReadonlyMap<string, ObservedPath>, scope: ReadonlySet<string>): ObservedPath[] {
  const out: ObservedPath[] = [];
  for (const prefix of scope) {
    for (const family of FAMILIES) {
      const p = known.get(pathKey({ family, prefix }));
      if (p) out.push(p);
    }
  }
  return out;
}

/** A path already gone from gobgpd is withdrawn. */
function unlessNotFound(err: unknown): void {
  if (!(err instanceof GobgpError && err.kind === 'not-found')) throw err;
}
