// Our proto files are hand-written subsets of GoBGP's API. This checks them
// against the full .proto files GoBGP ships: the v3 subset against Debian's
// golang-github-osrg-gobgp source (3.10) and against the pinned v3 module
// (hack/gobgp-v3/go.mod), the v4 subset against the pinned v4 module
// (hack/gobgp-v4/go.mod), both read from the Go module cache. Every message,
// field, enum value and rpc we declare must exist upstream under the same full
// name with the same number, type and label.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { PROTO_PATH, protoPath } from '../operator/gobgp/client';

/** The source files (dist/test-e2e → repository root); the client may load a build copy of them. */
const REPO = path.join(__dirname, '..', '..');
const OUR_V3 = path.join(REPO, 'operator', 'gobgp', 'proto', 'gobgp.proto');
const OUR_V4 = path.join(REPO, 'operator', 'gobgp', 'proto', 'gobgp-v4.proto');
const UPSTREAM_DIR = '/usr/share/gocode/src/github.com/osrg/gobgp/api';
const UPSTREAM_FILES = ['gobgp.proto', 'attribute.proto', 'capability.proto'];

/** The pinned module's source directory: the module cache, fetched there by the go command if missing. */
function moduleDir(major: 3 | 4): string {
  const gomod = readFileSync(path.join(REPO, 'hack', `gobgp-v${major}`, 'go.mod'), 'utf8');
  const version = new RegExp(`^require github\\.com/osrg/gobgp/v${major} (v\\S+)$`, 'm').exec(gomod)?.[1];
  assert.ok(version, `no GoBGP version in hack/gobgp-v${major}/go.mod`);
  const out = execFileSync('go', ['mod', 'download', '-json', `github.com/osrg/gobgp/v${major}@${version}`], { encoding: 'utf8', timeout: 120_000 });
  const dir = (JSON.parse(out) as { Dir?: string }).Dir;
  assert.ok(dir && existsSync(dir), `go mod download gave no directory for GoBGP ${version}`);
  return dir;
}

interface Field {
  name: string;
  number: number;
  /** Full name for message/enum types ("apipb.Family"), the keyword for scalars. */
  type: string;
  label: 'repeated' | 'single';
}
interface Rpc {
  request: string;
  response: string;
  clientStream: boolean;
  serverStream: boolean;
}
interface Schema {
  messages: Map<string, Field[]>;
  enums: Map<string, Map<string, number>>;
  rpcs: Map<string, Rpc>;
}

const SCALARS = new Set([
  'double', 'float', 'int32', 'int64', 'uint32', 'uint64', 'sint32', 'sint64',
  'fixed32', 'fixed64', 'sfixed32', 'sfixed64', 'bool', 'string', 'bytes',
]);

function tokenize(text: string): string[] {
  const noComments = text.replace(/\/\*[\s\S]*?\*\//g, ' ').replace(/\/\/[^\n]*/g, ' ');
  return noComments.match(/"(?:[^"\\]|\\.)*"|[A-Za-z_][\w.]*|-?\d+|[{}()<>;=,[\]]/g) ?? [];
}

