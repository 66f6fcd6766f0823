import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as protoLoader from '@grpc/proto-loader';
import { protoPath } from '../client';
import { decodeDestination, decodePeer, decodePeerEvent, encodeAddPath, encodeAddPathStream, encodeDeletePath, encodeListPath, InvalidSpecError } from '../codec';
import { V4_DIALECT } from '../dialect';
import { decodeImportAssignment, decodePolicy, encodeImportAssignment, encodePolicy } from '../policyCodec';
import type { PathSpec, PeerSpec, PolicySpec } from '../types';
import { LOADER_OPTIONS, TYPE } from '../wire';
import type { WirePeer } from '../wire';
import { attributeFromV4, enumFromV4, nlriFromV4, pathFromV4, renameEnum, type AnyPolicyAssignment, type V4Path } from './translate';

const v4: PathSpec = {
  prefix: '203.0.113.10/32',
  family: 'ipv4-unicast',
  nextHop: '192.0.2.10',
  communities: ['65000:20', '65000:100'],
  largeCommunities: ['65000:1:2'],
  localPref: 200,
};
const v6: PathSpec = {
  prefix: '2001:db8::10/128',
  family: 'ipv6-unicast',
  nextHop: '2001:db8::1',
  communities: ['65000:100'],
  largeCommunities: ['1:2:3'],
};

type Message = protoLoader.MessageTypeDefinition<object, object>;
const definition = protoLoader.loadSync(protoPath(V4_DIALECT.protoFile), { ...LOADER_OPTIONS });
function message(name: string): Message {
  const d = definition[`api.${name}`] as { format?: unknown } | undefined;
  assert.equal(d?.format, 'Protocol Buffer 3 DescriptorProto', `api.${name} is a message`);
  return d as Message;
}

void test('the v4 proto subset loads with the service and the renamed messages', () => {
  const svc = definition['api.GoBgpService'] as Record<string, { path: string }> | undefined;
  assert.equal(svc?.GetBgp?.path, '/api.GoBgpService/GetBgp');
  assert.equal(svc?.AddPathStream?.path, '/api.GoBgpService/AddPathStream');
  assert.equal(definition['apipb.GobgpApi'], undefined);
});

void test('NLRI and attributes are typed oneofs on the wire (field numbers of nlri.proto / attribute.proto)', () => {
  // NLRI.prefix = 1 holding IPAddressPrefix{prefix_len = 1, prefix = 2}.
  const nlri = Buffer.from(message('NLRI').serialize({ prefix: { prefix_len: 32, prefix: '203.0.113.10' } }));
  assert.equal(nlri.toString('hex'), `0a10082012${'0c'}${Buffer.from('203.0.113.10').toString('hex')}`);
  // Attribute.local_pref = 6 (tag 0x32) holding LocalPrefAttribute{local_pref = 1}.
  assert.equal(Buffer.from(message('Attribute').serialize({ local_pref: { local_pref: 200 } })).toString('hex'), '320308c801');
  // Attribute.large_communities = 21 (tag 0xaa 0x01).
  const large = Buffer.from(message('Attribute').serialize({ large_communities: { communities: [{ global_admin: 1, local_data1: 2, local_data2: 3 }] } }));
  assert.equal(large.subarray(0, 2).toString('hex'), 'aa01');
});

void test('AddPath requests in v4 shape survive protobuf and decode to the same path', () => {
  const type = message('AddPathRequest');
  for (const spec of [v4, v6]) {
    const request = V4_DIALECT.addPath(encodeAddPath(spec)) as { table_type: string; path: V4Path };
    assert.equal(request.table_type, 'TABLE_TYPE_GLOBAL');
    const back = type.deserialize(type.serialize(request)) as { table_type?: string; path?: V4Path };
    assert.equal(back.table_type, 'TABLE_TYPE_GLOBAL');
    assert.ok(back.path);
    const [decoded] = decodeDestination(V4_DIALECT.destination({ paths: [back.path] }));
    const { localPref, ...rest } = spec;
    assert.deepEqual(decoded, { ...rest, ...(localPref !== undefined ? { localPref } : {}), local: true, best: false });
  }
});

