// Whether a peer gobgpd adds now is a graceful restart (RFC 4724: the R bit, and the F bit of
// each family, which gobgpd sets together). Only when this node kept forwarding: its previous
// report was written in the same boot of the node (Node status.nodeInfo.bootID), it did not
// stop by withdrawing its routes, and it is recent enough that the router still holds them.
// A cold boot (the node rebooted, a new node, a report older than the restart time) sets
// neither: the router then drops whatever it kept at once instead of trusting a dead FIB.

/** What the speaker last wrote to its VipSpeaker (this process, or the one before it). */
export interface PreviousReport {
  bootID?: string;
  phase?: string;
  heartbeatTime?: string;
}

export function gracefulRestartOnAdd(previous: PreviousReport | undefined, bootID: string | undefined, now: number, restartTimeMs: number): boolean {
  if (!previous || !bootID || previous.bootID !== bootID) return false;
  if (previous.phase === 'Stopped') return false;
  const at = Date.parse(previous.heartbeatTime ?? '');
  return Number.isFinite(at) && now - at <= restartTimeMs;
}
