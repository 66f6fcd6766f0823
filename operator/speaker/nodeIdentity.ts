// How a speaker names itself to the API server and to its peers: the field manager of its
// VipSpeaker, and its BGP identity: its AS number, from a Node label or annotation the
// VipAnnouncer names (per-rack or per-node ASNs in a leaf-spine fabric) else the configuration's,
// and its router id, the configuration's else the Node's IPv4 InternalIP.
import type { NodeValueSource, SpeakerConfig } from '../config/types';
import type { CachedNode } from '../kube/cachedKinds';

/** One field manager per node: each speaker's server-side apply owns only its own VipSpeaker's fields. */
export function speakerFieldManager(node: string): string {
  return `vip-announcer-speaker-${node}`.slice(0, 128);
}

/** The Node's first IPv4 InternalIP: the default router id. */
export function internalIPv4(node: CachedNode | undefined): string | undefined {
  return (node?.status?.addresses ?? []).find((a) => a.type === 'InternalIP' && /^\d+\.\d+\.\d+\.\d+$/.test(a.address))?.address;
}

interface AnnotatedNode {
  metadata?: { labels?: Readonly<Record<string, string>>; annotations?: Readonly<Record<string, string>> };
}

function nodeValue(node: AnnotatedNode | undefined, from: NodeValueSource | undefined): { where: string; value: string } | undefined {
  if (from === undefined || node === undefined) return undefined;
  if (from.label !== undefined) {
    const value = node.metadata?.labels?.[from.label];
    return value === undefined ? undefined : { where: `label ${from.label}`, value };
  }
  if (from.annotation === undefined) return undefined;
  const value = node.metadata?.annotations?.[from.annotation];
  return value === undefined ? undefined : { where: `annotation ${from.annotation}`, value };
}

export interface BgpIdentity {
  asn: number;
  /** undefined: nothing gives one (no routerId, no value on the Node, no IPv4 InternalIP). */
  routerId?: string;
  /** A value the Node carries that is not usable, and what was used instead. */
  problems: string[];
}

/**
 * This node's AS number and router id (pure). The AS number is given to each peer as its
 * local AS (GoBGP's neighbor local-as): a changed one re-creates only this node's peers, while
 * gobgpd's global AS stays the configuration's (GoBGP 4 cannot stop and start BGP in place).
 */
export function bgpIdentity(cfg: Pick<SpeakerConfig, 'asn' | 'asnFrom' | 'routerId'>, node: (CachedNode & AnnotatedNode) | undefined): BgpIdentity {
  const problems: string[] = [];
  let asn = cfg.asn;
  const a = nodeValue(node, cfg.asnFrom);
  if (a !== undefined) {
    const n = /^[0-9]{1,10}$/.test(a.value) ? Number(a.value) : NaN;
    if (n >= 1 && n <= 4294967295) asn = n;
    else problems.push(`Node ${a.where}: ${JSON.stringify(a.value)} is not an AS number (1-4294967295); using ${cfg.asn}`);
  }
  const routerId = cfg.routerId ?? internalIPv4(node);
  return { asn, ...(routerId !== undefined ? { routerId } : {}), problems };
}
