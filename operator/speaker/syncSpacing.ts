// How long a paths-only table sync waits after the previous one (speakerController.ts).

/**
 * A paths-only table sync costs O(announcements); events that keep coming (a first install: one
 * announcement written after another) would run one after another and starve the process (its
 * reports, its peers' keepalives) and the node. The next one waits as long as the last one took,
 * once that is over SPACING_FROM_MS: at most half the time goes to them. A change on a quiet
 * node (the last sync long over) waits for nothing; a full sync never waits.
 */
export class SyncSpacing {
  private lastMs = 0;
  private endedAt = 0;

  wait(full: boolean, now: number): number {
    if (full || this.lastMs < SPACING_FROM_MS) return 0;
    return Math.max(0, this.endedAt + this.lastMs - now);
  }

  done(started: number, ended: number): void {
    this.lastMs = ended - started;
    this.endedAt = ended;
  }
}
/** Syncs shorter than this never make the next one wait (small clusters see no delay at all). */
export const SPACING_FROM_MS = 20;