void test('AddPathStream, DeletePath and ListPath requests use v4 enum names', () => {
  const stream = V4_DIALECT.addPathStream(encodeAddPathStream([v4, v6])) as { table_type: string; paths: V4Path[] };
  assert.equal(stream.table_type, 'TABLE_TYPE_GLOBAL');
  assert.deepEqual(stream.paths.map((p) => p.nlri?.prefix?.prefix), ['203.0.113.10', '2001:db8::10']);
  assert.deepEqual(stream.paths[1]?.pattrs?.[1]?.mp_reach?.nlris, [{ prefix: { prefix_len: 128, prefix: '2001:db8::10' } }]);
  const byUuid = V4_DIALECT.deletePath(encodeDeletePath('00112233-4455-6677-8899-aabbccddeeff'));
  assert.deepEqual(Object.keys(byUuid), ['table_type', 'uuid']);
  const bySpec = V4_DIALECT.deletePath(encodeDeletePath(v4)) as { table_type: string; path: V4Path };
  assert.equal(bySpec.table_type, 'TABLE_TYPE_GLOBAL');
  assert.equal(bySpec.path.is_withdraw, true);
  assert.deepEqual(bySpec.path.nlri, { prefix: { prefix_len: 32, prefix: '203.0.113.10' } });
  const back = message('DeletePathRequest').deserialize(message('DeletePathRequest').serialize(bySpec)) as { path?: { is_withdraw?: boolean } };
  assert.equal(back.path?.is_withdraw, true);
  assert.deepEqual(V4_DIALECT.listPath(encodeListPath('ipv6-unicast', 'adj-out', '192.0.2.1')), {
    table_type: 'TABLE_TYPE_ADJ_OUT',
    name: '192.0.2.1',
    family: { afi: 'AFI_IP6', safi: 'SAFI_UNICAST' },
    sort_type: 'SORT_TYPE_PREFIX',
  });
  const some = V4_DIALECT.listPath(encodeListPath('ipv4-unicast', 'global', undefined, ['198.51.100.1/32']));
  assert.deepEqual((some as { prefixes?: unknown }).prefixes, [{ prefix: '198.51.100.1/32', type: 'TYPE_EXACT' }]);
  const wire = message('ListPathRequest').deserialize(message('ListPathRequest').serialize(some)) as { prefixes?: { prefix: string; type: string }[] };
  assert.deepEqual(wire.prefixes, [{ prefix: '198.51.100.1/32', type: 'TYPE_EXACT' }], 'the field and enum exist in the v4 proto');
  assert.deepEqual(V4_DIALECT.listPeer('192.0.2.1'), { address: '192.0.2.1', enable_advertised: true });
});

void test('v4 answers: attributes outside our subset, other NLRI and AS paths read as in v3', () => {
  assert.equal(attributeFromV4({ attr: 'multi_exit_disc' })['@type'], undefined);
  assert.equal(nlriFromV4({ nlri: 'evpn_macadv' })['@type'], undefined);
  assert.deepEqual(attributeFromV4({ as_path: { segments: [{ type: 'TYPE_AS_SEQUENCE', numbers: [65001, 65002] }] } }), {
    '@type': TYPE.asPath,
    segments: [{ type: 'AS_SEQUENCE', numbers: [65001, 65002] }],
  });
  const learned = pathFromV4({
    nlri: { prefix: { prefix_len: 24, prefix: '198.51.100.0' }, nlri: 'prefix' },
    family: { afi: 'AFI_IP', safi: 'SAFI_UNICAST' },
    pattrs: [{ next_hop: { next_hop: '192.0.2.7' }, attr: 'next_hop' }, { attr: 'multi_exit_disc' }],
    neighbor_ip: '192.0.2.7',
  });
  assert.deepEqual(decodeDestination({ paths: [learned] }), [
    { prefix: '198.51.100.0/24', family: 'ipv4-unicast', nextHop: '192.0.2.7', communities: [], largeCommunities: [], local: false, neighbor: '192.0.2.7' },
  ]);
  assert.deepEqual(decodeDestination(V4_DIALECT.destination({ paths: [{ nlri: { nlri: 'flow_spec' }, family: { afi: 'AFI_IP', safi: 'SAFI_UNICAST' } }] })), []);
});

