/**
 * A clock with an adjustable offset, so a reference server can run "in the future" or
 * "in the past" during clock-skew game days without touching the system clock.
 */
export interface Clock {
  /** Milliseconds since the epoch, offset applied. */
  nowMs(): number;
  /** Whole seconds since the epoch, offset applied (JWT NumericDate). */
  nowSeconds(): number;
  offsetSeconds(): number;
  setOffsetSeconds(offset: number): void;
}

export function createClock(initialOffsetSeconds = 0): Clock {
  let offsetMs = initialOffsetSeconds * 1000;
  return {
    nowMs: () => Date.now() + offsetMs,
    nowSeconds: () => Math.floor((Date.now() + offsetMs) / 1000),
    offsetSeconds: () => offsetMs / 1000,
    setOffsetSeconds(offset: number) {
      offsetMs = offset * 1000;
    },
  };
}
