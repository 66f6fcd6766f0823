// Remembered results of a pure function of a string. Table syncs parse and sort the same few
// thousand addresses and communities over and over; the speaker's CPU profile had that
// parsing as its largest self time. Bounded: past `limit` entries the memory starts afresh.

export function memoized<T>(fn: (text: string) => T, limit = 50_000): (text: string) => T {
  const memo = new Map<string, T>();
  return (text) => {
    const known = memo.get(text);
    if (known !== undefined || memo.has(text)) return known as T;
    const value = fn(text);
    if (memo.size >= limit) memo.clear();
    memo.set(text, value);
    return value;
  };
}
