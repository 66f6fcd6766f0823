// What a change of the speaker's configuration file asks for. Peers are applied live (a full
// table sync re-peers only the peers that changed, so a rack's nodeSelector edit moves only the
// nodes it selects or stops selecting); anything else needs a restart, which the installer's
// rollout brings (its config hash leaves the peers out). Pure.
import type { PeerConfig, SpeakerConfig } from '../config/types';
import { secretFingerprint } from '../util/fingerprint';

export type ConfigChange = { kind: 'none' } | { kind: 'peers'; peers: PeerConfig[] } | { kind: 'restart'; fields: string[] };

const canonical = (v: unknown): string => JSON.stringify(v);
/** Passwords as fingerprints (a Secret serialises as "<redacted>"): a changed inline password is a change, and never printed. */
const peersKey = (peers: readonly PeerConfig[]): string => canonical(peers.map((p) => ({ ...p, password: p.password === undefined ? undefined : secretFingerprint(p.password.reveal()) })));

export function configChange(running: SpeakerConfig, next: SpeakerConfig): ConfigChange {
  const keys = new Set([...Object.keys(running), ...Object.keys(next)] as (keyof SpeakerConfig)[]);
  keys.delete('peers');
  const fields = [...keys].filter((k) => canonical(running[k]) !== canonical(next[k])).sort();
  if (fields.length > 0) return { kind: 'restart', fields: fields.map((f) => `speaker.${f}`) };
  return peersKey(running.peers) === peersKey(next.peers) ? { kind: 'none' } : { kind: 'peers', peers: next.peers };
}
