// The speaker role: one node's speaker driving its gobgpd. It runs in a process of its own
// without the operator framework or client-node (./speakerProcess.ts), or beside the
// controller role in one process (--role all).
import type { V1Namespace } from '@kubernetes/client-node';
import type { NamespaceLookup } from './api/uninstall';
import { unwatchFile, watchFile } from 'node:fs';
import { ConfigError, loadConfig, type SpeakerConfig } from './config';
import { createRouter } from './gobgp/autoRouter';
import type { KubeConnection } from './kube/connection';
import { apiKubeWriter } from './kube/kubeWriter';
import type { RoleContext } from './kube/processManager';
import { isKubeApiError, kubeRequest } from './kube/request';
import { clearDoneFile, writeDoneFile } from './speaker/doneFile';
import { speakerFieldManager } from './speaker/nodeIdentity';
import { configChange } from './speaker/configChange';
import { speakerRole, type SpeakerRole } from './speaker/speakerController';
import { speakerDonePath } from './util/gobgpTarget';
import { errorMessage, type Log } from './util/log';

/** How often the configuration file is looked at (a ConfigMap the kubelet updates in place). */
const CONFIG_POLL_MS = 2_000;

/** The speaker of one node, driving its gobgpd; `configFile`: where `config` came from, watched for peer changes. */
export function addSpeakerRole(ctx: RoleContext, config: SpeakerConfig, configFile?: string): void {
  const { manager, connection, log } = ctx;
  const router = createRouter(config.gobgp.target, config.gobgp.api, { timeoutMs: config.gobgp.timeoutMs }, (api) =>
    log.info('gobgpd serves this gRPC API', { node: config.nodeName, api, target: config.gobgp.target }),
  );
  const speaker = speakerRole({
    caches: manager,
    router,
    writer: apiKubeWriter(connection, speakerFieldManager(config.nodeName)),
    config,
    log: log.child({ node: config.nodeName }),
    podNamespace: process.env.POD_NAMESPACE,
    readNamespace: (name, signal) => readNamespace(connection, name, signal),
  });
  manager.add(speaker.controller);
  if (configFile !== undefined) {
    const stopWatching = watchConfigFile(configFile, config, speaker, log);
    manager.onStop(stopWatching);
  }
  manager.addReadyCheck('gobgpd not answering', () => speaker.gobgpReachable());
  // The done file is written whatever shutdown did, so gobgpd's preStop hook never waits for nothing.
  const donePath = speakerDonePath(config.gobgp.target);
  clearDoneFile(donePath, log);
  manager.onStop(async () => {
    try {
      await speaker.shutdown();
    } finally {
      writeDoneFile(donePath, log);
    }
  });
}

/** The namespace by a LIST with a field selector (the speaker may list namespaces, not get them). */
async function readNamespace(kc: KubeConnection, name: string, signal: AbortSignal): Promise<NamespaceLookup> {
  try {
    const list = (await kubeRequest(kc, { method: 'GET', path: '/api/v1/namespaces', query: { fieldSelector: `metadata.name=${name}` }, signal, timeoutMs: 2_000 })) as { items?: V1Namespace[] } | undefined;
    const found = list?.items?.[0];
    return found ? { kind: 'found', namespace: found } : { kind: 'gone' };
  } catch (err) {
    return isKubeApiError(err) && (err.statusCode === 401 || err.statusCode === 403) ? { kind: 'forbidden' } : { kind: 'unknown' };
  }
}

/**
 * Re-reads the configuration file when it changes: new peers are applied live (configChange.ts);
 * an invalid file or a change beyond the peers leaves the running configuration as it is.
 */
function watchConfigFile(file: string, loaded: SpeakerConfig, speaker: SpeakerRole, log: Log): () => void {
  let running = loaded;
  const onChange = (): void => {
    let next: SpeakerConfig | undefined;
    try {
      next = loadConfig(file, process.env, { role: 'speaker' }).speaker;
    } catch (err) {
      const problems = err instanceof ConfigError ? err.problems : [errorMessage(err)];
      log.error('the configuration file changed and is invalid; the running configuration stays', { file, problems });
      return;
    }
    if (next === undefined) return;
    const change = configChange(running, next);
    if (change.kind === 'restart') log.warn('the configuration file changed beyond its peers; a restart applies that (the installer rolls the speakers out)', { file, fields: change.fields });
    if (change.kind !== 'peers') return;
    log.info('the configuration file\'s peers changed; applying them without a restart', { file, peers: change.peers.map((p) => p.address) });
    running = { ...running, peers: change.peers };
    speaker.replacePeers(change.peers);
  };
  watchFile(file, { interval: CONFIG_POLL_MS, persistent: false }, onChange);
  return () => unwatchFile(file, onChange);
}
