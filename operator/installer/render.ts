// What a VipAnnouncer becomes: the speaker config file (checked by the same schema as a
// hand-written file), the ConfigMap holding it and the DaemonSet running speaker + gobgpd.
// Pure functions of the custom resource; the installer controller applies their results.
import { createHash } from 'node:crypto';
import type { V1ConfigMap, V1DaemonSet, V1DaemonSetStatus, V1SecurityContext } from '@kubernetes/client-node';
import yaml from 'js-yaml';
import {
  API_VERSION,
  INSTALLER_CONDITION_TYPES,
  INSTALLER_KIND,
  type Condition,
  type ResourceRequirements,
  type VipAnnouncer,
  type VipAnnouncerPeer,
} from '../api/types';
import { validateConfigText } from '../config';
import { MANAGED_BY, MANAGED_BY_LABEL } from '../api/labels';
import { nodeOptionsFor } from './heapFlags';
import { sameList } from '../util/lists';
import { DEFAULT_GOBGP_TARGET, GOBGP_SOCKET_DIR, GOBGP_SOCKET_FILE, SPEAKER_DONE_FILE } from '../util/gobgpTarget';

export const SPEAKER_NAME = 'vip-announcer-speaker';
export const SPEAKER_SERVICE_ACCOUNT = 'vip-announcer-speaker';
export const CONFIG_KEY = 'config.yaml';
export const CONFIG_DIR = '/etc/vip-announcer';
export const PASSWORD_DIR = '/var/run/vip-announcer/peer-passwords';
/** Where the speaker finds metricsCertSecretRef's tls.crt and tls.key. */
export const METRICS_TLS_DIR = '/var/run/vip-announcer/metrics-tls';
/**
 * gobgpd's gRPC API has no authentication: it listens on a unix socket in an emptyDir that
 * only the speaker and gobgpd containers mount, not on the host network's loopback where
 * every hostNetwork Pod and node process could reach it.
 */
export { GOBGP_SOCKET_DIR, GOBGP_SOCKET_FILE };
export const GOBGP_API = DEFAULT_GOBGP_TARGET;
export const CONFIG_HASH_ANNOTATION = 'vipannouncer.io/config-hash';
/** Label on the ConfigMap and DaemonSet naming the VipAnnouncer they were rendered from. */
export const OWNER_LABEL = 'vipannouncer.io/owner';

export const DEFAULTS = {
  namespace: 'vip-announcer',
  image: 'ghcr.io/vip-announcer/vip-announcer:0.1.0',
  imagePullPolicy: 'IfNotPresent',
  metricsPort: 9464,
  healthProbePort: 9465,
  listenPort: 179,
} as const;

/** Non-root user of the speaker image (hack/images.sh). */
const SPEAKER_UID = 65532;

export const INSTALLER_REASONS = {
  ready: 'Ready',
  invalidConfiguration: 'InvalidConfiguration',
  applyFailed: 'ApplyFailed',
  superseded: 'Superseded',
  namespaceNotAllowed: 'NamespaceNotAllowed',
  configurationApplied: 'ConfigurationApplied',
  rolledOut: 'RolledOut',
  rollingOut: 'RollingOut',
  speakersNotReady: 'SpeakersNotReady',
  noNodes: 'NoNodes',
  daemonSetMissing: 'DaemonSetMissing',
  generationNotObserved: 'GenerationNotObserved',
  policiesEnforced: 'PoliciesEnforced',
  policiesMissing: 'PoliciesMissing',
  policiesUnread: 'PoliciesUnread',
} as const;

export type RenderedConfig =
  | { ok: true; text: string; hash: string }
  | { ok: false; problems: string[] };

export function namespaceOf(announcer: VipAnnouncer): string {
  return announcer.spec.namespace || DEFAULTS.namespace;
}

