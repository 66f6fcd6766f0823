// Status truth: the set of (node, peer, prefix) that VipAnnouncements' status calls advertised,
// against what BIRD holds from each node. BIRD's table is the proof; suites compare the two
// after each step (statusTruth.test.ts, eligibility.test.ts).
import type { VipAnnouncement } from '../../operator/api/types';
import type { VipSpeaker } from '../../operator/api/vipSpeaker';
import { birdRoutes } from './bird';
import { labClient } from './gobgp';
import { customObjects } from './kube';
import { lab, type LabNode } from './lab';

/** One suite's view: its namespace, and which prefixes are its own (only those are compared). */
export interface TruthScope {
  namespace: string;
  ours: RegExp;
}

export async function listVAs(namespace: string): Promise<VipAnnouncement[]> {
  const res = await customObjects().listNamespacedCustomObject('vipannouncer.io', 'v1alpha1', namespace, 'vipannouncements');
  return (res.body as { items: VipAnnouncement[] }).items;
}

export async function getVA(namespace: string, name: string): Promise<VipAnnouncement | undefined> {
  return (await listVAs(namespace)).find((v) => v.metadata.name === name);
}

export async function getSpeaker(node: string): Promise<VipSpeaker> {
  return (await customObjects().getClusterCustomObject('vipannouncer.io', 'v1alpha1', 'vipspeakers', node)).body as VipSpeaker;
}

/** The status of the announcement's Advertised condition. */
export function advertised(va: VipAnnouncement | undefined): string | undefined {
  return va?.status?.conditions?.find((c) => c.type === 'Advertised')?.status;
}

/** "node peer prefix" for every prefix status calls advertised to an Established peer. */
export function statusSays(vas: readonly VipAnnouncement[], ours: RegExp): Set<string> {
  const rows = new Set<string>();
  for (const va of vas) {
    for (const e of va.status?.speakers ?? []) {
      for (const p of e.peers ?? []) {
        if (p.state !== 'Established') continue;
        for (const prefix of p.advertised ?? []) if (ours.test(prefix)) rows.add(`${e.node} ${p.address} ${prefix}`);
      }
    }
  }
  return rows;
}

/** "node peer prefix" for every route BIRD (the lab's one peer) holds from a node. */
export async function birdHolds(nodes: readonly LabNode[], ours: RegExp): Promise<Set<string>> {
  const byAddress = new Map(nodes.map((n) => [n.address, n.name]));
  const rows = new Set<string>();
  for (const r of await birdRoutes()) {
    const node = byAddress.get(r.from);
    if (node && ours.test(r.prefix)) rows.add(`${node} ${lab().routerAddress} ${r.prefix}`);
  }
  return rows;
}

/**
 * "node peer prefix" for every prefix in each node's gobgpd adj-RIB-out towards the lab's
 * router: what the speakers have handed to gobgpd to send. A status claim read before this is
 * backed by the speaker's own action even if BIRD has not imported the UPDATE yet.
 */
export async function adjOutHolds(nodes: readonly LabNode[], ours: RegExp): Promise<Set<string>> {
  const rows = new Set<string>();
  for (const n of nodes) {
    const client = labClient(n.gobgpTarget);
    try {
      for (const p of await client.listPath('ipv4-unicast', 'adj-out', lab().routerAddress)) {
        if (ours.test(p.prefix)) rows.add(`${n.name} ${lab().routerAddress} ${p.prefix}`);
      }
    } finally {
      client.close();
    }
  }
  return rows;
}

/** '' when status and BIRD agree, and agree with `want` when given; else what differs. */
export async function truthMismatch(scope: TruthScope, nodes: readonly LabNode[], want?: readonly string[]): Promise<string> {
  const [says, holds] = [statusSays(await listVAs(scope.namespace), scope.ours), await birdHolds(nodes, scope.ours)];
  const onlyStatus = [...says].filter((x) => !holds.has(x));
  const onlyBird = [...holds].filter((x) => !says.has(x));
  const wrong: string[] = [];
  if (onlyStatus.length + onlyBird.length > 0) wrong.push(`status only: [${onlyStatus.join('; ')}], BIRD only: [${onlyBird.join('; ')}]`);
  if (want && JSON.stringify([...holds].sort()) !== JSON.stringify([...want].sort())) wrong.push(`BIRD holds [${[...holds].sort().join('; ')}], want [${[...want].sort().join('; ')}]`);
  return wrong.join('; ');
}

/** The row truthMismatch compares: `node` advertises `vip`/32 to the lab's router. */
export function truthRow(node: LabNode, vip: string): string {
  return `${node.name} ${lab().routerAddress} ${vip}/32`;
}
