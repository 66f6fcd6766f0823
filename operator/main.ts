#!/usr/bin/env node
// The vip-announcer command.
//
//   vip-announcer controller      [--kubeconfig F] [--config F]
//   vip-announcer speaker         --config F [--kubeconfig F]
//   vip-announcer all             --config F [--kubeconfig F]   (both roles, one process)
//   vip-announcer validate-config F
//
// Exit codes: 0 stopped cleanly, 1 failed at run time, 2 bad usage or configuration.
import os from 'node:os';
import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import type { Server } from 'node:http';
import { ConfigError, describeConfig, loadConfig, runValidateConfig, type Role, type VipAnnouncerConfig } from './config';
import { AnnouncementController } from './controller/controller';
import { InstallerController } from './installer/installerController';
import { describeKubeConfig, loadKubeConfig } from './kube/client';
import { SpeakerOnOperatorBase } from './speaker/speakerOnOperatorBase';
import { createLogger, errorFields, type Log, type LogLevel } from './util/log';
import { startHttpServer } from './util/httpServer';

const USAGE = `usage:
  vip-announcer controller [--kubeconfig FILE] [--config FILE]
  vip-announcer speaker --config FILE [--kubeconfig FILE]
  vip-announcer all --config FILE [--kubeconfig FILE]
  vip-announcer validate-config FILE
options: --log-level debug|info|warn|error, --metrics-address HOST:PORT (overrides the file)`;

const DEFAULT_CONTROLLER_CONFIG = '/etc/vip-announcer/config.yaml';

function fail(code: number, message: string): never {
  process.stderr.write(message.endsWith('\n') ? message : message + '\n');
  process.exit(code);
}

async function main(argv: string[]): Promise<void> {
  const [command, ...rest] = argv;
  if (command === 'validate-config') {
    if (rest.length !== 1) fail(2, USAGE);
    const r = runValidateConfig(rest[0]);
    (r.ok ? process.stdout : process.stderr).write(r.output);
    process.exit(r.ok ? 0 : 2);
  }
  if (command !== 'controller' && command !== 'speaker' && command !== 'all') fail(2, USAGE);
  const role: Role = command;

  let flags: { kubeconfig?: string; config?: string; 'log-level'?: string; 'metrics-address'?: string };
  try {
    flags = parseArgs({
      args: rest,
      options: {
        kubeconfig: { type: 'string' },
        config: { type: 'string' },
        'log-level': { type: 'string' },
        'metrics-address': { type: 'string' },
      },
    }).values;
  } catch (err) {
    fail(2, `${err instanceof Error ? err.message : String(err)}\n${USAGE}`);
  }
  const level = flags['log-level'];
  if (level !== undefined && !['debug', 'info', 'warn', 'error'].includes(level)) fail(2, `--log-level: must be debug, info, warn or error`);
  const log = createLogger({ name: 'vip-announcer', level: level as LogLevel | undefined });

  const configPath = flags.config ?? (role === 'controller' ? DEFAULT_CONTROLLER_CONFIG : undefined);
  if (!configPath) fail(2, `--config is required for ${role}\n${USAGE}`);
  let config: VipAnnouncerConfig;
  try {
    config = loadConfig(configPath, process.env, { role });
  } catch (err) {
    if (err instanceof ConfigError) fail(2, `${configPath}: invalid configuration, nothing applied:\n${err.problems.map((p) => `  - ${p}`).join('\n')}`);
    throw err;
  }
  log.info('configuration loaded', { role, file: configPath, config: describeConfig(config) });

  const kubeConfig = loadKubeConfig({ kubeconfig: flags.kubeconfig });
  log.info('Kubernetes API', describeKubeConfig(kubeConfig));

  const identity = `${process.env.POD_NAME ?? os.hostname()}_${randomBytes(4).toString('hex')}`;
  const controller = role !== 'speaker' ? new AnnouncementController({ kubeConfig, logger: log, config: config.controller, identity }) : undefined;
  const speaker = role !== 'controller' && config.speaker ? new SpeakerOnOperatorBase({ kubeConfig, logger: log, config: config.speaker }) : undefined;
  // The controller role also manages the speakers' DaemonSet from the VipAnnouncer resource.
  const installer = controller ? new InstallerController({ kubeConfig, logger: log, config: config.controller, identity }) : undefined;

  const metricsAddress = flags['metrics-address'];
  const [host, port] = metricsAddress ? splitHostPort(metricsAddress) : [config.metrics.host, config.metrics.port];
  let server: Server | undefined;
  if (port > 0) {
    server = await startHttpServer(host, port, {
      healthy: () => true,
      notReady: () => {
        const reasons: string[] = [];
        if (controller && !controller.isReady()) reasons.push('controller caches not synced');
        if (installer && !installer.isReady()) reasons.push('installer caches not synced');
        if (speaker && !speaker.isReady()) reasons.push('speaker caches not synced');
        if (speaker && !speaker.gobgpReachable()) reasons.push('gobgpd not answering');
        return reasons;
      },
    }, log);
  }

  let stopping = false;
  const stop = async (signal: string): Promise<void> => {
    if (stopping) return;
    stopping = true;
    log.info('stopping', { signal });
    await Promise.all([controller?.shutdown(), installer?.shutdown(), speaker?.stopSpeaker()]);
    server?.close();
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));

  await Promise.all([controller?.start(), installer?.start(), speaker?.start()]);
  log.info('running', { role, identity });
}

function splitHostPort(s: string): [string, number] {
  const i = s.lastIndexOf(':');
  const port = Number(s.slice(i + 1));
  if (i < 0 || !Number.isInteger(port) || port < 0 || port > 65535) fail(2, `--metrics-address: expected HOST:PORT, got ${s}`);
  return [s.slice(0, i).replace(/^\[|\]$/g, ''), port];
}

process.on('unhandledRejection', (reason) => {
  // A bug, not a condition we handle: say so loudly, and let the Pod restart.
  createLogger({ name: 'vip-announcer' }).error('unhandled rejection', errorFields(reason));
  process.exit(1);
});

main(process.argv.slice(2)).catch((err: unknown) => {
  const log: Log = createLogger({ name: 'vip-announcer' });
  log.error('fatal', errorFields(err));
  process.exit(1);
});
