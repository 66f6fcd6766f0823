import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import yaml from 'js-yaml';
import type { V1Container } from '@kubernetes/client-node';
import type { VipAnnouncer, VipAnnouncerSpec } from '../api/types';
import { parseConfig, validateConfigText } from '../config';
import {
  activeAnnouncer,
  CONFIG_HASH_ANNOTATION,
  desiredConfigMap,
  desiredDaemonSet,
  desiredSpeakerConfig,
  GOBGPD_PRE_STOP,
  passwordFileOf,
  speakersRolledOut,
  specPathOf,
  type DaemonSetView,
} from './render';

function announcer(spec: Partial<VipAnnouncerSpec> = {}, name = 'default'): VipAnnouncer {
  return {
    apiVersion: 'vipannouncer.io/v1alpha1',
    kind: 'VipAnnouncer',
    metadata: { name, uid: 'uid-1', generation: 1 },
    spec: {
      asn: 64512,
      peers: [{ address: '192.0.2.1', asn: 65000 }],
      speaker: { gobgpdImage: 'example.org/gobgpd:3' },
      ...spec,
    },
  };
}

function rendered(va: VipAnnouncer): { text: string; hash: string } {
  const r = desiredSpeakerConfig(va);
  if (!r.ok) assert.fail(`expected a valid config, got ${r.problems.join('; ')}`);
  return r;
}

/** A container of the pod template, init (sidecar) containers included. */
function container(va: VipAnnouncer, name: string): V1Container {
  const pod = desiredDaemonSet(va, 'h').spec?.template.spec;
  const c = [...(pod?.containers ?? []), ...(pod?.initContainers ?? [])].find((x) => x.name === name);
  assert.ok(c, `container ${name}`);
  return c;
}

