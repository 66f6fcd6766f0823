// The session-up series of each configured peer (vipannouncer_bgp_session_up): published from
// peer events and session reads, and dropped for peers that are gone or no longer configured,
// so a removed peer leaves no stale series behind.
import { canonicalIp } from '../util/ip';
import { metrics } from '../util/metrics';

export class SessionSeries {
  /** Canonical addresses of the peers the configuration names. */
  private configured: ReadonlySet<string>;
  /** Canonical address → the label value its series was published under. */
  private readonly labels = new Map<string, string>();

  constructor(
    private readonly nodeName: string,
    peers: readonly { address: string }[],
  ) {
    this.configured = new Set(peers.map((p) => canonicalIp(p.address) ?? p.address));
  }

  /** The configuration's peers changed (applied live): a series of a peer no longer named goes at its next publish. */
  configure(peers: readonly { address: string }[]): void {
    this.configured = new Set(peers.map((p) => canonicalIp(p.address) ?? p.address));
  }

  /** A configured peer's state; a peer we do not configure (being deleted) has no series. */
  publish(peer: { address: string; state: string }): void {
    const address = canonicalIp(peer.address) ?? peer.address;
    if (!this.configured.has(address)) return this.drop(address);
    metrics.sessionUp.set({ node: this.nodeName, peer: peer.address }, peer.state === 'Established' ? 1 : 0);
    this.labels.set(address, peer.address);
  }

  /** gobgpd listed `peers`: the series of any peer it no longer has goes. */
  retainListed(peers: readonly { address: string }[]): void {
    const listed = new Set(peers.map((p) => canonicalIp(p.address) ?? p.address));
    for (const address of [...this.labels.keys()]) if (!listed.has(address)) this.drop(address);
  }

  private drop(address: string): void {
    const label = this.labels.get(address) ?? address;
    metrics.sessionUp.remove({ node: this.nodeName, peer: label });
    this.labels.delete(address);
  }
}
