// Reading and checking the configuration file. Everything is checked before
// anything is returned: the caller gets a complete typed config or a
// ConfigError listing every bad field, never a half-applied file. No message
// built here contains a configured value, so passwords cannot leak through
// errors; YAML syntax errors are reported by reason and position only, never
// with js-yaml's source excerpt (which would print the offending line).
import { readFileSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import Ajv from 'ajv';
import type { ErrorObject, ValidateFunction } from 'ajv';
import yaml from 'js-yaml';
import type { Family } from '../api/families';
import { formatDuration, parseDuration } from './duration';
import { FORMATS, addFormats } from './formats';
import { canonicalIp, ipFamily, splitHostPort, unmappedIp } from '../util/ip';
import { DNS_LABEL, DNS_SUBDOMAIN, LOAD_BALANCER_CLASS, MAX_PASSWORD_BYTES, configSchema } from './schema';
import { PASSWORD_TOO_LONG, passwordTooLong, readPasswordFile } from './passwordFile';
import type { RawConfig, RawPeer } from './schema';
import { Secret } from './types';
import type { PeerConfig, Role, SpeakerConfig, VipAnnouncerConfig } from './types';

export type Env = Readonly<Record<string, string | undefined>>;

/** A full configuration is a few KiB; anything this large is a mistake or an attack. */
export const MAX_CONFIG_BYTES = 128 * 1024;
/**
 * Values in the loaded document, aliases expanded. js-yaml shares an aliased node instead of
 * copying it, so loading is linear, but everything that walks the result (the schema check)
 * walks every expansion: a small file of nested aliases would take seconds and gigabytes.
 */
export const MAX_CONFIG_VALUES = 10_000;

export class ConfigError extends Error {
  /** One "path: message" line per bad field, e.g. "speaker.peers[1].asn: must be <= 4294967295". */
  readonly problems: readonly string[];
  readonly file?: string;
  constructor(problems: string[], file?: string) {
    super(`invalid configuration${file ? ` ${file}` : ''}:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
    this.problems = problems;
    this.file = file;
  }
}

export interface LoadOptions {
  /**
   * Which role will run. "speaker" and "all" require the speaker section, its
   * node name (file or env NODE_NAME) and readable password files; "controller"
   * still checks the speaker section's shape but never reads its secrets and
   * returns no `speaker`. Default "all".
   */
  role?: Role;
  /** Relative passwordFile paths are resolved against this; default: the config file's folder (or cwd). */
  baseDir?: string;
}

export interface ValidationResult {
  ok: boolean;
  problems: string[];
}

let compiled: ValidateFunction<RawConfig> | undefined;
function schemaValidator(): ValidateFunction<RawConfig> {
  if (!compiled) {
    // verbose: errors carry parentSchema (for "did you mean"); their `data` is never printed.
    const ajv = new Ajv({ strict: true, allErrors: true, useDefaults: true, verbose: true });
    addFormats(ajv);
    compiled = ajv.compile<RawConfig>(configSchema);
  }
  return compiled;
}

/** Static check of a configuration text, for `vip-announcer validate-config`: no env, no files read. */
export function validateConfigText(text: string, options: { role?: Role } = {}): ValidationResult {
  const r = check(text, { runtime: false, role: options.role, env: {}, baseDir: process.cwd() });
  return { ok: r.problems.length === 0, problems: r.problems };
}

/** Parses a configuration text as the given role will run it; throws ConfigError. */
export function parseConfig(text: string, env: Env = process.env, options: LoadOptions = {}, file?: string): VipAnnouncerConfig {
  const role = options.role ?? 'all';
  const r = check(text, { runtime: true, role, env, baseDir: options.baseDir ?? process.cwd() });
  if (r.problems.length > 0 || r.config === undefined) throw new ConfigError(r.problems, file);
  return r.config;
}

/** Reads, checks and types the configuration file; throws ConfigError listing every problem. */
export function loadConfig(path: string, env: Env = process.env, options: LoadOptions = {}): VipAnnouncerConfig {
  const read = readConfigFile(path);
  if ('unreadable' in read) throw new ConfigError([`<file>: cannot read ${path}: ${read.unreadable}`], path);
  if ('problem' in read) throw new ConfigError([`<file>: ${read.problem}`], path);
  const text = read.text;
  return parseConfig(text, env, { ...options, baseDir: options.baseDir ?? dirname(resolve(path)) }, path);
}

/** The `vip-announcer validate-config FILE` command: exit status from ok, text for stdout/stderr. */
export function runValidateConfig(path: string): { ok: boolean; output: string } {
  const read = readConfigFile(path);
  if ('unreadable' in read) return { ok: false, output: `${path}: cannot read: ${read.unreadable}\n` };
  if ('problem' in read) return { ok: false, output: `${path}: ${read.problem}\n` };
  const r = validateConfigText(read.text);
  if (r.ok) return { ok: true, output: `${path}: ok\n` };
  const n = r.problems.length;
  return { ok: false, output: `${path}: ${n} problem${n === 1 ? '' : 's'}\n${r.problems.map((p) => `  - ${p}\n`).join('')}` };
}

/** The file's text, or why it cannot be used (`unreadable`: the error code); its size is checked before it is read. */
function readConfigFile(path: string): { text: string } | { unreadable: string } | { problem: string } {
  try {
    const size = statSync(path).size;
    if (size > MAX_CONFIG_BYTES) return { problem: tooLarge(size) };
    return { text: readFileSync(path, 'utf8') };
  } catch (err) {
    return { unreadable: errorCode(err) };
  }
}

const tooLarge = (bytes: number): string => `is ${bytes} bytes; a configuration file may have at most ${MAX_CONFIG_BYTES}`;

/** True when walking `value` meets more than `budget` values (each alias expansion counted). */
function exceedsValues(value: unknown, budget: number): boolean {
  const stack: unknown[] = [value];
  let seen = 0;
  while (stack.length > 0) {
    const v = stack.pop();
    if (++seen > budget) return true;
    if (Array.isArray(v)) stack.push(...(v as unknown[]));
    else if (isObj(v)) stack.push(...Object.values(v));
  }
  return false;
}

// ---------------------------------------------------------------------------

interface CheckContext {
  runtime: boolean;
  role?: Role;
  env: Env;
  baseDir: string;
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

class Problems {
  readonly list: string[] = [];
  add(path: string, message: string): void {
    this.list.push(`${path || '<root>'}: ${message}`);
  }
  sorted(): string[] {
    // Natural order groups a section's problems together and puts peers[10] after peers[9].
    return [...new Set(this.list)].sort((a, b) => a.localeCompare(b, 'en', { numeric: true }));
  }
}

/** The YAML document, bounded in size and in values; undefined (with a problem) when unusable. */
function parseYaml(text: string, problems: Problems): { data: unknown } | undefined {
  const bytes = Buffer.byteLength(text, 'utf8');
  if (bytes > MAX_CONFIG_BYTES) {
    problems.add('<file>', tooLarge(bytes));
    return undefined;
  }
  let data: unknown;
  try {
    // CORE schema: YAML 1.2 scalars only (no timestamps, no !!binary, no merge keys).
    // js-yaml rejects duplicated keys and multiple documents, both of which would hide a setting.
    data = yaml.load(text, { schema: yaml.CORE_SCHEMA });
  } catch (err) {
    if (err instanceof yaml.YAMLException) {
      const pos = err.mark ? `line ${err.mark.line + 1}, column ${err.mark.column + 1}: ` : '';
      problems.add('<yaml>', `${pos}${err.reason}`);
    } else problems.add('<yaml>', 'cannot parse');
    return undefined;
  }
  if (exceedsValues(data, MAX_CONFIG_VALUES)) {
    problems.add('<yaml>', `has more than ${MAX_CONFIG_VALUES} values once its aliases are expanded`);
    return undefined;
  }
  return { data };
}

function check(text: string, ctx: CheckContext): { problems: string[]; config?: VipAnnouncerConfig } {
  const problems = new Problems();
  const parsed = parseYaml(text, problems);
  if (parsed === undefined) return { problems: problems.sorted() };
  const data = parsed.data;
  if (!isObj(data)) {
    problems.add('', data == null ? 'the file is empty; expected a mapping with controller, speaker and metrics sections' : 'must be a mapping');
    return { problems: problems.sorted() };
  }
  const doc: Obj = data;

  const fromEnv = ctx.runtime ? injectEnv(doc, ctx.env) : { nodeName: false };
  const validate = schemaValidator();
  const valid = validate(doc);
  for (const e of validate.errors ?? []) addSchemaError(problems, e, fromEnv.nodeName);
  crossFieldChecks(doc, problems);

  const wantsSpeaker = ctx.role === 'speaker' || ctx.role === 'all';
  if (wantsSpeaker && doc.speaker === undefined) problems.add('speaker', `is required for the ${ctx.role} role`);
  const passwords = new Map<number, FilePassword>();
  if (ctx.runtime && wantsSpeaker && isObj(doc.speaker)) {
    if (doc.speaker.nodeName === undefined) problems.add('speaker.nodeName', 'is required: set it here or in env NODE_NAME');
    readPasswordFiles(doc.speaker, ctx.baseDir, problems, passwords);
  }

  const list = problems.sorted();
  if (list.length > 0 || !valid || !ctx.runtime) return { problems: list };
  return { problems: [], config: toTyped(doc, wantsSpeaker, passwords) };
}

/** Values the downward API provides fill fields the file leaves out, before validation, so they are checked too. */
function injectEnv(data: Obj, env: Env): { nodeName: boolean } {
  let nodeName = false;
  if (isObj(data.speaker) && data.speaker.nodeName === undefined && env.NODE_NAME) {
    data.speaker.nodeName = env.NODE_NAME;
    nodeName = true;
  }
  if (env.POD_NAMESPACE) {
    if (data.controller === undefined) data.controller = {};
    if (isObj(data.controller)) {
      if (data.controller.speakerNamespace === undefined) data.controller.speakerNamespace = env.POD_NAMESPACE;
      if (data.controller.leaderElection === undefined) data.controller.leaderElection = {};
      const le = data.controller.leaderElection;
      if (isObj(le) && le.leaseNamespace === undefined) le.leaseNamespace = env.POD_NAMESPACE;
    }
  }
  return { nodeName };
}

const PATTERN_MESSAGES: Record<string, string> = {
  [DNS_SUBDOMAIN]: 'must be a DNS subdomain name (lowercase letters, digits, "-" and ".")',
  [DNS_LABEL]: 'must be a DNS label (lowercase letters, digits and "-")',
  [LOAD_BALANCER_CLASS]: 'must be "" or a label-style key such as "vipannouncer.io/bgp"',
};
const TYPE_NAMES: Record<string, string> = {
  object: 'a mapping',
  array: 'a list',
  string: 'a string',
  integer: 'an integer',
  number: 'a number',
  boolean: 'a boolean (true or false)',
};

function addSchemaError(problems: Problems, e: ErrorObject, nodeNameFromEnv: boolean): void {
  const p: Record<string, unknown> = e.params;
  let path = pointerToPath(e.instancePath);
  if (e.keyword === 'required') path = join(path, String(p.missingProperty));
  if (e.keyword === 'additionalProperties') path = join(path, String(p.additionalProperty));
  let message = schemaErrorMessage(e);
  if (nodeNameFromEnv && path === 'speaker.nodeName') message += ' (value from env NODE_NAME)';
  problems.add(path, message);
}

/** ajv's error in words that name the rule, never the value (a value may be a secret). */
function schemaErrorMessage(e: ErrorObject): string {
  const p: Record<string, unknown> = e.params;
  const str = (k: string): string => String(p[k]);
  switch (e.keyword) {
    case 'required':
      return 'is required';
    case 'additionalProperties': {
      const known = isObj(e.parentSchema) && isObj(e.parentSchema.properties) ? Object.keys(e.parentSchema.properties) : [];
      const guess = closest(str('additionalProperty'), known);
      return `is not a known field${guess ? ` (did you mean "${guess}"?)` : ''}`;
    }
    case 'type':
      // A bare number for a duration is the usual slip ("holdTime: 90"): say which text is wanted.
      return isObj(e.parentSchema) && e.parentSchema.format === 'duration'
        ? `must be a duration string such as "30s" (a bare number has no unit)`
        : `must be ${TYPE_NAMES[str('type')] ?? str('type')}`;
    case 'format':
      return FORMATS[str('format')]?.message ?? `must match format ${str('format')}`;
    case 'enum':
      return `must be one of: ${(Array.isArray(p.allowedValues) ? p.allowedValues : []).map((v) => JSON.stringify(v)).join(', ')}`;
    case 'pattern':
      return PATTERN_MESSAGES[str('pattern')] ?? 'has an invalid form';
    case 'minLength':
      return p.limit === 1 ? 'must not be empty' : `must be at least ${str('limit')} characters long`;
    case 'minItems':
      return `must have at least ${str('limit')} item${p.limit === 1 ? '' : 's'}`;
    case 'maxItems':
      return `must have at most ${str('limit')} items`;
    case 'maxLength':
      return `must be at most ${str('limit')} characters long`;
    case 'uniqueItems':
      return `must not repeat an item (items ${str('j')} and ${str('i')} are equal)`;
    default:
      // minimum/maximum and the rest: ajv's own wording ("must be <= 4294967295") names limits, never values.
      return e.message ?? 'is invalid';
  }
}

function pointerToPath(pointer: string): string {
  let path = '';
  for (const raw of pointer.split('/').slice(1)) {
    const seg = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    // Every object in the schema has fixed keys, so a numeric segment is always a list index.
    path = /^\d+$/.test(seg) ? `${path}[${seg}]` : join(path, seg);
  }
  return path;
}

function join(path: string, key: string): string {
  const k = /^[A-Za-z_][\w-]*$/.test(key) ? key : JSON.stringify(key);
  return path ? `${path}.${k}` : k;
}

/** The known field within edit distance 2 of a typo, if exactly one is that close. */
function closest(word: string, candidates: string[]): string | undefined {
  const dist = (a: string, b: string): number => {
    const d = Array.from({ length: b.length + 1 }, (_, j) => j);
    for (let i = 1; i <= a.length; i++) {
      let prev = d[0] ?? 0;
      d[0] = i;
      for (let j = 1; j <= b.length; j++) {
        const tmp = d[j] ?? 0;
        d[j] = Math.min((d[j] ?? 0) + 1, (d[j - 1] ?? 0) + 1, prev + (a[i - 1]?.toLowerCase() === b[j - 1]?.toLowerCase() ? 0 : 1));
        prev = tmp;
      }
    }
    return d[b.length] ?? Infinity;
  };
  const near = candidates.filter((c) => dist(word, c) <= 2);
  return near.length === 1 ? near[0] : undefined;
}

// --- rules JSON Schema cannot say ---------------------------------------------

const SECOND = 1000;
const HOUR = 3600 * SECOND;

interface DurationRule {
  min?: number;
  max?: number;
  wholeSeconds?: boolean;
}

/** The field's duration in ms when it is a well-formed duration (format errors are ajv's to report). */
function duration(obj: Obj, key: string, path: string, rule: DurationRule, problems: Problems): number | undefined {
  const v = obj[key];
  if (typeof v !== 'string') return undefined;
  const ms = parseDuration(v);
  if (ms === undefined) return undefined;
  const at = join(path, key);
  if (rule.wholeSeconds && ms % SECOND !== 0) {
    problems.add(at, 'must be a whole number of seconds (BGP timers are in seconds)');
    return undefined;
  }
  if (rule.min !== undefined && ms < rule.min) {
    problems.add(at, `must be at least ${formatDuration(rule.min)}`);
    return undefined;
  }
  if (rule.max !== undefined && ms > rule.max) {
    problems.add(at, `must be at most ${formatDuration(rule.max)}`);
    return undefined;
  }
  return ms;
}


function crossFieldChecks(root: Obj, problems: Problems): void {
  if (isObj(root.controller)) controllerChecks(root.controller, problems);
  listenChecks(root, problems);
  const sp = root.speaker;
  if (!isObj(sp)) return;
  duration(sp, 'driftCheckPeriod', 'speaker', { min: SECOND, max: HOUR }, problems);
  if (isObj(sp.gobgp)) duration(sp.gobgp, 'timeout', 'speaker.gobgp', { min: 100, max: 5 * 60 * SECOND }, problems);
  if (!Array.isArray(sp.peers)) return;
  const seen = new Map<string, number>();
  const api = isObj(sp.gobgp) ? sp.gobgp.api : undefined;
  sp.peers.forEach((peer: unknown, i) => {
    if (!isObj(peer)) return;
    peerChecks(peer, i, seen, problems);
    if (isObj(peer.bfd)) bfdChecks(peer.bfd, `speaker.peers[${i}].bfd`, api, problems);
  });
}

/** The two listeners need their own ports; a key pair comes whole, and only for HTTPS. */
function listenChecks(root: Obj, problems: Problems): void {
  const m = isObj(root.metrics) ? root.metrics : {};
  const h = isObj(root.health) ? root.health : {};
  const mp = typeof m.bindAddress === 'string' ? splitHostPort(m.bindAddress) : undefined;
  const hp = typeof h.bindAddress === 'string' ? splitHostPort(h.bindAddress) : undefined;
  if (mp && hp && mp.port === hp.port) problems.add('health.bindAddress', 'must use another port than metrics.bindAddress');
  if ((m.certFile === undefined) !== (m.keyFile === undefined)) problems.add('metrics', 'set certFile and keyFile together, or neither (a self-signed certificate)');
  if (m.secure === false && (m.certFile !== undefined || m.keyFile !== undefined)) problems.add('metrics', 'certFile and keyFile need secure: true');
}

/** BFD intervals travel as microseconds in a uint32 (durations are whole ms); v3's API has no BFD. */
function bfdChecks(bfd: Obj, at: string, api: unknown, problems: Problems): void {
  const interval = { min: 1, max: Math.floor(0xffffffff / 1000) };
  for (const key of ['minTxInterval', 'minRxInterval']) duration(bfd, key, at, interval, problems);
  if (bfd.enabled === true && api === 'v3') {
    problems.add(`${at}.enabled`, "needs speaker.gobgp.api v4 or auto: GoBGP's v3 API has no BFD (gobgpd 4.5 or later has)");
  }
}

function controllerChecks(ctrl: Obj, problems: Problems): void {
  duration(ctrl, 'resyncPeriod', 'controller', { min: SECOND, max: 24 * HOUR }, problems);
  const le = ctrl.leaderElection;
  if (!isObj(le)) return;
  const at = 'controller.leaderElection';
  const lease = duration(le, 'leaseDuration', at, { min: SECOND, max: HOUR }, problems);
  const renew = duration(le, 'renewDeadline', at, { min: 1, max: HOUR }, problems);
  const retry = duration(le, 'retryPeriod', at, { min: 1, max: HOUR }, problems);
  // client-go's rules: a leader must give up before others may take over.
  if (lease !== undefined && renew !== undefined && renew >= lease)
    problems.add(`${at}.renewDeadline`, `must be less than leaseDuration (${formatDuration(lease)})`);
  if (renew !== undefined && retry !== undefined && retry >= renew)
    problems.add(`${at}.retryPeriod`, `must be less than renewDeadline (${formatDuration(renew)})`);
}

/** One peer: unique address (canonical form), families that agree, timers RFC 4271 allows. */
function peerChecks(peer: Obj, i: number, seen: Map<string, number>, problems: Problems): void {
  const at = `speaker.peers[${i}]`;
  const addr = typeof peer.address === 'string' ? canonicalIp(peer.address) : undefined;
  if (addr !== undefined) {
    // gobgpd (Go's net.IP) takes ::ffff:a.b.c.d as a.b.c.d: the same neighbor.
    const identity = unmappedIp(addr);
    const first = seen.get(identity);
    if (first !== undefined) problems.add(`${at}.address`, `duplicates speaker.peers[${first}].address`);
    else seen.set(identity, i);
  }
  if (addr !== undefined && typeof peer.localAddress === 'string') {
    const fam = ipFamily(peer.localAddress);
    if (fam !== undefined && fam !== ipFamily(addr)) problems.add(`${at}.localAddress`, 'must be of the same IP family as address');
  }
  if (peer.password !== undefined && peer.passwordFile !== undefined) problems.add(at, 'set password or passwordFile, not both');
  // The schema bounds characters; a multi-byte password can still be too long for the kernel.
  if (typeof peer.password === 'string' && peer.password.length <= MAX_PASSWORD_BYTES && passwordTooLong(peer.password)) {
    problems.add(`${at}.password`, PASSWORD_TOO_LONG);
  }
  timerChecks(peer, at, problems);
}

function timerChecks(peer: Obj, at: string, problems: Problems): void {
  const timer = { wholeSeconds: true };
  const hold = duration(peer, 'holdTime', at, { ...timer, max: 65535 * SECOND }, problems);
  if (hold !== undefined && hold > 0 && hold < 3 * SECOND) {
    problems.add(`${at}.holdTime`, 'must be 0 (no keepalives) or at least 3s (RFC 4271)');
  }
  const keepalive = duration(peer, 'keepaliveInterval', at, timer, problems);
  if (hold !== undefined && keepalive !== undefined) {
    if (hold === 0 && keepalive !== 0) problems.add(`${at}.keepaliveInterval`, 'must be 0 when holdTime is 0');
    else if (hold > 0 && keepalive === 0) problems.add(`${at}.keepaliveInterval`, 'must be at least 1s when holdTime is not 0');
    else if (hold > 0 && keepalive >= hold) problems.add(`${at}.keepaliveInterval`, `must be less than holdTime (${formatDuration(hold)})`);
  }
  duration(peer, 'connectRetry', at, { ...timer, min: SECOND, max: 65535 * SECOND }, problems);
  if (isObj(peer.gracefulRestart)) {
    duration(peer.gracefulRestart, 'restartTime', `${at}.gracefulRestart`, { ...timer, min: SECOND, max: 4095 * SECOND }, problems);
  }
}

/** A password read from a file at load, and the file's absolute path (the speaker re-reads it). */
interface FilePassword {
  password: Secret;
  path: string;
}

function readPasswordFiles(sp: Obj, baseDir: string, problems: Problems, out: Map<number, FilePassword>): void {
  if (!Array.isArray(sp.peers)) return;
  sp.peers.forEach((peer: unknown, i) => {
    if (!isObj(peer) || typeof peer.passwordFile !== 'string' || peer.passwordFile === '') return;
    const file = resolve(baseDir, peer.passwordFile);
    const read = readPasswordFile(file);
    if (read.ok) out.set(i, { password: read.password, path: file });
    else problems.add(`speaker.peers[${i}].passwordFile`, read.problem);
  });
}

function errorCode(err: unknown): string {
  return isObj(err) && typeof err.code === 'string' ? err.code : 'error';
}

// --- typed result -----------------------------------------------------------

function ms(text: string): number {
  const v = parseDuration(text);
  if (v === undefined) throw new Error(`internal: unchecked duration`); // validated before; unreachable
  return v;
}

function toTyped(raw: RawConfig, withSpeaker: boolean, passwords: Map<number, FilePassword>): VipAnnouncerConfig {
  const le = raw.controller.leaderElection;
  const m = raw.metrics;
  return {
    controller: {
      addressOwnership: raw.controller.addressOwnership,
      loadBalancerClasses: [...raw.controller.loadBalancerClasses],
      resyncPeriodMs: ms(raw.controller.resyncPeriod),
      speakerNamespace: raw.controller.speakerNamespace,
      leaderElection: {
        enabled: le.enabled,
        leaseName: le.leaseName,
        leaseNamespace: le.leaseNamespace,
        leaseDurationMs: ms(le.leaseDuration),
        renewDeadlineMs: ms(le.renewDeadline),
        retryPeriodMs: ms(le.retryPeriod),
      },
    },
    ...(withSpeaker && raw.speaker ? { speaker: toSpeaker(raw.speaker, passwords, raw.controller.loadBalancerClasses) } : {}),
    metrics: {
      bindAddress: m.bindAddress,
      ...listen(m.bindAddress),
      secure: m.secure,
      ...(m.certFile !== undefined ? { certFile: m.certFile } : {}),
      ...(m.keyFile !== undefined ? { keyFile: m.keyFile } : {}),
    },
    health: { bindAddress: raw.health.bindAddress, ...listen(raw.health.bindAddress) },
  };
}

const listen = (address: string): { host: string; port: number } => splitHostPort(address) ?? { host: '', port: 0 };

function toSpeaker(sp: NonNullable<RawConfig['speaker']>, passwords: Map<number, FilePassword>, loadBalancerClasses: readonly string[]): SpeakerConfig {
  return {
    nodeName: sp.nodeName ?? '',
    loadBalancerClasses: [...loadBalancerClasses],
    addressOwnership: sp.addressOwnership,
    asn: sp.asn,
    ...(sp.routerId !== undefined ? { routerId: sp.routerId } : {}),
    ...(sp.asnFrom !== undefined ? { asnFrom: sp.asnFrom } : {}),
    listenPort: sp.listenPort,
    listenAddresses: [...sp.listenAddresses],
    gobgp: { target: sp.gobgp.target, timeoutMs: ms(sp.gobgp.timeout), api: sp.gobgp.api },
    nextHop: {
      ...(sp.nextHop.ipv4 !== undefined ? { ipv4: sp.nextHop.ipv4 } : {}),
      ...(sp.nextHop.ipv6 !== undefined ? { ipv6: sp.nextHop.ipv6 } : {}),
    },
    withdrawOnShutdown: sp.withdrawOnShutdown,
    driftCheckPeriodMs: ms(sp.driftCheckPeriod),
    peers: sp.peers.map((p, i) => toPeer(p, passwords.get(i))),
  };
}

function toPeer(p: RawPeer, filePassword: FilePassword | undefined): PeerConfig {
  const holdTimeMs = ms(p.holdTime);
  // RFC 4271 suggests a keepalive of a third of the hold time; GoBGP does the same.
  const keepaliveIntervalMs =
    p.keepaliveInterval !== undefined ? ms(p.keepaliveInterval) : Math.floor(holdTimeMs / 3 / SECOND) * SECOND;
  const families: Family[] = p.families ? [...p.families] : [ipFamily(p.address) === 6 ? 'ipv6-unicast' : 'ipv4-unicast'];
  const password = p.password !== undefined ? new Secret(p.password) : filePassword?.password;
  return {
    address: p.address,
    asn: p.asn,
    port: p.port,
    ...(p.localAddress !== undefined ? { localAddress: p.localAddress } : {}),
    ...(p.multihopTtl !== undefined ? { multihopTtl: p.multihopTtl } : {}),
    ...(password !== undefined ? { password } : {}),
    ...(p.passwordFile !== undefined ? { passwordFile: p.passwordFile } : {}),
    ...(filePassword !== undefined ? { passwordPath: filePassword.path } : {}),
    holdTimeMs,
    keepaliveIntervalMs,
    connectRetryMs: ms(p.connectRetry),
    gracefulRestart: { enabled: p.gracefulRestart.enabled, restartTimeMs: ms(p.gracefulRestart.restartTime) },
    families,
    passive: p.passive,
    bfd: toBfd(p.bfd),
    ...(p.nodeSelector !== undefined ? { nodeSelector: p.nodeSelector } : {}),
  };
}

function toBfd(b: RawPeer['bfd']): PeerConfig['bfd'] {
  return {
    enabled: b.enabled,
    ...(b.minTxInterval !== undefined ? { minTxIntervalMs: ms(b.minTxInterval) } : {}),
    ...(b.minRxInterval !== undefined ? { minRxIntervalMs: ms(b.minRxInterval) } : {}),
    ...(b.detectMultiplier !== undefined ? { detectMultiplier: b.detectMultiplier } : {}),
    multihop: b.multihop,
  };
}