describe('desiredSpeakerConfig', () => {
  const valid: Array<[string, Partial<VipAnnouncerSpec>]> = [
    ['minimal', {}],
    ['every peer option', {
      listenPort: 1179,
      nextHop: { policy: 'Fixed', ipv4: '192.0.2.10', ipv6: '2001:db8::10' },
      peers: [
        {
          address: '192.0.2.1', asn: 65000, port: 1179, multihopTtl: 2, passwordSecretRef: { name: 'bgp', key: 'tor-a' },
          holdTime: '9s', keepaliveInterval: '3s', connectRetry: '5s', gracefulRestart: { enabled: true, restartTime: '60s' },
          families: ['ipv4-unicast'], passive: true,
          bfd: { enabled: true, minTxInterval: '300ms', minRxInterval: '1s', detectMultiplier: 5, multihop: false },
        },
        { address: '2001:db8::1', asn: 65001, families: ['ipv6-unicast'] },
      ],
    }],
    ['BFD with gobgpd defaults', { peers: [{ address: '192.0.2.1', asn: 65000, bfd: { enabled: true } }] }],
    ['hold time 0 with keepalive 0', { peers: [{ address: '192.0.2.1', asn: 65000, holdTime: '0s', keepaliveInterval: '0s' }] }],
  ];
  for (const [name, spec] of valid) {
    it(`${name}: the rendered file passes the shared config schema`, () => {
      const r = rendered(announcer(spec));
      assert.deepEqual(validateConfigText(r.text, { role: 'speaker' }), { ok: true, problems: [] });
      assert.match(r.hash, /^[0-9a-f]{64}$/);
    });
  }

  it('carries a peer\'s nodeSelector into the file, where the speaker reads it', () => {
    const nodeSelector = { matchLabels: { rack: 'a' }, matchExpressions: [{ key: 'edge', operator: 'DoesNotExist' as const }] };
    const r = rendered(announcer({ peers: [{ address: '192.0.2.1', asn: 65000, nodeSelector }, { address: '192.0.2.2', asn: 65000 }] }));
    assert.deepEqual(validateConfigText(r.text, { role: 'speaker' }), { ok: true, problems: [] });
    const cfg = parseConfig(r.text, { NODE_NAME: 'n' }, { role: 'speaker' });
    assert.deepEqual(cfg.speaker?.peers.map((p) => p.nodeSelector), [nodeSelector, undefined]);
    const bad = r.text.replace('DoesNotExist', 'Sometimes');
    assert.match(validateConfigText(bad, { role: 'speaker' }).problems.join('\n'), /speaker\.peers\[0\]\.nodeSelector\.matchExpressions\[0\]\.operator/);
  });

  it('carries asnFrom into the file; a change of it rolls the speakers out', () => {
    const spec = { asnFrom: { label: 'example.com/asn' } };
    const r = rendered(announcer(spec));
    const cfg = parseConfig(r.text, { NODE_NAME: 'n' }, { role: 'speaker' });
    assert.deepEqual(cfg.speaker?.asnFrom, spec.asnFrom);
    assert.notEqual(r.hash, rendered(announcer()).hash);
    const both = r.text.replace('label: example.com/asn', 'label: example.com/asn\n    annotation: x');
    assert.match(validateConfigText(both, { role: 'speaker' }).problems.join('\n'), /speaker\.asnFrom/);
  });

  it('carries per-peer BFD settings into the file', () => {
    const r = rendered(announcer({ peers: [{ address: '192.0.2.1', asn: 65000, bfd: { enabled: true, minTxInterval: '300ms', detectMultiplier: 4 } }] }));
    const cfg = parseConfig(r.text, { NODE_NAME: 'n' }, { role: 'speaker' });
    assert.deepEqual(cfg.speaker?.peers[0]?.bfd, { enabled: true, minTxIntervalMs: 300, detectMultiplier: 4, multihop: false });
  });

  it('gives the speakers the controller\'s loadBalancerClasses (they decide from the same Services); the default leaves the file as it was', () => {
    const classes = desiredSpeakerConfig(announcer(), ['', 'example.org/bgp']);
    assert.ok(classes.ok);
    assert.deepEqual(parseConfig(classes.text, { NODE_NAME: 'n' }, { role: 'speaker' }).speaker?.loadBalancerClasses, ['', 'example.org/bgp']);
    const plain = desiredSpeakerConfig(announcer(), ['']);
    assert.ok(plain.ok);
    assert.equal(plain.text, rendered(announcer()).text);
    assert.doesNotMatch(plain.text, /loadBalancerClasses/);
  });

  it('points passwords at the mounted Secret key, never inlines them', () => {
    const r = rendered(announcer({ peers: [{ address: '192.0.2.1', asn: 65000, passwordSecretRef: { name: 'bgp', key: 'tor-a' } }] }));
    const doc = yaml.load(r.text) as { speaker: { peers: Array<Record<string, unknown>>; gobgp: { target: string } } };
    assert.equal(doc.speaker.peers[0].passwordFile, passwordFileOf({ name: 'bgp', key: 'tor-a' }));
    assert.equal(doc.speaker.peers[0].password, undefined);
    assert.equal(doc.speaker.gobgp.target, 'unix:///run/gobgp/gobgp.sock');
  });

  it('leaves the router id to the Node (routerIdPolicy NodeInternalIP) and next hop to the session by default', () => {
    const doc = yaml.load(rendered(announcer({ routerIdPolicy: 'NodeInternalIP' })).text) as { speaker: Record<string, unknown> };
    assert.equal(doc.speaker.routerId, undefined);
    assert.equal(doc.speaker.nextHop, undefined);
  });

  it('withdrawOnShutdown: false (keep the routes for a rollout) unless the VipAnnouncer sets it', () => {
    const withdraw = (speaker: VipAnnouncerSpec['speaker']): unknown => {
      const doc = yaml.load(rendered(announcer({ speaker })).text) as { speaker: Record<string, unknown> };
      return doc.speaker.withdrawOnShutdown;
    };
    assert.equal(withdraw({ gobgpdImage: 'example.org/gobgpd:3' }), false);
    assert.equal(withdraw({ gobgpdImage: 'example.org/gobgpd:3', withdrawOnShutdown: false }), false);
    assert.equal(withdraw({ gobgpdImage: 'example.org/gobgpd:3', withdrawOnShutdown: true }), true);
  });

  it("addressOwnership: the file's default (Enforced) unless the VipAnnouncer opts out", () => {
    const ownership = (speaker: VipAnnouncerSpec['speaker']): unknown => (yaml.load(rendered(announcer({ speaker })).text) as { speaker: Record<string, unknown> }).speaker.addressOwnership;
    assert.equal(ownership({ gobgpdImage: 'example.org/gobgpd:3' }), undefined);
    assert.equal(ownership({ gobgpdImage: 'example.org/gobgpd:3', addressOwnership: 'Unenforced' }), 'Unenforced');
  });

  const changes: Array<[string, Partial<VipAnnouncerSpec>]> = [
    ['the local ASN', { asn: 64513 }],
    ['listen port', { listenPort: 1179 }],
    ['next hop', { nextHop: { policy: 'Fixed', ipv4: '192.0.2.10' } }],
    ['metrics port', { speaker: { gobgpdImage: 'example.org/gobgpd:3', metricsPort: 9999 } }],
    ['health probe port', { speaker: { gobgpdImage: 'example.org/gobgpd:3', healthProbePort: 9999 } }],
    ['metrics certificate', { speaker: { gobgpdImage: 'example.org/gobgpd:3', metricsCertSecretRef: { name: 'speaker-metrics-tls' } } }],
    ['withdrawOnShutdown', { speaker: { gobgpdImage: 'example.org/gobgpd:3', withdrawOnShutdown: true } }],
    ['addressOwnership', { speaker: { gobgpdImage: 'example.org/gobgpd:3', addressOwnership: 'Unenforced' } }],
  ];
  const base = rendered(announcer()).hash;
  for (const [name, spec] of changes) {
    it(`changing ${name} changes the hash`, () => {
      assert.notEqual(rendered(announcer(spec)).hash, base);
    });
  }
  // Peers are applied live by the speakers from the updated file: no rollout, so a rack's
  // nodeSelector edit re-peers only the nodes it moves.
  const livePeers: Array<[string, Partial<VipAnnouncerSpec>]> = [
    ['a peer address', { peers: [{ address: '192.0.2.2', asn: 65000 }] }],
    ['a peer ASN', { peers: [{ address: '192.0.2.1', asn: 65001 }] }],
    ['hold time', { peers: [{ address: '192.0.2.1', asn: 65000, holdTime: '30s' }] }],
    ['a peer nodeSelector', { peers: [{ address: '192.0.2.1', asn: 65000, nodeSelector: { matchLabels: { rack: 'a' } } }] }],
    ['a second peer', { peers: [{ address: '192.0.2.1', asn: 65000 }, { address: '192.0.2.2', asn: 65000 }] }],
  ];
  for (const [name, spec] of livePeers) {
    it(`changing ${name} changes the file but not the hash (no rollout)`, () => {
      const r = rendered(announcer(spec));
      assert.equal(r.hash, base);
      assert.notEqual(r.text, rendered(announcer()).text);
    });
  }
  it('the same spec gives the same hash; images do not change it', () => {
    assert.equal(rendered(announcer()).hash, base);
    assert.equal(rendered(announcer({ speaker: { gobgpdImage: 'example.org/gobgpd:4', image: 'x/y:1' } })).hash, base);
  });

  const invalid: Array<[string, Partial<VipAnnouncerSpec>, string[]]> = [
    ['keepalive not below hold time', { peers: [{ address: '192.0.2.1', asn: 65000, holdTime: '9s', keepaliveInterval: '9s' }] },
      ['spec.peers[0].keepaliveInterval: must be less than holdTime (9s)']],
    ['hold time between 0 and 3s', { peers: [{ address: '192.0.2.1', asn: 65000, holdTime: '2s', keepaliveInterval: '1s' }] },
      ['spec.peers[0].holdTime: must be 0 (no keepalives) or at least 3s (RFC 4271)']],
    ['duplicate peers (non-canonical spelling)', { peers: [{ address: '2001:db8::1', asn: 65000 }, { address: '2001:DB8:0::1', asn: 65000 }] },
      ['spec.peers[1].address: duplicates speaker.peers[0].address']],
    ['restart time beyond 12 bits', { peers: [{ address: '192.0.2.1', asn: 65000, gracefulRestart: { enabled: true, restartTime: '5000s' } }] },
      ['spec.peers[0].gracefulRestart.restartTime: must be at most 1h8m15s']],
    ['no gobgpd image', { speaker: {} }, ['spec.speaker.gobgpdImage: is required']],
    ['fixed next hop without address', { nextHop: { policy: 'Fixed' } }, ['spec.nextHop: policy Fixed needs ipv4 and/or ipv6']],
    ['metrics and health on one port', { speaker: { gobgpdImage: 'example.org/gobgpd:3', metricsPort: 9500, healthProbePort: 9500 } },
      ['spec.speaker.healthProbePort: must use another port than metrics.bindAddress']],
    ['two problems at once', { speaker: {}, peers: [{ address: '192.0.2.1', asn: 0 }] },
      ['spec.speaker.gobgpdImage: is required', 'spec.peers[0].asn: must be >= 1']],
  ];
  for (const [name, spec, problems] of invalid) {
    it(`invalid: ${name}`, () => {
      const r = desiredSpeakerConfig(announcer(spec));
      assert.equal(r.ok, false);
      if (!r.ok) assert.deepEqual(r.problems, problems);
    });
  }

  it('maps file paths back to the VipAnnouncer fields', () => {
    assert.equal(specPathOf('speaker.peers[2].keepaliveInterval'), 'spec.peers[2].keepaliveInterval');
    assert.equal(specPathOf('speaker.peers[0].passwordFile'), 'spec.peers[0].passwordSecretRef');
    assert.equal(specPathOf('metrics.bindAddress'), 'spec.speaker.metricsPort');
    assert.equal(specPathOf('health.bindAddress'), 'spec.speaker.healthProbePort');
    assert.equal(specPathOf('speaker.listenPort'), 'spec.listenPort');
  });
});

