#!/usr/bin/env node
// The vip-announcer command: parse arguments → build the manager → add controllers → start.
// Exit codes: 0 stopped cleanly, 1 failed at run time (or lost leadership), 2 bad usage or
// configuration.
import os from 'node:os';
import { randomBytes } from 'node:crypto';
import { parseCommandLine, readPackageVersion, type CommandLine } from './cli';
import { ConfigError, describeConfig, loadConfig, runValidateConfig, type VipAnnouncerConfig } from './config';
import { describeKubeConfig, loadKubeConfig } from './kube/client';
import { Manager } from './kube/manager';
import { prepareUninstall } from './installer/prepareUninstall';
import { addControllerRole, addSpeakerRole } from './roles';
import { createLogger, errorFields, type Log } from './util/log';

type RunCommand = Extract<CommandLine, { kind: 'run' }>;

const DEFAULT_CONTROLLER_CONFIG = '/etc/vip-announcer/config.yaml';

function fail(code: number, message: string): never {
  process.stderr.write(message.endsWith('\n') ? message : message + '\n');
  process.exit(code);
}

async function main(argv: string[]): Promise<void> {
  const cmd = parseCommandLine(argv, readPackageVersion(), process.env);
  if (cmd.kind === 'help' || cmd.kind === 'version') {
    process.stdout.write(cmd.text.endsWith('\n') ? cmd.text : cmd.text + '\n');
    process.exit(0);
  }
  if (cmd.kind === 'error') fail(2, cmd.message);
  if (cmd.kind === 'validate-config') {
    const r = runValidateConfig(cmd.file);
    (r.ok ? process.stdout : process.stderr).write(r.output);
    process.exit(r.ok ? 0 : 2);
  }
  const log = createLogger({ name: 'vip-announcer', level: cmd.flags.logLevel });
  if (cmd.kind === 'prepare-uninstall') {
    const kubeConfig = loadKubeConfig({ kubeconfig: cmd.flags.kubeconfig, context: cmd.flags.context });
    process.exit((await prepareUninstall(kubeConfig, { namespace: cmd.namespace, timeoutMs: cmd.timeoutMs, log })) ? 0 : 1);
  }
  const config = readConfig(cmd, log);
  const manager = buildManager(cmd, config, log);
  manager.handleSignals();
  await manager.start();
  log.info('running', { role: cmd.role });
}

function readConfig(cmd: RunCommand, log: Log): VipAnnouncerConfig {
  const file = cmd.flags.config ?? (cmd.role === 'controller' ? DEFAULT_CONTROLLER_CONFIG : undefined);
  if (!file) fail(2, `--config is required for ${cmd.role}`);
  try {
    const config = loadConfig(file, process.env, { role: cmd.role });
    log.info('configuration loaded', { role: cmd.role, file, config: describeConfig(config) });
    return config;
  } catch (err) {
    if (err instanceof ConfigError) fail(2, `${file}: invalid configuration, nothing applied:\n${err.problems.map((p) => `  - ${p}`).join('\n')}`);
    throw err;
  }
}

function buildManager(cmd: RunCommand, config: VipAnnouncerConfig, log: Log): Manager {
  const kubeConfig = loadKubeConfig({ kubeconfig: cmd.flags.kubeconfig, context: cmd.flags.context });
  log.info('Kubernetes API', describeKubeConfig(kubeConfig));
  const identity = `${process.env.POD_NAME ?? os.hostname()}_${randomBytes(4).toString('hex')}`;
  const le = config.controller.leaderElection;
  const runsController = cmd.role !== 'speaker';
  const manager = new Manager({
    kubeConfig,
    logger: log,
    identity,
    metrics: { ...config.metrics, ...cmd.flags.metricsAddress },
    health: cmd.flags.healthAddress ?? { host: config.health.host, port: config.health.port },
    leaderElection:
      runsController && le.enabled
        ? { namespace: le.leaseNamespace, name: le.leaseName, leaseDurationMs: le.leaseDurationMs, renewDeadlineMs: le.renewDeadlineMs, retryPeriodMs: le.retryPeriodMs }
        : undefined,
  });
  const ctx = { manager, kubeConfig, log, identity };
  if (runsController) addControllerRole(ctx, config.controller);
  if (cmd.role !== 'controller' && config.speaker) addSpeakerRole(ctx, config.speaker);
  log.info('manager built', { role: cmd.role, identity });
  return manager;
}

process.on('unhandledRejection', (reason) => {
  // A bug, not a condition we handle: say so loudly, and let the Pod restart.
  createLogger({ name: 'vip-announcer' }).error('unhandled rejection', errorFields(reason));
  process.exit(1);
});

main(process.argv.slice(2)).catch((err: unknown) => {
  createLogger({ name: 'vip-announcer' }).error('fatal', errorFields(err));
  process.exit(1);
});
