// Config -> the GoBGP client's vocabulary. BGP timers are whole seconds on the
// wire (the config keeps milliseconds), and this is the one place a password
// leaves its Secret wrapper.
import type { GlobalSpec, PeerSpec } from '../gobgp/types';
import type { PeerConfig, SpeakerConfig } from '../config/types';

const seconds = (ms: number): number => Math.round(ms / 1000);

export function peerSpecOf(peer: PeerConfig): PeerSpec {
  return {
    address: peer.address,
    asn: peer.asn,
    port: peer.port,
    ...(peer.multihopTtl !== undefined ? { multihopTtl: peer.multihopTtl } : {}),
    ...(peer.password !== undefined ? { password: peer.password.reveal() } : {}),
    holdTime: seconds(peer.holdTimeMs),
    keepaliveInterval: seconds(peer.keepaliveIntervalMs),
    connectRetry: seconds(peer.connectRetryMs),
    gracefulRestart: { enabled: peer.gracefulRestart.enabled, restartTime: seconds(peer.gracefulRestart.restartTimeMs) },
    families: [...peer.families],
    passive: peer.passive,
    ...(peer.localAddress !== undefined ? { localAddress: peer.localAddress } : {}),
    // Only an enabled BFD reaches gobgpd: a v3 daemon refuses any BFD setting.
    ...(peer.bfd.enabled ? { bfd: { ...peer.bfd } } : {}),
  };
}

/** nodeRouterId: the Node's InternalIP, used when the file sets no routerId. */
export function globalSpecOf(speaker: SpeakerConfig, nodeRouterId?: string): GlobalSpec {
  const routerId = speaker.routerId ?? nodeRouterId;
  if (routerId === undefined) throw new Error('no router id: set speaker.routerId or give the Node an IPv4 InternalIP');
  return { asn: speaker.asn, routerId, listenPort: speaker.listenPort, listenAddresses: [...speaker.listenAddresses] };
}
