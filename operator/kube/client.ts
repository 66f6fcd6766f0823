// Where the API server is and who we are, through client-node: a KubeConfig from --kubeconfig,
// else the in-cluster service account, else the default chain ($KUBECONFIG, ~/.kube/config).
// The operator uses this; the speaker uses ./connection.ts unless its kubeconfig needs plugins.

import * as fs from 'node:fs';
import { Config, KubeConfig } from '@kubernetes/client-node';
import { kubeConfigSource, type KubeConfigOptions } from './connection';

/** Build the KubeConfig. Throws when an explicit file cannot be read or no cluster is configured. */
export function loadKubeConfig(opts: KubeConfigOptions = {}): KubeConfig {
  const { source, path } = kubeConfigSource({ ...opts, env: opts.env ?? process.env }, fs.existsSync(Config.SERVICEACCOUNT_TOKEN_PATH));
  const kc = new KubeConfig();
  if (source === 'file' && path) kc.loadFromFile(path);
  else if (source === 'in-cluster') kc.loadFromCluster();
  else kc.loadFromDefault();
  if (opts.context) {
    // setCurrentContext accepts any name; say which one is missing rather than "no current cluster".
    if (!kc.getContextObject(opts.context)) throw new Error(`kubeconfig (${source}${path ? ` ${path}` : ''}) has no context ${opts.context}`);
    kc.setCurrentContext(opts.context);
  }
  if (!kc.getCurrentCluster()) throw new Error(`kubeconfig (${source}${path ? ` ${path}` : ''}) has no current cluster`);
  return kc;
}

/** Loggable facts about a KubeConfig (no credentials). */
export function describeKubeConfig(kc: KubeConfig): { server?: string; context: string; user?: string } {
  return { server: kc.getCurrentCluster()?.server, context: kc.getCurrentContext(), user: kc.getCurrentUser()?.name };
}