export function passwordFileOf(ref: { name: string; key: string }): string {
  return `${PASSWORD_DIR}/${ref.name}/${ref.key}`;
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** Config field paths of the file → the VipAnnouncer fields they come from. */
export function specPathOf(configPath: string): string {
  const m = /^speaker\.peers\[(\d+)\]\.passwordFile(.*)$/.exec(configPath);
  if (m) return `spec.peers[${m[1]}].passwordSecretRef${m[2]}`;
  if (configPath.startsWith('metrics.bindAddress')) return 'spec.speaker.metricsPort';
  if (configPath.startsWith('health.bindAddress')) return 'spec.speaker.healthProbePort';
  if (configPath === 'metrics' || configPath.startsWith('metrics.')) return 'spec.speaker.metricsCertSecretRef';
  if (configPath === 'speaker' || configPath.startsWith('speaker.')) return `spec${configPath.slice('speaker'.length)}`;
  return `spec (config ${configPath})`;
}

function renderPeer(p: VipAnnouncerPeer): Record<string, unknown> {
  const out: Record<string, unknown> = { address: p.address, asn: p.asn };
  if (p.port !== undefined) out.port = p.port;
  if (p.multihopTtl !== undefined) out.multihopTtl = p.multihopTtl;
  if (p.passwordSecretRef) out.passwordFile = passwordFileOf(p.passwordSecretRef);
  if (p.holdTime !== undefined) out.holdTime = p.holdTime;
  if (p.keepaliveInterval !== undefined) out.keepaliveInterval = p.keepaliveInterval;
  if (p.connectRetry !== undefined) out.connectRetry = p.connectRetry;
  if (p.gracefulRestart) out.gracefulRestart = { ...p.gracefulRestart };
  if (p.families !== undefined) out.families = [...p.families];
  if (p.passive !== undefined) out.passive = p.passive;
  if (p.bfd !== undefined) out.bfd = { ...p.bfd };
  if (p.nodeSelector !== undefined) out.nodeSelector = p.nodeSelector;
  return out;
}

/** Problems the file schema cannot see, because they are about the CR's own fields. */
function specProblems(announcer: VipAnnouncer): string[] {
  const problems: string[] = [];
  const spec = announcer.spec;
  if (!spec.speaker?.gobgpdImage) problems.push('spec.speaker.gobgpdImage: is required');
  if (spec.routerIdPolicy !== undefined && spec.routerIdPolicy !== 'NodeInternalIP') problems.push('spec.routerIdPolicy: must be NodeInternalIP');
  const nh = spec.nextHop ?? {};
  const fixed = nh.policy === 'Fixed';
  if (nh.policy !== undefined && nh.policy !== 'Fixed' && nh.policy !== 'SessionLocalAddress') problems.push('spec.nextHop.policy: must be SessionLocalAddress or Fixed');
  if (fixed && nh.ipv4 === undefined && nh.ipv6 === undefined) problems.push('spec.nextHop: policy Fixed needs ipv4 and/or ipv6');
  if (!fixed && (nh.ipv4 !== undefined || nh.ipv6 !== undefined)) problems.push('spec.nextHop: ipv4/ipv6 are only used with policy Fixed');
  (spec.peers ?? []).forEach((p, i) => {
    const ref = p.passwordSecretRef;
    if (ref && (!/^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/.test(ref.name) || !/^[-._a-zA-Z0-9]+$/.test(ref.key) || ref.key === '.' || ref.key.startsWith('..'))) {
      problems.push(`spec.peers[${i}].passwordSecretRef: must name a Secret and one of its keys`);
    }
  });
  return problems;
}

const DEFAULT_CLASSES: readonly string[] = [''];

/**
 * The speaker config file for a VipAnnouncer, checked by the file's own schema (role speaker,
 * statically: the node name and password files exist only in the Pod). Fields the CR leaves
 * out are left out of the file too, so the file's defaults apply.
 */
export function desiredSpeakerConfig(announcer: VipAnnouncer, loadBalancerClasses: readonly string[] = DEFAULT_CLASSES): RenderedConfig {
  const spec = announcer.spec;
  const speaker: Record<string, unknown> = { asn: spec.asn };
  if (spec.listenPort !== undefined) speaker.listenPort = spec.listenPort;
  if (spec.asnFrom !== undefined) speaker.asnFrom = { ...spec.asnFrom };
  speaker.gobgp = { target: GOBGP_API };
  if (spec.nextHop?.policy === 'Fixed') {
    const nh: Record<string, string> = {};
    if (spec.nextHop.ipv4 !== undefined) nh.ipv4 = spec.nextHop.ipv4;
    if (spec.nextHop.ipv6 !== undefined) nh.ipv6 = spec.nextHop.ipv6;
    speaker.nextHop = nh;
  }
  // Always written: the file's own default (true) suits a hand-run speaker, while a rollout
  // of the DaemonSet must keep the routes (graceful restart) unless the VipAnnouncer says so.
  speaker.withdrawOnShutdown = spec.speaker?.withdrawOnShutdown ?? false;
  if (spec.speaker?.addressOwnership !== undefined) speaker.addressOwnership = spec.speaker.addressOwnership;
  speaker.peers = (spec.peers ?? []).map(renderPeer);
  // Speakers decide from the Services the controller handles: its classes, when not the default.
  const classes = sameList(loadBalancerClasses, DEFAULT_CLASSES) ? {} : { controller: { loadBalancerClasses: [...loadBalancerClasses] } };
  const doc = { ...classes, speaker, ...listeners(announcer) };
  const body = yaml.dump(doc, { noRefs: true, lineWidth: -1 });
  const text = `# Rendered from VipAnnouncer ${announcer.metadata.name} by vip-announcer; edit the VipAnnouncer, not this file.\n${body}`;

  const problems = [...specProblems(announcer), ...validateConfigText(text, { role: 'speaker' }).problems.map(toSpecProblem)];
  if (problems.length > 0) return { ok: false, problems: [...new Set(problems)] };
  // The hash rolls the speakers out: it leaves the peers out, which they apply live from the
  // updated ConfigMap (a nodeSelector edit re-peers only the nodes it moves; a new password
  // Secret changes the pod template's volume, which rolls out anyway).
  const restartOnly = { ...doc, speaker: { ...speaker, peers: undefined } };
  return { ok: true, text, hash: sha256(yaml.dump(restartOnly, { noRefs: true, lineWidth: -1, skipInvalid: true })) };
}

/**
 * The file's metrics and health sections. They bind every address here; with the PodIP policy
 * (default) the DaemonSet's args narrow both to the Pod's IP (bindArgs), which only the Pod knows.
 */
function listeners(announcer: VipAnnouncer): Record<string, unknown> {
  const sp = announcer.spec.speaker ?? {};
  const tls = sp.metricsCertSecretRef ? { certFile: `${METRICS_TLS_DIR}/tls.crt`, keyFile: `${METRICS_TLS_DIR}/tls.key` } : {};
  return {
    metrics: { bindAddress: `0.0.0.0:${sp.metricsPort ?? DEFAULTS.metricsPort}`, secure: true, ...tls },
    health: { bindAddress: `0.0.0.0:${sp.healthProbePort ?? DEFAULTS.healthProbePort}` },
  };
}

/**
 * PodIP: both listeners on status.podIP, the node address Prometheus and the kubelet reach,
 * not on every address of the host network (an uplink, a VIP on lo). Brackets, so an IPv6
 * Pod IP parses too ($(POD_IP) is expanded by the kubelet).
 */
export function bindArgs(announcer: VipAnnouncer): string[] {
  const sp = announcer.spec.speaker ?? {};
  if ((sp.metricsBindPolicy ?? 'PodIP') !== 'PodIP') return [];
  return [
    `--metrics-bind-address=[$(POD_IP)]:${sp.metricsPort ?? DEFAULTS.metricsPort}`,
    `--health-probe-bind-address=[$(POD_IP)]:${sp.healthProbePort ?? DEFAULTS.healthProbePort}`,
  ];
}

function toSpecProblem(p: string): string {
  const i = p.indexOf(': ');
  return i < 0 ? p : `${specPathOf(p.slice(0, i))}: ${p.slice(i + 2)}`;
}

export function speakerLabels(announcer: VipAnnouncer): Record<string, string> {
  return {
    'app.kubernetes.io/name': 'vip-announcer',
    'app.kubernetes.io/component': 'speaker',
    'app.kubernetes.io/instance': announcer.metadata.name,
    'app.kubernetes.io/part-of': 'vip-announcer',
    [MANAGED_BY_LABEL]: MANAGED_BY,
    [OWNER_LABEL]: announcer.metadata.name,
  };
}

/** The DaemonSet's selector: immutable, so it names only what never changes. */
export const SELECTOR_LABELS = { 'app.kubernetes.io/name': 'vip-announcer', 'app.kubernetes.io/component': 'speaker' } as const;

function ownerReference(announcer: VipAnnouncer): { apiVersion: string; kind: string; name: string; uid: string; controller: true; blockOwnerDeletion: true } {
  return { apiVersion: API_VERSION, kind: INSTALLER_KIND, name: announcer.metadata.name, uid: announcer.metadata.uid ?? '', controller: true, blockOwnerDeletion: true };
}

export function desiredConfigMap(announcer: VipAnnouncer, config: { text: string; hash: string }): V1ConfigMap {
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: {
      name: SPEAKER_NAME,
      namespace: namespaceOf(announcer),
      labels: speakerLabels(announcer),
      annotations: { [CONFIG_HASH_ANNOTATION]: config.hash },
      ownerReferences: [ownerReference(announcer)],
    },
    data: { [CONFIG_KEY]: config.text },
  };
}

