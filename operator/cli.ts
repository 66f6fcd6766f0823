// The command line of vip-announcer, parsed into a plain value (no I/O, no exit): main.ts
// acts on it. A hand-written scanner rather than node:util parseArgs, so that --help wins
// over anything else on the line and the error text is ours, stable across node versions.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseDuration } from './config/duration';
import type { Role } from './config/types';
import { ipFamily, splitHostPort } from './util/ip';
import type { LogLevel } from './util/log';

export interface RunFlags {
  kubeconfig?: string;
  context?: string;
  config?: string;
  logLevel?: LogLevel;
  metricsAddress?: { host: string; port: number };
  healthAddress?: { host: string; port: number };
}

export type CommandLine =
  | { kind: 'help'; text: string }
  | { kind: 'version'; text: string }
  | { kind: 'validate-config'; file: string }
  | { kind: 'prepare-uninstall'; namespace: string; timeoutMs: number; flags: RunFlags }
  | { kind: 'run'; role: Role; flags: RunFlags }
  | { kind: 'error'; message: string };

const COMMON_OPTIONS = `options:
  --kubeconfig FILE          kubeconfig to use (default: in-cluster, else $KUBECONFIG, ~/.kube/config)
  --context NAME             kubeconfig context to use instead of its current-context
  --log-level LEVEL          debug, info, warn or error
  --metrics-bind-address IP:PORT
                             serve /metrics there (overrides metrics.bindAddress;
                             [IPv6]:PORT; port 0: do not serve). Alias: --metrics-address
  --health-probe-bind-address IP:PORT
                             serve /healthz, /readyz there (overrides health.bindAddress)
  -h, --help                 show this help`;

const ROLE_USAGE: Record<Role, string> = {
  controller: `usage: vip-announcer controller [--config FILE] [options]
  Watches LoadBalancer Services and writes VipAnnouncements; manages the speakers' DaemonSet.
  --config FILE              configuration (default /etc/vip-announcer/config.yaml)`,
  speaker: `usage: vip-announcer speaker --config FILE [options]
  Announces this node's VipAnnouncements through its gobgpd.
  --config FILE              configuration (required)`,
  all: `usage: vip-announcer all --config FILE [options]
  Runs the controller and the speaker in one process.
  --config FILE              configuration (required)`,
};

const PREPARE_UNINSTALL_USAGE = `usage: vip-announcer prepare-uninstall [--namespace NS] [--timeout DURATION] [options]
  What the Helm chart's pre-delete hook runs: annotates NS (default $POD_NAMESPACE, else
  vip-announcer) for uninstall, deletes the VipAnnouncers whose speakers run there, and waits
  (default 120s) until no speaker Pod is left and no VipPool holds the controller's finalizer.
  Exit 1 when something is still there at the timeout.
  --namespace NS             the product's namespace
  --timeout DURATION         how long to wait, e.g. 90s, 2m`;

const VALIDATE_USAGE = `usage: vip-announcer validate-config FILE
  Checks a configuration file and prints it with defaults filled in; exit 2 when invalid.`;

export const USAGE = `usage:
  vip-announcer controller [--config FILE] [options]
  vip-announcer speaker --config FILE [options]
  vip-announcer all --config FILE [options]     (both roles, one process)
  vip-announcer validate-config FILE
  vip-announcer prepare-uninstall [--namespace NS] [--timeout DURATION]
  vip-announcer --version
  vip-announcer <command> --help
${COMMON_OPTIONS}`;

const LOG_LEVELS: readonly string[] = ['debug', 'info', 'warn', 'error'] satisfies LogLevel[];
const HELP = new Set(['-h', '--help']);
const VALUE_FLAGS = new Set(['kubeconfig', 'context', 'config', 'log-level', 'metrics-address', 'metrics-bind-address', 'health-probe-bind-address', 'namespace', 'timeout']);
/** Flags of prepare-uninstall only. */
const UNINSTALL_FLAGS = ['namespace', 'timeout'] as const;

type Scanned = { values: Map<string, string>; positionals: string[]; help: boolean; error?: string };

/** `--name value` / `--name=value` (last one wins), -h/--help, positionals; the first problem in `error`. */
function scan(args: readonly string[]): Scanned {
  const out: Scanned = { values: new Map(), positionals: [], help: false };
  const problem = (msg: string): void => void (out.error ??= msg);
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (HELP.has(a)) out.help = true;
    else if (!a.startsWith('-') || a === '-') out.positionals.push(a);
    else if (!a.startsWith('--')) problem(`unknown option ${a}`);
    else {
      const eq = a.indexOf('=');
      const name = a.slice(2, eq < 0 ? undefined : eq);
      if (!VALUE_FLAGS.has(name)) problem(`unknown option --${name}`);
      else if (eq >= 0) out.values.set(name, a.slice(eq + 1));
      else if (i + 1 < args.length && !args[i + 1].startsWith('--')) out.values.set(name, args[++i]);
      else problem(`--${name} needs a value`);
    }
  }
  return out;
}

