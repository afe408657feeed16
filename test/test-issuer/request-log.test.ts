import { describe, expect, it } from 'vitest';
import { RequestLog } from '../../harness/test-issuer/request-log.ts';

function logAt(times: number[]): RequestLog {
  const queue = [...times];
  const log = new RequestLog({ monotonicNow: () => queue.shift() ?? Number.NaN });
  for (let i = 0; i < times.length; i++) log.record({ method: 'GET', url: '/jwks', headers: { 'user-agent': 'rs' } });
  return log;
}

describe('RequestLog', () => {
  it('finds the densest window of requests', () => {
    const log = logAt([0, 100, 29_000, 31_000, 61_000, 61_500]);
    expect(log.maxWithin(30_000)).toBe(3);
    expect(log.maxWithin(1_000)).toBe(2);
    expect(log.maxWithin(60_000)).toBe(4);
    expect(log.maxWithin(30_000, 2)).toBe(2);
    expect(() => log.maxWithin(0)).toThrow(RangeError);
  });

  it('counts and slices since a mark', () => {
    const log = logAt([1, 2]);
    const mark = log.mark();
    log.record({ method: 'HEAD', url: '/x', headers: {} });
    expect(log.count()).toBe(3);
    expect(log.countSince(mark)).toBe(1);
    expect(log.since(mark)[0]).toMatchObject({ method: 'HEAD', path: '/x', userAgent: undefined });
    expect(log.all()[0]!.userAgent).toBe('rs');
  });

  it('waitForCount resolves on arrival and rejects at its deadline', async () => {
    const log = new RequestLog();
    const waiting = log.waitForCount(2, { timeoutMs: 5_000 });
    log.record({ url: '/a', headers: {} });
    log.record({ url: '/b', headers: {} });
    expect((await waiting).map((entry) => entry.path)).toEqual(['/a', '/b']);
    await expect(log.waitForCount(3, { timeoutMs: 20 })).rejects.toThrow(/expected 3 request\(s\), saw 2/);
  });
});