void test('enum values: v4 prefixes stripped; numbers outside the subset looked up', () => {
  assert.equal(enumFromV4('SESSION_STATE_ESTABLISHED', 'SESSION_STATE_', []), 'ESTABLISHED');
  assert.equal(enumFromV4(2, 'ADMIN_STATE_', ['UNSPECIFIED', 'UP', 'DOWN']), 'DOWN');
  assert.equal(enumFromV4(undefined, 'X_', []), undefined);
});

const peerSpec: PeerSpec = {
  address: '192.0.2.1',
  asn: 64512,
  families: ['ipv4-unicast'],
  bfd: { enabled: true, minTxIntervalMs: 100, minRxIntervalMs: 200, detectMultiplier: 5 },
};

void test('v4 peers carry BFD; v4 ListPeer answers decode with session, admin and BFD states', () => {
  const request = V4_DIALECT.addPeer(peerSpec) as { peer: WirePeer };
  assert.deepEqual(request.peer.bfd, {
    enabled: true,
    port: 0,
    desired_minimum_tx_interval: 100_000,
    required_minimum_receive: 200_000,
    detection_multiplier: 5,
  });
  const wire = message('Peer').deserialize(message('Peer').serialize({
    ...request.peer,
    state: {
      neighbor_address: '192.0.2.1',
      peer_asn: 64512,
      session_state: 'SESSION_STATE_ESTABLISHED',
      admin_state: 'ADMIN_STATE_UP',
      bfd_state: { session_state: 'BFD_SESSION_STATE_UP' },
    },
  })) as WirePeer;
  const status = decodePeer(V4_DIALECT.peer(wire));
  assert.equal(status?.state, 'Established');
  assert.equal(status?.adminDown, false);
  assert.equal(status?.bfd, 'Up');
  assert.deepEqual(status?.config.bfd, { enabled: true, multihop: false, minTxIntervalMs: 100, minRxIntervalMs: 200, detectMultiplier: 5 });
  const down = decodePeer(V4_DIALECT.peer({ ...wire, state: { ...wire.state, admin_state: 'ADMIN_STATE_DOWN', bfd_state: { session_state: 'BFD_SESSION_STATE_DOWN' } } }));
  assert.equal(down?.adminDown, true);
  assert.equal(down?.bfd, 'Down');
  const noBfd = decodePeer(V4_DIALECT.peer({ ...wire, bfd: { enabled: false } }));
  assert.equal(noBfd?.bfd, undefined);
  assert.equal(noBfd?.config.bfd, undefined);
});

void test('multihop BFD asks for port 4784; a v3 request with BFD is refused by name', () => {
  const multihop = V4_DIALECT.addPeer({ ...peerSpec, bfd: { enabled: true, multihop: true } }) as { peer: WirePeer };
  assert.equal(multihop.peer.bfd?.port, 4784);
  assert.equal(decodePeer(multihop.peer)?.config.bfd?.multihop, true);
  assert.throws(
    () => V4_DIALECT.addPeer({ ...peerSpec, bfd: { enabled: true, detectMultiplier: 0 } }),
    (e: unknown) => e instanceof InvalidSpecError && /detectMultiplier 0 must be in 1\.\.255/.test(e.message),
  );
  assert.throws(
    () => V4_DIALECT.addPeer({ ...peerSpec, bfd: { enabled: true, minTxIntervalMs: 0.5 } }),
    (e: unknown) => e instanceof InvalidSpecError && /minTxIntervalMs/.test(e.message),
  );
});

void test('v4 watch events: TYPE_ names map to init, end-of-init and state', () => {
  const peer = { conf: { neighbor_address: '192.0.2.1', peer_asn: 64512 }, state: { session_state: 'SESSION_STATE_ACTIVE' } };
  const type = message('WatchEventResponse');
  const roundTrip = (o: object): object => type.deserialize(type.serialize(o));
  assert.deepEqual(decodePeerEvent(V4_DIALECT.watchEvent(roundTrip({ peer: { type: 'TYPE_INIT', peer } }))), {
    type: 'init',
    peer: { address: '192.0.2.1', asn: 64512, state: 'Active', adminDown: false },
  });
  assert.deepEqual(decodePeerEvent(V4_DIALECT.watchEvent(roundTrip({ peer: { type: 'TYPE_END_OF_INIT' } }))), { type: 'end-of-init' });
  const state = decodePeerEvent(V4_DIALECT.watchEvent(roundTrip({ peer: { type: 'TYPE_STATE', peer: { ...peer, state: { session_state: 'SESSION_STATE_ESTABLISHED' } } } })));
  assert.equal(state?.type === 'state' && state.peer.state, 'Established');
});