function resources(r: ResourceRequirements | undefined): { requests?: Record<string, string>; limits?: Record<string, string> } | undefined {
  if (!r || (!r.requests && !r.limits)) return undefined;
  const out: { requests?: Record<string, string>; limits?: Record<string, string> } = {};
  if (r.requests) out.requests = Object.fromEntries(Object.entries(r.requests).map(([k, v]) => [k, String(v)]));
  if (r.limits) out.limits = Object.fromEntries(Object.entries(r.limits).map(([k, v]) => [k, String(v)]));
  return out;
}

const RESTRICTED: V1SecurityContext = {
  allowPrivilegeEscalation: false,
  readOnlyRootFilesystem: true,
  capabilities: { drop: ['ALL'] },
  seccompProfile: { type: 'RuntimeDefault' },
};

/**
 * How gobgpd starts: through the image's /bin/sh, for two reasons.
 * - A socket left by a gobgpd that crashed stays in the emptyDir, and a new gobgpd cannot bind
 *   its path again ("address already in use"): it would run on with no API, and the speaker
 *   could never configure it (seen on the lab's real nodes). So the stale socket goes first.
 * - As root (a BGP port below 1024) the socket would be root's with mode 0755, which the
 *   non-root speaker cannot connect to: umask 0007 makes it 0770, and its group (gobgpd's, the
 *   speaker's) may connect.
 */
