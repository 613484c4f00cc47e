import { startEmulator } from "../emulator/index.js";
import { startLocalStack } from "../local-stack.js";
import { sleepUnless, type RowScope } from "./row-guard.js";
import { rotationWorld, runRotation, type RotationWorld } from "./rotation-run.js";
import { ratio, type BenchRow } from "./table.js";

// The bench rows of durable jobs (contract §8) and parallel shards (§9): what durability costs,
// how fast a killed job runs again, how throughput scales with shards, and a million versions.

const GATEWAY = { method: "POST", url: "/reencrypt", headers: { "Content-Type": "application/json" } };
const n = (x: number): string => Math.round(x).toLocaleString("en-US");
const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
};

/**
 * Versions per second of one request job with checkpoints every second against the same job
 * whose checkpoint interval is longer than the run (none written); the report is written in both.
 * Interleaved A/B runs, medians.
 */
export async function durabilityCost(o: { versions: number; rounds: number; log: (s: string) => void }): Promise<BenchRow> {
  const em = await startEmulator({ seed: { namespace: "dur", buckets: [{ name: "b", objects: [{ prefix: "o/", count: o.versions, size: 0 }] }, { name: "state" }] } });
  const run = async (checkpointSeconds: string): Promise<number> => {
    const stack = await startLocalStack({ emulator: em, config: { REENCRYPT_STATE_BUCKET: "state", REENCRYPT_CHECKPOINT_SECONDS: checkpointSeconds, REENCRYPT_CONCURRENCY: "16" } });
    try {
      em.requests.length = 0;
      const t0 = performance.now();
      const r = await stack.invoke({ targets: [{ bucket: "b" }] }, { gateway: GATEWAY, deadline: new Date(Date.now() + 300_000) });
      const s = (performance.now() - t0) / 1000;
      if (r.data?.status !== "succeeded") throw new Error(`durability run ended ${r.body.slice(0, 200)}`);
      return o.versions / s;
    } finally {
      await stack.stop();
    }
  };
  const withCk: number[] = [];
  const without: number[] = [];
  for (let i = 0; i < o.rounds; i++) {
    o.log(`durability cost: round ${i + 1}/${o.rounds}`);
    // Alternate which goes first, so drift on a noisy machine falls on both.
    if (i % 2 === 0) {
      withCk.push(await run("1"));
      without.push(await run("3600"));
    } else {
      without.push(await run("3600"));
      withCk.push(await run("1"));
    }
  }
  await em.close();
  const a = median(withCk);
  const b = median(without);
  return { name: `durability: ${n(o.versions)} versions, checkpoint every 1 s`, value: `${n(a)} versions/s`, baseline: `${n(b)} versions/s, no checkpoint`, ratio: ratio(a, b) };
}

/**
 * The job as stored (ground truth, lease owners included), or undefined before its first write:
 * the job record with `shards` set to every shard record written so far (shards/<jobId>/<n>.json)
 * and `invocations` to the runs they counted, so that a new run of any shard shows.
 */
export function storedRecord(w: RotationWorld, jobId: string): any {
  const v = w.em.state.findVersion("state", `jobs/${jobId}.json`);
  if (!v || v.isDeleteMarker) return undefined;
  const job = JSON.parse(v.content.toString("utf8"));
  if (job.format === 1) return job;
  const names = new Set(w.em.state.objectVersions("state", `shards/${jobId}/`).map((x) => x.name).filter((name) => /\/\d+\.json$/.test(name)));
  const shards = [...names].flatMap((name) => {
    const s = w.em.state.findVersion("state", name);
    return s && !s.isDeleteMarker ? [JSON.parse(s.content.toString("utf8"))] : [];
  });
  return { ...job, shards, invocations: shards.reduce((a: number, s: any) => a + s.invocations, 0) };
}

/** Every shard not done runs under a live lease its invocation holds (not a dispatch's placeholder). */
const allClaimed = (r: any, now: number): boolean =>
  r?.status === "running" && r.shards.every((s: any) => s.state === "done" || (s.state === "running" && String(s.lease?.owner).startsWith("inv:") && s.lease.until > now));

/** Past this after the kill (the lease is 3 s), the row fails instead of waiting on. */
const RESUME_BUDGET_MS = 60_000;

/**
 * From SIGKILL of a shard's container to the job running again, sweeping every 250 ms (lease 3 × 1 s).
 * Running again: a new invocation holds the killed shard (the stored record's invocations grew and
 * every open shard is held by an invocation). Only detached containers are killed: the bench's own
 * status queries are direct calls, and killing one fails the bench's read, not the job.
 */
