/**
 * A record of the requests one listener received, with both clocks: wall time for the report,
 * a monotonic time for measuring intervals. Checks read it to prove a resource server fetched
 * (or did not fetch) something, and how often.
 */
import { performance } from 'node:perf_hooks';

export interface RecordedRequest {
  method: string;
  /** Path and query as received. */
  path: string;
  /** Milliseconds since the epoch, for reports. */
  at: number;
  /** performance.now() at arrival, for intervals. */
  monotonicMs: number;
  userAgent: string | undefined;
}

/** A position in the log: `since(mark)` returns what arrived after it. */
export type LogMark = number;

export class RequestLog {
  private readonly entries: RecordedRequest[] = [];
  private readonly waiters = new Set<() => void>();
  private readonly monotonicNow: () => number;

  constructor(options: { monotonicNow?: () => number } = {}) {
    this.monotonicNow = options.monotonicNow ?? (() => performance.now());
  }

  record(request: { method?: string | undefined; url?: string | undefined; headers: Record<string, unknown> }): void {
    const userAgent = request.headers['user-agent'];
    this.entries.push({
      method: request.method ?? 'GET',
      path: request.url ?? '/',
      at: Date.now(),
      monotonicMs: this.monotonicNow(),
      userAgent: typeof userAgent === 'string' ? userAgent : undefined,
    });
    for (const wake of [...this.waiters]) wake();
  }

  count(): number {
    return this.entries.length;
  }

  all(): RecordedRequest[] {
    return [...this.entries];
  }

  mark(): LogMark {
    return this.entries.length;
  }

  since(mark: LogMark): RecordedRequest[] {
    return this.entries.slice(mark);
  }

  countSince(mark: LogMark): number {
    return this.entries.length - mark;
  }

  /**
   * The largest number of requests that arrived within any window of `windowMs` (after `mark`):
   * "refetched at most once per cool-down" is `maxWithin(coolDown) <= 1`.
   */
  maxWithin(windowMs: number, mark: LogMark = 0): number {
    if (!(windowMs > 0)) throw new RangeError('windowMs must be positive');
    const times = this.since(mark).map((entry) => entry.monotonicMs);
    let best = 0;
    let start = 0;
    for (let end = 0; end < times.length; end++) {
      while (times[end]! - times[start]! >= windowMs) start++;
      best = Math.max(best, end - start + 1);
    }
    return best;
  }

  /** Resolves once `count` requests arrived after `mark`; rejects at the deadline. */
  waitForCount(count: number, options: { mark?: LogMark; timeoutMs: number }): Promise<RecordedRequest[]> {
    const mark = options.mark ?? 0;
    return new Promise((resolve, reject) => {
      const check = () => {
        if (this.countSince(mark) < count) return false;
        finish();
        resolve(this.since(mark));
        return true;
      };
      const timer = setTimeout(() => {
        finish();
        reject(new Error(`expected ${count} request(s), saw ${this.countSince(mark)} within ${options.timeoutMs} ms`));
      }, options.timeoutMs);
      const wake = () => void check();
      const finish = () => {
        clearTimeout(timer);
        this.waiters.delete(wake);
      };
      this.waiters.add(wake);
      check();
    });
  }
}
