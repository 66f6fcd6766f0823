// The speaker's process (--role speaker): a node agent on every node, so it runs on the
// ProcessManager alone, without @dot-i/k8s-operator and, unless its kubeconfig needs a plugin,
// without @kubernetes/client-node: those two are about 40 MB of RSS before anything is cached.
import type { CommandLine } from './cli';
import type { VipAnnouncerConfig } from './config';
import { leanKubeConnection, type KubeConnection } from './kube/connection';
import { ProcessManager } from './kube/processManager';
import { addSpeakerRole } from './speakerRole';
import type { Log } from './util/log';

type RunCommand = Extract<CommandLine, { kind: 'run' }>;

export async function speakerProcess(cmd: RunCommand, config: VipAnnouncerConfig, log: Log, identity: string): Promise<ProcessManager> {
  const connection = await connect(cmd.flags, log);
  const manager = new ProcessManager({
    connection,
    logger: log,
    identity,
    metrics: { ...config.metrics, ...cmd.flags.metricsAddress },
    health: cmd.flags.healthAddress ?? { host: config.health.host, port: config.health.port },
  });
  if (config.speaker) addSpeakerRole({ manager, connection, log, identity }, config.speaker, cmd.flags.config);
  log.info('manager built', { role: cmd.role, identity, framework: false });
  return manager;
}

/** The lean connection, or client-node's KubeConfig (loaded only then) for plugins and the like. */
async function connect(flags: { kubeconfig?: string; context?: string }, log: Log): Promise<KubeConnection> {
  const lean = leanKubeConnection({ kubeconfig: flags.kubeconfig, context: flags.context });
  if (lean.kind === 'lean') {
    log.info('Kubernetes API', { ...lean.facts });
    return lean.connection;
  }
  log.info('the kubeconfig needs client-node; loading it', { reason: lean.reason });
  const { describeKubeConfig, loadKubeConfig } = await import('./kube/client');
  const kubeConfig = loadKubeConfig({ kubeconfig: flags.kubeconfig, context: flags.context });
  log.info('Kubernetes API', describeKubeConfig(kubeConfig));
  return kubeConfig;
}
