// Whether a peer gobgpd already has matches the configuration. Pure, so the
// speaker's "make gobgpd match the config" step is table-tested.
import type { BfdSpec, GobgpPeer, PeerSpec } from '../gobgp/types';
import { passwordFingerprint } from '../util/fingerprint';

/**
 * The password gobgpd holds for a peer, as a fingerprint (undefined: none). What this speaker
 * applied to the peer, when it did (`applied`: has an entry, null for "no password"), wins
 * over what gobgpd reports: not every GoBGP reports the password back, and the gobgpd is
 * ours alone. After a speaker restart nothing was applied yet, and gobgpd's report decides.
 */
export function heldPasswordFingerprint(got: GobgpPeer['config'], applied: string | null | undefined): string | undefined {
  if (applied !== undefined) return applied ?? undefined;
  return got.passwordFingerprint;
}

/**
 * The fields of a configured peer that differ from what gobgpd reports (empty:
 * leave the session alone). Only fields the configuration sets are compared:
 * gobgpd fills its own defaults in, and once a session is up it reports the
 * session's local address rather than the configured one, so that is skipped.
 * A password is compared by fingerprint, so a changed one re-creates the peer.
 * `appliedPassword`: see heldPasswordFingerprint.
 */
export function peerConfigDiffers(want: PeerSpec, got: GobgpPeer['config'], appliedPassword?: string | null): string[] {
  const diff: string[] = [];
  const same = <T>(field: string, w: T | undefined, g: T | undefined): void => {
    if (w !== undefined && w !== g) diff.push(field);
  };
  same('asn', want.asn, got.asn);
  same('localAsn', want.localAsn, got.localAsn);
  same('port', want.port, got.port);
  same('multihopTtl', want.multihopTtl || undefined, got.multihopTtl || undefined);
  same('holdTime', want.holdTime, got.holdTime);
  same('keepaliveInterval', want.keepaliveInterval, got.keepaliveInterval);
  same('connectRetry', want.connectRetry, got.connectRetry);
  same('passive', want.passive ?? false, got.passive ?? false);
  if ((want.gracefulRestart?.enabled ?? false) !== (got.gracefulRestart?.enabled ?? false)) diff.push('gracefulRestart');
  if (passwordFingerprint(want.password) !== heldPasswordFingerprint(got, appliedPassword)) diff.push('password');
  if ([...want.families].sort().join(',') !== [...got.families].sort().join(',')) diff.push('families');
  return [...diff, ...bfdDiffers(want.bfd, got.bfd)];
}

/** gobgpd reports BFD settings as given (0 for its defaults), so only the ones we set are compared. */
function bfdDiffers(want: BfdSpec | undefined, got: BfdSpec | undefined): string[] {
  const on = want?.enabled ?? false;
  if (on !== (got?.enabled ?? false)) return ['bfd'];
  if (!on || !want || !got) return [];
  const fields = ['minTxIntervalMs', 'minRxIntervalMs', 'detectMultiplier'] as const;
  const diff = fields.filter((f) => want[f] !== undefined && want[f] !== got[f]).map((f) => `bfd.${f}`);
  if ((want.multihop ?? false) !== (got.multihop ?? false)) diff.push('bfd.multihop');
  return diff;
}
