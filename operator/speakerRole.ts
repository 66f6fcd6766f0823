// The speaker role: one node's speaker driving its gobgpd. It runs in a process of its own
// without the operator framework or client-node (./speakerProcess.ts), or beside the
// controller role in one process (--role all).
import type { V1Namespace } from '@kubernetes/client-node';
import type { NamespaceLookup } from './api/uninstall';
import type { SpeakerConfig } from './config';
import { createRouter } from './gobgp/autoRouter';
import type { KubeConnection } from './kube/connection';
import { apiKubeWriter } from './kube/kubeWriter';
import type { RoleContext } from './kube/processManager';
import { isKubeApiError, kubeRequest } from './kube/request';
import { clearDoneFile, writeDoneFile } from './speaker/doneFile';
import { speakerFieldManager } from './speaker/nodeIdentity';
import { speakerRole } from './speaker/speakerController';
import { speakerDonePath } from './util/gobgpTarget';

/** The speaker of one node, driving its gobgpd. */
export function addSpeakerRole(ctx: RoleContext, config: SpeakerConfig): void {
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