/** Parses the proto3 constructs GoBGP's files use; types stay unresolved (scope recorded). */
function parseInto(schema: Schema, text: string, file: string): Array<{ scope: string; field: Field; owner: string }> {
  const t = tokenize(text);
  let i = 0;
  let pkg = '';
  const pending: Array<{ scope: string; field: Field; owner: string }> = [];
  const expect = (tok: string): void => {
    if (t[i] !== tok) throw new Error(`${file}: expected "${tok}" at token ${i}, got "${t[i]}"`);
    i++;
  };
  const skipStatement = (): void => {
    while (i < t.length && t[i] !== ';') i++;
    i++;
  };
  const skipBlock = (): void => {
    let depth = 0;
    do {
      if (t[i] === '{') depth++;
      if (t[i] === '}') depth--;
      i++;
    } while (depth > 0 && i < t.length);
  };
  const parseEnum = (scope: string): void => {
    const name = `${scope}.${t[i++]}`;
    expect('{');
    const values = new Map<string, number>();
    while (t[i] !== '}') {
      if (t[i] === 'option' || t[i] === 'reserved') {
        skipStatement();
        continue;
      }
      const valueName = t[i++] ?? '';
      expect('=');
      values.set(valueName, Number(t[i++]));
      if (t[i] === '[') while (t[i] !== ']') i++;
      if (t[i] === ']') i++;
      expect(';');
    }
    i++;
    schema.enums.set(name, values);
  };
  const parseField = (owner: string, fields: Field[]): void => {
    let label: Field['label'] = 'single';
    if (t[i] === 'repeated' || t[i] === 'optional') label = t[i++] === 'repeated' ? 'repeated' : 'single';
    let type = t[i++] ?? '';
    if (type === 'map') {
      // map<K, V> name = N;
      expect('<');
      const key = t[i++];
      expect(',');
      const value = t[i++];
      expect('>');
      type = `map<${key},${value}>`;
    }
    const name = t[i++] ?? '';
    expect('=');
    const number = Number(t[i++]);
    if (t[i] === '[') {
      while (t[i] !== ']') i++;
      i++;
    }
    expect(';');
    const field: Field = { name, number, type, label };
    fields.push(field);
    pending.push({ scope: owner, field, owner });
  };
  const parseMessage = (scope: string): void => {
    const name = `${scope}.${t[i++]}`;
    expect('{');
    const fields: Field[] = [];
    schema.messages.set(name, fields);
    while (t[i] !== '}') {
      const tok = t[i];
      if (tok === 'message') {
        i++;
        parseMessage(name);
      } else if (tok === 'enum') {
        i++;
        parseEnum(name);
      } else if (tok === 'oneof') {
        i += 2;
        expect('{');
        while (t[i] !== '}') parseField(name, fields);
        i++;
      } else if (tok === 'option' || tok === 'reserved' || tok === 'extensions') {
        skipStatement();
      } else if (tok === ';') {
        i++;
      } else {
        parseField(name, fields);
      }
    }
    i++;
  };
  const parseService = (): void => {
    const service = `${pkg}.${t[i++]}`;
    expect('{');
    while (t[i] !== '}') {
      if (t[i] !== 'rpc') {
        skipStatement();
        continue;
      }
      i++;
      const name = `${service}.${t[i++]}`;
      expect('(');
      const clientStream = t[i] === 'stream';
      if (clientStream) i++;
      const request = t[i++] ?? '';
      expect(')');
      expect('returns');
      expect('(');
      const serverStream = t[i] === 'stream';
      if (serverStream) i++;
      const response = t[i++] ?? '';
      expect(')');
      if (t[i] === '{') skipBlock();
      else expect(';');
      // Resolved later with the message types.
      schema.rpcs.set(name, { request: `${pkg}:${request}`, response: `${pkg}:${response}`, clientStream, serverStream });
    }
    i++;
  };
  while (i < t.length) {
    const tok = t[i++];
    if (tok === 'package') {
      pkg = t[i++] ?? '';
      expect(';');
    } else if (tok === 'message') parseMessage(pkg);
    else if (tok === 'enum') parseEnum(pkg);
    else if (tok === 'service') parseService();
    else if (tok === 'syntax' || tok === 'import' || tok === 'option') skipStatement();
    else if (tok === '{') {
      i--;
      skipBlock();
    }
  }
  return pending;
}

/** Protobuf name resolution: innermost scope outwards, then fully qualified. */
function resolve(schema: Schema, scope: string, type: string): string {
  if (SCALARS.has(type) || type.startsWith('map<')) return type;
  if (type.startsWith('.')) return type.slice(1);
  const parts = scope.split('.');
  for (let n = parts.length; n >= 0; n--) {
    const candidate = [...parts.slice(0, n), type].filter((p) => p !== '').join('.');
    if (schema.messages.has(candidate) || schema.enums.has(candidate)) return candidate;
  }
  // google.protobuf.* well-known types are not parsed: keep the written full name.
  return type;
}

