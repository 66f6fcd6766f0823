// BFD settings and state between the project's vocabulary (types.ts) and GoBGP's v4
// BfdPeerConfig / BfdPeerState. Pure; the v3 API has no BFD at all, so a v3 request
// asking for it is refused here, before anything is sent.
import { InvalidSpecError } from './errors';
import type { ApiVersion, BfdSpec, BfdState } from './types';
import type { WireBfdConfig, WireBfdSessionState } from './wire';

/** RFC 5881 (single hop) and RFC 5883 (multihop) destination ports. */
export const BFD_PORT = 3784;
export const BFD_MULTIHOP_PORT = 4784;
/** BFD intervals travel as uint32 microseconds. */
const MAX_INTERVAL_MS = Math.floor(0xffffffff / 1000);

export function checkBfd(bfd: BfdSpec | undefined, who: string, api: ApiVersion): void {
  if (!bfd?.enabled) return;
  if (api !== 'v4') {
    throw new InvalidSpecError(`${who}: BFD needs GoBGP's v4 API (gobgpd 4.5 or later); this gobgpd serves the ${api} API`);
  }
  for (const [field, value] of [['minTxIntervalMs', bfd.minTxIntervalMs], ['minRxIntervalMs', bfd.minRxIntervalMs]] as const) {
    if (value !== undefined && !(Number.isInteger(value) && value >= 1 && value <= MAX_INTERVAL_MS)) {
      throw new InvalidSpecError(`${who}: bfd.${field} ${value} must be in 1..${MAX_INTERVAL_MS}`);
    }
  }
  const m = bfd.detectMultiplier;
  if (m !== undefined && !(Number.isInteger(m) && m >= 1 && m <= 255)) {
    throw new InvalidSpecError(`${who}: bfd.detectMultiplier ${m} must be in 1..255`);
  }
}

/** Zero fields are left to gobgpd's defaults (1 s intervals, multiplier 3, port 3784). */
export function encodeBfd(bfd: BfdSpec): WireBfdConfig {
  return {
    enabled: bfd.enabled,
    port: bfd.multihop ? BFD_MULTIHOP_PORT : 0,
    desired_minimum_tx_interval: (bfd.minTxIntervalMs ?? 0) * 1000,
    required_minimum_receive: (bfd.minRxIntervalMs ?? 0) * 1000,
    detection_multiplier: bfd.detectMultiplier ?? 0,
  };
}

/** The configuration gobgpd reports back; undefined when BFD is off for the peer. */
export function decodeBfdConfig(wire: WireBfdConfig | null | undefined): BfdSpec | undefined {
  if (!wire?.enabled) return undefined;
  const out: BfdSpec = { enabled: true, multihop: wire.port === BFD_MULTIHOP_PORT };
  if (wire.desired_minimum_tx_interval) out.minTxIntervalMs = Math.round(wire.desired_minimum_tx_interval / 1000);
  if (wire.required_minimum_receive) out.minRxIntervalMs = Math.round(wire.required_minimum_receive / 1000);
  if (wire.detection_multiplier) out.detectMultiplier = wire.detection_multiplier;
  return out;
}

const STATES: Record<WireBfdSessionState, BfdState> = {
  UNSPECIFIED: 'Unknown',
  UP: 'Up',
  DOWN: 'Down',
  ADMIN_DOWN: 'AdminDown',
  INIT: 'Init',
};

export function bfdStateFromWire(state: WireBfdSessionState | number | null | undefined): BfdState {
  return typeof state === 'string' ? (STATES[state] ?? 'Unknown') : 'Unknown';
}
