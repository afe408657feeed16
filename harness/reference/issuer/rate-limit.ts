/**
 * The token endpoint's rate limit: a fixed window per key (client and address), as
 * @fastify/rate-limit counted it before the endpoint left fastify. Every answer of a limited
 * endpoint carries `x-ratelimit-limit`, `-remaining` and `-reset` (seconds until the window
 * ends); a refused one also `retry-after` (RFC 9110 §10.2.3).
 */

export interface RateLimitDecision {
  allowed: boolean;
  headers: Record<string, string>;
  /** Seconds until the key's window ends. */
  resetSeconds: number;
}

export class FixedWindowLimiter {
  private readonly windows = new Map<string, { count: number; endsAt: number }>();
  private nextSweep = 0;

  private readonly max: number;
  private readonly windowMs: number;
  private readonly nowMs: () => number;

  constructor(max: number, windowMs: number, nowMs: () => number = Date.now) {
    this.max = max;
    this.windowMs = windowMs;
    this.nowMs = nowMs;
  }

  take(key: string): RateLimitDecision {
    const now = this.nowMs();
    if (now >= this.nextSweep) this.sweep(now);
    let window = this.windows.get(key);
    if (!window || window.endsAt <= now) {
      window = { count: 0, endsAt: now + this.windowMs };
      this.windows.set(key, window);
    }
    window.count += 1;
    const allowed = window.count <= this.max;
    const resetSeconds = Math.ceil((window.endsAt - now) / 1000);
    const headers: Record<string, string> = {
      'x-ratelimit-limit': String(this.max),
      'x-ratelimit-remaining': String(Math.max(0, this.max - window.count)),
      'x-ratelimit-reset': String(resetSeconds),
    };
    if (!allowed) headers['retry-after'] = String(resetSeconds);
    return { allowed, headers, resetSeconds };
  }

  /** Windows that ended are dropped, at most once per window length, so idle keys do not accumulate. */
  private sweep(now: number): void {
    for (const [key, window] of this.windows) if (window.endsAt <= now) this.windows.delete(key);
    this.nextSweep = now + this.windowMs;
  }
}
