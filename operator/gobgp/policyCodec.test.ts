import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as protoLoader from '@grpc/proto-loader';
import { InvalidSpecError } from './codec';
import { PROTO_PATH } from './client';
import { decodeImportAssignment, decodePolicy, encodeImportAssignment, encodePolicy } from './policyCodec';
import type { PolicySpec } from './types';
import { LOADER_OPTIONS } from './wire';
import type { WireListPolicyAssignmentResponse, WirePolicy, WirePolicyAssignment } from './wire';

const policy: PolicySpec = {
  name: 'p',
  statements: [
    { name: 'accept-local', routeType: 'local', action: 'accept' },
    { name: 'reject-rest', action: 'reject' },
  ],
};

/** A request through the real protobuf encoding and back, as gobgpd would read it. */
function overTheWire<T>(rpc: string, request: object): T {
  const svc = protoLoader.loadSync(PROTO_PATH, { ...LOADER_OPTIONS })['apipb.GobgpApi'] as protoLoader.ServiceDefinition;
  const m = svc[rpc];
  assert.ok(m, rpc);
  return m.requestDeserialize(m.requestSerialize(request)) as T;
}

void test('a policy survives the protobuf encoding and decodes to the same spec', () => {
  const wire = encodePolicy(policy);
  const sent = overTheWire<{ policy: WirePolicy }>('AddPolicy', { policy: wire, refer_existing_statements: false });
  assert.deepEqual(
    sent.policy.statements?.map((st) => [st.name, st.conditions?.route_type, st.actions?.route_action]),
    [
      ['accept-local', 'ROUTE_TYPE_LOCAL', 'ACCEPT'],
      ['reject-rest', undefined, 'REJECT'],
    ],
  );
  assert.deepEqual(decodePolicy(sent.policy), policy);
});

void test('the global import assignment: names only on the way out, full policies on the way back', () => {
  const sent = overTheWire<{ assignment: WirePolicyAssignment }>('SetPolicyAssignment', { assignment: encodeImportAssignment(['p'], 'reject') });
  const a = sent.assignment;
  assert.deepEqual([a.name, a.direction, a.policies?.map((p) => p.name), a.default_action], ['global', 'IMPORT', ['p'], 'REJECT']);
  const answer: WireListPolicyAssignmentResponse = {
    assignment: { name: 'global', direction: 'IMPORT', policies: [encodePolicy(policy), { name: '' }], default_action: 'ACCEPT' },
  };
  assert.deepEqual(decodeImportAssignment(answer.assignment), { policies: [policy], defaultAction: 'accept' });
  assert.deepEqual(decodeImportAssignment(null), { policies: [], defaultAction: 'none' });
  assert.deepEqual(decodeImportAssignment({ default_action: 'NONE', policies: [{ name: 'q', statements: [{ name: 's', conditions: null, actions: null }] }] }), {
    policies: [{ name: 'q', statements: [{ name: 's', action: 'none' }] }],
    defaultAction: 'none',
  });
});

void test('encodePolicy refuses nameless policies and repeated statement names', () => {
  assert.throws(() => encodePolicy({ name: '', statements: [] }), InvalidSpecError);
  assert.throws(() => encodePolicy({ name: 'p', statements: [{ name: '', action: 'accept' }] }), InvalidSpecError);
  assert.throws(() => encodePolicy({ name: 'p', statements: [{ name: 's', action: 'accept' }, { name: 's', action: 'reject' }] }), /repeats a statement name/);
});
