// The first three of the speaker's ordered table steps (BGP instance, import policy, peers),
// as pure plans: what gobgpd runs vs what the configuration and the Node ask for. The
// executors in ./speakerController.ts only carry them out.
import { sameGlobal } from '../gobgp/codec';
import type { GlobalSpec, ImportPolicySpec, PeerSpec, GobgpPeer, PolicySpec } from '../gobgp/types';
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

/**
 * `appliedPasswords`: address → fingerprint of the password this speaker gave gobgpd for the
 * peer (null: none); a peer without an entry is compared with what gobgpd reports.
 */
export function planPeers(desired: readonly PeerSpec[], running: readonly GobgpPeer[], appliedPasswords: ReadonlyMap<string, string | null> = new Map()): PeerPlan {
  const have = new Map(running.map((p) => [p.address, p]));
  const wanted = new Set(desired.map((p) => p.address));
  const plan: PeerPlan = { add: [], recreate: [], remove: [] };
  for (const spec of desired) {
    const got = have.get(spec.address);
    if (!got) plan.add.push(spec);
    else if (peerConfigDiffers(spec, got.config, appliedPasswords.get(spec.address)).length > 0) plan.recreate.push(spec);
  }
  for (const p of running) if (!wanted.has(p.address)) plan.remove.push(p.address);
  return plan;
}

/**
 * gobgpd takes no route from its peers: the speaker only originates, and a router that sends
 * a default route or a full table would otherwise fill every node's global RIB (and each
 * table sync that lists it). The global import policy also sees the paths gobgpd originates
 * for us, so those are accepted by route type; everything else meets the default, reject.
 */
export const REJECT_PEER_ROUTES: ImportPolicySpec = {
  policies: [{ name: 'vip-announcer-import', statements: [{ name: 'vip-announcer-accept-local', routeType: 'local', action: 'accept' }] }],
  defaultAction: 'reject',
};

export interface ImportPolicyPlan {
  /** Empty the assignment first (still rejecting): a policy to replace is in use. */
  detach: boolean;
  /** Desired policies gobgpd defines differently: deleted, then defined again. */
  remove: string[];
  /** Policies to define. */
  add: PolicySpec[];
  /** Assign the desired policies and default, then run received routes through them again. */
  assign: boolean;
}

const sameStatements = (a: PolicySpec, b: PolicySpec): boolean =>
  a.statements.length === b.statements.length &&
  a.statements.every((s, i) => {
    const t = b.statements[i];
    return t !== undefined && s.name === t.name && s.routeType === t.routeType && s.action === t.action;
  });

/** `assigned`: gobgpd's global import assignment; `defined`: every policy gobgpd defines. */
export function planImportPolicy(desired: ImportPolicySpec, assigned: ImportPolicySpec, defined: readonly PolicySpec[]): ImportPolicyPlan {
  const have = new Map(defined.map((p) => [p.name, p]));
  const remove: string[] = [];
  const add: PolicySpec[] = [];
  for (const want of desired.policies) {
    const got = have.get(want.name);
    if (got && sameStatements(want, got)) continue;
    if (got) remove.push(want.name);
    add.push(want);
  }
  const names = (p: ImportPolicySpec): string => p.policies.map((x) => x.name).join('\n');
  const assign = add.length > 0 || assigned.defaultAction !== desired.defaultAction || names(assigned) !== names(desired);
  const detach = assigned.policies.some((p) => remove.includes(p.name));
  return { detach, remove, add, assign };
}