export function gobgpdCommand(listenPort: number): { command: string[]; args: string[] } {
  // No TCP listener but BGP: gobgpd would otherwise serve pprof and its metrics on the node's
  // localhost:6060 (host network), where any local process can reach them and another agent's
  // port 6060 would collide. Its API is the socket; its state reaches /metrics through the speaker.
  const args = ['--api-hosts', GOBGP_API, '--pprof-disable', '--metrics-path='];
  const umask = listenPort < 1024 ? 'umask 0007 && ' : '';
  return { command: ['/bin/sh', '-c', `${umask}rm -f ${GOBGP_SOCKET_DIR}/${GOBGP_SOCKET_FILE} && exec gobgpd "$@"`, 'gobgpd'], args };
}

/**
 * gobgpd binds the BGP port on the host network. Below 1024 that takes NET_BIND_SERVICE, and
 * Kubernetes only makes an added capability effective for uid 0 (no ambient capabilities), so
 * gobgpd runs as root with every other capability dropped; on a port >= 1024 it runs as non-root
 * with none. Its gRPC API is the unix socket (GOBGP_API).
 */
export function gobgpdSecurityContext(listenPort: number): V1SecurityContext {
  if (listenPort < 1024) {
    return { ...RESTRICTED, runAsUser: 0, runAsGroup: SPEAKER_UID, runAsNonRoot: false, capabilities: { drop: ['ALL'], add: ['NET_BIND_SERVICE'] } };
  }
  return { ...RESTRICTED, runAsUser: SPEAKER_UID, runAsGroup: SPEAKER_UID, runAsNonRoot: true };
}

