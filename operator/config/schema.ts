// The JSON Schema of the vip-announcer configuration file. It is the single
// source of the file's shape and of its static defaults (ajv fills them with
// useDefaults), and it is exported so it can be written out or embedded in a
// CRD later. It only uses keywords a Kubernetes structural schema accepts.
// Cross-field rules (timer relations, unique peers, env-provided values) live
// in validate.ts because JSON Schema cannot express them readably.

import { FAMILIES, type Family } from '../api/families';
import type { LabelSelector } from '../api/pool';
import type { NodeValueSource } from './types';
import { DEFAULT_GOBGP_TARGET } from '../util/gobgpTarget';

export const DNS_SUBDOMAIN = '^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$';
export const DNS_LABEL = '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$';
// "" selects Services without spec.loadBalancerClass; otherwise a label-style key.
export const LOAD_BALANCER_CLASS =
  '^$|^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$';

/** The VipAnnouncer CRD's bound on peers; a speaker needs no more. */
export const MAX_PEERS = 32;
/** Linux's TCP_MD5SIG_MAXKEYLEN: a longer key makes gobgpd's setsockopt fail and the session run without MD5. */
export const MAX_PASSWORD_BYTES = 80;
export const GOBGP_APIS = ['v3', 'v4', 'auto'] as const;

const duration = (description: string, dflt?: string) =>
  ({ type: 'string', format: 'duration', description, ...(dflt === undefined ? {} : { default: dflt }) }) as const;

/** metav1.LabelSelector, as the CRDs bound it. */
const labelSelectorSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    matchLabels: { type: 'object', maxProperties: 64, additionalProperties: { type: 'string', maxLength: 63 } },
    matchExpressions: {
      type: 'array',
      maxItems: 64,
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['key', 'operator'],
        properties: {
          key: { type: 'string', minLength: 1, maxLength: 317 },
          operator: { type: 'string', enum: ['In', 'NotIn', 'Exists', 'DoesNotExist'] },
          values: { type: 'array', maxItems: 64, items: { type: 'string', maxLength: 63 } },
        },
      },
    },
  },
} as const;

/** Exactly one of a Node label or annotation key. */
const nodeValueSchema = {
  type: 'object',
  additionalProperties: false,
  minProperties: 1,
  maxProperties: 1,
  properties: { label: { type: 'string', minLength: 1, maxLength: 317 }, annotation: { type: 'string', minLength: 1, maxLength: 317 } },
} as const;

const peerSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['address', 'asn'],
  properties: {
    address: { type: 'string', format: 'ip', description: 'Neighbor address.' },
    asn: { type: 'integer', minimum: 1, maximum: 4294967295, description: 'Neighbor AS number.' },
    port: { type: 'integer', minimum: 1, maximum: 65535, default: 179 },
    localAddress: { type: 'string', format: 'ip', description: 'Local address to bind the session to.' },
    multihopTtl: {
      type: 'integer',
      minimum: 1,
      maximum: 255,
      description: 'eBGP multihop TTL; absent means directly connected.',
    },
    password: {
      type: 'string',
      minLength: 1,
      maxLength: MAX_PASSWORD_BYTES,
      description: `TCP MD5 password, at most ${MAX_PASSWORD_BYTES} bytes (UTF-8). Prefer passwordFile.`,
    },
    passwordFile: { type: 'string', minLength: 1, description: 'File holding the TCP MD5 password (a mounted Secret).' },
    holdTime: duration('BGP hold time, whole seconds; 0 or >= 3s.', '90s'),
    keepaliveInterval: duration('Whole seconds, less than holdTime. Default: holdTime / 3.'),
    connectRetry: duration('Whole seconds between connection attempts.', '10s'),
    gracefulRestart: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        enabled: { type: 'boolean', default: false },
        restartTime: duration('Whole seconds, at most 4095s (a 12-bit field).', '120s'),
      },
    },
    families: {
      type: 'array',
      minItems: 1,
      uniqueItems: true,
      items: { type: 'string', enum: FAMILIES },
      description: "Default: the family of the neighbor address (GoBGP's own default).",
    },
    passive: { type: 'boolean', default: false, description: 'Wait for the neighbor to connect.' },
    nodeSelector: { ...labelSelectorSchema, description: "The nodes that peer with this neighbor (their Node's labels); absent: every node." },
    bfd: {
      type: 'object',
      additionalProperties: false,
      default: {},
      description: "BFD on this session (GoBGP's v4 API, gobgpd 4.5 or later). Absent intervals: gobgpd's 1s.",
      properties: {
        enabled: { type: 'boolean', default: false },
        minTxInterval: duration('Desired minimum interval between our BFD packets, whole milliseconds.'),
        minRxInterval: duration("Required minimum interval between the neighbor's BFD packets, whole milliseconds."),
        detectMultiplier: { type: 'integer', minimum: 1, maximum: 255, description: 'Missed intervals before the session is down (default 3).' },
        multihop: { type: 'boolean', default: false, description: 'Multihop BFD (RFC 5883, port 4784).' },
      },
    },
  },
} as const;

