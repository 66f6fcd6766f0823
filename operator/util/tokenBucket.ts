// A token bucket (client-go's flowcontrol, in small): `perSecond` tokens a
// second, at most `burst` saved up. reserve() takes a token now or later and
// says how long to wait for it, so callers queue in order without polling.

export class TokenBucket {
  private tokens: number;
  private last: number;

  constructor(
    private readonly perSecond: number,
    private readonly burst: number,
    now: number,
  ) {
    this.tokens = burst;
    this.last = now;
  }

  /** Takes one token if one is there now; false (and no debt) when not. */
  tryTake(now: number): boolean {
    this.refill(now);
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }

  private refill(now: number): void {
    if (now > this.last) {
      this.tokens = Math.min(this.burst, this.tokens + ((now - this.last) / 1000) * this.perSecond);
      this.last = now;
    }
  }

  /** Takes one token; returns the milliseconds until it is due (0: now). */
  reserve(now: number): number {
    this.refill(now);
    this.tokens -= 1;
    // A negative balance is debt the next tokens pay off, in reservation order.
    return this.tokens >= 0 ? 0 : Math.ceil((-this.tokens / this.perSecond) * 1000);
  }
}