/**
 * gobgpd 3.10 answers SIGTERM with StopBgp, which sends every peer a Cease, and a router
 * without RFC 8538 then drops the node's routes at once, graceful restart or not. Go's default
 * SIGQUIT ends gobgpd without a word: the sessions just close and the routers hold the routes
 * for the restart time (both proven against BIRD in test-e2e/restarts.test.ts).
 *
 * The kubelet runs a sidecar's preStop hook at once, beside the speaker's SIGTERM; only the
 * SIGTERM that follows the hook waits for the speaker to exit. So the hook first waits for
 * the speaker's done file (written at the end of its shutdown: withdrawn on an uninstall or
 * with withdrawOnShutdown, or decided to keep the routes), at most 25 s by the clock (not a
 * count of sleeps, which CPU throttling stretches) of the Pod's 30 s grace period; a gobgpd ended earlier would take an uninstall's withdrawal with it, and the
 * router would hold every route for the restart time. Needs a shell in the gobgpd image;
 * without one the hook fails and the SIGTERM stop applies.
 */
export const GOBGPD_PRE_STOP = [
  '/bin/sh',
  '-c',
  `end=$(($(date +%s) + 25)); while [ ! -e ${GOBGP_SOCKET_DIR}/${SPEAKER_DONE_FILE} ] && [ "$(date +%s)" -lt "$end" ]; do sleep 0.1; done; kill -QUIT 1`,
] as const;