export async function killToRunning(o: { log: (s: string) => void; scope: RowScope }): Promise<BenchRow> {
  const world = await rotationWorld({ buckets: 1, versionsPerBucket: 20_000, objectBytes: 0, config: { REENCRYPT_CHECKPOINT_SECONDS: "1", REENCRYPT_MAX_RPS: "800" }, scope: o.scope });
  const { stack } = world;
  let killedAt = 0;
  let runningAgainAt = 0;
  try {
    await runRotation(world, {
      pollMs: 250,
      scope: o.scope,
      during: async (jobId, signal) => {
        const sleep = (ms: number): Promise<void> => sleepUnless(ms, signal);
        await sleep(2_000);
        // Kill once every shard is held by its invocation, so the victim holds a lease that will expire.
        while (!allClaimed(storedRecord(world, jobId), Date.now())) await sleep(50);
        const before = storedRecord(world, jobId);
        if ((await stack.killRandomBusy((c) => c.source === "detached")) === undefined) throw new Error("no shard's container was busy to kill");
        killedAt = Date.now();
        o.log("kill to running: container killed; sweeping until the job runs again");
        for (;;) {
          await sleep(250);
          const now = storedRecord(world, jobId);
          if (now.invocations > before.invocations && allClaimed(now, Date.now())) break;
          if (now.status !== "running") throw new Error(`the job ended ${now.status} with no new invocation: the killed container held no shard`);
          if (Date.now() - killedAt > RESUME_BUDGET_MS) throw new Error(`the job was not running again ${RESUME_BUDGET_MS / 1000} s after the kill`);
          // The run's own polling sweeps too when it sees the job stalled: whichever sweep resumes it, the record shows it.
          await stack.invoke({ sweep: true });
        }
        runningAgainAt = Date.now();
      },
    });
  } finally {
    await world.close();
  }
  const s = (runningAgainAt - killedAt) / 1000;
  return { name: "kill → job running again (sweep every 250 ms)", value: `${s.toFixed(1)} s`, baseline: "lease 3 s (3 × checkpoint)", ratio: ratio(s, 3) };
}

/** Aggregate versions/s of one rotation over 8 buckets with 1, 2, 4 and 8 shards at once, every call +100 ms. */
export async function shardScaling(o: { versionsPerBucket: number; log: (s: string) => void; scope: RowScope }): Promise<BenchRow[]> {
  const rows: BenchRow[] = [];
  let one = 0;
  for (const parallel of [1, 2, 4, 8]) {
    const world = await rotationWorld({
      buckets: 8,
      versionsPerBucket: o.versionsPerBucket,
      objectBytes: 0,
      latencyMs: 100,
      // One container per shard (and one for the status queries) started ahead: eight node processes
      // cold-starting at once on this machine's two cores is not what OCI does (each container has its own CPU).
      warmContainers: parallel + 1,
      config: { REENCRYPT_MAX_PARALLEL: String(parallel), REENCRYPT_CONCURRENCY: "8", REENCRYPT_CHECKPOINT_SECONDS: "30" },
      scope: o.scope,
    });
    o.log(`shard scaling: ${parallel} shard(s) at once`);
    const out = await runRotation(world, { pollMs: 250, scope: o.scope }).finally(world.close);
    if (out.status !== "succeeded" || out.leftBehind !== 0) throw new Error(`scaling run with ${parallel} shards ended ${out.status}, ${out.leftBehind} left behind`);
    const rate = (out.versions * 1000) / out.wallMs;
    if (parallel === 1) one = rate;
    rows.push({ name: `rotation, 8 × ${n(o.versionsPerBucket)} versions, +100 ms/call, ${parallel} shard${parallel === 1 ? "" : "s"} (warm containers)`, value: `${n(rate)} versions/s`, baseline: parallel === 1 ? "—" : "1 shard", ratio: parallel === 1 ? "1.00×" : ratio(rate, one) });
  }
  return rows;
}

/** A million versions end to end (opt-in: `npm run bench -- --million`). */
export async function millionVersions(o: { log: (s: string) => void; scope: RowScope }): Promise<BenchRow> {
  const before = process.memoryUsage().rss;
  const world = await rotationWorld({ buckets: 10, versionsPerBucket: 100_000, objectBytes: 0, config: { REENCRYPT_MAX_PARALLEL: "8", REENCRYPT_CHECKPOINT_SECONDS: "30" }, scope: o.scope });
  const seeded = process.memoryUsage().rss;
  o.log(`a million versions: emulator seeded (${Math.round((seeded - before) / 1024 / 1024)} MiB); rotating`);
  let out: Awaited<ReturnType<typeof runRotation>>;
  let peak: number;
  try {
    out = await runRotation(world, { pollMs: 5_000, timeoutMs: 4 * 3_600_000, scope: o.scope });
    peak = process.memoryUsage().rss;
  } finally {
    await world.close();
  }
  if (out.leftBehind !== 0) throw new Error(`${out.leftBehind} versions left behind`);
  return {
    name: `rotation of ${n(out.versions)} versions (8 shards at once, ${out.shards} shards in all)`,
    value: `${(out.wallMs / 60_000).toFixed(1)} min`,
    baseline: `${n((out.versions * 1000) / out.wallMs)} versions/s; emulator ${Math.round(peak / 1024 / 1024)} MiB RSS`,
    ratio: "—",
  };
}
