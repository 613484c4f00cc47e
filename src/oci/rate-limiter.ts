/**
 * Spaces Object Storage calls at most 1/rate apart. The rate adapts to throttling: once more than
 * a tenth of a one-second window's calls are answered 429, the rate is halved at once for every
 * call of the shard (not only the throttled one, which its retry also waits for); each window
 * below that share raises it again by a tenth, never above the ceiling (REENCRYPT_MAX_RPS, or its share
 * of it when several shards run). A few sporadic 429s do not count: halving on every single one
 * would grind a healthy job to a crawl whenever the service sheds a small share of its load.
 */
export interface RateLimiter {
  take(): Promise<void>;
  /** Object Storage answered 429. */
  throttled(): void;
  /** Every 429 this limiter was told of (the job's Throttled429 metric). */
  throttledCount(): number;
  /** The rate in force now (requests per second); undefined when unlimited. */
  rate(): number | undefined;
  /** A new ceiling (undefined: none); the current rate is lowered to it at once. */
  setCeiling(rps: number | undefined): void;
  /** Another shard of the same job was throttled down to this rate: adopt it if lower. */
  adopt(rps: number): void;
  /** True once after the rate was lowered by throttling (not by adopt or a ceiling): worth telling the other shards. */
  takeLowered(): boolean;
}

const MIN_RPS = 1;
const WINDOW_MS = 1000;
/** Throttled share of a window's calls past which the rate is halved. */
const THROTTLE_SHARE = 0.1;
/** Fewer throttled calls than this in a window never count (a window of 3 calls with one 429). */
const MIN_THROTTLES = 3;
const RECOVERY = 1.1;
/** How much of a late timer's lateness is made up at once. */
const FORGIVE_MS = 20;

export function createRateLimiter(ceiling: number | undefined, now: () => number = Date.now): RateLimiter {
  let max = ceiling;
  let current = ceiling;
  // The next free slot. No burst allowance beyond FORGIVE_MS of a late timer: the rate is an upper
  // bound in every one-second window, within 2 %.
  let slot = 0;
  let windowStart = now();
  let calls = 0;
  let throttles = 0;
  let loweredThisWindow = false;
  let loweredUnread = false;
  let throttledTotal = 0;
  // Calls of the previous full window: the rate we ran at when unlimited and first throttled.
  let previousCalls = 0;
  // Callers waiting for a slot, released by one timer from the instant it really fires: a timer
  // that fires late does not let the calls queued behind it through in a burst (a timer per call
  // would, and the service would see more than the ceiling in a window).
  let waiters: Array<() => void> = [];
  let head = 0;
  let timer: ReturnType<typeof setTimeout> | undefined;

  const release = (): void => {
    timer = undefined;
    const t = now();
    if (current === undefined) {
      for (; head < waiters.length; head++) (waiters[head] as () => void)();
    } else {
      const interval = 1000 / current;
      // A late timer (a busy event loop) releases the calls whose slots passed, but at most
      // FORGIVE_MS worth: a one-second window holds at most 2 % over the rate, and lags up to that
      // cost no throughput (forgiving only the timers' 2 ms granularity cost a third to a half of
      // the rate at 10 ms of lag).
      slot = Math.max(slot, t - FORGIVE_MS);
      while (head < waiters.length && slot <= t) {
        (waiters[head++] as () => void)();
        slot += interval;
      }
    }
    if (head === waiters.length) {
      waiters = [];
      head = 0;
      return;
    }
    schedule(t);
  };

  const schedule = (t: number): void => {
    if (timer === undefined) timer = setTimeout(release, Math.max(0, slot - t));
  };

  const roll = (t: number): void => {
    if (t - windowStart < WINDOW_MS) return;
    const elapsed = Math.floor((t - windowStart) / WINDOW_MS);
    // A window not throttled past the share (sporadic 429s included) lets the rate climb back.
    if (current !== undefined && !loweredThisWindow && throttles <= THROTTLE_SHARE * Math.max(calls, previousCalls)) {
      current = current * RECOVERY ** elapsed;
      if (max !== undefined && current >= max) current = max;
      // Far above what was ever throttled: unlimited again.
      else if (max === undefined && current > 100_000) current = undefined;
    }
    previousCalls = elapsed === 1 ? calls : 0;
    windowStart += elapsed * WINDOW_MS;
    calls = 0;
    throttles = 0;
    loweredThisWindow = false;
  };

  return {
    take(): Promise<void> {
      const t = now();
      roll(t);
      calls++;
      if (current === undefined) return Promise.resolve();
      if (head === waiters.length) {
        // Idle until now: an unused slot is not owed to anyone.
        slot = Math.max(slot, t);
        if (slot <= t) {
          slot += 1000 / current;
          return Promise.resolve();
        }
      }
      return new Promise<void>((r) => {
        waiters.push(r);
        schedule(t);
      });
    },
    throttled(): void {
      const t = now();
      roll(t);
      throttles++;
      throttledTotal++;
      // Once per window: the calls in flight when the rate dropped answer late, in a burst.
      // Early in a window the 429s of the previous one's calls arrive over few calls of this one:
      // measure against a full window's worth of calls.
      if (loweredThisWindow || throttles < MIN_THROTTLES || throttles <= THROTTLE_SHARE * Math.max(calls, previousCalls, 1)) return;
      loweredThisWindow = true;
      const observed = previousCalls > 0 ? previousCalls : (calls * WINDOW_MS) / Math.max(250, t - windowStart);
      current = Math.max(MIN_RPS, (current ?? Math.max(MIN_RPS, observed)) / 2);
      loweredUnread = true;
      // No lateness is made up across a halving: what comes next waits at the new rate.
      slot = Math.max(slot, t);
    },
    throttledCount: () => throttledTotal,
    rate: () => current,
    setCeiling(rps) {
      max = rps;
      if (rps === undefined) return;
      if (current === undefined || current > rps) current = rps;
    },
    takeLowered() {
      const was = loweredUnread;
      loweredUnread = false;
      return was;
    },
    adopt(rps) {
      if (current === undefined || rps < current) {
        current = Math.max(MIN_RPS, rps);
        loweredThisWindow = true;
      }
    },
  };
}
