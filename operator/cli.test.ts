import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseCommandLine, readPackageVersion, type CommandLine } from './cli';

const parse = (...argv: string[]): CommandLine => parseCommandLine(argv, '1.2.3');

void test('parseCommandLine: runs with flags', () => {
  const cases: { argv: string[]; want: CommandLine }[] = [
    { argv: ['controller'], want: { kind: 'run', role: 'controller', flags: {} } },
    { argv: ['speaker', '--config', '/c.yaml'], want: { kind: 'run', role: 'speaker', flags: { config: '/c.yaml' } } },
    {
      argv: ['all', '--config=/c.yaml', '--kubeconfig', '/k', '--context', 'kind-lab', '--log-level=debug'],
      want: { kind: 'run', role: 'all', flags: { config: '/c.yaml', kubeconfig: '/k', context: 'kind-lab', logLevel: 'debug' } },
    },
    { argv: ['controller', '--context', 'a', '--context=b'], want: { kind: 'run', role: 'controller', flags: { context: 'b' } } },
    { argv: ['controller', '--metrics-address', '127.0.0.1:9464'], want: { kind: 'run', role: 'controller', flags: { metricsAddress: { host: '127.0.0.1', port: 9464 } } } },
    { argv: ['controller', '--metrics-address=[::1]:9100'], want: { kind: 'run', role: 'controller', flags: { metricsAddress: { host: '::1', port: 9100 } } } },
    { argv: ['controller', '--metrics-address', '[::]:1'], want: { kind: 'run', role: 'controller', flags: { metricsAddress: { host: '::', port: 1 } } } },
    { argv: ['controller', '--metrics-address', '127.0.0.1:0'], want: { kind: 'run', role: 'controller', flags: { metricsAddress: { host: '127.0.0.1', port: 0 } } } },
    // kubebuilder's spelling wins over the older alias; the DaemonSet's "[$(POD_IP)]:PORT" parses for either family.
    { argv: ['speaker', '--metrics-address', '127.0.0.1:1', '--metrics-bind-address', '[10.0.0.7]:9464'], want: { kind: 'run', role: 'speaker', flags: { metricsAddress: { host: '10.0.0.7', port: 9464 } } } },
    { argv: ['speaker', '--health-probe-bind-address=[fd00::7]:9465'], want: { kind: 'run', role: 'speaker', flags: { healthAddress: { host: 'fd00::7', port: 9465 } } } },
  ];
  for (const c of cases) assert.deepEqual(parse(...c.argv), c.want, c.argv.join(' '));
});

void test('parseCommandLine: help and version exit 0', () => {
  for (const argv of [['--help'], ['-h'], ['help']]) {
    const r = parse(...argv);
    assert.equal(r.kind, 'help', argv.join(' '));
    assert.match(r.kind === 'help' ? r.text : '', /vip-announcer validate-config FILE/);
  }
  for (const argv of [['--version'], ['-v'], ['version']]) assert.deepEqual(parse(...argv), { kind: 'version', text: 'vip-announcer 1.2.3' });
  // After a role, --help shows that role's usage and wins over anything wrong on the line.
  for (const role of ['controller', 'speaker', 'all']) {
    for (const argv of [[role, '--help'], [role, '-h'], [role, '--bogus', '--help'], [role, '--log-level', 'loud', '-h']]) {
      const r = parse(...argv);
      assert.equal(r.kind, 'help', argv.join(' '));
      assert.match(r.kind === 'help' ? r.text : '', new RegExp(`^usage: vip-announcer ${role} `), argv.join(' '));
      assert.match(r.kind === 'help' ? r.text : '', /--context NAME/);
    }
  }
  const v = parse('validate-config', '--help');
  assert.equal(v.kind, 'help');
  assert.match(v.kind === 'help' ? v.text : '', /^usage: vip-announcer validate-config FILE/);
});

void test('parseCommandLine: validate-config FILE', () => {
  assert.deepEqual(parse('validate-config', 'c.yaml'), { kind: 'validate-config', file: 'c.yaml' });
  for (const argv of [['validate-config'], ['validate-config', 'a', 'b'], ['validate-config', '--config', 'a']]) {
    assert.equal(parse(...argv).kind, 'error', argv.join(' '));
  }
});

