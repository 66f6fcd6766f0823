// Our gobgp.proto is a hand-written subset of GoBGP's API. This checks it
// against the full .proto files GoBGP ships (Debian's golang-github-osrg-gobgp
// source): every message, field, enum value and rpc we declare must exist
// upstream under the same full name with the same number, type and label.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { PROTO_PATH } from '../operator/gobgp/client';

/** The source file (dist/test-e2e → repository root); the client may load a build copy of it. */
const OUR_PROTO = path.join(__dirname, '..', '..', 'operator', 'gobgp', 'proto', 'gobgp.proto');
const UPSTREAM_DIR = '/usr/share/gocode/src/github.com/osrg/gobgp/api';
const UPSTREAM_FILES = ['gobgp.proto', 'attribute.proto', 'capability.proto'];

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
  const schema: Schema = { messages: new Map(), enums: new Map(), rpcs: new Map() };
  const pending = files.flatMap((f) => parseInto(schema, readFileSync(f, 'utf8'), f));
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

void test('GoBGP upstream protos are present (golang-github-osrg-gobgp source package)', () => {
  for (const f of upstreamPaths) {
    assert.ok(existsSync(f), `missing ${f}: install the Debian package that ships GoBGP's API source; this check cannot run without it`);
  }
});

void test('our gobgp.proto is a wire-compatible subset of GoBGP 3 (names, numbers, types, labels)', () => {
  assert.ok(upstreamPaths.every((f) => existsSync(f)), `upstream protos missing under ${UPSTREAM_DIR}`);
  assert.ok(existsSync(OUR_PROTO), `missing ${OUR_PROTO}`);
  assert.ok(readFileSync(PROTO_PATH, 'utf8') === readFileSync(OUR_PROTO, 'utf8'), `${PROTO_PATH} is a stale copy of ${OUR_PROTO}: rebuild`);
  const ours = load([OUR_PROTO]);
  const upstream = load(upstreamPaths);
  const problems: string[] = [];

  assert.ok(ours.messages.size >= 40, `parsed only ${ours.messages.size} messages from ${OUR_PROTO}`);
  assert.ok(upstream.messages.size >= 200, `parsed only ${upstream.messages.size} upstream messages`);

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
  assert.deepEqual(problems, [], `our proto differs from GoBGP's:\n${problems.join('\n')}`);
  assert.ok(ours.rpcs.size >= 10, `expected at least the 10 RPCs we use, parsed ${ours.rpcs.size}`);
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
});