export function desiredDaemonSet(announcer: VipAnnouncer, configHash: string): V1DaemonSet {
  const spec = announcer.spec;
  const sp = spec.speaker ?? {};
  const metricsPort = sp.metricsPort ?? DEFAULTS.metricsPort;
  const healthPort = sp.healthProbePort ?? DEFAULTS.healthProbePort;
  const certSecret = sp.metricsCertSecretRef?.name;
  const listenPort = spec.listenPort ?? DEFAULTS.listenPort;
  const pullPolicy = sp.imagePullPolicy ?? DEFAULTS.imagePullPolicy;
  const labels = speakerLabels(announcer);

  // One projected volume with exactly the referenced keys, as <secret>/<key>.
  const secretKeys = new Map<string, Set<string>>();
  for (const p of spec.peers ?? []) {
    const ref = p.passwordSecretRef;
    if (ref) secretKeys.set(ref.name, (secretKeys.get(ref.name) ?? new Set()).add(ref.key));
  }
  const secretNames = [...secretKeys.keys()].sort();
  const passwordVolume = secretNames.length > 0
    ? [{
        name: 'peer-passwords',
        projected: {
          defaultMode: 0o440,
          sources: secretNames.map((name) => ({
            secret: { name, optional: false, items: [...(secretKeys.get(name) ?? [])].sort().map((key) => ({ key, path: `${name}/${key}` })) },
          })),
        },
      }]
    : [];

  const speakerResources = resources(sp.resources);
  const speakerNodeOptions = nodeOptionsFor(speakerResources?.limits?.memory);
  const gobgpdResources = resources(sp.gobgpdResources);
  const nodeSelector = { 'kubernetes.io/os': 'linux', ...(sp.nodeSelector ?? {}) };

  return {
    apiVersion: 'apps/v1',
    kind: 'DaemonSet',
    metadata: { name: SPEAKER_NAME, namespace: namespaceOf(announcer), labels, ownerReferences: [ownerReference(announcer)] },
    spec: {
      selector: { matchLabels: { ...SELECTOR_LABELS } },
      updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 1 } },
      template: {
        metadata: { labels, annotations: { [CONFIG_HASH_ANNOTATION]: configHash } },
        spec: {
          hostNetwork: true,
          dnsPolicy: 'ClusterFirstWithHostNet',
          serviceAccountName: SPEAKER_SERVICE_ACCOUNT,
          enableServiceLinks: false,
          terminationGracePeriodSeconds: 30,
          nodeSelector,
          ...(sp.tolerations && sp.tolerations.length > 0 ? { tolerations: sp.tolerations.map((t) => ({ ...t })) } : {}),
          securityContext: { fsGroup: SPEAKER_UID, seccompProfile: { type: 'RuntimeDefault' } },
          containers: [
            {
              name: 'speaker',
              image: sp.image ?? DEFAULTS.image,
              imagePullPolicy: pullPolicy,
              // The image's entrypoint is the vip-announcer command.
              args: ['speaker', '--config', `${CONFIG_DIR}/${CONFIG_KEY}`, ...bindArgs(announcer)],
              env: [
                { name: 'NODE_NAME', valueFrom: { fieldRef: { apiVersion: 'v1', fieldPath: 'spec.nodeName' } } },
                { name: 'POD_NAME', valueFrom: { fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.name' } } },
                { name: 'POD_NAMESPACE', valueFrom: { fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.namespace' } } },
                // The bind address (PodIP policy) and a name in the self-signed certificate.
                { name: 'POD_IP', valueFrom: { fieldRef: { apiVersion: 'v1', fieldPath: 'status.podIP' } } },
                // V8's heap sized to the container's memory limit (heapFlags.ts).
                ...(speakerNodeOptions ? [{ name: 'NODE_OPTIONS', value: speakerNodeOptions }] : []),
              ],
              ports: [
                { name: 'metrics', containerPort: metricsPort, protocol: 'TCP' },
                { name: 'health', containerPort: healthPort, protocol: 'TCP' },
              ],
              // The probes use the health listener: plain HTTP, no token, status only.
              readinessProbe: { httpGet: { path: '/readyz', port: 'health' }, periodSeconds: 10, failureThreshold: 3 },
              livenessProbe: { httpGet: { path: '/healthz', port: 'health' }, initialDelaySeconds: 10, periodSeconds: 20, failureThreshold: 3 },
              securityContext: { ...RESTRICTED, runAsNonRoot: true, runAsUser: SPEAKER_UID, runAsGroup: SPEAKER_UID },
              ...(speakerResources ? { resources: speakerResources } : {}),
              volumeMounts: [
                { name: 'config', mountPath: CONFIG_DIR, readOnly: true },
                { name: 'gobgp-api', mountPath: GOBGP_SOCKET_DIR },
                ...(passwordVolume.length > 0 ? [{ name: 'peer-passwords', mountPath: PASSWORD_DIR, readOnly: true }] : []),
                ...(certSecret ? [{ name: 'metrics-tls', mountPath: METRICS_TLS_DIR, readOnly: true }] : []),
              ],
            },
          ],
          // gobgpd as a native sidecar (Kubernetes >= 1.29): it starts before the speaker, and a
          // speaker restart leaves it (and the BGP sessions) alone. At Pod termination the
          // kubelet sends its SIGTERM only after the speaker exited, but runs its preStop at
          // once: the hook waits for the speaker's done file (GOBGPD_PRE_STOP), so a withdrawal
          // on shutdown runs while gobgpd still holds the sessions.
          initContainers: [
            {
              restartPolicy: 'Always',
              name: 'gobgpd',
              image: sp.gobgpdImage ?? '',
              imagePullPolicy: pullPolicy,
              ...gobgpdCommand(listenPort),
              ports: [{ name: 'bgp', containerPort: listenPort, protocol: 'TCP' }],
              // No probe: its API is a socket no probe can reach, and the speaker's /readyz fails while gobgpd does not answer.
              securityContext: gobgpdSecurityContext(listenPort),
              lifecycle: { preStop: { exec: { command: [...GOBGPD_PRE_STOP] } } },
              volumeMounts: [{ name: 'gobgp-api', mountPath: GOBGP_SOCKET_DIR }],
              ...(gobgpdResources ? { resources: gobgpdResources } : {}),
            },
          ],
          volumes: [
            { name: 'config', configMap: { name: SPEAKER_NAME, items: [{ key: CONFIG_KEY, path: CONFIG_KEY }] } },
            { name: 'gobgp-api', emptyDir: { medium: 'Memory', sizeLimit: '1Mi' } },
            ...passwordVolume,
            ...(certSecret
              ? [{ name: 'metrics-tls', secret: { secretName: certSecret, defaultMode: 0o440, items: [{ key: 'tls.crt', path: 'tls.crt' }, { key: 'tls.key', path: 'tls.key' }] } }]
              : []),
          ],
        },
      },
    },
  };
}

/** Hash of what the installer applies to the DaemonSet, to skip writes that change nothing. */
export function objectHash(obj: unknown): string {
  return sha256(JSON.stringify(obj));
}

// ---------------------------------------------------------------------------------------------
// Status

export interface DaemonSetView {
  metadata?: { generation?: number; annotations?: Record<string, string> };
  spec?: { template?: { metadata?: { annotations?: Record<string, string> } } };
  status?: Pick<V1DaemonSetStatus, 'desiredNumberScheduled' | 'numberReady' | 'updatedNumberScheduled' | 'observedGeneration' | 'numberAvailable'>;
}

export interface RolloutState {
  condition: Pick<Condition, 'status' | 'reason' | 'message'>;
  desired: number;
  ready: number;
  updated: number;
}

/** SpeakersRolledOut from the DaemonSet status (what `kubectl rollout status` checks). */
export function speakersRolledOut(ds: DaemonSetView | undefined): RolloutState {
  if (!ds) return { condition: { status: 'False', reason: INSTALLER_REASONS.daemonSetMissing, message: `DaemonSet ${SPEAKER_NAME} does not exist` }, desired: 0, ready: 0, updated: 0 };
  const st = ds.status ?? { desiredNumberScheduled: 0, numberReady: 0 };
  const desired = st.desiredNumberScheduled ?? 0;
  const ready = st.numberReady ?? 0;
  const updated = st.updatedNumberScheduled ?? 0;
  const counts = { desired, ready, updated };
  const gen = ds.metadata?.generation ?? 0;
  if ((st.observedGeneration ?? 0) < gen) {
    return { ...counts, condition: { status: 'False', reason: INSTALLER_REASONS.generationNotObserved, message: `the DaemonSet controller has not yet seen generation ${gen}` } };
  }
  if (desired === 0) {
    return { ...counts, condition: { status: 'False', reason: INSTALLER_REASONS.noNodes, message: 'no node matches the speaker nodeSelector and tolerations' } };
  }
  if (updated < desired) {
    return { ...counts, condition: { status: 'False', reason: INSTALLER_REASONS.rollingOut, message: `${updated} of ${desired} speakers updated` } };
  }
  if (ready < desired) {
    return { ...counts, condition: { status: 'False', reason: INSTALLER_REASONS.speakersNotReady, message: `${ready} of ${desired} speakers ready` } };
  }
  return { ...counts, condition: { status: 'True', reason: INSTALLER_REASONS.rolledOut, message: `${desired} of ${desired} speakers updated and ready` } };
}

/** The VipAnnouncer in effect: the oldest (then by name); others are Superseded. */
export function activeAnnouncer(all: readonly VipAnnouncer[]): VipAnnouncer | undefined {
  const live = all.filter((v) => !v.metadata.deletionTimestamp);
  live.sort((a, b) => {
    const ta = a.metadata.creationTimestamp ?? '';
    const tb = b.metadata.creationTimestamp ?? '';
    if (ta !== tb) return ta < tb ? -1 : 1;
    return a.metadata.name < b.metadata.name ? -1 : a.metadata.name > b.metadata.name ? 1 : 0;
  });
  return live[0];
}

export { INSTALLER_CONDITION_TYPES };
