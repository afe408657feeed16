/**
 * Polling with a deadline (DESIGN.md: no sleeps as synchronisation). The probe is asked again
 * until it returns a value or the deadline passes; the time is measured on the monotonic clock.
 */
export interface PollOptions {
  timeoutMs: number;
  /** Pause between probes (default 100 ms). */
  intervalMs?: number;
  signal?: AbortSignal;
}

export interface PollResult<T> {
  value: T | undefined;
  /** Milliseconds from the first probe until the value came (or the deadline passed). */
  elapsedMs: number;
  attempts: number;
}

/** Resolves with the first value the probe returns that is not undefined, or undefined at the deadline. */
export async function pollUntil<T>(probe: () => Promise<T | undefined>, options: PollOptions): Promise<PollResult<T>> {
  const started = performance.now();
  const deadline = started + options.timeoutMs;
  const intervalMs = options.intervalMs ?? 100;
  let attempts = 0;
  for (;;) {
    options.signal?.throwIfAborted();
    attempts++;
    const value = await probe();
    const now = performance.now();
    if (value !== undefined) return { value, elapsedMs: now - started, attempts };
    if (now >= deadline) return { value: undefined, elapsedMs: now - started, attempts };
    await pause(Math.min(intervalMs, deadline - now), options.signal);
  }
}

/** A pause that an abort ends early (with the abort's reason). */
export function pause(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
