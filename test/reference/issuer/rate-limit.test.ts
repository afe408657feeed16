/** The token endpoint's fixed-window limiter (harness/reference/issuer/rate-limit.ts), on a hand-driven clock. */
import { describe, expect, it } from 'vitest';
import { FixedWindowLimiter } from '../../../harness/reference/issuer/rate-limit.ts';

describe('FixedWindowLimiter', () => {
  it('allows max takes per key and window, counts down, and sends retry-after only when refusing', () => {
    let now = 1_000_000;
    const limiter = new FixedWindowLimiter(2, 60_000, () => now);
    const first = limiter.take('a');
    expect(first).toMatchObject({ allowed: true, resetSeconds: 60 });
    expect(first.headers).toEqual({ 'x-ratelimit-limit': '2', 'x-ratelimit-remaining': '1', 'x-ratelimit-reset': '60' });
    now += 15_500;
    expect(limiter.take('a').headers['x-ratelimit-remaining']).toBe('0');
    const refused = limiter.take('a');
    expect(refused.allowed).toBe(false);
    expect(refused.headers['retry-after']).toBe('45');
    expect(limiter.take('b').allowed).toBe(true);
  });

  it('starts a fresh window once the old one ended', () => {
    let now = 0;
    const limiter = new FixedWindowLimiter(1, 1000, () => now);
    expect(limiter.take('a').allowed).toBe(true);
    expect(limiter.take('a').allowed).toBe(false);
    now = 1000;
    expect(limiter.take('a').allowed).toBe(true);
  });
});
