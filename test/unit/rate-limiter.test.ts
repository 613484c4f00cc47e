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

  it("halves the rate at once when more than a tenth of a second's calls are throttled, once per second, and climbs back a tenth per second below that", () => {
    let t = 0;
    const lim = createRateLimiter(100, () => t);
    for (let i = 0; i < 20; i++) void lim.take();
    // Two 429s in 20 calls: sporadic, ignored.
    lim.throttled();
    lim.throttled();
    expect(lim.rate()).toBe(100);
    // A third: 3 of 20 is past a tenth. The burst that follows counts once.
    lim.throttled();
    expect(lim.rate()).toBe(50);
    for (let i = 0; i < 10; i++) lim.throttled();
    expect(lim.rate()).toBe(50);
    // The next second was throttled again: halved again.
    t = 1_000;
    for (let i = 0; i < 5; i++) void lim.take();
    for (let i = 0; i < 3; i++) lim.throttled();
    expect(lim.rate()).toBe(25);
    // Quiet seconds: +10 % each, up to the ceiling.
    t = 2_000;
    void lim.take();
    t = 3_000;
    void lim.take();
    expect(lim.rate()).toBeCloseTo(25 * 1.1, 5);
    t = 30_000;
    void lim.take();
    expect(lim.rate()).toBe(100);
  });

  it("keeps (and regains) its rate when the service sheds a small share of calls at random", () => {
    let t = 0;
    const lim = createRateLimiter(200, () => t);
    lim.adopt(50);
    // 60 seconds of 200 calls, 5 % of them answered 429: never a tenth of a second's calls.
    for (let second = 0; second < 60; second++) {
      for (let i = 0; i < 200; i++) {
        t = second * 1000 + i * 5;
        void lim.take();
        if (i % 20 === 7) lim.throttled();
      }
    }
    expect(lim.rate()).toBe(200);
  });

  it("without a ceiling, starts unlimited and when throttled drops to half the rate it was running at", () => {
    let t = 0;
    const lim = createRateLimiter(undefined, () => t);
    for (let i = 0; i < 400; i++) {
      void lim.take();
      t += 5; // 200 calls per second
    }
    expect(lim.rate()).toBeUndefined();
    for (let i = 0; i < 30; i++) lim.throttled();
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

  it("makes up a late timer's lateness up to 20 ms (no rate lost), but never releases a backlog beyond that at once", async () => {
    vi.useFakeTimers();
    try {
      // The limiter's clock runs ahead of the timers when the event loop is blocked.
      let t = 0;
      const lim = createRateLimiter(100, () => t);
      let granted = 0;
      const all = Array.from({ length: 50 }, () => lim.take().then(() => granted++));
      await vi.advanceTimersByTimeAsync(0);
      expect(granted).toBe(1);
      // The timer for the slot at 10 ms fires at 30 ms: the slots at 10, 20 and 30 ms all go.
      t = 30;
      await vi.advanceTimersByTimeAsync(10);
      expect(granted).toBe(4);
      // The next one (40 ms) fires at 130 ms: 20 ms are made up (110, 120, 130), not 90 (nine more).
      t = 130;
      await vi.advanceTimersByTimeAsync(10);
      expect(granted).toBe(7);
      // On time again: one per 10 ms.
      t = 140;
      await vi.advanceTimersByTimeAsync(10);
      expect(granted).toBe(8);
      for (let i = 0; i < 50; i++) {
        t += 10;
        await vi.advanceTimersByTimeAsync(10);
      }
      await Promise.all(all);
      expect(granted).toBe(50);
    } finally {
      vi.useRealTimers();
    }
  });
});
