// The vip-announcer configuration: schema, loading, typed result, log-safe views.
export { configSchema } from './schema';
export type { RawConfig, RawPeer } from './schema';
export { ConfigError, loadConfig, parseConfig, runValidateConfig, validateConfigText } from './load';
export type { Env, LoadOptions, ValidationResult } from './load';
export { Secret } from './types';
export { readPasswordFile } from './passwordFile';
export type { PasswordRead } from './passwordFile';
export type {
  ControllerConfig,
  LeaderElectionConfig,
  MetricsConfig,
  PeerConfig,
  Role,
  SpeakerConfig,
  VipAnnouncerConfig,
} from './types';
export { redactConfig, describeConfig } from './redact';
export type { RedactedConfig, RedactedPeer } from './redact';
export { parseDuration, formatDuration } from './duration';