function load(files: string[]): Schema {
  return parseTexts(files.map((f) => [f, readFileSync(f, 'utf8')]));
}

function parseText(text: string): Schema {
  return parseTexts([['<text>', text]]);
}

function parseTexts(sources: Array<[string, string]>): Schema {
  const schema: Schema = { messages: new Map(), enums: new Map(), rpcs: new Map() };
  const pending = sources.flatMap(([file, text]) => parseInto(schema, text, file));
  for (const { scope, field } of pending) field.type = resolve(schema, scope, field.type);
  for (const rpc of schema.rpcs.values()) {
    const [pkgReq = '', req = ''] = rpc.request.split(':');
    const [pkgRes = '', res = ''] = rpc.response.split(':');
    rpc.request = resolve(schema, pkgReq, req);
    rpc.response = resolve(schema, pkgRes, res);
  }
  return schema;
}

const upstreamPaths = UPSTREAM_FILES.map((f) => path.join(UPSTREAM_DIR, f));

/** Every declaration of ours that upstream lacks or declares otherwise, one line each. */
function differences(ours: Schema, upstream: Schema): string[] {
  const problems: string[] = [];
  for (const [name, fields] of ours.messages) {
    const theirs = upstream.messages.get(name);
    if (!theirs) {
      problems.push(`message ${name}: not in upstream`);
      continue;
    }
    for (const f of fields) {
      const u = theirs.find((x) => x.number === f.number);
      if (!u) problems.push(`${name}.${f.name} = ${f.number}: no upstream field with that number`);
      else if (u.type !== f.type || u.label !== f.label || u.name !== f.name) {
        problems.push(`${name}.${f.name} = ${f.number}: ours ${f.label} ${f.type} ${f.name}, upstream ${u.label} ${u.type} ${u.name}`);
      }
    }
  }
  for (const [name, values] of ours.enums) {
    const theirs = upstream.enums.get(name);
    if (!theirs) {
      problems.push(`enum ${name}: not in upstream`);
      continue;
    }
    for (const [value, number] of values) {
      if (theirs.get(value) !== number) problems.push(`enum ${name}.${value} = ${number}: upstream ${String(theirs.get(value))}`);
    }
  }
  for (const [name, rpc] of ours.rpcs) {
    const theirs = upstream.rpcs.get(name);
    if (!theirs) problems.push(`rpc ${name}: not in upstream`);
    else if (JSON.stringify(theirs) !== JSON.stringify(rpc)) {
      problems.push(`rpc ${name}: ours ${JSON.stringify(rpc)}, upstream ${JSON.stringify(theirs)}`);
    }
  }
  return problems;
}

function assertSubset(ourFile: string, upstreamFiles: string[], minMessages: number): void {
  assert.ok(upstreamFiles.every((f) => existsSync(f)), `upstream protos missing: ${upstreamFiles.filter((f) => !existsSync(f)).join(', ')}`);
  assert.ok(existsSync(ourFile), `missing ${ourFile}`);
  const ours = load([ourFile]);
  const upstream = load(upstreamFiles);
  assert.ok(ours.messages.size >= minMessages, `parsed only ${ours.messages.size} messages from ${ourFile}`);
  assert.ok(upstream.messages.size >= 200, `parsed only ${upstream.messages.size} upstream messages`);
  const problems = differences(ours, upstream);
  assert.deepEqual(problems, [], `${path.basename(ourFile)} differs from GoBGP's:\n${problems.join('\n')}`);
  assert.ok(ours.rpcs.size >= 11, `expected at least the 11 RPCs we use, parsed ${ours.rpcs.size}`);
}

void test('GoBGP upstream protos are present (golang-github-osrg-gobgp source package)', () => {
  for (const f of upstreamPaths) {
    assert.ok(existsSync(f), `missing ${f}: install the Debian package that ships GoBGP's API source; this check cannot run without it`);
  }
});

