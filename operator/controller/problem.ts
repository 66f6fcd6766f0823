// A rejected input value. Problems never stop reconciliation: the value is left
// out, and the problem surfaces as a condition and an Event on the Service.

/** AnnouncementRejected: the API server refused the VipAnnouncement this Service needs (422). */
export type ProblemReason = 'InvalidAddress' | 'InvalidAnnotation' | 'AnnouncementRejected';

export interface Problem {
  /** CamelCase, usable as a condition or Event reason. */
  reason: ProblemReason;
  /** Where the value came from: an annotation key or a Service field path. */
  source: string;
  /** The offending value, as written. */
  value: string;
  /** Why it was rejected, for humans. */
  message: string;
}

/** "source: message" lines, stable order, for condition messages and Events. */
export function describeProblems(problems: readonly Problem[], max = 5): string {
  const lines = problems.slice(0, max).map((p) => `${p.source}: ${p.message}`);
  if (problems.length > max) lines.push(`and ${problems.length - max} more`);
  return lines.join('; ');
}
