// desired paths vs gobgpd's table -> the operations that make them equal.
//
// GoBGP facts this relies on:
// - AddPath of an NLRI that already has a locally originated path replaces that
//   path in place (same source, implicit withdraw): a changed path only needs an
//   add, and the route never disappears in between.
// - DeletePath withdraws the NLRI from the local source, so deleting an "old"
//   copy of a prefix that stays desired would withdraw the new one too; a
//   prefix that stays desired is therefore never in `remove`.
// - DeletePath with a family and no path deletes every local path; this
//   function only ever returns explicit paths, never a "delete all".
// Equal paths give no operation, so a restarted speaker finding its routes
// still in gobgpd (graceful restart, or gobgpd outliving it) does not flap them.
import type { ObservedPath, PathSpec } from '../gobgp/types';
import { comparePaths, normalizePath, pathKey, samePath } from './pathAttributes';

export interface TableDiff {
  /** Paths to AddPath: missing ones and ones whose attributes changed (replaced in place). */
  add: PathSpec[];
  /** Locally originated paths whose prefix is no longer desired, exactly as observed (uuid kept). */
  remove: ObservedPath[];
}

/**
 * `desired` holds one path per prefix (pathsForNode guarantees it; should a
 * prefix repeat, the first one wins). Paths learned from peers (local: false)
 * are not ours and never touched.
 */
export function diffTable(desired: readonly PathSpec[], observed: readonly ObservedPath[]): TableDiff {
  const want = new Map<string, PathSpec>();
  for (const p of desired) if (!want.has(pathKey(p))) want.set(pathKey(p), p);

  const have = new Map<string, ObservedPath[]>();
  for (const p of observed) {
    if (!p.local) continue;
    const list = have.get(pathKey(p));
    if (list) list.push(p);
    else have.set(pathKey(p), [p]);
  }

  const add: PathSpec[] = [];
  for (const [key, path] of want) {
    if (!(have.get(key) ?? []).some((o) => samePath(o, path))) add.push(normalizePath(path));
  }
  const remove: ObservedPath[] = [];
  for (const [key, list] of have) if (!want.has(key)) remove.push(...list);

  add.sort(comparePaths);
  remove.sort(comparePaths);
  return { add, remove };
}
