// Table step 3, the executor of bgpPlan.ts's peer plan: gobgpd has exactly the configured
// peers whose nodeSelector selects this node (nodePeers.ts), with their current passwords and
// this node's AS as their local AS (nodeIdentity.ts), and a peer added back after a restart
// announces graceful restart only when this node really restarted (gracefulRestart.ts).
import type { SpeakerConfig } from '../config/types';
import type { BgpRouter } from '../gobgp/router';
import type { GobgpPeer, PeerSpec } from '../gobgp/types';
import type { CachedOwnNode } from '../kube/cachedKinds';
import { passwordFingerprint } from '../util/fingerprint';
import type { Log } from '../util/log';
import { planPeers } from './bgpPlan';
import { bgpIdentity } from './nodeIdentity';
import { peersOfNode } from './nodePeers';
import { peerSpecOf } from './gobgpSpecs';
import { gracefulRestartOnAdd, type PreviousReport } from './gracefulRestart';
import { peerConfigDiffers } from './peerConfig';
import type { PeerPasswords } from './peerPasswords';

/** This node's previous report, read only when a peer must be added (running: what gobgpd has). */
export type PreviousReportReader = (running: readonly GobgpPeer[], selected: number) => Promise<PreviousReport | undefined>;

export class PeerStep {
  /**
   * Peer address → fingerprint of the password this process gave gobgpd (null: none). The
   * plan compares with it, so a changed password re-creates the peer and an unchanged one
   * touches nothing (peerConfig.ts).
   */
  private readonly appliedPasswords = new Map<string, string | null>();
  /** The Node's unusable AS value last logged: each is logged once, not at every drift check. */
  private loggedProblems = '';

  constructor(
    private readonly router: BgpRouter,
    private cfg: SpeakerConfig,
    private passwords: PeerPasswords,
    private readonly now: () => number,
  ) {}

  /** The configuration's peers changed (applied live): the next sync adds, re-creates and deletes to match. */
  reconfigure(cfg: SpeakerConfig, passwords: PeerPasswords): void {
    this.cfg = cfg;
    this.passwords = passwords;
  }

  async sync(node: CachedOwnNode | undefined, previousReport: PreviousReportReader, log: Log): Promise<void> {
    const running = await this.router.listPeers();
    const bootID = node?.status?.nodeInfo?.bootID;
    const selected = peersOfNode(this.cfg.peers, node);
    const identity = bgpIdentity(this.cfg, node);
    if (identity.problems.join('\n') !== this.loggedProblems) {
      for (const problem of identity.problems) log.warn('the Node\'s AS number is not usable; peering with the configured one', { problem });
      this.loggedProblems = identity.problems.join('\n');
    }
    const previous = bootID ? await previousReport(running, selected.length) : undefined;
    const desired = selected.flatMap((i) => {
      const peer = this.cfg.peers[i];
      if (peer === undefined) return [];
      const password = this.passwords.passwordOf(i);
      const spec = { ...peerSpecOf({ ...peer, ...(password !== undefined ? { password } : {}) }), localAsn: identity.asn };
      if (spec.gracefulRestart?.enabled) {
        spec.gracefulRestart.restarting = gracefulRestartOnAdd(previous, bootID, this.now(), peer.gracefulRestart.restartTimeMs);
      }
      return [spec];
    });
    const plan = planPeers(desired, running, this.appliedPasswords);
    const graceful = [...plan.add, ...plan.recreate].filter((p) => p.gracefulRestart?.restarting === true).map((p) => p.address);
    if (plan.add.length + plan.recreate.length > 0) log.info('graceful restart decided for the peers added', { restarting: graceful, bootID, previous });
    const config = new Map<string, GobgpPeer['config']>(running.map((p) => [p.address, p.config]));
    for (const spec of plan.recreate) {
      const have = config.get(spec.address);
      // gobgpd has no in-place update for these: re-create the peer (its session restarts).
      const fields = have ? peerConfigDiffers(spec, have, this.appliedPasswords.get(spec.address)) : [];
      log.info('peer configuration changed; re-creating it', { peer: spec.address, fields });
      await this.deletePeer(spec.address);
      await this.addPeer(spec);
    }
    for (const spec of plan.add) {
      log.info('adding peer', { peer: spec.address, asn: spec.asn, port: spec.port });
      await this.addPeer(spec);
    }
    for (const address of plan.remove) {
      log.info('deleting peer not in the configuration, or whose nodeSelector no longer selects this node', { peer: address });
      await this.deletePeer(address);
    }
  }

  private async addPeer(spec: PeerSpec): Promise<void> {
    await this.router.addPeer(spec);
    this.appliedPasswords.set(spec.address, passwordFingerprint(spec.password) ?? null);
  }

  private async deletePeer(address: string): Promise<void> {
    this.appliedPasswords.delete(address);
    await this.router.deletePeer(address);
  }
}
