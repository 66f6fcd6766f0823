// The address families vip-announcer speaks, by their GoBGP/config names. The
// config file, the VipAnnouncer CRD, the speaker and the GoBGP client all use
// these words, so they are defined once here.

export const FAMILIES = ['ipv4-unicast', 'ipv6-unicast'] as const;

export type Family = (typeof FAMILIES)[number];

/** The unicast family that carries addresses of an IP version. */
export function unicastFamily(version: 4 | 6): Family {
  return version === 4 ? 'ipv4-unicast' : 'ipv6-unicast';
}
