// Where the API server is and who we are: a KubeConfig from --kubeconfig, else the in-cluster
// service account, else the default chain ($KUBECONFIG, ~/.kube/config).

import * as fs from 'node:fs';
import { Config, KubeConfig } from '@kubernetes/client-node';

export interface KubeConfigOptions {
  /** Path to a kubeconfig file (wins over everything else). */
  kubeconfig?: string;
  /** Context to use instead of the file's current-context. */
  context?: string;
  /** Looked at for --kubeconfig / --context when the options above are not given (default process.argv). */
  argv?: readonly string[];
  /** Default process.env. */
  env?: NodeJS.ProcessEnv;
}

/** The value of `--name value` or `--name=value` in argv (last one wins). */
export function flagValue(argv: readonly string[], name: string): string | undefined {
  let value: string | undefined;
  const flag = `--${name}`;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === flag && i + 1 < argv.length) value = argv[++i];
    else if (a.startsWith(flag + '=')) value = a.slice(flag.length + 1);
  }
  return value;
}

export type KubeConfigSource = 'file' | 'in-cluster' | 'default';

/** Which source loadKubeConfig would use (pure; for tests and the start-up log). */
export function kubeConfigSource(opts: KubeConfigOptions, tokenFileExists: boolean): { source: KubeConfigSource; path?: string } {
  const path = opts.kubeconfig ?? flagValue(opts.argv ?? [], 'kubeconfig');
  if (path) return { source: 'file', path };
  const env = opts.env ?? {};
  if (env.KUBERNETES_SERVICE_HOST && env.KUBERNETES_SERVICE_PORT && tokenFileExists) return { source: 'in-cluster' };
  return { source: 'default' };
}

/** Build the KubeConfig. Throws when an explicit file cannot be read or no cluster is configured. */
export function loadKubeConfig(opts: KubeConfigOptions = {}): KubeConfig {
  const full: KubeConfigOptions = { ...opts, argv: opts.argv ?? process.argv, env: opts.env ?? process.env };
  const { source, path } = kubeConfigSource(full, fs.existsSync(Config.SERVICEACCOUNT_TOKEN_PATH));
  const kc = new KubeConfig();
  if (source === 'file' && path) kc.loadFromFile(path);
  else if (source === 'in-cluster') kc.loadFromCluster();
  else kc.loadFromDefault();
  const context = opts.context ?? flagValue(full.argv ?? [], 'context');
  if (context) kc.setCurrentContext(context);
  if (!kc.getCurrentCluster()) throw new Error(`kubeconfig (${source}${path ? ` ${path}` : ''}) has no current cluster`);
  return kc;
}

/** Loggable facts about a KubeConfig (no credentials). */
export function describeKubeConfig(kc: KubeConfig): { server?: string; context: string; user?: string } {
  return { server: kc.getCurrentCluster()?.server, context: kc.getCurrentContext(), user: kc.getCurrentUser()?.name };
}
