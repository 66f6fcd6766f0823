// Who may read /metrics: the decision of controller-runtime's
// filters.WithAuthenticationAndAuthorization (kubebuilder's default) and kube-rbac-proxy,
// as small pure parts around two API calls:
//   bearer token → TokenReview (who is it?) → SubjectAccessReview (may they GET /metrics?)
// 401 without a token or with one the API server does not accept, 403 when RBAC says no,
// 503 when the API server could not be asked (never cached: the next scrape asks again).
// Answers are cached by a hash of the token for a short TTL, so a scrape every 15 s costs
// two API calls a minute per scraper rather than two per scrape; the cache is bounded.
// What is not cached is capped: one review per token at a time (concurrent requests share it),
// a few in flight and a few a second; beyond that 429, so a stream of made-up tokens costs the
// API server a bounded rate of TokenReviews, not one per request.
import { createHash } from 'node:crypto';
import { TokenBucket } from '../util/tokenBucket';

export interface UserInfo {
  username: string;
  uid?: string;
  groups?: string[];
  extra?: Record<string, string[]>;
}

/** The two questions asked of the API server (kube/tokenReviewer.ts asks them for real). */
export interface Reviewer {
  /** undefined: the token is not valid (TokenReview status.authenticated false). */
  authenticate(token: string): Promise<UserInfo | undefined>;
  /** SubjectAccessReview with nonResourceAttributes {path, verb}. */
  authorize(user: UserInfo, path: string, verb: string): Promise<{ allowed: boolean; reason?: string }>;
}

export type Decision =
  | { status: 200; user: string }
  | { status: 401; reason: string }
  | { status: 403; user: string; reason: string }
  | { status: 429; reason: string }
  | { status: 503; reason: string; error: unknown };

/** The token of an `Authorization: Bearer <token>` header; undefined for anything else. */
export function bearerToken(header: string | undefined): string | undefined {
  if (header === undefined) return undefined;
  const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return m ? m[1] : undefined;
}

export interface CacheSettings {
  /** How long a 200 is remembered (controller-runtime: 1 min authn, 5 min authz). */
  allowTtlMs: number;
  /** How long a 401/403 is remembered: short, so a new RoleBinding takes effect soon. */
  denyTtlMs: number;
  /** Entries kept; the oldest goes first. */
  maxEntries: number;
}

export const DEFAULT_CACHE: CacheSettings = { allowTtlMs: 60_000, denyTtlMs: 10_000, maxEntries: 1024 };

type Cached = Exclude<Decision, { status: 503 } | { status: 429 }>;

/** A bounded map from token hash to decision, each entry with its own expiry. */
export class DecisionCache {
  private readonly entries = new Map<string, { decision: Cached; expires: number }>();
  constructor(
    private readonly settings: CacheSettings = DEFAULT_CACHE,
    private readonly now: () => number = Date.now,
  ) {}

  get(key: string): Cached | undefined {
    const e = this.entries.get(key);
    if (!e) return undefined;
    if (e.expires <= this.now()) {
      this.entries.delete(key);
      return undefined;
    }
    return e.decision;
  }

  set(key: string, decision: Cached): void {
    const ttl = decision.status === 200 ? this.settings.allowTtlMs : this.settings.denyTtlMs;
    if (ttl <= 0 || this.settings.maxEntries <= 0) return;
    this.entries.delete(key);
    // Map keeps insertion order: the first key is the oldest entry.
    while (this.entries.size >= this.settings.maxEntries) {
      const oldest = this.entries.keys().next().value;
      if (oldest === undefined) break;
      this.entries.delete(oldest);
    }
    this.entries.set(key, { decision, expires: this.now() + ttl });
  }

  get size(): number {
    return this.entries.size;
  }
}

/** The cache key: the token itself never stays in memory longer than the request. */
export function tokenKey(token: string, path: string): string {
  return createHash('sha256').update(path).update('\0').update(token).digest('hex');
}

/** Ask the API server, uncached. */
export async function review(reviewer: Reviewer, token: string, path: string, verb = 'get'): Promise<Exclude<Decision, { status: 429 }>> {
  let user: UserInfo | undefined;
  try {
    user = await reviewer.authenticate(token);
  } catch (error) {
    return { status: 503, reason: 'could not review the token', error };
  }
  if (!user) return { status: 401, reason: 'the token was not accepted' };
  try {
    const sar = await reviewer.authorize(user, path, verb);
    if (sar.allowed) return { status: 200, user: user.username };
    return { status: 403, user: user.username, reason: sar.reason ?? '' };
  } catch (error) {
    return { status: 503, reason: 'could not review the access', error };
  }
}

export interface ReviewLimits {
  /** Reviews (of different tokens) asked at once; more get 429 without asking. */
  maxInFlight: number;
  /** New reviews a second, and the burst saved up; more get 429 without asking. */
  perSecond: number;
  burst: number;
}

/** A few scrapers each asking once a minute fit many times over; a flood of tokens does not. */
export const DEFAULT_LIMITS: ReviewLimits = { maxInFlight: 4, perSecond: 5, burst: 10 };

/**
 * An authorizer for one path: header → decision. Answers are cached, failures not; a review
 * already under way for the same token is shared; a new one beyond the limits is 429.
 */
export function metricsAuthorizer(
  reviewer: Reviewer,
  cache = new DecisionCache(),
  limits: ReviewLimits = DEFAULT_LIMITS,
  now: () => number = Date.now,
): (authorization: string | undefined, path: string) => Promise<Decision> {
  const inFlight = new Map<string, Promise<Decision>>();
  const bucket = new TokenBucket(limits.perSecond, limits.burst, now());
  return async (authorization, path) => {
    const token = bearerToken(authorization);
    if (token === undefined) return { status: 401, reason: 'no bearer token' };
    const key = tokenKey(token, path);
    const hit = cache.get(key);
    if (hit) return hit;
    const pending = inFlight.get(key);
    if (pending) return pending;
    if (inFlight.size >= limits.maxInFlight) return { status: 429, reason: `${inFlight.size} token reviews under way` };
    if (!bucket.tryTake(now())) return { status: 429, reason: `more than ${limits.perSecond} token reviews a second` };
    const p = review(reviewer, token, path).then((decision) => {
      if (decision.status !== 503) cache.set(key, decision);
      return decision;
    });
    inFlight.set(key, p);
    try {
      return await p;
    } finally {
      inFlight.delete(key);
    }
  };
}
