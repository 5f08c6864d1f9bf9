// The one monotonic clock of the process: engines are handed `now` (an Instant) read here.
// Related: src/core/time.ts (Instant), udp-driver.ts.
import type { Instant } from '../core/time.js';

/** Monotonic milliseconds since process start (performance.now); never goes backwards, not wall time. */
export function monotonicNow(): Instant {
  return performance.now();
}
