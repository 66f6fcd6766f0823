// Table steps 1 and 2, the executors of bgpPlan.ts's plans: the BGP instance (started, or
// restarted when what gobgpd cannot change in place changed) and the global import policy
// (every route from peers rejected: gobgpd's global RIB holds only what we originate).
import type { SpeakerConfig } from '../config/types';
import type { BgpRouter } from '../gobgp/router';
import type { CachedOwnNode } from '../kube/cachedKinds';
import type { Log } from '../util/log';
import { planGlobal, planImportPolicy, REJECT_PEER_ROUTES } from './bgpPlan';
import { globalSpecOf } from './gobgpSpecs';
import { bgpIdentity } from './nodeIdentity';

/** Step 1. True when BGP was (re)started: gobgpd then holds no peer and no path. */
export async function syncInstance(router: BgpRouter, cfg: SpeakerConfig, node: CachedOwnNode | undefined, log: Log): Promise<boolean> {
  const running = await router.getBgp();
  const identity = bgpIdentity(cfg, node);
  // The Node lost its address (or is gone from the cache): keep what runs rather than fail.
  if (running && identity.routerId === undefined) return false;
  // The global AS is the configuration's; a per-node one is each peer's local AS (peerStep.ts).
  const desired = globalSpecOf(cfg, identity.routerId);
  const plan = planGlobal(desired, running);
  if (plan === 'none') return false;
  if (plan === 'restart' && !router.restartsBgpInPlace()) {
    // StopBgp would close every session and leave gobgpd unable to start again: keep what runs.
    log.error('gobgpd runs BGP with another AS number, router id or listen setting than the configuration asks, and this gobgpd (GoBGP 4) cannot restart BGP in place: keeping what runs; restart the gobgpd container to apply it', { running, wanted: desired });
    return false;
  }
  if (plan === 'restart') {
    log.info('BGP global configuration changed; restarting BGP in gobgpd', { running, wanted: desired });
    await router.stopBgp();
  }
  log.info('starting BGP in gobgpd', { asn: desired.asn, routerId: desired.routerId, port: desired.listenPort });
  await router.startBgp(desired);
  return true;
}

/** Step 2: the global RIB holds only what we originate. */
export async function syncImportPolicy(router: BgpRouter, log: Log): Promise<void> {
  const [assigned, defined] = await Promise.all([router.getImportPolicy(), router.listPolicies()]);
  const plan = planImportPolicy(REJECT_PEER_ROUTES, assigned, defined);
  if (!plan.assign) return;
  log.info('setting the import policy: routes from peers are rejected', { was: assigned.defaultAction, redefined: plan.remove });
  if (plan.detach) await router.setImportPolicy([], 'reject');
  for (const name of plan.remove) await router.deletePolicy(name);
  for (const policy of plan.add) await router.addPolicy(policy);
  await router.setImportPolicy(REJECT_PEER_ROUTES.policies.map((p) => p.name), REJECT_PEER_ROUTES.defaultAction);
  // A policy applies to routes received from now on: flush what the old one let in.
  await router.softResetIn();
}
