/**
 * Spaces Object Storage calls at most 1/rate apart. The rate adapts: a 429 halves it for every
 * call of the shard at once (not only the throttled one), and it climbs back by a tenth per
 * second without throttling, never above the ceiling (REENCRYPT_MAX_RPS, or its share of it when
 * several shards run at once).
 */
export interface RateLimiter {
  take(): Promise<void>;
  /** Object Storage answered 429. */
  throttled(): void;
  /** The rate in force now (requests per second); undefined when unlimited. */
  rate(): number | undefined;
  /** A new ceiling (undefined: none); the current rate is lowered to it at once. */
  setCeiling(rps: number | undefined): void;
  /** Another shard of the same job was throttled down to this rate: adopt it if lower. */
  adopt(rps: number): void;
}

const MIN_RPS = 1;
const RECOVERY_PER_SECOND = 0.1;
const WINDOW_MS = 1000;

export function createRateLimiter(ceiling: number | undefined, now: () => number = Date.now): RateLimiter {
  let max = ceiling;
  let current = ceiling;
  // The next free slot. No burst allowance: the rate is an upper bound in every one-second window.
  let slot = 0;
  let lastChange = now();
  let lastThrottle = -Infinity;
  // Calls started in this and the previous one-second window: the rate we ran at when first throttled.
  let windowStart = now();
  let windowCount = 0;
  let previousCount = 0;

  const recover = (t: number): void => {
    if (current === undefined || t - lastThrottle < WINDOW_MS) return;
    const seconds = (t - lastChange) / 1000;
    if (seconds <= 0) return;
    current = current * (1 + RECOVERY_PER_SECOND) ** seconds;
    lastChange = t;
    if (max !== undefined && current >= max) current = max;
    // Far above what was ever throttled: unlimited again.
    else if (max === undefined && current > 100_000) current = undefined;
  };

  return {
    take(): Promise<void> {
      const t = now();
      recover(t);
      if (current === undefined) {
        if (t - windowStart >= WINDOW_MS) {
          previousCount = t - windowStart < 2 * WINDOW_MS ? windowCount : 0;
          windowStart = t;
          windowCount = 0;
        }
        windowCount++;
        return Promise.resolve();
      }
      const at = Math.max(slot, t);
      slot = at + 1000 / current;
      const wait = at - t;
      return wait <= 0 ? Promise.resolve() : new Promise((r) => setTimeout(r, wait));
    },
    throttled(): void {
      const t = now();
      // One burst of 429s is one signal: calls in flight when the rate dropped answer late.
      if (t - lastThrottle < WINDOW_MS) return;
      lastThrottle = t;
      lastChange = t;
      const observed = previousCount > 0 ? previousCount : (windowCount * WINDOW_MS) / Math.max(250, t - windowStart);
      const base = current ?? Math.max(MIN_RPS, observed);
      current = Math.max(MIN_RPS, base / 2);
    },
    rate: () => current,
    setCeiling(rps) {
      max = rps;
      if (rps === undefined) return;
      if (current === undefined || current > rps) current = rps;
    },
    adopt(rps) {
      if (current === undefined || rps < current) {
        current = Math.max(MIN_RPS, rps);
        lastChange = now();
        lastThrottle = now();
      }
    },
  };
}
