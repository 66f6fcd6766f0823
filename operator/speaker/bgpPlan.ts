// The first two of the speaker's ordered table steps (BGP instance, then peers), as pure
// plans: what gobgpd runs vs what the configuration and the Node ask for. The executors in
// ./speakerController.ts only carry them out.
import { sameGlobal } from '../gobgp/codec';
import type { GlobalSpec, PeerSpec, GobgpPeer } from '../gobgp/types';
import { peerConfigDiffers } from './peerConfig';

/**
 * 'restart' when BGP runs with another ASN, router id, listen port or listen addresses:
 * gobgpd cannot change those in place, so it is stopped (dropping every peer and path,
 * which the next steps re-create) and started again.
 */
export type GlobalPlan = 'start' | 'restart' | 'none';

export function planGlobal(desired: GlobalSpec, running: GlobalSpec | null): GlobalPlan {
  if (running === null) return 'start';
  return sameGlobal(desired, running) ? 'none' : 'restart';
}

export interface PeerPlan {
  /** Configured peers gobgpd does not have. */
  add: PeerSpec[];
  /** Peers whose configuration differs: gobgpd has no in-place update, so delete then add. */
  recreate: PeerSpec[];
  /** Addresses of peers gobgpd has that the configuration does not name. */
  remove: string[];
}

export function planPeers(desired: readonly PeerSpec[], running: readonly GobgpPeer[]): PeerPlan {
  const have = new Map(running.map((p) => [p.address, p]));
  const wanted = new Set(desired.map((p) => p.address));
  const plan: PeerPlan = { add: [], recreate: [], remove: [] };
  for (const spec of desired) {
    const got = have.get(spec.address);
    if (!got) plan.add.push(spec);
    else if (peerConfigDiffers(spec, got.config).length > 0) plan.recreate.push(spec);
  }
  for (const p of running) if (!wanted.has(p.address)) plan.remove.push(p.address);
  return plan;
}
