// One reconcile of the pool controller as data: a VipPool and the announcements → its
// finalizer and its status. Pure; poolController.ts executes the plan.
//
//   not deleting, no finalizer        → add ours (a delete then waits for the allocations)
//   deleting, nothing allocated       → remove ours (the API server finishes the delete)
//   uninstalling                      → remove ours, add none (nothing would remove it later)
//   status differs from what is stored → apply it (counts per family, Ready, DeletionBlocked)
import { condition, conditionsEqual } from '../api/conditions';
import { compilePool, poolContains, poolSelects, POOL_CONDITION_TYPES, POOL_FINALIZER, POOL_KIND, rangeSize, type CompiledPool, type VipPool, type VipPoolStatus } from '../api/pool';
import { API_VERSION, type Condition } from '../api/types';
import { parseIP } from '../util/ip';
import { isServiceAnnouncement } from './planAnnouncement';
import type { CachedAnnouncement, CachedPool } from '../kube/cachedKinds';

export interface PoolSnapshot {
  pool: CachedPool;
  /** Every pool (overlaps are reported on both). */
  pools: readonly CachedPool[];
  announcements: readonly CachedAnnouncement[];
  /** A namespace's labels (the pool's namespaceSelector decides which hand-made announcements it allows). */
  namespaceLabels?: (namespace: string) => Readonly<Record<string, string>> | undefined;
  now: Date;
  /**
   * The product is being uninstalled (the controller's own namespace is being deleted): the
   * controller that removes the finalizer is going away, and with it every announcement, so a
   * finalizer kept now would block the pools' and the CRD's deletion forever.
   */
  uninstalling?: boolean;
}

export type PoolAction =
  /** Metadata only: the controller must own no field of the administrator's spec. */
  | { kind: 'addFinalizer'; body: Pick<VipPool, 'apiVersion' | 'kind' | 'metadata'> }
  | { kind: 'removeFinalizer'; body: Pick<VipPool, 'apiVersion' | 'kind' | 'metadata'> }
  | { kind: 'applyStatus'; body: Pick<VipPool, 'apiVersion' | 'kind' | 'metadata'> & { status: VipPoolStatus } };

const MAX_LISTED = 10;

export function planPool(s: PoolSnapshot): PoolAction[] {
  const pool = compilePool(s.pool);
  const holders = holdersIn(pool, s.announcements, s.namespaceLabels ?? (() => undefined));
  const meta = { name: s.pool.metadata.name };
  const actions: PoolAction[] = [];
  const hasFinalizer = (s.pool.metadata.finalizers ?? []).includes(POOL_FINALIZER);
  if (s.uninstalling) {
    return hasFinalizer ? [{ kind: 'removeFinalizer', body: { apiVersion: API_VERSION, kind: POOL_KIND, metadata: meta } }] : [];
  }
  if (!pool.deleting && !hasFinalizer) {
    actions.push({ kind: 'addFinalizer', body: { apiVersion: API_VERSION, kind: POOL_KIND, metadata: { ...meta, finalizers: [POOL_FINALIZER] } } });
  }
  if (pool.deleting && hasFinalizer && holders.size === 0) {
    return [{ kind: 'removeFinalizer', body: { apiVersion: API_VERSION, kind: POOL_KIND, metadata: meta } }];
  }
  const status = poolStatus(s, pool, holders);
  const stored = s.pool.status;
  const same =
    conditionsEqual(stored?.conditions, status.conditions) &&
    JSON.stringify([stored?.ipv4, stored?.ipv6, stored?.observedGeneration]) === JSON.stringify([status.ipv4, status.ipv6, status.observedGeneration]);
  if (!same) actions.push({ kind: 'applyStatus', body: { apiVersion: API_VERSION, kind: POOL_KIND, metadata: meta, status } });
  return actions;
}

/**
 * Address → the announcements ("namespace/name") that hold it, for every address inside the
 * pool. Only real holders count: not an announcement being deleted, nor a hand-made one the
 * pool does not allow (it does not select it, or a Service's announcement carries the address),
 * so a refused claim neither blocks the pool's deletion nor inflates its counts.
 */
