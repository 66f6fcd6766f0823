// The one structural test for "a JSON object" used when narrowing unknown input
// (API responses, log metadata, parsed YAML).

/** A plain object: not null, not an array. */
export function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
