import { createRateLimiter } from "../../oci/rate-limiter.js";
import { ratio, type BenchRow } from "./table.js";

// REENCRYPT_MAX_RPS against a busy event loop: the loop is blocked for `lagMs` every `everyMs`
// (as GC pauses or a starved container would), 64 callers take slots as the engine's pool does.
// The limiter must keep its rate (a late timer's calls are made up) without a window holding
// more than the ceiling plus what a late timer may release at once.

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function measure(rps: number, lagMs: number, everyMs: number, seconds: number): Promise<{ rate: number; worst: number }> {
  const limiter = createRateLimiter(rps);
  const stamps: number[] = [];
  let stop = false;
  const hog = lagMs > 0 ? setInterval(() => {
    const until = Date.now() + lagMs;
    while (Date.now() < until) {
      // Blocks the event loop on purpose.
    }
  }, everyMs) : undefined;
  const caller = async (): Promise<void> => {
    while (!stop) {
      await limiter.take();
      if (stop) return;
      stamps.push(Date.now());
      await sleep(5);
    }
  };
  const started = Date.now();
  const callers = Array.from({ length: 64 }, caller);
  await sleep(seconds * 1000);
  stop = true;
  if (hog) clearInterval(hog);
  await Promise.all(callers);
  // Steady state: the first second is left out of the rate.
  const steady = stamps.filter((t) => t >= started + 1000 && t < started + seconds * 1000).length / (seconds - 1);
  let worst = 0;
  for (let i = 0, j = 0; i < stamps.length; i++) {
    while ((stamps[i] as number) - (stamps[j] as number) >= 1000) j++;
    worst = Math.max(worst, i - j + 1);
  }
  return { rate: steady, worst };
}

export async function limiterUnderLag(o: { rps: number; log: (s: string) => void }): Promise<BenchRow[]> {
  const rows: BenchRow[] = [];
  for (const [lagMs, everyMs] of [[0, 1000], [10, 20], [30, 50]] as const) {
    o.log(`rate limiter at ${o.rps} rps, event loop blocked ${lagMs} ms every ${everyMs} ms`);
    const m = await measure(o.rps, lagMs, everyMs, 4);
    const what = lagMs === 0 ? "idle event loop" : `event loop blocked ${lagMs} ms every ${everyMs} ms`;
    rows.push({ name: `REENCRYPT_MAX_RPS=${o.rps}, ${what}: rate`, value: `${m.rate.toFixed(0)} req/s`, baseline: `${o.rps} req/s: the ceiling`, ratio: ratio(m.rate, o.rps) });
    rows.push({ name: `REENCRYPT_MAX_RPS=${o.rps}, ${what}: worst 1-s window`, value: `${m.worst} req`, baseline: `${o.rps} req: the ceiling`, ratio: ratio(m.worst, o.rps) });
  }
  return rows;
}
