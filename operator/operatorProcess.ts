// The operator's process (--role controller, or all): the framework-based Manager with the
// controller role, and the speaker role too when this process also speaks for its node.
import { describeKubeConfig, loadKubeConfig } from './kube/client';
import type { VipAnnouncerConfig } from './config';
import type { CommandLine } from './cli';
import { addControllerRole } from './controllerRole';
import { prepareUninstall } from './installer/prepareUninstall';
import { Manager } from './kube/manager';
import { addSpeakerRole } from './speakerRole';
import type { Log } from './util/log';

type RunCommand = Extract<CommandLine, { kind: 'run' }>;
type PrepareUninstallCommand = Extract<CommandLine, { kind: 'prepare-uninstall' }>;

export function operatorProcess(cmd: RunCommand, config: VipAnnouncerConfig, log: Log, identity: string): Manager {
  const kubeConfig = loadKubeConfig({ kubeconfig: cmd.flags.kubeconfig, context: cmd.flags.context });
  log.info('Kubernetes API', describeKubeConfig(kubeConfig));
  const le = config.controller.leaderElection;
  const manager = new Manager({
    kubeConfig,
    logger: log,
    identity,
    metrics: { ...config.metrics, ...cmd.flags.metricsAddress },
    health: cmd.flags.healthAddress ?? { host: config.health.host, port: config.health.port },
    leaderElection: le.enabled
      ? { namespace: le.leaseNamespace, name: le.leaseName, leaseDurationMs: le.leaseDurationMs, renewDeadlineMs: le.renewDeadlineMs, retryPeriodMs: le.retryPeriodMs }
      : undefined,
  });
  const ctx = { manager, connection: kubeConfig, log, identity };
  addControllerRole(ctx, config.controller);
  if (cmd.role === 'all' && config.speaker) addSpeakerRole(ctx, config.speaker, cmd.flags.config);
  log.info('manager built', { role: cmd.role, identity, framework: true });
  return manager;
}

/** The Helm pre-delete hook's job: true when the cluster is ready for the chart's removal. */
export function runPrepareUninstall(cmd: PrepareUninstallCommand, log: Log): Promise<boolean> {
  const kubeConfig = loadKubeConfig({ kubeconfig: cmd.flags.kubeconfig, context: cmd.flags.context });
  return prepareUninstall(kubeConfig, { namespace: cmd.namespace, timeoutMs: cmd.timeoutMs, log });
}