function holdersIn(pool: CompiledPool, announcements: readonly CachedAnnouncement[], namespaceLabels: (ns: string) => Readonly<Record<string, string>> | undefined): Map<string, string[]> {
  const live = announcements.filter((va) => va.metadata.deletionTimestamp === undefined);
  const serviceHeld = new Set(live.filter(isServiceAnnouncement).flatMap((va) => (va.spec.addresses ?? []).flatMap((t) => parsedAddress(t) ?? [])));
  const out = new Map<string, string[]>();
  for (const va of live) {
    const ns = va.metadata.namespace ?? '';
    const handmade = !isServiceAnnouncement(va);
    if (handmade && !poolSelects(pool, { namespace: ns, namespaceLabels: namespaceLabels(ns), labels: va.metadata.labels })) continue;
    for (const text of va.spec.addresses ?? []) {
      const p = parseIP(text);
      if (!p.ok || !poolContains(pool, p.ip) || (handmade && serviceHeld.has(p.ip.address))) continue;
      const key = `${ns}/${va.metadata.name}`;
      out.set(p.ip.address, [...(out.get(p.ip.address) ?? []), key]);
    }
  }
  return out;
}

function parsedAddress(text: string): string | undefined {
  const p = parseIP(text);
  return p.ok ? p.ip.address : undefined;
}

function poolStatus(s: PoolSnapshot, pool: CompiledPool, holders: Map<string, string[]>): VipPoolStatus {
  const generation = s.pool.metadata.generation;
  const previous = s.pool.status?.conditions;
  const conditions: Condition[] = [condition(POOL_CONDITION_TYPES.ready, readiness(s, pool), generation, previous, s.now)];
  if (pool.deleting) conditions.push(condition(POOL_CONDITION_TYPES.deletionBlocked, blocked(holders), generation, previous, s.now));
  return {
    ...(generation !== undefined ? { observedGeneration: generation } : {}),
    conditions,
    ipv4: familyCount(pool, holders, 4),
    ipv6: familyCount(pool, holders, 6),
  };
}

function familyCount(pool: CompiledPool, holders: Map<string, string[]>, family: 4 | 6): { allocated: number; free: number } {
  const allocated = [...holders.keys()].filter((a) => (a.includes(':') ? 6 : 4) === family).length;
  const size = pool.ranges.filter((r) => r.family === family).reduce((n, r) => Math.min(Number.MAX_SAFE_INTEGER, n + rangeSize(r, pool.avoidBuggyIPs)), 0);
  return { allocated, free: Math.max(0, size - allocated) };
}

type ConditionFields = Pick<Condition, 'status' | 'reason' | 'message'>;

/** Ready=False names the field: an entry that is no range, or one that overlaps another pool. */
function readiness(s: PoolSnapshot, pool: CompiledPool): ConditionFields {
  const texts = s.pool.spec.addresses ?? [];
  if (pool.invalid.length > 0) {
    const where = pool.invalid.map((i) => `spec.addresses[${texts.indexOf(i.value)}] "${i.value}": ${i.reason}`);
    return { status: 'False', reason: 'InvalidAddresses', message: where.join('; ') };
  }
  const overlaps = overlapping(pool, s.pools, texts);
  if (overlaps.length > 0) return { status: 'False', reason: 'OverlappingPools', message: overlaps.slice(0, MAX_LISTED).join('; ') };
  return { status: 'True', reason: 'Ready', message: `${pool.ranges.length} address range${pool.ranges.length === 1 ? '' : 's'}` };
}

function overlapping(pool: CompiledPool, pools: readonly CachedPool[], texts: readonly string[]): string[] {
  const found: string[] = [];
  for (const other of pools.filter((p) => p.metadata.name !== pool.name).map(compilePool)) {
    for (const r of pool.ranges) {
      const hit = other.ranges.find((o) => o.family === r.family && o.first <= r.last && r.first <= o.last);
      if (hit) found.push(`spec.addresses[${texts.indexOf(r.text)}] "${r.text}" overlaps "${hit.text}" of VipPool ${other.name}`);
    }
  }
  return found;
}

function blocked(holders: Map<string, string[]>): ConditionFields {
  if (holders.size === 0) return { status: 'False', reason: 'NoAllocations', message: 'no address of this pool is held; the delete completes' };
  const owners = [...new Set([...holders.values()].flat())].sort();
  const listed = owners.slice(0, MAX_LISTED).join(', ') + (owners.length > MAX_LISTED ? ` and ${owners.length - MAX_LISTED} more` : '');
  return { status: 'True', reason: 'AddressesAllocated', message: `waiting for ${holders.size} allocated address${holders.size === 1 ? '' : 'es'} to be released: ${listed}` };
}