describe('desiredConfigMap', () => {
  it('holds config.yaml and the hash, owned by the VipAnnouncer', () => {
    const va = announcer({ namespace: 'bgp' });
    const r = rendered(va);
    const cm = desiredConfigMap(va, r);
    assert.equal(cm.metadata?.namespace, 'bgp');
    assert.equal(cm.metadata?.name, 'vip-announcer-speaker');
    assert.equal(cm.data?.['config.yaml'], r.text);
    assert.equal(cm.metadata?.annotations?.[CONFIG_HASH_ANNOTATION], r.hash);
    assert.deepEqual(cm.metadata?.ownerReferences, [
      { apiVersion: 'vipannouncer.io/v1alpha1', kind: 'VipAnnouncer', name: 'default', uid: 'uid-1', controller: true, blockOwnerDeletion: true },
    ]);
  });
});

describe('desiredDaemonSet', () => {
  it('runs speaker + gobgpd on the host network with the config hash in the pod template', () => {
    const va = announcer();
    const ds = desiredDaemonSet(va, 'abc');
    const pod = ds.spec?.template.spec;
    assert.equal(ds.metadata?.namespace, 'vip-announcer');
    assert.equal(ds.spec?.template.metadata?.annotations?.[CONFIG_HASH_ANNOTATION], 'abc');
    assert.equal(pod?.hostNetwork, true);
    assert.equal(pod?.dnsPolicy, 'ClusterFirstWithHostNet');
    assert.equal(pod?.serviceAccountName, 'vip-announcer-speaker');
    assert.deepEqual(ds.spec?.selector.matchLabels, { 'app.kubernetes.io/name': 'vip-announcer', 'app.kubernetes.io/component': 'speaker' });
    for (const [k, v] of Object.entries(ds.spec?.selector.matchLabels ?? {})) assert.equal(ds.spec?.template.metadata?.labels?.[k], v);
    assert.equal(ds.metadata?.ownerReferences?.[0].uid, 'uid-1');
  });

  it('speaker: config, NODE_NAME from spec.nodeName, probes, non-root read-only with no capability', () => {
    const c = container(announcer(), 'speaker');
    assert.deepEqual(c.args, [
      'speaker', '--config', '/etc/vip-announcer/config.yaml',
      '--metrics-bind-address=[$(POD_IP)]:9464', '--health-probe-bind-address=[$(POD_IP)]:9465',
    ]);
    assert.deepEqual(c.env?.find((e) => e.name === 'NODE_NAME')?.valueFrom?.fieldRef?.fieldPath, 'spec.nodeName');
    assert.deepEqual(c.env?.find((e) => e.name === 'POD_IP')?.valueFrom?.fieldRef?.fieldPath, 'status.podIP');
    // V8's heap sized to the container: here no memory limit, so no flag.
    assert.equal(c.env?.find((e) => e.name === 'NODE_OPTIONS'), undefined);
    const limited = container(announcer({ speaker: { gobgpdImage: 'g:1', resources: { limits: { memory: '256Mi' } } } }), 'speaker');
    assert.equal(limited.env?.find((e) => e.name === 'NODE_OPTIONS')?.value, '--max-old-space-size=153');
    // Probes on the health listener (plain HTTP, no token), never on the authenticated metrics one.
    assert.equal(c.readinessProbe?.httpGet?.path, '/readyz');
    assert.equal(c.readinessProbe?.httpGet?.port, 'health');
    assert.equal(c.livenessProbe?.httpGet?.path, '/healthz');
    assert.equal(c.livenessProbe?.httpGet?.port, 'health');
    assert.deepEqual(c.ports, [
      { name: 'metrics', containerPort: 9464, protocol: 'TCP' },
      { name: 'health', containerPort: 9465, protocol: 'TCP' },
    ]);
    assert.equal(c.securityContext?.runAsNonRoot, true);
    assert.equal(c.securityContext?.readOnlyRootFilesystem, true);
    assert.equal(c.securityContext?.allowPrivilegeEscalation, false);
    assert.deepEqual(c.securityContext?.capabilities, { drop: ['ALL'] });
  });

  it('metrics: configurable ports and bind policy, a TLS Secret mounted when given', () => {
    const sp = { gobgpdImage: 'example.org/gobgpd:3', metricsPort: 10443, healthProbePort: 10081 };
    const all = container(announcer({ speaker: { ...sp, metricsBindPolicy: 'AllAddresses' } }), 'speaker');
    assert.deepEqual(all.args, ['speaker', '--config', '/etc/vip-announcer/config.yaml']);
    assert.deepEqual(all.ports?.map((p) => p.containerPort), [10443, 10081]);
    const doc = yaml.load(rendered(announcer({ speaker: { ...sp, metricsBindPolicy: 'AllAddresses' } })).text) as Record<string, unknown>;
    assert.deepEqual(doc.metrics, { bindAddress: '0.0.0.0:10443', secure: true });
    assert.deepEqual(doc.health, { bindAddress: '0.0.0.0:10081' });

    const withCert = announcer({ speaker: { ...sp, metricsCertSecretRef: { name: 'speaker-metrics-tls' } } });
    const tlsDoc = yaml.load(rendered(withCert).text) as { metrics: Record<string, unknown> };
    assert.deepEqual(tlsDoc.metrics, { bindAddress: '0.0.0.0:10443', secure: true, certFile: '/var/run/vip-announcer/metrics-tls/tls.crt', keyFile: '/var/run/vip-announcer/metrics-tls/tls.key' });
    const pod = desiredDaemonSet(withCert, 'h').spec?.template.spec;
    assert.deepEqual(pod?.volumes?.find((v) => v.name === 'metrics-tls')?.secret?.secretName, 'speaker-metrics-tls');
    assert.ok(container(withCert, 'speaker').volumeMounts?.some((m) => m.name === 'metrics-tls' && m.mountPath === '/var/run/vip-announcer/metrics-tls' && m.readOnly));
    assert.equal(pod?.volumes?.some((v) => v.name === 'metrics-tls'), true);
    assert.equal(desiredDaemonSet(announcer(), 'h').spec?.template.spec?.volumes?.some((v) => v.name === 'metrics-tls'), false);
  });

  it('gobgpd: gRPC on a unix socket, pprof off, NET_BIND_SERVICE only for a port below 1024', () => {
    const g = container(announcer(), 'gobgpd');
    // As root: umask 0007 so the speaker (same group) may connect to the socket.
    assert.deepEqual([...(g.command ?? []), ...(g.args ?? [])], ['/bin/sh', '-c', 'umask 0007 && rm -f /run/gobgp/gobgp.sock && exec gobgpd "$@"', 'gobgpd', '--api-hosts', 'unix:///run/gobgp/gobgp.sock', '--pprof-disable', '--metrics-path=']);
    assert.equal(g.securityContext?.runAsGroup, 65532);
    assert.equal(g.image, 'example.org/gobgpd:3');
    assert.deepEqual(g.securityContext?.capabilities, { drop: ['ALL'], add: ['NET_BIND_SERVICE'] });
    assert.equal(g.securityContext?.readOnlyRootFilesystem, true);
    assert.equal(g.securityContext?.allowPrivilegeEscalation, false);
    const high = container(announcer({ listenPort: 1179 }), 'gobgpd');
    // Either way a stale socket of a crashed gobgpd is removed first, or the new one could not bind it.
    assert.deepEqual([...(high.command ?? []), ...(high.args ?? [])], ['/bin/sh', '-c', 'rm -f /run/gobgp/gobgp.sock && exec gobgpd "$@"', 'gobgpd', '--api-hosts', 'unix:///run/gobgp/gobgp.sock', '--pprof-disable', '--metrics-path=']);
    assert.deepEqual(high.securityContext?.capabilities, { drop: ['ALL'] });
    assert.equal(high.securityContext?.runAsNonRoot, true);
  });

  it('gobgpd is a native sidecar (restartPolicy Always init container), the speaker the only main container', () => {
    const pod = desiredDaemonSet(announcer(), 'h').spec?.template.spec;
    assert.deepEqual(pod?.containers.map((c) => c.name), ['speaker']);
    assert.deepEqual(pod?.initContainers?.map((c) => [c.name, c.restartPolicy]), [['gobgpd', 'Always']]);
    // The kubelet stops sidecars after the main containers (their preStop runs at once): the grace period covers both.
    assert.equal(pod?.terminationGracePeriodSeconds, 30);
  });

  it('gobgpd stops by SIGQUIT to its PID 1 (no Cease to the peers), once the speaker says it is done, before the kubelet\'s SIGTERM', () => {
    const command = container(announcer(), 'gobgpd').lifecycle?.preStop?.exec?.command ?? [];
    assert.deepEqual(command, [...GOBGPD_PRE_STOP]);
    assert.deepEqual(command.slice(0, 2), ['/bin/sh', '-c']);
    assert.ok(command[2]?.includes('[ ! -e /run/gobgp/speaker.done ]'), `the hook waits for the speaker's done file: ${command[2]}`);
    assert.ok(command[2]?.endsWith('; kill -QUIT 1'), `the hook ends gobgpd by SIGQUIT: ${command[2]}`);
    assert.equal(container(announcer(), 'speaker').lifecycle, undefined);
  });

  it("gobgpd's API socket lives in a memory emptyDir mounted by the speaker and gobgpd only; no TCP API, no host path", () => {
    const pod = desiredDaemonSet(announcer(), 'h').spec?.template.spec;
    assert.deepEqual(pod?.volumes?.find((v) => v.name === 'gobgp-api'), { name: 'gobgp-api', emptyDir: { medium: 'Memory', sizeLimit: '1Mi' } });
    const mounting = [...(pod?.containers ?? []), ...(pod?.initContainers ?? [])].filter((c) => c.volumeMounts?.some((m) => m.name === 'gobgp-api' && m.mountPath === '/run/gobgp'));
    assert.deepEqual(mounting.map((c) => c.name).sort(), ['gobgpd', 'speaker']);
    assert.ok(pod?.volumes?.every((v) => v.hostPath === undefined));
    const text = JSON.stringify(pod);
    assert.ok(!text.includes('50051') && !text.includes('127.0.0.1'), 'no TCP API anywhere in the Pod');
  });

  it('mounts exactly the referenced Secret keys where the config expects them', () => {
    const va = announcer({
      peers: [
        { address: '192.0.2.1', asn: 65000, passwordSecretRef: { name: 'bgp', key: 'b' } },
        { address: '192.0.2.2', asn: 65000, passwordSecretRef: { name: 'bgp', key: 'a' } },
        { address: '192.0.2.3', asn: 65000 },
      ],
    });
    const pod = desiredDaemonSet(va, 'h').spec?.template.spec;
    const vol = pod?.volumes?.find((v) => v.name === 'peer-passwords');
    assert.deepEqual(vol?.projected?.sources, [{ secret: { name: 'bgp', optional: false, items: [{ key: 'a', path: 'bgp/a' }, { key: 'b', path: 'bgp/b' }] } }]);
    const mount = container(va, 'speaker').volumeMounts?.find((m) => m.name === 'peer-passwords');
    assert.equal(`${mount?.mountPath}/bgp/a`, passwordFileOf({ name: 'bgp', key: 'a' }));
    assert.equal(container(announcer(), 'speaker').volumeMounts?.some((m) => m.name === 'peer-passwords'), false);
  });

  it('a changed password is a file update, not a rollout: no subPath, nothing rendered from the Secret', () => {
    // The kubelet refreshes a projected Secret in place (the speaker re-reads the file), but never
    // a subPath mount. The installer reads no Secret (installerController.test.ts: it watches
    // VipAnnouncers, ConfigMaps and DaemonSets only), so the config hash cannot move with one.
    const va = announcer({ peers: [{ address: '192.0.2.1', asn: 65000, passwordSecretRef: { name: 'bgp', key: 'a' } }] });
    const mount = container(va, 'speaker').volumeMounts?.find((m) => m.name === 'peer-passwords');
    assert.ok(mount);
    assert.equal(mount.subPath, undefined);
    assert.equal(mount.subPathExpr, undefined);
    assert.equal(mount.readOnly, true);
  });

  it('node selector, tolerations, images and resources come from spec.speaker', () => {
    const va = announcer({
      speaker: {
        gobgpdImage: 'g:1', image: 's:1', nodeSelector: { bgp: 'yes' },
        tolerations: [{ key: 'edge', operator: 'Exists', effect: 'NoSchedule' }],
        resources: { requests: { cpu: '50m', memory: '64Mi' } }, gobgpdResources: { limits: { memory: '128Mi' } },
      },
    });
    const pod = desiredDaemonSet(va, 'h').spec?.template.spec;
    assert.deepEqual(pod?.nodeSelector, { 'kubernetes.io/os': 'linux', bgp: 'yes' });
    assert.deepEqual(pod?.tolerations, [{ key: 'edge', operator: 'Exists', effect: 'NoSchedule' }]);
    assert.equal(container(va, 'speaker').image, 's:1');
    assert.deepEqual(container(va, 'speaker').resources, { requests: { cpu: '50m', memory: '64Mi' } });
    assert.deepEqual(container(va, 'gobgpd').resources, { limits: { memory: '128Mi' } });
  });
});

