// What the real-nodes suites apply after installing the product (kubectl or Helm): a pool for
// their app namespace and the VipAnnouncer that peers every node with the lab's BIRD.
import { lab } from './lab';

export const SYSTEM_NS = 'vip-announcer';

/** A VipPool handing out `range` to Services of `namespace`. */
export function labPoolObject(name: string, range: string, namespace: string): Record<string, unknown> {
  return { apiVersion: 'vipannouncer.io/v1alpha1', kind: 'VipPool', metadata: { name }, spec: { addresses: [range], serviceAllocation: { namespaces: [namespace] } } };
}

/** The VipAnnouncer `default`: every node peers with BIRD, graceful restart on (rollouts keep routes). */
export function labAnnouncerObject(): Record<string, unknown> {
  const l = lab();
  return {
    apiVersion: 'vipannouncer.io/v1alpha1',
    kind: 'VipAnnouncer',
    metadata: { name: 'default' },
    spec: {
      asn: l.nodeAsn,
      routerIdPolicy: 'NodeInternalIP',
      namespace: SYSTEM_NS,
      peers: [{ address: l.routerAddress, asn: l.routerAsn, holdTime: '9s', keepaliveInterval: '3s', gracefulRestart: { enabled: true, restartTime: '120s' } }],
    },
  };
}