export const ADDRESS_OWNERSHIP = ['Enforced', 'Unenforced'] as const;

function addressOwnership(what: string): { type: 'string'; enum: typeof ADDRESS_OWNERSHIP; default: 'Enforced'; description: string } {
  return {
    type: 'string',
    enum: ADDRESS_OWNERSHIP,
    default: 'Enforced',
    description: `Enforced: while no VipPool exists, ${what} (closed by default). Unenforced: while no pool exists, addresses are announced unchecked; for a migration only (see README, Upgrading to pools).`,
  };
}

export const configSchema = {
  $schema: 'http://json-schema.org/draft-07/schema#',
  title: 'vip-announcer configuration',
  type: 'object',
  additionalProperties: false,
  properties: {
    controller: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        addressOwnership: addressOwnership('the controller allocates and announces nothing'),
        loadBalancerClasses: {
          type: 'array',
          minItems: 1,
          uniqueItems: true,
          items: { type: 'string', maxLength: 253, pattern: LOAD_BALANCER_CLASS },
          default: [''],
          description: 'Service loadBalancerClass values handled; "" means Services without a class.',
        },
        resyncPeriod: duration('Every key is enqueued again this often.', '5m'),
        speakerNamespace: {
          type: 'string',
          maxLength: 63,
          pattern: DNS_LABEL,
          description: 'The only namespace the installer writes the speakers\' ConfigMap and DaemonSet to (its RBAC is a Role there). Default: env POD_NAMESPACE, else "vip-announcer".',
          default: 'vip-announcer',
        },
        leaderElection: {
          type: 'object',
          additionalProperties: false,
          default: {},
          properties: {
            enabled: { type: 'boolean', default: true },
            leaseName: { type: 'string', maxLength: 253, pattern: DNS_SUBDOMAIN, default: 'vip-announcer-controller' },
            leaseNamespace: {
              type: 'string',
              maxLength: 63,
              pattern: DNS_LABEL,
              description: 'Default: env POD_NAMESPACE, else "vip-announcer".',
              default: 'vip-announcer',
            },
            leaseDuration: duration('Longer than renewDeadline.', '15s'),
            renewDeadline: duration('Longer than retryPeriod.', '10s'),
            retryPeriod: duration('Between acquire/renew attempts.', '2s'),
          },
        },
      },
    },
    speaker: {
      type: 'object',
      additionalProperties: false,
      required: ['asn', 'peers'],
      properties: {
        nodeName: {
          type: 'string',
          maxLength: 253,
          pattern: DNS_SUBDOMAIN,
          description: 'Default: env NODE_NAME (downward API spec.nodeName).',
        },
        addressOwnership: addressOwnership('the speaker announces nothing'),
        asn: { type: 'integer', minimum: 1, maximum: 4294967295, description: 'Local AS number.' },
        routerId: { type: 'string', format: 'router-id', description: "Default: the Node's InternalIP (IPv4)." },
        asnFrom: { ...nodeValueSchema, description: "A Node label or annotation holding this node's AS number (per rack or per node; each peer's local AS); absent on the Node: asn." },
        listenPort: { type: 'integer', minimum: 1, maximum: 65535, default: 179 },
        listenAddresses: {
          type: 'array',
          uniqueItems: true,
          items: { type: 'string', format: 'ip' },
          default: [],
          description: 'Empty: every address (GoBGP default).',
        },
        gobgp: {
          type: 'object',
          additionalProperties: false,
          default: {},
          properties: {
            target: { type: 'string', format: 'gobgp-target', default: DEFAULT_GOBGP_TARGET },
            timeout: duration('Deadline of each gRPC call.', '10s'),
            api: {
              type: 'string',
              enum: GOBGP_APIS,
              default: 'auto',
              description: "GoBGP's gRPC API: v3 (gobgpd 3.x), v4 (gobgpd 4.x) or auto (asked of the daemon once per connection).",
            },
          },
        },
        nextHop: {
          type: 'object',
          additionalProperties: false,
          default: {},
          description: "Absent: 0.0.0.0 / ::, which gobgpd sends as the session's local address.",
          properties: {
            ipv4: { type: 'string', format: 'ipv4' },
            ipv6: { type: 'string', format: 'ipv6' },
          },
        },
        withdrawOnShutdown: {
          type: 'boolean',
          default: true,
          description: 'false keeps the routes in gobgpd on shutdown (graceful restart).',
        },
        driftCheckPeriod: duration("Compare gobgpd's table with the desired one this often.", '10s'),
        peers: { type: 'array', minItems: 1, maxItems: MAX_PEERS, items: peerSchema },
      },
    },
    metrics: {
      type: 'object',
      additionalProperties: false,
      default: {},
      description: 'GET /metrics, for Prometheus. Health probes have their own listener (health).',
      properties: {
        bindAddress: {
          type: 'string',
          format: 'listen-address',
          default: '0.0.0.0:9464',
          description: 'Where /metrics listens, IP:port.',
        },
        secure: {
          type: 'boolean',
          default: true,
          description:
            'HTTPS, and each request needs a bearer token whose user may GET the non-resource URL /metrics (TokenReview + SubjectAccessReview). false: plain HTTP, no authentication, for a lab or debugging only.',
        },
        certFile: { type: 'string', minLength: 1, description: 'PEM certificate (chain) for /metrics, e.g. from cert-manager; re-read when it changes. Absent: a self-signed one made at start.' },
        keyFile: { type: 'string', minLength: 1, description: 'PEM private key of certFile.' },
      },
    },
    health: {
      type: 'object',
      additionalProperties: false,
      default: {},
      description: 'The kubelet probes: plain HTTP, no authentication; they tell only ok or not.',
      properties: {
        bindAddress: {
          type: 'string',
          format: 'listen-address',
          default: '0.0.0.0:9465',
          description: 'Where /healthz and /readyz listen, IP:port.',
        },
      },
    },
  },
} as const;

