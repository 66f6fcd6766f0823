// "Would applying this change anything?" answered from the live object alone, so the
// installer keeps no memory of what it applied. Server-side apply only sets the fields the
// applied object names, so the apply is a no-op exactly when each of those fields already
// holds the value applied; fields others set, and defaults the API server filled in, do not
// matter. The API server's own rewrites are allowed for: empty values it omits, and resource
// quantities it canonicalises ("0.5" is stored as "500m").

import { isRecord } from '../util/records';

const QUANTITY = /^([+-]?(?:\d+\.?\d*|\.\d+))(?:([eE][+-]?\d+)|(Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E))?$/;
const SUFFIX: Record<string, number> = {
  n: 1e-9, u: 1e-6, m: 1e-3, k: 1e3, M: 1e6, G: 1e9, T: 1e12, P: 1e15, E: 1e18,
  Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, Pi: 2 ** 50, Ei: 2 ** 60,
};
/** The keys under which values are resource quantities (container resources). */
const QUANTITY_PARENTS = new Set(['requests', 'limits']);

/** The numeric value of a Kubernetes quantity ("100m", "1Gi", "1e3"), undefined if it is none. */
export function quantityValue(q: string): number | undefined {
  const m = QUANTITY.exec(q);
  if (!m) return undefined;
  return Number(m[1] + (m[2] ?? '')) * (m[3] ? SUFFIX[m[3]] : 1);
}

function sameQuantity(a: string, b: string): boolean {
  const x = quantityValue(a);
  const y = quantityValue(b);
  return x !== undefined && y !== undefined && Math.abs(x - y) <= 1e-9 * Math.max(Math.abs(x), Math.abs(y));
}

/** A value Go's omitempty drops, so the API server may store it as absent. */
function isEmpty(v: unknown): boolean {
  return v === '' || v === 0 || v === false || (Array.isArray(v) && v.length === 0) || (isRecord(v) && Object.keys(v).length === 0);
}

/**
 * Every field `applied` sets holds the same value in `live`. Lists of scalars must be equal;
 * in lists of objects each applied item must match a live item, in order, and items others
 * added are allowed (server-side apply keeps list entries it does not own).
 */
export function appliedFieldsHold(live: unknown, applied: unknown): boolean {
  if (live === undefined || live === null) return applied === undefined || isEmpty(applied);
  if (Array.isArray(applied)) return Array.isArray(live) && listHolds(live, applied);
  if (!isRecord(applied)) return live === applied;
  if (!isRecord(live)) return false;
  return Object.entries(applied).every(([k, v]) =>
    QUANTITY_PARENTS.has(k) && isRecord(v) ? quantitiesHold(live[k], v) : appliedFieldsHold(live[k], v),
  );
}

function quantitiesHold(live: unknown, applied: Record<string, unknown>): boolean {
  return Object.entries(applied).every(([k, v]) => {
    const got = isRecord(live) ? live[k] : undefined;
    return got === v || (typeof got === 'string' && typeof v === 'string' && sameQuantity(got, v));
  });
}

function listHolds(live: readonly unknown[], applied: readonly unknown[]): boolean {
  if (!applied.some(isRecord)) return live.length === applied.length && applied.every((v, i) => appliedFieldsHold(live[i], v));
  let at = 0;
  for (const item of applied) {
    while (at < live.length && !appliedFieldsHold(live[at], item)) at++;
    if (at === live.length) return false;
    at++;
  }
  return true;
}