void test('parseCommandLine: usage errors say what is wrong, then the usage', () => {
  const cases: { argv: string[]; want: RegExp }[] = [
    { argv: [], want: /^no command given\nusage:/ },
    { argv: ['operator'], want: /^unknown command operator\n/ },
    { argv: ['--kubeconfig', 'x', 'controller'], want: /^unknown option --kubeconfig\n/ },
    { argv: ['controller', '--bogus'], want: /^unknown option --bogus\nusage: vip-announcer controller/ },
    { argv: ['controller', '-x'], want: /^unknown option -x\n/ },
    { argv: ['controller', 'extra'], want: /^unexpected argument extra\n/ },
    { argv: ['controller', '--context'], want: /^--context needs a value\n/ },
    { argv: ['controller', '--context', '--config', 'c'], want: /^--context needs a value\n/ },
    { argv: ['controller', '--kubeconfig='], want: /^--kubeconfig must not be empty\n/ },
    { argv: ['speaker', '--log-level', 'loud'], want: /^--log-level must be debug, info, warn or error, not "loud"\nusage: vip-announcer speaker/ },
    { argv: ['all', '--metrics-address', '9464'], want: /^--metrics-address must be IP:PORT/ },
    { argv: ['all', '--metrics-address', '::1:9464'], want: /^--metrics-address must be/ },
    { argv: ['all', '--health-probe-bind-address', '[10.0.0.300]:9465'], want: /^--health-probe-bind-address must be/ },
    { argv: ['all', '--metrics-bind-address', '[$(POD_IP)]:9464'], want: /^--metrics-bind-address must be/ },
    { argv: ['all', '--metrics-address', '0.0.0.0:70000'], want: /^--metrics-address must be/ },
    { argv: ['all', '--metrics-address', '0.0.0.0:00'], want: /^--metrics-address must be/ },
    { argv: ['all', '--metrics-address', ':0'], want: /^--metrics-address must be/ },
    { argv: ['all', '--metrics-address', 'metrics.local:9464'], want: /^--metrics-address must be/ },
  ];
  for (const c of cases) {
    const r = parse(...c.argv);
    assert.equal(r.kind, 'error', c.argv.join(' '));
    assert.match(r.kind === 'error' ? r.message : '', c.want, c.argv.join(' '));
  }
});

void test('readPackageVersion reads the repository package.json', () => {
  // Compiled tests run from dist/operator/, so the repository root is two levels up.
  const pkg = JSON.parse(fs.readFileSync(path.join(__dirname, '..', '..', 'package.json'), 'utf8')) as { name: string; version: string };
  assert.equal(pkg.name, 'vip-announcer');
  assert.match(pkg.version, /^\d+\.\d+\.\d+/);
  assert.equal(readPackageVersion(), pkg.version);
});

void test('parseCommandLine: prepare-uninstall (the chart\'s pre-delete hook)', () => {
  const ok = parseCommandLine(['prepare-uninstall'], '1.0.0', { POD_NAMESPACE: 'lb-system' });
  assert.deepEqual(ok, { kind: 'prepare-uninstall', namespace: 'lb-system', timeoutMs: 120_000, flags: {} });
  assert.deepEqual(parseCommandLine(['prepare-uninstall', '--namespace', 'vip-announcer', '--timeout', '90s'], '1.0.0'), { kind: 'prepare-uninstall', namespace: 'vip-announcer', timeoutMs: 90_000, flags: {} });
  assert.equal((parseCommandLine(['prepare-uninstall'], '1.0.0') as { namespace?: string }).namespace, 'vip-announcer');
  for (const [argv, says] of [
    [['prepare-uninstall', '--timeout', 'soon'], /--timeout must be a positive duration/],
    [['prepare-uninstall', '--namespace', 'Not_A_Name'], /--namespace must be a namespace name/],
    [['prepare-uninstall', 'extra'], /unexpected argument extra/],
    [['controller', '--namespace', 'x'], /unknown option --namespace/],
  ] as const) {
    const r = parseCommandLine(argv, '1.0.0');
    assert.equal(r.kind, 'error', argv.join(' '));
    assert.match(r.kind === 'error' ? r.message : '', says, argv.join(' '));
  }
});
