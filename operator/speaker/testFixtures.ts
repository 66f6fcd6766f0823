// Plain objects the speaker's unit tests share: a peer and a speaker configuration.
import type { PeerConfig, SpeakerConfig } from '../config/types';

export const TEST_NODE = 'node-a';

export function testPeer(address: string, extra: Partial<PeerConfig> = {}): PeerConfig {
  return {
    address,
    asn: 64512,
    port: 179,
    holdTimeMs: 9_000,
    keepaliveIntervalMs: 3_000,
    connectRetryMs: 1_000,
    gracefulRestart: { enabled: false, restartTimeMs: 120_000 },
    families: ['ipv4-unicast', 'ipv6-unicast'],
    passive: false,
    bfd: { enabled: false, multihop: false },
    ...extra,
  };
}

/** Unenforced: tests about the table, not ownership (the pool filter tests set Enforced). */
export function testSpeakerConfig(extra: Partial<SpeakerConfig> = {}): SpeakerConfig {
  return {
    nodeName: TEST_NODE,
    loadBalancerClasses: [''],
    addressOwnership: 'Unenforced',
    asn: 65001,
    listenPort: 179,
    listenAddresses: [],
    gobgp: { target: '127.0.0.1:50051', timeoutMs: 1_000, api: 'v4' },
    nextHop: {},
    withdrawOnShutdown: true,
    driftCheckPeriodMs: 60_000,
    peers: [testPeer('192.0.2.1')],
    ...extra,
  };
}
