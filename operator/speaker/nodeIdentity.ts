// How a speaker names itself to the API server and to its peers: the field manager of its
// VipSpeaker, and the Node address that is its default BGP router id.
import type { CachedNode } from '../kube/cachedKinds';

/** One field manager per node: each speaker's server-side apply owns only its own VipSpeaker's fields. */
export function speakerFieldManager(node: string): string {
  return `vip-announcer-speaker-${node}`.slice(0, 128);
}

/** The Node's first IPv4 InternalIP: the default router id. */
export function internalIPv4(node: CachedNode | undefined): string | undefined {
  return (node?.status?.addresses ?? []).find((a) => a.type === 'InternalIP' && /^\d+\.\d+\.\d+\.\d+$/.test(a.address))?.address;
}
