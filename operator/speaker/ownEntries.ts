// What this speaker last wrote into each announcement's status, and whether the
// informer has caught up with that write yet.
//
// Why: the cache lags our own writes, most when the API server is busy. Comparing
// a fresh entry with the cached one while our write is still in flight makes the
// speaker write the same entry again (and every other writer's event on that
// object would trigger it once more). So until the cache shows the resourceVersion
// our write returned, only our own record counts; after that, a cached entry that
// differs from it means someone else changed or removed it, and we repair it.
import type { SpeakerStatus } from '../api/types';
import { speakerEntryChanged } from './speakerStatus';

interface Written {
  entry: SpeakerStatus | null;
  /** resourceVersion our write returned; undefined once the cache has shown it. */
  pendingRv: string | undefined;
  at: number;
}

export class OwnEntries {
  private readonly byKey = new Map<string, Written>();

  /** pendingTtlMs: after this long a write the cache never showed (a relist skipped it) stops being pending. */
  constructor(private readonly pendingTtlMs: number) {}

  recordWrite(key: string, entry: SpeakerStatus | null, resourceVersion: string | undefined, now: number): void {
    this.byKey.set(key, { entry, pendingRv: resourceVersion, at: now });
  }

  forget(key: string): void {
    this.byKey.delete(key);
  }

  /**
   * The cache shows the object at `resourceVersion` holding `stored` as our entry.
   * Returns true when that contradicts what we wrote (a repair is needed).
   */
  observe(key: string, resourceVersion: string | undefined, stored: SpeakerStatus | null, now: number): boolean {
    const w = this.byKey.get(key);
    if (!w) return false;
    if (w.pendingRv !== undefined) {
      // Caught up: the version our write made, or our entry as we wrote it (the watch may
      // have skipped that version in a relist), or waited long enough.
      const caughtUp = resourceVersion === w.pendingRv || !speakerEntryChanged(stored, w.entry) || now - w.at >= this.pendingTtlMs;
      if (!caughtUp) return false;
      w.pendingRv = undefined;
    }
    return speakerEntryChanged(stored, w.entry);
  }

  /** Whether `next` must be written, given the entry the cache holds. */
  needsWrite(key: string, stored: SpeakerStatus | null, next: SpeakerStatus | null, now: number): boolean {
    const w = this.byKey.get(key);
    if (!w) return speakerEntryChanged(stored, next);
    if (speakerEntryChanged(w.entry, next)) return true;
    const pending = w.pendingRv !== undefined && now - w.at < this.pendingTtlMs;
    return !pending && speakerEntryChanged(stored, next);
  }
}
