// The bounded queue of Events waiting for the rate limit (used by ./events.ts). A burst of
// problems must not grow the heap or delay every other Event for long: an Event identical to
// one still queued is counted into it, one object keeps at most `maxPerObject` Events queued,
// and the whole queue at most `maxTotal`; the oldest go first, and each drop is reported.

export type EventType = 'Normal' | 'Warning';
export type DropCause = 'object_cap' | 'queue_cap' | 'discarded';

/** The fields of core/v1 ObjectReference an Event carries (not the object: it can be huge). */
export interface InvolvedObject {
  apiVersion?: string;
  kind?: string;
  namespace?: string;
  name: string;
  uid?: string;
  resourceVersion?: string;
}

export interface QueuedEvent {
  /** Aggregation key: object + type + reason + message. */
  key: string;
  /** The object's uid (or kind and key): what the per-object cap counts. */
  objectId: string;
  involvedObject: InvolvedObject;
  type: EventType;
  reason: string;
  message: string;
  firstAt: Date;
  lastAt: Date;
  /** Occurrences folded into this entry while it waited. */
  repeats: number;
  /** Set by problems(): the fingerprint this Event reports, forgotten if it is never delivered. */
  fingerprint?: string;
}

export class EventQueue {
  private readonly items: QueuedEvent[] = [];
  private readonly byKey = new Map<string, QueuedEvent>();
  private readonly perObject = new Map<string, number>();

  constructor(
    private readonly maxPerObject: number,
    private readonly maxTotal: number,
    private readonly onDrop: (e: QueuedEvent, cause: DropCause) => void,
  ) {}

  get length(): number {
    return this.items.length;
  }

  /** Queues `e`, or counts it into the identical Event still queued; drops what the caps require. */
  push(e: QueuedEvent): void {
    const same = this.byKey.get(e.key);
    if (same) {
      same.repeats += e.repeats;
      same.lastAt = e.lastAt;
      same.fingerprint = e.fingerprint;
      return;
    }
    if ((this.perObject.get(e.objectId) ?? 0) >= Math.max(1, this.maxPerObject)) {
      this.dropAt(
        this.items.findIndex((i) => i.objectId === e.objectId),
        'object_cap',
      );
    }
    if (this.items.length >= Math.max(1, this.maxTotal)) this.dropAt(0, 'queue_cap');
    this.items.push(e);
    this.byKey.set(e.key, e);
    this.perObject.set(e.objectId, (this.perObject.get(e.objectId) ?? 0) + 1);
  }

  /** Removes and returns the oldest Event whose key is not `busy` (one write per key at a time). */
  take(busy: (key: string) => boolean): QueuedEvent | undefined {
    const i = this.items.findIndex((e) => !busy(e.key));
    return i < 0 ? undefined : this.removeAt(i);
  }

  /** Drops everything queued; returns how many. */
  clear(cause: DropCause): number {
    const n = this.items.length;
    while (this.items.length > 0) this.dropAt(0, cause);
    return n;
  }

  private dropAt(i: number, cause: DropCause): void {
    if (i < 0) return;
    this.onDrop(this.removeAt(i), cause);
  }

  private removeAt(i: number): QueuedEvent {
    const [e] = this.items.splice(i, 1);
    this.byKey.delete(e.key);
    const left = (this.perObject.get(e.objectId) ?? 1) - 1;
    if (left > 0) this.perObject.set(e.objectId, left);
    else this.perObject.delete(e.objectId);
    return e;
  }
}
