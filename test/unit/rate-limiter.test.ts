import { describe, expect, it, vi } from "vitest";
import { createRateLimiter } from "../../src/oci/rate-limiter.js";

describe("adaptive rate limiter", () => {
  it("never lets more than the ceiling through in any one-second window", async () => {
    vi.useFakeTimers();
    try {
      const lim = createRateLimiter(50, () => Date.now());
      const granted: number[] = [];
      // 200 callers at once: each is let through 20 ms after the one before, no burst.
      const all = Array.from({ length: 200 }, () => lim.take().then(() => granted.push(Date.now())));
      await vi.advanceTimersByTimeAsync(5_000);
      await Promise.all(all);
      expect(granted).toHaveLength(200);
      let worst = 0;
      for (let i = 0, j = 0; i < granted.length; i++) {
        while ((granted[i] as number) - (granted[j] as number) >= 1000) j++;
        worst = Math.max(worst, i - j + 1);
      }
      expect(worst).toBe(50);
      expect((granted[199] as number) - (granted[0] as number)).toBe(199 * 20);
    } finally {
      vi.useRealTimers();
    }
  });

  it("halves the rate at once on a 429 (one burst of 429s counts once) and climbs back a tenth per second to the ceiling", () => {
    let t = 0;
    const lim = createRateLimiter(100, () => t);
    expect(lim.rate()).toBe(100);
    lim.throttled();
    lim.throttled();
    lim.throttled();
    expect(lim.rate()).toBe(50);
    // Still within a second of the throttle: no recovery yet.
    t = 500;
    void lim.take();
    expect(lim.rate()).toBe(50);
    t = 2_000;
    void lim.take();
    expect(lim.rate()).toBeCloseTo(50 * 1.1 ** 2, 5);
    t = 10_000;
    void lim.take();
    expect(lim.rate()).toBe(100);
    t = 10_500;
    lim.throttled();
    expect(lim.rate()).toBe(50);
  });

  it("without a ceiling, starts unlimited and on a 429 drops to half the rate it was running at", () => {
    let t = 0;
    const lim = createRateLimiter(undefined, () => t);
    for (let i = 0; i < 400; i++) {
      void lim.take();
      t += 5; // 200 calls per second
    }
    expect(lim.rate()).toBeUndefined();
    lim.throttled();
    const r = lim.rate() as number;
    expect(r).toBeGreaterThan(80);
    expect(r).toBeLessThan(120);
  });

  it("takes a lower shared rate from another shard and a new ceiling at once", () => {
    let t = 0;
    const lim = createRateLimiter(100, () => t);
    lim.adopt(30);
    expect(lim.rate()).toBe(30);
    lim.adopt(60);
    expect(lim.rate()).toBe(30);
    lim.setCeiling(20);
    expect(lim.rate()).toBe(20);
    t = 60_000;
    void lim.take();
    expect(lim.rate()).toBe(20);
  });
});
