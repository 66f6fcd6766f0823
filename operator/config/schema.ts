// The JSON Schema of the vip-announcer configuration file. It is the single
// source of the file's shape and of its static defaults (ajv fills them with
// useDefaults), and it is exported so it can be written out or embedded in a
// CRD later. It only uses keywords a Kubernetes structural schema accepts.
// Cross-field rules (timer relations, unique peers, env-provided values) live
// in validate.ts because JSON Schema cannot express them readably.

import { FAMILIES, type Family } from '../api/families';

export const DNS_SUBDOMAIN = '^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$';
export const DNS_LABEL = '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$';
// "" selects Services without spec.loadBalancerClass; otherwise a label-style key.
export const LOAD_BALANCER_CLASS =
  '^$|^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$';

const duration = (description: string, dflt?: string) =>
  ({ type: 'string', format: 'duration', description, ...(dflt === undefined ? {} : { default: dflt }) }) as const;

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
    password: { type: 'string', minLength: 1, description: 'TCP MD5 password. Prefer passwordFile.' },
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
  },
} as const;

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
        asn: { type: 'integer', minimum: 1, maximum: 4294967295, description: 'Local AS number.' },
        routerId: { type: 'string', format: 'router-id', description: "Default: the Node's InternalIP (IPv4)." },
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
            target: { type: 'string', format: 'gobgp-target', default: '127.0.0.1:50051' },
            timeout: duration('Deadline of each gRPC call.', '10s'),
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
        peers: { type: 'array', minItems: 1, items: peerSchema },
      },
    },
    metrics: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        address: {
          type: 'string',
          format: 'listen-address',
          default: '0.0.0.0:9464',
          description: 'Serves /metrics, /healthz and /readyz.',
        },
      },
    },
  },
} as const;

/** The file after schema validation and static defaults: durations are still text. */
export interface RawConfig {
  controller: {
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
    asn: number;
    routerId?: string;
    listenPort: number;
    listenAddresses: string[];
    gobgp: { target: string; timeout: string };
    nextHop: { ipv4?: string; ipv6?: string };
    withdrawOnShutdown: boolean;
    driftCheckPeriod: string;
    peers: RawPeer[];
  };
  metrics: { address: string };
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
}
