/** Spaces the Object Storage calls of an invocation at most 1/rate apart (REENCRYPT_MAX_RPS). */
export interface RateLimiter {
  take(): Promise<void>;
}

export const unlimited: RateLimiter = { take: () => Promise.resolve() };

export function createRateLimiter(ratePerSecond: number | undefined, now: () => number = Date.now): RateLimiter {
  if (ratePerSecond === undefined) return unlimited;
  const interval = 1000 / ratePerSecond;
  // The next free slot. No burst allowance: the rate is an upper bound in every one-second window.
  let slot = 0;
  return {
    take(): Promise<void> {
      const t = now();
      const at = Math.max(slot, t);
      slot = at + interval;
      const wait = at - t;
      return wait <= 0 ? Promise.resolve() : new Promise((r) => setTimeout(r, wait));
    },
  };
}