describe('speakersRolledOut', () => {
  const ds = (status: NonNullable<DaemonSetView['status']>, generation = 2): DaemonSetView => ({ metadata: { generation }, status });
  const cases: Array<[string, DaemonSetView | undefined, string, string]> = [
    ['no DaemonSet', undefined, 'False', 'DaemonSetMissing'],
    ['generation not observed', ds({ observedGeneration: 1, desiredNumberScheduled: 3, numberReady: 3, updatedNumberScheduled: 3 }), 'False', 'GenerationNotObserved'],
    ['no node', ds({ observedGeneration: 2, desiredNumberScheduled: 0, numberReady: 0 }), 'False', 'NoNodes'],
    ['pods pending', ds({ observedGeneration: 2, desiredNumberScheduled: 3, numberReady: 0, updatedNumberScheduled: 3 }), 'False', 'SpeakersNotReady'],
    ['old pods ready', ds({ observedGeneration: 2, desiredNumberScheduled: 3, numberReady: 3, updatedNumberScheduled: 1 }), 'False', 'RollingOut'],
    ['all updated and ready', ds({ observedGeneration: 2, desiredNumberScheduled: 3, numberReady: 3, updatedNumberScheduled: 3 }), 'True', 'RolledOut'],
  ];
  for (const [name, view, status, reason] of cases) {
    it(name, () => {
      const r = speakersRolledOut(view);
      assert.deepEqual([r.condition.status, r.condition.reason], [status, reason]);
    });
  }
});

describe('activeAnnouncer', () => {
  it('is the oldest, then the first by name, ignoring ones being deleted', () => {
    const a = announcer({}, 'b');
    a.metadata.creationTimestamp = '2026-01-01T00:00:00Z';
    const b = announcer({}, 'a');
    b.metadata.creationTimestamp = '2026-01-01T00:00:00Z';
    const c = announcer({}, 'c');
    c.metadata.creationTimestamp = '2025-01-01T00:00:00Z';
    c.metadata.deletionTimestamp = '2026-02-01T00:00:00Z';
    assert.equal(activeAnnouncer([a, b, c])?.metadata.name, 'a');
    assert.equal(activeAnnouncer([])?.metadata.name, undefined);
  });
});