void test('the build copies are the source protos', () => {
  for (const [copy, source] of [[PROTO_PATH, OUR_V3], [protoPath('gobgp-v4.proto'), OUR_V4]] as const) {
    assert.ok(readFileSync(copy, 'utf8') === readFileSync(source, 'utf8'), `${copy} is a stale copy of ${source}: rebuild`);
  }
});

void test('our gobgp.proto is a wire-compatible subset of GoBGP 3.10 (Debian) (names, numbers, types, labels)', () => {
  assertSubset(OUR_V3, upstreamPaths, 40);
});

void test('our gobgp.proto is a wire-compatible subset of the pinned GoBGP v3 module', () => {
  const dir = path.join(moduleDir(3), 'api');
  assertSubset(OUR_V3, UPSTREAM_FILES.map((f) => path.join(dir, f)), 40);
});

void test('our gobgp-v4.proto is a wire-compatible subset of the pinned GoBGP v4 module', () => {
  const dir = path.join(moduleDir(4), 'proto', 'api');
  const files = ['gobgp.proto', 'attribute.proto', 'capability.proto', 'common.proto', 'extcom.proto', 'nlri.proto'];
  assertSubset(OUR_V4, files.map((f) => path.join(dir, f)), 50);
});

void test('a changed field number, type or enum value is caught (the check can fail)', () => {
  const dir = path.join(moduleDir(4), 'proto', 'api');
  const upstream = load(['gobgp.proto', 'attribute.proto', 'common.proto', 'nlri.proto'].map((f) => path.join(dir, f)));
  const broken = readFileSync(OUR_V4, 'utf8')
    .replace('BfdPeerConfig bfd = 12;', 'BfdPeerConfig bfd = 13;')
    .replace('uint32 local_pref = 1;', 'uint64 local_pref = 1;')
    .replace('TABLE_TYPE_ADJ_OUT = 4;', 'TABLE_TYPE_ADJ_OUT = 3;');
  const problems = differences(parseText(broken), upstream);
  assert.deepEqual(problems, [
    'api.Peer.bfd = 13: no upstream field with that number',
    'api.LocalPrefAttribute.local_pref = 1: ours single uint64 local_pref, upstream single uint32 local_pref',
    'enum api.TableType.TABLE_TYPE_ADJ_OUT = 3: upstream 4',
  ]);
});

void test('the parser reads upstream as protoc would (spot checks)', () => {
  const upstream = load(upstreamPaths.filter((f) => existsSync(f)));
  const family = upstream.messages.get('apipb.Family');
  assert.deepEqual(
    family?.map((f) => [f.name, f.number, f.type]),
    [
      ['afi', 1, 'apipb.Family.Afi'],
      ['safi', 2, 'apipb.Family.Safi'],
    ],
  );
  const pathMessage = upstream.messages.get('apipb.Path');
  assert.deepEqual(pathMessage?.find((f) => f.name === 'pattrs'), { name: 'pattrs', number: 2, type: 'google.protobuf.Any', label: 'repeated' });
  assert.deepEqual(upstream.rpcs.get('apipb.GobgpApi.ListPath'), {
    request: 'apipb.ListPathRequest',
    response: 'apipb.ListPathResponse',
    clientStream: false,
    serverStream: true,
  });
  const v4dir = path.join(moduleDir(4), 'proto', 'api');
  const v4 = load(['gobgp.proto', 'attribute.proto', 'common.proto', 'nlri.proto', 'capability.proto', 'extcom.proto'].map((f) => path.join(v4dir, f)));
  assert.deepEqual(v4.messages.get('api.MpReachNLRIAttribute')?.find((f) => f.name === 'nlris'), { name: 'nlris', number: 3, type: 'api.NLRI', label: 'repeated' });
  assert.deepEqual(v4.messages.get('api.MpUnreachNLRIAttribute')?.find((f) => f.name === 'family')?.type, 'api.Family');
});
