// What EventRecorder.problems() remembers so that reporting the same problems on every
// reconcile sends nothing: per object, one short hash of each reason's sorted messages.
// Fingerprints only (not messages), at most `maxReasons` per object and `maxObjects` objects
// (least recently reported forgotten first): a forgotten object just gets its Events again.
import { createHash } from 'node:crypto';
import type { Problem } from './eventSink';

export interface ChangedReason {
  reason: string;
  fingerprint: string;
  /** That reason's messages, in the caller's order. */
  messages: string[];
}

/** A hash of the messages as a set (order and duplicates do not matter). */
export function fingerprint(messages: readonly string[]): string {
  const h = createHash('sha256');
  let prev: string | undefined;
  for (const m of [...messages].sort()) {
    if (m === prev) continue;
    // The separator keeps ["ab"] and ["a", "b"] apart.
    h.update(m).update('\u0000');
    prev = m;
  }
  return h.digest('hex').slice(0, 16);
}

/** The first `shown` messages and how many more, at most `maxLength` characters, built without joining them all. */
export function summarizeMessages(messages: readonly string[], maxLength: number, shown = 3): string {
  const head = messages
    .slice(0, shown)
    // One character over the limit is enough to know the result needs "...".
    .map((m) => (m.length > maxLength ? m.slice(0, maxLength + 1) : m))
    .join('; ');
  const rest = messages.length - Math.min(shown, messages.length);
  const suffix = rest > 0 ? ` (and ${rest} more)` : '';
  if (head.length + suffix.length <= maxLength) return head + suffix;
  return head.slice(0, Math.max(0, maxLength - suffix.length - 3)) + '...' + suffix;
}

function byReason(problems: readonly Problem[]): Map<string, string[]> {
  const groups = new Map<string, string[]>();
  for (const p of problems) {
    const g = groups.get(p.reason);
    if (g) g.push(p.message);
    else groups.set(p.reason, [p.message]);
  }
  return groups;
}

export class ProblemMemory {
  /** objectId → reason → fingerprint, least recently updated first. */
  private readonly objects = new Map<string, Map<string, string>>();

  constructor(
    private readonly maxObjects: number,
    private readonly maxReasons: number,
  ) {}

  get size(): number {
    return this.objects.size;
  }

  /** Records the object's current problems; returns the reasons whose messages changed. */
  update(objectId: string, problems: readonly Problem[]): ChangedReason[] {
    const before = this.objects.get(objectId);
    this.objects.delete(objectId);
    if (problems.length === 0) return [];
    const groups = byReason(problems);
    // Reasons come from code, so the cap is a guard; the sort keeps which ones fit stable.
    const reasons = [...groups.keys()].sort().slice(0, Math.max(1, this.maxReasons));
    const after = new Map<string, string>();
    const changed: ChangedReason[] = [];
    for (const reason of reasons) {
      const messages = groups.get(reason) ?? [];
      const fp = fingerprint(messages);
      after.set(reason, fp);
      if (before?.get(reason) !== fp) changed.push({ reason, fingerprint: fp, messages });
    }
    this.objects.set(objectId, after);
    this.evict();
    return changed;
  }

  /** Forget one reason, if it still has this fingerprint (its Event was not delivered: send it again next time). */
  forgetReason(objectId: string, reason: string, fp: string): void {
    const reasons = this.objects.get(objectId);
    if (reasons?.get(reason) === fp) reasons.delete(reason);
  }

  forget(objectId: string): void {
    this.objects.delete(objectId);
  }

  clear(): void {
    this.objects.clear();
  }

  private evict(): void {
    while (this.objects.size > Math.max(1, this.maxObjects)) {
      const oldest = this.objects.keys().next();
      if (oldest.done) break;
      this.objects.delete(oldest.value);
    }
  }
}
