// Which watermark a report may claim, and which missing prefixes it leaves out. Pure.
//
// gobgpd sends a path to its peers some milliseconds after AddPath. A report written in
// between would call the prefix missing, and the controller would write NotAdvertised and then
// Advertised a moment later. Holding every report until nothing is missing made a cold start's
// statuses wait for its last table change (seconds). Instead the report claims only what has
// settled: its watermark stops just below the first announcement whose prefix was added within
// settleMs and has not reached every Established peer yet. The controller then counts the node
// as "not acted yet" for that announcement (and anything newer), so its prefixes need not be
// listed as missing; everything older is reported as it is, and reports flow while the table
// is still filling.
export interface SettleInput {
  /** The acted-on watermark (ActedWatermark.value()). */
  acted: number;
  /** The watermark of the report last written (0: none): a report never goes back below it. */
  written: number;
  /** Canonical prefixes missing from at least one Established peer's adj-RIB-out. */
  missing: ReadonlySet<string>;
  /** This node's prefixes per announcement key. */
  prefixesByAnnouncement: ReadonlyMap<string, readonly string[]>;
  /** The revision of an announcement's latest spec change (what the controller waits for). */
  specRv: (key: string) => number | undefined;
  /** Prefix → when it was last added (or changed) in gobgpd's table, ms; only recent ones matter. */
  addedAt: ReadonlyMap<string, number>;
  now: number;
  settleMs: number;
}

export interface Settled {
  watermark: number;
  /** Missing prefixes of announcements past the watermark: not listed as missing. */
  leaveOut: Set<string>;
  /**
   * A prefix still being sent belongs to an announcement already reported as acted on: the
   * report should wait for it (at most settleMs) instead of calling it missing.
   */
  holdReport: boolean;
}

export function settledWatermark(input: SettleInput): Settled {
  const keysOf = new Map<string, string[]>();
  let blocked = Infinity;
  for (const [key, prefixes] of input.prefixesByAnnouncement) {
    for (const p of prefixes) {
      if (!input.missing.has(p)) continue;
      const keys = keysOf.get(p) ?? [];
      keys.push(key);
      keysOf.set(p, keys);
      const added = input.addedAt.get(p);
      if (added !== undefined && input.now - added < input.settleMs) blocked = Math.min(blocked, input.specRv(key) ?? 0);
    }
  }
  const settled = Math.min(input.acted, blocked - 1);
  const holdReport = settled < Math.min(input.written, input.acted);
  const watermark = holdReport ? Math.min(input.written, input.acted) : settled;
  const leaveOut = new Set<string>();
  for (const [p, keys] of keysOf) if (keys.every((k) => (input.specRv(k) ?? 0) > watermark)) leaveOut.add(p);
  return { watermark, leaveOut, holdReport };
}

/** Forget additions older than settleMs (they no longer hold anything back). */
export function pruneAdded(addedAt: Map<string, number>, now: number, settleMs: number): void {
  for (const [p, at] of addedAt) if (now - at >= settleMs) addedAt.delete(p);
}