const policy: PolicySpec = {
  name: 'vipa-import',
  statements: [
    { name: 'vipa-accept-local', routeType: 'local', action: 'accept' },
    { name: 'vipa-reject-internal', routeType: 'internal', action: 'reject' },
    { name: 'vipa-reject-rest', action: 'reject' },
  ],
};

/** A request through protobuf with the v4 subset, as gobgpd would read it. */
function roundTrip(name: string, request: object): Record<string, unknown> {
  return message(name).deserialize(message(name).serialize(request)) as Record<string, unknown>;
}

void test('policies: AddPolicy and DeletePolicy requests in v4 names survive protobuf and decode to the same policy', () => {
  const wire = encodePolicy(policy);
  const request = { policy: V4_DIALECT.policyToApi(wire), refer_existing_statements: false };
  assert.deepEqual((request.policy as { statements: unknown[] }).statements[0], {
    name: 'vipa-accept-local',
    conditions: { route_type: 'ROUTE_TYPE_LOCAL' },
    actions: { route_action: 'ROUTE_ACTION_ACCEPT' },
  });
  const back = roundTrip('AddPolicyRequest', request);
  assert.deepEqual(decodePolicy(V4_DIALECT.policy(back.policy as object)), policy);
  const deletion = roundTrip('DeletePolicyRequest', { policy: V4_DIALECT.policyToApi({ name: 'vipa-import', statements: [] }), all: true });
  assert.deepEqual(deletion, { policy: { name: 'vipa-import', statements: [] }, preserve_statements: false, all: true });
});

void test('policies: the import assignment and its default decision in v4 names, both ways', () => {
  const assignment = V4_DIALECT.assignmentToApi(encodeImportAssignment(['vipa-import'], 'reject')) as AnyPolicyAssignment;
  assert.equal(assignment.direction, 'POLICY_DIRECTION_IMPORT');
  assert.equal(assignment.default_action, 'ROUTE_ACTION_REJECT');
  const back = roundTrip('SetPolicyAssignmentRequest', { assignment });
  assert.deepEqual(back.assignment, { name: 'global', direction: 'POLICY_DIRECTION_IMPORT', policies: [{ name: 'vipa-import', statements: [] }], default_action: 'ROUTE_ACTION_REJECT' });
  // What ListPolicyAssignment answers: the policies with their statements.
  const answer = { name: 'global', direction: 'POLICY_DIRECTION_IMPORT', policies: [V4_DIALECT.policyToApi(encodePolicy(policy))], default_action: 'ROUTE_ACTION_ACCEPT' };
  assert.deepEqual(decodeImportAssignment(V4_DIALECT.assignment(answer)), { policies: [policy], defaultAction: 'accept' });
  assert.deepEqual(decodeImportAssignment(V4_DIALECT.assignment({ default_action: 'ROUTE_ACTION_UNSPECIFIED' })), { policies: [], defaultAction: 'none' });
  assert.deepEqual(decodeImportAssignment(V4_DIALECT.assignment(undefined)), { policies: [], defaultAction: 'none' });
  assert.deepEqual(V4_DIALECT.listPolicyAssignment({ name: 'global', direction: 'IMPORT' }), { name: 'global', direction: 'POLICY_DIRECTION_IMPORT' });
});

void test('soft reset in: v4 numbers the directions from an UNSPECIFIED 0, so IN must be sent by name', () => {
  const request = V4_DIALECT.resetPeer({ address: 'all', communication: '', soft: true, direction: 'IN' });
  assert.deepEqual(roundTrip('ResetPeerRequest', request), { address: 'all', communication: '', soft: true, direction: 'DIRECTION_IN' });
  assert.equal(renameEnum(2, ['A', 'B', 'C'], ['X', 'Y', 'Z']), 'Z');
  assert.equal(renameEnum('D', ['A'], ['X']), undefined);
  assert.equal(renameEnum(undefined, ['A'], ['X']), undefined);
});
