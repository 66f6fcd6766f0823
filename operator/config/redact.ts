// Log-safe views of the configuration. Secret already prints as "<redacted>"
// everywhere; redactConfig additionally gives a plain, JSON-able object for
// logs and `validate-config`-style dumps.
import type { PeerConfig, SpeakerConfig, VipAnnouncerConfig } from './types';

export type RedactedPeer = Omit<PeerConfig, 'password'> & { password?: '<redacted>' };
export type RedactedConfig = Omit<VipAnnouncerConfig, 'speaker'> & {
  speaker?: Omit<SpeakerConfig, 'peers'> & { peers: RedactedPeer[] };
};

export function redactConfig(cfg: VipAnnouncerConfig): RedactedConfig {
  const { speaker, ...rest } = cfg;
  const copy: RedactedConfig = structuredClone(rest);
  if (speaker) {
    copy.speaker = {
      ...structuredClone({ ...speaker, peers: [] }),
      peers: speaker.peers.map(({ password, ...peer }) => ({
        ...structuredClone(peer),
        ...(password !== undefined ? { password: '<redacted>' as const } : {}),
      })),
    };
  }
  return copy;
}

/** One-line summary for the start-up log line; never includes secrets. */
export function describeConfig(cfg: VipAnnouncerConfig): string {
  return JSON.stringify(redactConfig(cfg));
}
