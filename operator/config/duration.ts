// Durations in the configuration file are Go-style strings ("500ms", "30s",
// "5m", "1h30m"), the same text Kubernetes' "duration" format and GoBGP's own
// config use, so operators can copy values between them.

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
const DURATION = /^(?:\d+(?:\.\d+)?(?:ms|s|m|h))+$/;
const PART = /(\d+(?:\.\d+)?)(ms|s|m|h)/g;

/** Milliseconds for a duration string, or undefined when the text is not one (or not whole ms). */
export function parseDuration(text: string): number | undefined {
  if (text === '0') return 0;
  if (!DURATION.test(text)) return undefined;
  let ms = 0;
  for (const [, value, unit] of text.matchAll(PART)) ms += Number(value) * (UNIT_MS[unit ?? ''] ?? NaN);
  // Sub-millisecond remainders ("1.5ms") would be silently rounded by every consumer; refuse them.
  return Number.isSafeInteger(ms) ? ms : undefined;
}

/** Shortest Go-style text for whole milliseconds, e.g. 90000 -> "1m30s". */
export function formatDuration(ms: number): string {
  if (ms === 0) return '0s';
  const parts: string[] = [];
  let rest = ms;
  for (const [unit, size] of [['h', 3_600_000], ['m', 60_000], ['s', 1000], ['ms', 1]] as const) {
    const n = Math.floor(rest / size);
    if (n > 0) parts.push(`${n}${unit}`);
    rest -= n * size;
  }
  return parts.join('');
}
