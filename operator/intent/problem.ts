// A rejected input value. Problems never stop reconciliation: the value is left
// out, and the problem surfaces as a condition and an Event on the Service.

/** Why an address was not given (pools): the allocator's reasons. */
export const ALLOCATION_REASONS = ['NoVipPool', 'AddressNotAllowed', 'AddressInUse', 'PoolExhausted', 'NoPoolSelects'] as const;
export type AllocationProblemReason = (typeof ALLOCATION_REASONS)[number];

/**
 * AnnouncementRejected: the API server refused the VipAnnouncement this Service needs (422).
 * AttributeNotAllowed: a hand-made spec's communities or local-pref that its pool does not
 * accept (a Service's own come from annotations: InvalidAnnotation).
 */
export type ProblemReason = 'InvalidAddress' | 'InvalidAnnotation' | 'AttributeNotAllowed' | 'AnnouncementRejected' | AllocationProblemReason;

/** Why nothing is allocated or announced while no pool exists. */
export const NO_POOL_MESSAGE = 'no VipPool exists: addresses are announced only from pools (closed by default; see controller.addressOwnership)';

/** The first problem that kept an address from being announced, if any. */
export function allocationProblem(problems: readonly Problem[]): Problem | undefined {
  return problems.find((p) => (ALLOCATION_REASONS as readonly string[]).includes(p.reason));
}

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