/** The file after schema validation and static defaults: durations are still text. */
export interface RawConfig {
  controller: {
    addressOwnership: (typeof ADDRESS_OWNERSHIP)[number];
    loadBalancerClasses: string[];
    resyncPeriod: string;
    speakerNamespace: string;
    leaderElection: {
      enabled: boolean;
      leaseName: string;
      leaseNamespace: string;
      leaseDuration: string;
      renewDeadline: string;
      retryPeriod: string;
    };
  };
  speaker?: {
    nodeName?: string;
    addressOwnership: (typeof ADDRESS_OWNERSHIP)[number];
    asn: number;
    routerId?: string;
    asnFrom?: NodeValueSource;
    listenPort: number;
    listenAddresses: string[];
    gobgp: { target: string; timeout: string; api: (typeof GOBGP_APIS)[number] };
    nextHop: { ipv4?: string; ipv6?: string };
    withdrawOnShutdown: boolean;
    driftCheckPeriod: string;
    peers: RawPeer[];
  };
  metrics: { bindAddress: string; secure: boolean; certFile?: string; keyFile?: string };
  health: { bindAddress: string };
}

export interface RawPeer {
  address: string;
  asn: number;
  port: number;
  localAddress?: string;
  multihopTtl?: number;
  password?: string;
  passwordFile?: string;
  holdTime: string;
  keepaliveInterval?: string;
  connectRetry: string;
  gracefulRestart: { enabled: boolean; restartTime: string };
  families?: Family[];
  passive: boolean;
  bfd: { enabled: boolean; minTxInterval?: string; minRxInterval?: string; detectMultiplier?: number; multihop: boolean };
  nodeSelector?: LabelSelector;
}
