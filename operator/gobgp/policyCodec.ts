// Pure translation of routing policies between the project's vocabulary (types.ts) and the
// v3 API's shapes (wire.ts): only what the global RIB's import policy needs, a route-type
// condition and an accept/reject decision per statement.
import { InvalidSpecError } from './errors';
import type { ImportPolicySpec, PolicySpec, RouteAction, RouteOrigin, StatementSpec } from './types';
import type { WirePolicy, WirePolicyAssignment, WireRouteAction, WireRouteType, WireStatement } from './wire';

/** gobgpd's name of the global RIB in policy assignments. */
export const GLOBAL_RIB = 'global';

const ACTION_TO_WIRE: Record<RouteAction, 'NONE' | 'ACCEPT' | 'REJECT'> = { none: 'NONE', accept: 'ACCEPT', reject: 'REJECT' };
const ORIGIN_TO_WIRE: Record<RouteOrigin, 'ROUTE_TYPE_LOCAL' | 'ROUTE_TYPE_INTERNAL' | 'ROUTE_TYPE_EXTERNAL'> = {
  local: 'ROUTE_TYPE_LOCAL',
  internal: 'ROUTE_TYPE_INTERNAL',
  external: 'ROUTE_TYPE_EXTERNAL',
};

// Every value of these enums is in our subset, so the loader hands over names, never numbers.
function actionFromWire(action: WireRouteAction | undefined): RouteAction {
  if (action === 'ACCEPT') return 'accept';
  if (action === 'REJECT') return 'reject';
  return 'none';
}

function originFromWire(type: WireRouteType | undefined): RouteOrigin | undefined {
  return (Object.keys(ORIGIN_TO_WIRE) as RouteOrigin[]).find((origin) => ORIGIN_TO_WIRE[origin] === type);
}

function encodeStatement(st: StatementSpec): WireStatement {
  if (st.name === '') throw new InvalidSpecError('a policy statement needs a name');
  return {
    name: st.name,
    conditions: st.routeType === undefined ? null : { route_type: ORIGIN_TO_WIRE[st.routeType] },
    actions: { route_action: ACTION_TO_WIRE[st.action] },
  };
}

/** A policy to define (AddPolicy); statement names must be unique, as gobgpd keeps one namespace of them. */
export function encodePolicy(spec: PolicySpec): WirePolicy {
  if (spec.name === '') throw new InvalidSpecError('a policy needs a name');
  const names = new Set(spec.statements.map((s) => s.name));
  if (names.size !== spec.statements.length) throw new InvalidSpecError(`policy ${spec.name} repeats a statement name`);
  return { name: spec.name, statements: spec.statements.map(encodeStatement) };
}

export function decodePolicy(policy: WirePolicy | null | undefined): PolicySpec | undefined {
  if (!policy?.name) return undefined;
  return {
    name: policy.name,
    statements: (policy.statements ?? []).map((st) => {
      const routeType = originFromWire(st.conditions?.route_type);
      return { name: st.name ?? '', ...(routeType ? { routeType } : {}), action: actionFromWire(st.actions?.route_action) };
    }),
  };
}

/** The global RIB's import assignment: gobgpd looks the policies up by name. */
export function encodeImportAssignment(policyNames: readonly string[], defaultAction: RouteAction): WirePolicyAssignment {
  return {
    name: GLOBAL_RIB,
    direction: 'IMPORT',
    policies: policyNames.map((name) => ({ name, statements: [] })),
    default_action: ACTION_TO_WIRE[defaultAction],
  };
}

/** What ListPolicyAssignment reports; nothing at all reads as no policy and no default decision. */
export function decodeImportAssignment(assignment: WirePolicyAssignment | null | undefined): ImportPolicySpec {
  return {
    policies: (assignment?.policies ?? []).map(decodePolicy).filter((p): p is PolicySpec => p !== undefined),
    defaultAction: actionFromWire(assignment?.default_action),
  };
}
