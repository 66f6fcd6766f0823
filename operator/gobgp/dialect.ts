// What differs between GoBGP's v3 and v4 gRPC APIs for the client: the proto file and
// service name, and the shapes of a few requests and answers. The codec builds and reads
// v3 shapes; a dialect passes them through (v3) or translates them (v4, see v4/translate.ts).
import { encodePeer } from './codec';
import type { ApiVersion, PeerSpec } from './types';
import {
  assignmentFromV4,
  assignmentToV4,
  deletePathToV4,
  destinationFromV4,
  listPathToV4,
  listPolicyAssignmentToV4,
  pathToV4,
  peerFromV4,
  policyFromV4,
  policyToV4,
  resetPeerToV4,
  tableTypeToV4,
  watchEventFromV4,
} from './v4/translate';
import type {
  WireAddPathRequest,
  WireAddPathStreamRequest,
  WireDeletePathRequest,
  WireDestination,
  WireListPathRequest,
  WireListPolicyAssignmentRequest,
  WirePeer,
  WirePolicy,
  WirePolicyAssignment,
  WireResetPeerRequest,
  WireWatchEventResponse,
} from './wire';

export interface Dialect {
  readonly api: ApiVersion;
  /** File under proto/. */
  readonly protoFile: string;
  /** Full name of the gRPC service. */
  readonly service: string;
  addPeer(spec: PeerSpec): object;
  listPeer(address: string): object;
  addPath(request: WireAddPathRequest): object;
  addPathStream(request: WireAddPathStreamRequest): object;
  deletePath(request: WireDeletePathRequest): object;
  listPath(request: WireListPathRequest): object;
  listPolicyAssignment(request: WireListPolicyAssignmentRequest): object;
  resetPeer(request: WireResetPeerRequest): object;
  /** A policy or an assignment inside a request (AddPolicy, DeletePolicy, SetPolicyAssignment). */
  policyToApi(policy: WirePolicy): object;
  assignmentToApi(assignment: WirePolicyAssignment): object;
  /** Answers as proto-loader decoded them, in this API's shapes; out in the codec's (v3) shapes. */
  peer(answer: object): WirePeer;
  destination(answer: object | null | undefined): WireDestination | null | undefined;
  watchEvent(answer: object): WireWatchEventResponse;
  policy(answer: object | null | undefined): WirePolicy | null | undefined;
  assignment(answer: object | null | undefined): WirePolicyAssignment | null | undefined;
}

const same = <T>(x: T): T => x;
// A v3 answer already has the shape the codec reads (wire.ts describes it).
const asV3 = <T>(x: object | null | undefined): T => x as T;

export const V3_DIALECT: Dialect = {
  api: 'v3',
  protoFile: 'gobgp.proto',
  service: 'apipb.GobgpApi',
  addPeer: (spec) => ({ peer: encodePeer(spec, 'v3') }),
  listPeer: (address) => ({ address, enableAdvertised: true }),
  addPath: same,
  addPathStream: same,
  deletePath: same,
  listPath: same,
  listPolicyAssignment: same,
  resetPeer: same,
  policyToApi: same,
  assignmentToApi: same,
  peer: asV3<WirePeer>,
  destination: asV3<WireDestination | null | undefined>,
  watchEvent: asV3<WireWatchEventResponse>,
  policy: asV3<WirePolicy | null | undefined>,
  assignment: asV3<WirePolicyAssignment | null | undefined>,
};

export const V4_DIALECT: Dialect = {
  api: 'v4',
  protoFile: 'gobgp-v4.proto',
  service: 'api.GoBgpService',
  addPeer: (spec) => ({ peer: encodePeer(spec, 'v4') }),
  listPeer: (address) => ({ address, enable_advertised: true }),
  addPath: (r) => ({ table_type: tableTypeToV4(r.table_type), path: pathToV4(r.path) }),
  addPathStream: (r) => ({ table_type: tableTypeToV4(r.table_type), paths: r.paths.map(pathToV4) }),
  deletePath: deletePathToV4,
  listPath: listPathToV4,
  listPolicyAssignment: listPolicyAssignmentToV4,
  resetPeer: resetPeerToV4,
  policyToApi: policyToV4,
  assignmentToApi: assignmentToV4,
  peer: peerFromV4,
  destination: destinationFromV4,
  watchEvent: watchEventFromV4,
  policy: policyFromV4,
  assignment: assignmentFromV4,
};

export const DIALECTS: Record<ApiVersion, Dialect> = { v3: V3_DIALECT, v4: V4_DIALECT };
