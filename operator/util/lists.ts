// Small list helpers for string lists that are compared or stored in a canonical order.

/** Same elements in the same order. */
export function sameList(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

/** Duplicates dropped, sorted by code unit (the order the API server's JSON comparison sees). */
export function sortedUnique(xs: readonly string[]): string[] {
  return [...new Set(xs)].sort((x, y) => (x < y ? -1 : x > y ? 1 : 0));
}
