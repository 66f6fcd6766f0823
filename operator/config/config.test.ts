import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { inspect } from 'node:util';
import Ajv from 'ajv';
import {
  ConfigError,
  Secret,
  configSchema,
  describeConfig,
  loadConfig,
  parseConfig,
  redactConfig,
  runValidateConfig,
  validateConfigText,
} from './index';
import type { Env, LoadOptions, VipAnnouncerConfig } from './index';
import { addFormats } from './formats';

// Tests run from dist/; fixtures stay in the source tree.
const REPO = path.resolve(__dirname, '../../..');
const DATA = path.join(REPO, 'operator/config/testdata');
const fixture = (name: string): string => path.join(DATA, name);
const text = (name: string): string => readFileSync(fixture(name), 'utf8');

function problemsOf(fn: () => unknown): readonly string[] {
  try {
    fn();
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  assert.fail('expected a ConfigError');
}

function load(name: string, env: Env = {}, options: LoadOptions = {}): VipAnnouncerConfig {
  return loadConfig(fixture(name), env, options);
}

void test('full file: every field read and typed', () => {
  const cfg = load('full.yaml', { NODE_NAME: 'ignored-file-wins', POD_NAMESPACE: 'ignored-too' });
  assert.equal(cfg.speaker?.peers[0]?.password?.reveal(), 'inline-s3cret');
  assert.equal(cfg.speaker?.peers[1]?.password?.reveal(), 's3cret-from-file'); // trailing newline dropped
  assert.deepEqual(cfg, {
    controller: {
      addressOwnership: 'Unenforced',
      loadBalancerClasses: ['', 'vipannouncer.io/bgp'],
      resyncPeriodMs: 90_000,
      speakerNamespace: 'bgp-speakers',
      leaderElection: {
        enabled: false,
        leaseName: 'va-lease',
        leaseNamespace: 'kube-system',
        leaseDurationMs: 30_000,
        renewDeadlineMs: 20_000,
        retryPeriodMs: 500,
      },
    },
    speaker: {
      nodeName: 'node-a',
      // The controller's classes: the speaker decides from the same Services.
      loadBalancerClasses: ['', 'vipannouncer.io/bgp'],
      addressOwnership: 'Unenforced',
      asn: 4200000000,
      routerId: '127.0.0.11',
      listenPort: 1179,
      listenAddresses: ['127.0.0.11', '::1'],
      gobgp: { target: 'unix:///run/gobgp/gobgpd.sock', timeoutMs: 3000, api: 'v4' },
      nextHop: { ipv4: '192.0.2.11', ipv6: '2001:db8::11' },
      withdrawOnShutdown: false,
      driftCheckPeriodMs: 30_000,
      peers: [
        {
          address: '127.0.0.1',
          asn: 65000,
          port: 10179,
          localAddress: '127.0.0.11',
          multihopTtl: 2,
          password: new Secret('x'), // deepEqual cannot see the value; checked above
          holdTimeMs: 9000,
          keepaliveIntervalMs: 3000,
          connectRetryMs: 1000,
          gracefulRestart: { enabled: true, restartTimeMs: 60_000 },
          families: ['ipv4-unicast', 'ipv6-unicast'],
          passive: true,
          bfd: { enabled: true, minTxIntervalMs: 100, minRxIntervalMs: 300, detectMultiplier: 5, multihop: true },
        },
        {
          address: '2001:db8::1',
          asn: 65001,
          port: 179,
          password: new Secret('x'),
          passwordFile: 'peer-password.txt',
          passwordPath: fixture('peer-password.txt'),
          holdTimeMs: 0,
          keepaliveIntervalMs: 0,
          connectRetryMs: 10_000,
          gracefulRestart: { enabled: false, restartTimeMs: 120_000 },
          families: ['ipv6-unicast'],
          passive: false,
          bfd: { enabled: false, multihop: false },
        },
      ],
    },
    metrics: { bindAddress: '[::1]:9464', host: '::1', port: 9464, secure: true, certFile: '/etc/vip-announcer/tls/tls.crt', keyFile: '/etc/vip-announcer/tls/tls.key' },
    health: { bindAddress: '[::1]:9465', host: '::1', port: 9465 },
  });
});

void test('minimal file: defaults filled, node name from env NODE_NAME', () => {
  const cfg = load('minimal.yaml', { NODE_NAME: 'node-b' });
  assert.deepEqual(cfg, {
    controller: {
      addressOwnership: 'Enforced',
      loadBalancerClasses: [''],
      resyncPeriodMs: 300_000,
      speakerNamespace: 'vip-announcer',
      leaderElection: {
        enabled: true,
        leaseName: 'vip-announcer-controller',
        leaseNamespace: 'vip-announcer',
        leaseDurationMs: 15_000,
        renewDeadlineMs: 10_000,
        retryPeriodMs: 2000,
      },
    },
    speaker: {
      nodeName: 'node-b',
      loadBalancerClasses: [''],
      addressOwnership: 'Enforced',
      asn: 64512,
      listenPort: 179,
      listenAddresses: [],
      gobgp: { target: 'unix:///run/gobgp/gobgp.sock', timeoutMs: 10_000, api: 'auto' },
      nextHop: {},
      withdrawOnShutdown: true,
      driftCheckPeriodMs: 10_000,
      peers: [
        {
          address: '192.0.2.1',
          asn: 65000,
          port: 179,
          holdTimeMs: 90_000,
          keepaliveIntervalMs: 30_000,
          connectRetryMs: 10_000,
          gracefulRestart: { enabled: false, restartTimeMs: 120_000 },
          families: ['ipv4-unicast'],
          passive: false,
          bfd: { enabled: false, multihop: false },
        },
        {
          address: '2001:db8::1',
          asn: 65000,
          port: 179,
          holdTimeMs: 10_000,
          keepaliveIntervalMs: 3000, // a third of the hold time, whole seconds
          connectRetryMs: 10_000,
          gracefulRestart: { enabled: false, restartTimeMs: 120_000 },
          families: ['ipv6-unicast'],
          passive: false,
          bfd: { enabled: false, multihop: false },
        },
      ],
    },
    metrics: { bindAddress: '0.0.0.0:9464', host: '0.0.0.0', port: 9464, secure: true },
    health: { bindAddress: '0.0.0.0:9465', host: '0.0.0.0', port: 9465 },
  });
  assert.equal(cfg.speaker?.routerId, undefined); // resolved later from the Node
});

void test('node name: required for the speaker, checked when it comes from env', () => {
  assert.deepEqual(problemsOf(() => load('minimal.yaml', {})), ['speaker.nodeName: is required: set it here or in env NODE_NAME']);
  assert.deepEqual(problemsOf(() => load('minimal.yaml', { NODE_NAME: '' })), [
    'speaker.nodeName: is required: set it here or in env NODE_NAME',
  ]);
  assert.deepEqual(problemsOf(() => load('minimal.yaml', { NODE_NAME: 'Node_A' })), [
    'speaker.nodeName: must be a DNS subdomain name (lowercase letters, digits, "-" and ".") (value from env NODE_NAME)',
  ]);
  assert.equal(load('full.yaml', { NODE_NAME: 'other' }).speaker?.nodeName, 'node-a'); // the file wins
});

void test('lease and speaker namespaces default to env POD_NAMESPACE', () => {
  assert.equal(load('minimal.yaml', { NODE_NAME: 'n', POD_NAMESPACE: 'ops' }).controller.leaderElection.leaseNamespace, 'ops');
  assert.equal(load('minimal.yaml', { NODE_NAME: 'n', POD_NAMESPACE: 'ops' }).controller.speakerNamespace, 'ops');
  assert.equal(load('full.yaml', { POD_NAMESPACE: 'ops' }).controller.leaderElection.leaseNamespace, 'kube-system');
  assert.equal(load('full.yaml', { POD_NAMESPACE: 'ops' }).controller.speakerNamespace, 'bgp-speakers');
  assert.deepEqual(problemsOf(() => load('minimal.yaml', { NODE_NAME: 'n', POD_NAMESPACE: 'Bad.NS' })), [
    'controller.leaderElection.leaseNamespace: must be a DNS label (lowercase letters, digits and "-")',
    'controller.speakerNamespace: must be a DNS label (lowercase letters, digits and "-")',
  ]);
});

void test('roles: the controller needs no speaker section and reads no speaker secrets', () => {
  const ctl = load('controller-only.yaml', {}, { role: 'controller' });
  assert.deepEqual(ctl.controller.loadBalancerClasses, ['vipannouncer.io/bgp']);
  assert.equal(ctl.speaker, undefined);
  assert.deepEqual(problemsOf(() => load('controller-only.yaml', {})), ['speaker: is required for the all role']);
  assert.deepEqual(problemsOf(() => load('controller-only.yaml', {}, { role: 'speaker' })), [
    'speaker: is required for the speaker role',
  ]);
  // The speaker section is still checked for shape, but NODE_NAME and password files are the speaker's business.
  const withMissingSecret = 'speaker: {asn: 1, peers: [{address: 192.0.2.1, asn: 2, passwordFile: /nonexistent/pw}]}';
  assert.equal(parseConfig(withMissingSecret, {}, { role: 'controller' }).speaker, undefined);
  assert.deepEqual(problemsOf(() => parseConfig('speaker: {asn: 0, peers: []}', {}, { role: 'controller' })), [
    'speaker.asn: must be >= 1',
    'speaker.peers: must have at least 1 item',
  ]);
});

void test('bad fields: every one named by its path, values never echoed', () => {
  const want = [
    'controller.extra: is not a known field',
    'controller.leaderElection.enabled: must be a boolean (true or false)',
    'controller.leaderElection.leaseName: must be a DNS subdomain name (lowercase letters, digits, "-" and ".")',
    'controller.leaderElection.leaseNamespace: must be a DNS label (lowercase letters, digits and "-")',
    'controller.loadBalancerClasses[0]: must be "" or a label-style key such as "vipannouncer.io/bgp"',
    'controller.resyncPeriod: must be a duration such as "500ms", "30s", "5m" or "1h30m"',
    'health.bindAddress: must be IP:port, e.g. 0.0.0.0:9464 or [::]:9464',
    'metrics.bindAddress: must be IP:port, e.g. 0.0.0.0:9464 or [::]:9464',
    'metrics.secure: must be a boolean (true or false)',
    'speaker.asn: must be >= 1',
    'speaker.gobgp.target: must be a loopback host:port (127.0.0.1:50051, [::1]:50051, localhost:50051) or unix:///absolute/path',
    'speaker.listenAddresses: must not repeat an item (items 1 and 0 are equal)',
    'speaker.listenAddresses[2]: must be an IPv4 or IPv6 address',
    'speaker.listenPort: must be <= 65535',
    'speaker.nextHop.ipv4: must be an IPv4 address',
    'speaker.nextHop.ipv6: must be an IPv6 address',
    'speaker.peers[0].families[0]: must be one of: "ipv4-unicast", "ipv6-unicast"',
    'speaker.peers[0].pasword: is not a known field (did you mean "password"?)',
    'speaker.peers[1].address: must be an IPv4 or IPv6 address',
    'speaker.peers[1].asn: must be <= 4294967295',
    'speaker.peers[1].holdTime: must be a duration string such as "30s" (a bare number has no unit)',
    'speaker.peers[1].multihopTtl: must be <= 255',
    'speaker.peers[1].port: must be >= 1',
    'speaker.peers[2].address: is required',
    'speaker.peers[2].asn: must be an integer',
    'speaker.peers[2].password: must not be empty',
    'speaker.routerId: must be a non-zero IPv4 address (a BGP router id)',
    'speaker.withdrawOnShutdown: must be a boolean (true or false)',
  ];
  assert.deepEqual(problemsOf(() => load('bad-fields.yaml', { NODE_NAME: 'n' })), want);
  assert.deepEqual(validateConfigText(text('bad-fields.yaml')), { ok: false, problems: want });
  try {
    load('bad-fields.yaml', { NODE_NAME: 'n' });
  } catch (err) {
    assert.ok(err instanceof ConfigError);
    assert.equal(err.file, fixture('bad-fields.yaml'));
    assert.ok(err.message.includes('speaker.peers[1].asn: must be <= 4294967295'));
    assert.ok(!err.message.includes('hunter2'));
  }
});

void test('cross-field rules: timers, unique peers, one password source', () => {
  const problems = problemsOf(() => load('bad-rules.yaml', { NODE_NAME: 'n' }));
  assert.deepEqual(problems, [
    'controller.leaderElection.renewDeadline: must be less than leaseDuration (10s)',
    'controller.leaderElection.retryPeriod: must be less than renewDeadline (10s)',
    'controller.resyncPeriod: must be at least 1s',
    'speaker.driftCheckPeriod: must be at most 1h',
    'speaker.peers[0].holdTime: must be 0 (no keepalives) or at least 3s (RFC 4271)',
    'speaker.peers[1]: set password or passwordFile, not both',
    'speaker.peers[1].keepaliveInterval: must be less than holdTime (30s)',
    'speaker.peers[1].localAddress: must be of the same IP family as address',
    'speaker.peers[1].passwordFile: cannot read /x: ENOENT',
    'speaker.peers[2].address: duplicates speaker.peers[1].address',
    'speaker.peers[2].connectRetry: must be a whole number of seconds (BGP timers are in seconds)',
    'speaker.peers[2].gracefulRestart.restartTime: must be at most 1h8m15s',
    'speaker.peers[2].keepaliveInterval: must be 0 when holdTime is 0',
  ]);
  assert.ok(!problems.join('\n').includes('a-secret-value'));
});

void test('more timer rules', () => {
  const peer = (extra: string): string => `speaker: {nodeName: n, asn: 1, peers: [{address: 192.0.2.1, asn: 2, ${extra}}]}`;
  const cases: Array<[string, string[]]> = [
    ['holdTime: 3s, keepaliveInterval: 1s', []],
    ['holdTime: 3s, keepaliveInterval: "0"', ['speaker.peers[0].keepaliveInterval: must be at least 1s when holdTime is not 0']],
    ['holdTime: 90s, keepaliveInterval: 91s', ['speaker.peers[0].keepaliveInterval: must be less than holdTime (1m30s)']],
    ['keepaliveInterval: 90s', ['speaker.peers[0].keepaliveInterval: must be less than holdTime (1m30s)']],
    ['holdTime: 65536s', ['speaker.peers[0].holdTime: must be at most 18h12m15s']],
    ['holdTime: 1500ms', ['speaker.peers[0].holdTime: must be a whole number of seconds (BGP timers are in seconds)']],
    ['connectRetry: "0"', ['speaker.peers[0].connectRetry: must be at least 1s']],
    ['gracefulRestart: {enabled: true, restartTime: 4095s}', []],
  ];
  for (const [extra, want] of cases) {
    assert.deepEqual(validateConfigText(peer(extra)).problems, want, extra);
  }
});

void test('YAML syntax errors give line and column, never the source line', () => {
  const problems = problemsOf(() => load('bad-syntax.yaml', { NODE_NAME: 'n' }));
  assert.deepEqual(problems, ['<yaml>: line 6, column 6: bad indentation of a sequence entry']);
  assert.ok(!problems.join('').includes('hunter2'));
  assert.deepEqual(problemsOf(() => load('duplicate-key.yaml', { NODE_NAME: 'n' })), [
    '<yaml>: line 3, column 3: duplicated mapping key',
  ]);
  assert.deepEqual(validateConfigText('a: 1\n---\nb: 2\n').problems, [
    '<yaml>: expected a single document in the stream, but found more',
  ]);
});

void test('empty, non-mapping and unreadable files', () => {
  assert.deepEqual(problemsOf(() => load('empty.yaml')), [
    '<root>: the file is empty; expected a mapping with controller, speaker and metrics sections',
  ]);
  assert.deepEqual(validateConfigText('- a\n- b\n').problems, ['<root>: must be a mapping']);
  assert.deepEqual(validateConfigText('speaker: 3').problems, ['speaker: must be a mapping']);
  const missing = fixture('does-not-exist.yaml');
  assert.deepEqual(problemsOf(() => loadConfig(missing, {})), [`<file>: cannot read ${missing}: ENOENT`]);
});

void test('password files: resolved next to the config file, read whole, must not be empty', () => {
  const base = 'speaker: {nodeName: n, asn: 1, peers: [{address: 192.0.2.1, asn: 2, passwordFile: PW}]}';
  const cfg = parseConfig(base.replace('PW', 'peer-password.txt'), {}, { baseDir: DATA });
  assert.equal(cfg.speaker?.peers[0]?.password?.reveal(), 's3cret-from-file');
  assert.deepEqual(problemsOf(() => parseConfig(base.replace('PW', 'empty-password.txt'), {}, { baseDir: DATA })), [
    `speaker.peers[0].passwordFile: ${fixture('empty-password.txt')} is empty`,
  ]);
  // Static validation does not touch files.
  assert.deepEqual(validateConfigText(base.replace('PW', '/nonexistent')), { ok: true, problems: [] });
});

void test('passwords never appear in logs, dumps or errors', () => {
  const cfg = load('full.yaml');
  const secrets = ['inline-s3cret', 's3cret-from-file'];
  const redacted = redactConfig(cfg);
  assert.equal(redacted.speaker?.peers[0]?.password, '<redacted>');
  assert.equal(redacted.speaker?.peers[1]?.password, '<redacted>');
  assert.equal(redacted.speaker?.peers[1]?.passwordFile, 'peer-password.txt'); // a path is not a secret
  assert.equal(redactConfig(load('minimal.yaml', { NODE_NAME: 'n' })).speaker?.peers[0]?.password, undefined);
  const views = [
    JSON.stringify(redacted),
    JSON.stringify(cfg),
    describeConfig(cfg),
    inspect(cfg, { depth: Infinity, showHidden: true }),
    `${String(cfg.speaker?.peers[0]?.password)}`,
  ];
  for (const view of views) for (const s of secrets) assert.ok(!view.includes(s), `${s} leaked in ${view.slice(0, 60)}`);
  // Redaction copies: the live config keeps its password.
  assert.equal(cfg.speaker?.peers[0]?.password?.reveal(), 'inline-s3cret');
  // Type errors on a password field do not echo the value either.
  const bad = validateConfigText('speaker: {asn: 1, peers: [{address: 192.0.2.1, asn: 2, password: [hunter2]}]}');
  assert.deepEqual(bad.problems, ['speaker.peers[0].password: must be a string']);
});

void test('runValidateConfig: output and status for the validate-config command', () => {
  assert.deepEqual(runValidateConfig(fixture('minimal.yaml')), { ok: true, output: `${fixture('minimal.yaml')}: ok\n` });
  const bad = runValidateConfig(fixture('bad-syntax.yaml'));
  assert.equal(bad.ok, false);
  assert.equal(bad.output, `${fixture('bad-syntax.yaml')}: 1 problem\n  - <yaml>: line 6, column 6: bad indentation of a sequence entry\n`);
  const many = runValidateConfig(fixture('bad-fields.yaml'));
  assert.ok(many.output.startsWith(`${fixture('bad-fields.yaml')}: 28 problems\n  - controller.extra: is not a known field\n`));
  assert.deepEqual(runValidateConfig(fixture('nope.yaml')), { ok: false, output: `${fixture('nope.yaml')}: cannot read: ENOENT\n` });
});

void test('the example file is valid', () => {
  const example = path.join(REPO, 'config/vip-announcer.example.yaml');
  assert.deepEqual(runValidateConfig(example), { ok: true, output: `${example}: ok\n` });
  const cfg = loadConfig(example, {}, { role: 'controller' });
  assert.equal(cfg.controller.resyncPeriodMs, 300_000);
});

void test('the exported schema is plain JSON and compiles in strict mode on its own', () => {
  const copy: unknown = JSON.parse(JSON.stringify(configSchema));
  assert.deepEqual(copy, configSchema);
  const ajv = new Ajv({ strict: true, allErrors: true });
  addFormats(ajv);
  const validate = ajv.compile(copy as object);
  assert.equal(validate({ speaker: { asn: 1, peers: [{ address: '192.0.2.1', asn: 2 }] } }), true);
  assert.equal(validate({ speaker: { asn: 1, peers: [{ address: '192.0.2.1', asn: 2, foo: 1 }] } }), false);
});

void test('bounds: at most 32 peers', () => {
  const peers = Array.from({ length: 33 }, (_, i) => `{address: 192.0.2.${i + 1}, asn: 2}`).join(', ');
  assert.deepEqual(validateConfigText(`speaker: {asn: 1, peers: [${peers}]}`).problems, ['speaker.peers: must have at most 32 items']);
  const fewer = Array.from({ length: 32 }, (_, i) => `{address: 192.0.2.${i + 1}, asn: 2}`).join(', ');
  assert.deepEqual(validateConfigText(`speaker: {asn: 1, peers: [${fewer}]}`).problems, []);
});

/** Nested aliases: each level refers to the previous one ten times. */
function aliasBomb(levels: number, padTo = 0): string {
  const lines = ['a0: &a0 [x, x, x, x, x, x, x, x, x, x]'];
  for (let i = 1; i <= levels; i++) lines.push(`a${i}: &a${i} [${Array.from({ length: 10 }, () => `*a${i - 1}`).join(', ')}]`);
  lines.push(`speaker: {asn: 1, peers: *a${levels}}`);
  const text = lines.join('\n') + '\n';
  return padTo > text.length ? text + `# ${'x'.repeat(padTo - text.length)}\n` : text;
}

void test('bounds: a large file or one of nested aliases is refused at once', () => {
  for (const [name, text, want] of [
    ['600 KB', aliasBomb(9, 600 * 1024), /^<file>: is \d+ bytes; a configuration file may have at most 131072$/],
    ['under 1 KB, 10^10 values expanded', aliasBomb(9), /^<yaml>: has more than 10000 values once its aliases are expanded$/],
  ] as const) {
    const started = process.hrtime.bigint();
    const problems = validateConfigText(text).problems;
    const ms = Number(process.hrtime.bigint() - started) / 1e6;
    assert.equal(problems.length, 1, name);
    assert.match(problems[0] ?? '', want, name);
    assert.ok(ms < 500, `${name}: took ${ms} ms`);
  }
  // js-yaml lets an anchored list contain itself: the walk stops at the budget, not in a loop.
  assert.deepEqual(validateConfigText('a: &a [*a, *a]\nspeaker: {asn: 1, peers: *a}\n').problems, [
    '<yaml>: has more than 10000 values once its aliases are expanded',
  ]);
  // Aliases themselves stay allowed.
  assert.deepEqual(validateConfigText('speaker: {asn: 1, peers: [&p {address: 192.0.2.1, asn: 2}]}\ncontroller: {loadBalancerClasses: &c [""]}').problems, []);
});

void test('bounds: an oversized file is refused before it is read', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'vipa-config-'));
  try {
    const file = path.join(dir, 'big.yaml');
    writeFileSync(file, aliasBomb(9, 600 * 1024));
    assert.deepEqual(problemsOf(() => loadConfig(file, {})), [`<file>: is ${statSync(file).size} bytes; a configuration file may have at most 131072`]);
    assert.equal(runValidateConfig(file).ok, false);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

void test('peers: an IPv4-mapped IPv6 address duplicates its IPv4 form', () => {
  const cfg = (a: string, b: string): string => `speaker: {asn: 1, peers: [{address: "${a}", asn: 2}, {address: "${b}", asn: 2}]}`;
  assert.deepEqual(validateConfigText(cfg('192.0.2.1', '::ffff:192.0.2.1')).problems, ['speaker.peers[1].address: duplicates speaker.peers[0].address']);
  assert.deepEqual(validateConfigText(cfg('::FFFF:c000:201', '192.0.2.1')).problems, ['speaker.peers[1].address: duplicates speaker.peers[0].address']);
  assert.deepEqual(validateConfigText(cfg('192.0.2.1', '::192.0.2.1')).problems, []);
});

void test('passwords: at most 80 bytes, inline or in a file', () => {
  const inline = (pw: string): string[] => validateConfigText(`speaker: {asn: 1, peers: [{address: 192.0.2.1, asn: 2, password: "${pw}"}]}`).problems;
  assert.deepEqual(inline('x'.repeat(80)), []);
  assert.deepEqual(inline('x'.repeat(81)), ['speaker.peers[0].password: must be at most 80 characters long']);
  // 41 characters, 82 bytes.
  assert.deepEqual(inline('é'.repeat(41)), ["speaker.peers[0].password: the password must be at most 80 bytes (the kernel's TCP MD5 key limit)"]);
  const dir = mkdtempSync(path.join(tmpdir(), 'vipa-config-'));
  try {
    writeFileSync(path.join(dir, 'long'), `${'y'.repeat(81)}\n`);
    writeFileSync(path.join(dir, 'ok'), `${'y'.repeat(80)}\n`);
    const fromFile = (name: string): string => `speaker: {nodeName: n, asn: 1, peers: [{address: 192.0.2.1, asn: 2, passwordFile: ${name}}]}`;
    assert.equal(parseConfig(fromFile('ok'), {}, { baseDir: dir }).speaker?.peers[0]?.password?.reveal().length, 80);
    assert.deepEqual(problemsOf(() => parseConfig(fromFile('long'), {}, { baseDir: dir })), [
      `speaker.peers[0].passwordFile: ${path.join(dir, 'long')}: the password must be at most 80 bytes (the kernel's TCP MD5 key limit)`,
    ]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

void test('BFD and the GoBGP API: per-peer settings, checked ranges, refused with the v3 API', () => {
  const doc = (gobgp: string, bfd: string): string =>
    `speaker:\n  nodeName: n\n  asn: 64512\n  gobgp: ${gobgp}\n  peers:\n    - {address: 192.0.2.1, asn: 65000, bfd: ${bfd}}\n`;
  const ok = parseConfig(doc('{api: auto}', '{enabled: true, minTxInterval: 50ms}'));
  assert.deepEqual(ok.speaker?.peers[0]?.bfd, { enabled: true, minTxIntervalMs: 50, multihop: false });
  const off = parseConfig(doc('{}', '{minTxInterval: 50ms}'));
  assert.equal(off.speaker?.gobgp.api, 'auto');
  assert.deepEqual(off.speaker?.peers[0]?.bfd, { enabled: false, minTxIntervalMs: 50, multihop: false });
  assert.deepEqual(problemsOf(() => parseConfig(doc('{api: v3}', '{enabled: true}'))), [
    "speaker.peers[0].bfd.enabled: needs speaker.gobgp.api v4 or auto: GoBGP's v3 API has no BFD (gobgpd 4.5 or later has)",
  ]);
  assert.deepEqual(problemsOf(() => parseConfig(doc('{api: v5}', '{enabled: true, detectMultiplier: 0, minRxInterval: "0", multi: true}'))), [
    'speaker.gobgp.api: must be one of: "v3", "v4", "auto"',
    'speaker.peers[0].bfd.detectMultiplier: must be >= 1',
    'speaker.peers[0].bfd.minRxInterval: must be at least 1ms',
    'speaker.peers[0].bfd.multi: is not a known field',
  ]);
});

void test('metrics and health: separate ports, a key pair whole and only for HTTPS', () => {
  const controllerOnly = (extra: string): readonly string[] => validateConfigText(`controller: {}\n${extra}`, { role: 'controller' }).problems;
  assert.deepEqual(controllerOnly(''), []);
  assert.deepEqual(controllerOnly('metrics: {bindAddress: "127.0.0.1:9500"}\nhealth: {bindAddress: "0.0.0.0:9500"}\n'), [
    'health.bindAddress: must use another port than metrics.bindAddress',
  ]);
  assert.deepEqual(controllerOnly('metrics: {certFile: /tls/tls.crt}\n'), ['metrics: set certFile and keyFile together, or neither (a self-signed certificate)']);
  assert.deepEqual(controllerOnly('metrics: {keyFile: /tls/tls.key}\n'), ['metrics: set certFile and keyFile together, or neither (a self-signed certificate)']);
  assert.deepEqual(controllerOnly('metrics: {secure: false, certFile: /tls/tls.crt, keyFile: /tls/tls.key}\n'), ['metrics: certFile and keyFile need secure: true']);
  assert.deepEqual(controllerOnly('metrics: {address: "0.0.0.0:9464"}\n'), ['metrics.address: is not a known field']);
  const cfg = parseConfig('metrics: {secure: false, bindAddress: "127.0.0.1:9100"}\nhealth: {bindAddress: "127.0.0.1:9101"}\n', {}, { role: 'controller' });
  assert.deepEqual(cfg.metrics, { bindAddress: '127.0.0.1:9100', host: '127.0.0.1', port: 9100, secure: false });
  assert.deepEqual(cfg.health, { bindAddress: '127.0.0.1:9101', host: '127.0.0.1', port: 9101 });
});
