// Custom ajv formats (ajv-formats is not a dependency). The names "ipv4",
// "ipv6" and "duration" mean what they mean in Kubernetes OpenAPI schemas, so
// the schema can be reused by a CRD; the others are ours.
import type Ajv from 'ajv';
import { parseDuration } from './duration';
import { GOBGP_TARGET_FORMS, gobgpTargetProblem } from '../util/gobgpTarget';
import { ipFamily, splitHostPort } from '../util/ip';

/** gobgpd must be reached on this host only; the same rule the gRPC client applies. */
export function isGobgpTarget(text: string): boolean {
  return gobgpTargetProblem(text) === undefined;
}

/** "IP:port" or "[IPv6]:port" for a listening socket. */
export function isListenAddress(text: string): boolean {
  const hp = splitHostPort(text);
  return hp !== undefined && ipFamily(hp.host) !== undefined;
}

export const FORMATS: Record<string, { validate: (s: string) => boolean; message: string }> = {
  ip: { validate: (s) => ipFamily(s) !== undefined, message: 'must be an IPv4 or IPv6 address' },
  ipv4: { validate: (s) => ipFamily(s) === 4, message: 'must be an IPv4 address' },
  ipv6: { validate: (s) => ipFamily(s) === 6, message: 'must be an IPv6 address' },
  'router-id': {
    validate: (s) => ipFamily(s) === 4 && s !== '0.0.0.0',
    message: 'must be a non-zero IPv4 address (a BGP router id)',
  },
  duration: {
    validate: (s) => parseDuration(s) !== undefined,
    message: 'must be a duration such as "500ms", "30s", "5m" or "1h30m"',
  },
  'gobgp-target': {
    validate: isGobgpTarget,
    message: `must be ${GOBGP_TARGET_FORMS}`,
  },
  'listen-address': {
    validate: isListenAddress,
    message: 'must be IP:port, e.g. 0.0.0.0:9464 or [::]:9464',
  },
};

export function addFormats(ajv: Ajv): void {
  for (const [name, f] of Object.entries(FORMATS)) ajv.addFormat(name, { type: 'string', validate: f.validate });
}
