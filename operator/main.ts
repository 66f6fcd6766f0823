#!/usr/bin/env node
// The vip-announcer command.
//
//   vip-announcer controller      [--config F] [--kubeconfig F] [--context C]
//   vip-announcer speaker         --config F [--kubeconfig F] [--context C]
//   vip-announcer all             --config F ...   (both roles, one process)
//   vip-announcer validate-config F
//   vip-announcer --version | --help | <command> --help     (see ./cli.ts)
//
// Exit codes: 0 stopped cleanly, 1 failed at run time, 2 bad usage or configuration.
import os from 'node:os';
import { randomBytes } from 'node:crypto';
import type { Server } from 'node:http';
import { ConfigError, describeConfig, loadConfig, runValidateConfig, type VipAnnouncerConfig } from './config';
import { parseCommandLine, readPackageVersion, USAGE } from './cli';
import { AnnouncementController } from './controller/controller';
import { InstallerController } from './installer/installerController';
import { describeKubeConfig, loadKubeConfig } from './kube/client';
import { Speaker } from './speaker/speaker';
import { createLogger, errorFields, type Log } from './util/log';
import { startHttpServer } from './util/httpServer';

const DEFAULT_CONTROLLER_CONFIG = '/etc/vip-announcer/config.yaml';

function fail(code: number, message: string): never {
  process.stderr.write(message.endsWith('\n') ? message : message + '\n');
  process.exit(code);
}

async function main(argv: string[]): Promise<void> {
  const cl = parseCommandLine(argv, readPackageVersion());
  if (cl.kind === 'help' || cl.kind === 'version') {
    process.stdout.write(cl.text + '\n');
    process.exit(0);
  }
  if (cl.kind === 'error') fail(2, cl.message);
  if (cl.kind === 'validate-config') {
    const r = runValidateConfig(cl.file);
    (r.ok ? process.stdout : process.stderr).write(r.output);
    process.exit(r.ok ? 0 : 2);
  }
  const { role, flags } = cl;
  const log = createLogger({ name: 'vip-announcer', level: flags.logLevel });

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

  const kubeConfig = loadKubeConfig({ kubeconfig: flags.kubeconfig, context: flags.context });
  log.info('Kubernetes API', describeKubeConfig(kubeConfig));

  const identity = `${process.env.POD_NAME ?? os.hostname()}_${randomBytes(4).toString('hex')}`;
  const controller = role !== 'speaker' ? new AnnouncementController({ kubeConfig, logger: log, config: config.controller, identity }) : undefined;
  const speaker = role !== 'controller' && config.speaker ? new Speaker({ kubeConfig, logger: log, config: config.speaker }) : undefined;
  // The controller role also manages the speakers' DaemonSet from the VipAnnouncer resource.
  const installer = controller ? new InstallerController({ kubeConfig, logger: log, config: config.controller, identity }) : undefined;

  const { host, port } = flags.metricsAddress ?? config.metrics;
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
