#!/usr/bin/env node
// The vip-announcer command: parse arguments → load the configuration → the role's process
// (the speaker's in ./speakerProcess.ts, without the operator framework; the rest in
// ./operatorProcess.ts) → start. A role's modules are loaded only when it runs, so a speaker
// never loads the framework or client-node.
// Exit codes: 0 stopped cleanly, 1 failed at run time (or lost leadership), 2 bad usage or
// configuration.
import os from 'node:os';
import { randomBytes } from 'node:crypto';
import { parseCommandLine, readPackageVersion, type CommandLine } from './cli';
import { ConfigError, describeConfig, loadConfig, runValidateConfig, type VipAnnouncerConfig } from './config';
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
    const { runPrepareUninstall } = await import('./operatorProcess');
    process.exit((await runPrepareUninstall(cmd, log)) ? 0 : 1);
  }
  const config = readConfig(cmd, log);
  const identity = `${process.env.POD_NAME ?? os.hostname()}_${randomBytes(4).toString('hex')}`;
  const manager =
    cmd.role === 'speaker'
      ? await (await import('./speakerProcess')).speakerProcess(cmd, config, log, identity)
      : (await import('./operatorProcess')).operatorProcess(cmd, config, log, identity);
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

process.on('unhandledRejection', (reason) => {
  // A bug, not a condition we handle: say so loudly, and let the Pod restart.
  createLogger({ name: 'vip-announcer' }).error('unhandled rejection', errorFields(reason));
  process.exit(1);
});

main(process.argv.slice(2)).catch((err: unknown) => {
  createLogger({ name: 'vip-announcer' }).error('fatal', errorFields(err));
  process.exit(1);
});