/** "IP:PORT" or "[IPv6]:PORT", as the file's bindAddress fields; here port 0 turns the server off. */
export function parseListenAddress(input: string): { host: string; port: number } | undefined {
  // "[IPv4]:PORT" too (Go's net.SplitHostPort takes it): the speaker's DaemonSet passes
  // "[$(POD_IP)]:PORT", which must parse whichever family the Pod IP is.
  const text = input.replace(/^\[(\d{1,3}(?:\.\d{1,3}){3})\]:/, '$1:');
  // Port 0 lets two processes run side by side on a workstation; splitHostPort refuses it.
  const off = text.endsWith(':0');
  const hp = splitHostPort(off ? `${text.slice(0, -1)}1` : text);
  if (!hp || ipFamily(hp.host) === undefined) return undefined;
  return off ? { host: hp.host, port: 0 } : hp;
}

function runFlags(values: Map<string, string>): RunFlags | string {
  const flags: RunFlags = {};
  for (const k of ['kubeconfig', 'context', 'config'] as const) {
    const v = values.get(k);
    if (v === '') return `--${k} must not be empty`;
    if (v !== undefined) flags[k] = v;
  }
  const level = values.get('log-level');
  if (level !== undefined) {
    if (!LOG_LEVELS.includes(level)) return `--log-level must be debug, info, warn or error, not "${level}"`;
    flags.logLevel = level as LogLevel;
  }
  // The Kubernetes spelling (kubebuilder's flag) wins over the older one.
  const metricsFlag = values.has('metrics-bind-address') ? 'metrics-bind-address' : 'metrics-address';
  for (const [flag, key] of [[metricsFlag, 'metricsAddress'], ['health-probe-bind-address', 'healthAddress']] as const) {
    const address = values.get(flag);
    if (address === undefined) continue;
    const hp = parseListenAddress(address);
    if (!hp) return `--${flag} must be IP:PORT or [IPv6]:PORT with a port from 0 (off) to 65535, not "${address}"`;
    flags[key] = hp;
  }
  return flags;
}

const usageError = (message: string, usage = USAGE): CommandLine => ({ kind: 'error', message: `${message}\n${usage}` });

function parseRole(role: Role, args: readonly string[]): CommandLine {
  const usage = `${ROLE_USAGE[role]}\n${COMMON_OPTIONS}`;
  const s = scan(args);
  if (s.help) return { kind: 'help', text: usage };
  if (s.error) return usageError(s.error, usage);
  if (s.positionals.length > 0) return usageError(`unexpected argument ${s.positionals[0]}`, usage);
  const only = UNINSTALL_FLAGS.find((f) => s.values.has(f));
  if (only) return usageError(`unknown option --${only}`, usage);
  const flags = runFlags(s.values);
  return typeof flags === 'string' ? usageError(flags, usage) : { kind: 'run', role, flags };
}

function parsePrepareUninstall(args: readonly string[], env: Readonly<Record<string, string | undefined>>): CommandLine {
  const usage = `${PREPARE_UNINSTALL_USAGE}\n${COMMON_OPTIONS}`;
  const s = scan(args);
  if (s.help) return { kind: 'help', text: usage };
  if (s.error) return usageError(s.error, usage);
  if (s.positionals.length > 0) return usageError(`unexpected argument ${s.positionals[0]}`, usage);
  const namespace = s.values.get('namespace') ?? env.POD_NAMESPACE ?? 'vip-announcer';
  if (!/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/.test(namespace)) return usageError(`--namespace must be a namespace name, not "${namespace}"`, usage);
  const timeout = s.values.get('timeout') ?? '120s';
  const timeoutMs = parseDuration(timeout);
  if (timeoutMs === undefined || timeoutMs <= 0) return usageError(`--timeout must be a positive duration such as 90s or 2m, not "${timeout}"`, usage);
  const flags = runFlags(s.values);
  return typeof flags === 'string' ? usageError(flags, usage) : { kind: 'prepare-uninstall', namespace, timeoutMs, flags };
}

function parseValidateConfig(args: readonly string[]): CommandLine {
  if (args.some((a) => HELP.has(a))) return { kind: 'help', text: VALIDATE_USAGE };
  if (args.length !== 1 || args[0].startsWith('-')) return usageError('validate-config takes exactly one FILE', VALIDATE_USAGE);
  return { kind: 'validate-config', file: args[0] };
}

/** What the command line asks for. `argv` excludes node and the script (process.argv.slice(2)). */
export function parseCommandLine(argv: readonly string[], version: string, env: Readonly<Record<string, string | undefined>> = {}): CommandLine {
  const [command, ...rest] = argv;
  if (command === undefined) return usageError('no command given');
  if (HELP.has(command) || command === 'help') return { kind: 'help', text: USAGE };
  if (command === '--version' || command === '-v' || command === 'version') return { kind: 'version', text: `vip-announcer ${version}` };
  if (command === 'validate-config') return parseValidateConfig(rest);
  if (command === 'prepare-uninstall') return parsePrepareUninstall(rest, env);
  if (command === 'controller' || command === 'speaker' || command === 'all') return parseRole(command, rest);
  return usageError(command.startsWith('-') ? `unknown option ${command}` : `unknown command ${command}`);
}

/** The version in the package.json at the root of the repository (or of the installed package). */
export function readPackageVersion(): string {
  // Compiled to dist/operator/cli.js: two levels up is the root that holds package.json.
  const file = path.join(__dirname, '..', '..', 'package.json');
  const pkg = JSON.parse(fs.readFileSync(file, 'utf8')) as { version?: unknown };
  if (typeof pkg.version !== 'string') throw new Error(`${file}: no version`);
  return pkg.version;
}
