// Which of the configured peers this node peers with, and whether it may announce at all: in a
// leaf-spine fabric each rack's nodes peer with their own top-of-rack routers (a peer's
// nodeSelector over the Node's labels, as MetalLB's BGPPeer and Cilium's node selectors). Pure.
import { nodeEligible } from '../api/announces';
import { selectorMatches, type LabelSelector } from '../api/pool';

interface LabelledNode {
  metadata?: { labels?: Readonly<Record<string, string>> };
}

/**
 * Indices of the peers whose nodeSelector selects the node (no selector: every node). While
 * the Node is unknown only the peers without a selector are: a rack's router never sees a
 * session from a node of another rack.
 */
export function peersOfNode(peers: readonly { nodeSelector?: LabelSelector }[], node: LabelledNode | undefined): number[] {
  return peers.flatMap((p, i) => (p.nodeSelector === undefined || (node !== undefined && selectorMatches(p.nodeSelector, node.metadata?.labels)) ? [i] : []));
}

export type NotEligibleReason = 'NodeNotFound' | 'ExcludedByLabel' | 'NoPeerSelectsNode';

/**
 * Why the node announces nothing; undefined when it may announce. A configuration without any
 * peer (the file requires one; only tests and benchmarks build such a speaker) selects no node
 * away from its table.
 */
export function notEligibleReason(node: LabelledNode | undefined, peers: readonly { nodeSelector?: LabelSelector }[]): NotEligibleReason | undefined {
  if (node === undefined) return 'NodeNotFound';
  if (!nodeEligible(node)) return 'ExcludedByLabel';
  return peers.length > 0 && peersOfNode(peers, node).length === 0 ? 'NoPeerSelectsNode' : undefined;
}
