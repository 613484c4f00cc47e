import type { RequestRecord } from "../emulator/index.js";
import { storedRecord } from "./jobs-bench.js";
import { busyShare, machineTicks } from "./proc.js";
import { failedRow, type RowScope } from "./row-guard.js";
import { rotationWorld, runRotation } from "./rotation-run.js";
import { median, n } from "./setup.js";
import { ratio, type BenchRow } from "./table.js";

// The scale edge (issue 21): one rotation over N buckets with N shards at once, every
// ReencryptObject slowed by the emulator (+2 s by default) so that this machine's two cores are not
// what limits it, and the job record watched: how many of its conditional writes were refused
// (412), how big it grows, how long a status query takes. Format 1 had every shard checkpoint into
// the one record; format 2 gives each shard its own record (shards/<jobId>/<n>.json), so the row
// counts both and the job record's own share apart; the same command
// (`npm run bench -- --only edge ...`) measures either.

export interface EdgeOptions {
  /** Shards at once (REENCRYPT_MAX_PARALLEL), one bucket each; 1 is always run first, as the baseline. */
  shardCounts: number[];
  versionsPerBucket: number;
  /** Added to every ReencryptObject (the emulator's fault injector). */
  latencyMs: number;
  /** REENCRYPT_CONCURRENCY: calls in flight per shard. */
  concurrency: number;
  checkpointSeconds: number;
  log: (s: string) => void;
  scope: RowScope;
}

export interface EdgeRun {
  shards: number;
  versions: number;
  wallMs: number;
  rate: number;
  /** Conditional writes of the job's records (jobs/<id>.json and its shard records): accepted, refused (412). */
  recordWrites: number;
  conflicts: number;
  recordReads: number;
  /** Of those, the job record's own. */
  jobWrites: number;
  jobConflicts: number;
  /** Largest stored job record seen while the job ran, largest shard record, and the final job record (bytes). */
  recordMaxBytes: number;
  shardMaxBytes: number;
  recordFinalBytes: number;
  /** Status queries while the job ran: median and worst (ms), and median of 5 after it ended. */
  statusMedianMs: number;
  statusMaxMs: number;
  statusAfterMs: number;
  leftBehind: number;
  duplicates: number;
  invocations: number;
  sweeps: number;
  /** The machine's CPU busy over the run (0–1 of all cores; undefined without /proc): near 1, this machine, not the design, set the pace. */
  machineBusy: number | undefined;
}

const busy = (share: number | undefined): string => (share === undefined ? "n/a" : `${Math.round(share * 100)} %`);
const kib = (bytes: number): string => `${(bytes / 1024).toFixed(1)} KiB`;

/**
 * The job's records' requests as the emulator answered them (one job per world): its job record
 * jobs/<id>.json and, in format 2, its shard records shards/<id>/<n>.json (counted with it, and
 * apart in `job`).
 */
function recordCounter(): { counts: { writes: number; conflicts: number; reads: number; job: { writes: number; conflicts: number } }; onRequests: (batch: readonly RequestRecord[]) => void } {
  const counts = { writes: 0, conflicts: 0, reads: 0, job: { writes: 0, conflicts: 0 } };
  const onRequests = (batch: readonly RequestRecord[]): void => {
    for (const q of batch) {
      if (q.operation !== "PutObject" && q.operation !== "GetObject") continue;
      const path = decodeURIComponent(q.path);
      const job = /\/b\/state\/o\/jobs\/[^/]+\.json$/.test(path);
      if (!job && !/\/b\/state\/o\/shards\/[^/]+\/\d+\.json$/.test(path)) continue;
      if (q.operation === "GetObject") counts.reads++;
      else if (q.status === 412) {
        counts.conflicts++;
        if (job) counts.job.conflicts++;
      } else if (q.status >= 200 && q.status < 300) {
        counts.writes++;
        if (job) counts.job.writes++;
      }
    }
  };
  return { counts, onRequests };
}

async function edgeRun(shards: number, o: EdgeOptions): Promise<EdgeRun> {
  const counter = recordCounter();
  const world = await rotationWorld({
    buckets: shards,
    versionsPerBucket: o.versionsPerBucket,
    objectBytes: 0,
    reencryptLatencyMs: o.latencyMs,
    // One container per shard, one for the status queries and one for the sweep, started ahead (as
    // provisioned concurrency would): the pool's default of 16 containers would hold 64 shards to 16.
    maxContainers: shards + 4,
    warmContainers: shards + 2,
    warmBatch: 8,
    detachedTimeoutSeconds: 600,
    // As the Terraform module deploys it (300 s): on two starved cores a status query or a sweep
    // beside 64 shards outlasted the default 30 s and failed the row.
    timeoutSeconds: 300,
    config: { REENCRYPT_MAX_PARALLEL: String(shards), REENCRYPT_CONCURRENCY: String(o.concurrency), REENCRYPT_CHECKPOINT_SECONDS: String(o.checkpointSeconds) },
    onRequests: counter.onRequests,
    scope: o.scope,
  });
  const statusMs: number[] = [];
  let recordMaxBytes = 0;
  let shardMaxBytes = 0;
  let jobId = "";
  try {
    const ticks = machineTicks();
    const out = await runRotation(world, {
      pollMs: 1_000,
      scope: o.scope,
      timeoutMs: 20 * 60_000,
      during: async (id) => {
        jobId = id;
      },
      onStatus: (_record, ms) => {
        statusMs.push(ms);
        const raw = jobId ? world.em.state.findVersion("state", `jobs/${jobId}.json`) : undefined;
        if (raw) recordMaxBytes = Math.max(recordMaxBytes, raw.content.length);
        if (jobId) for (const v of world.em.state.objectVersions("state", `shards/${jobId}/`)) shardMaxBytes = Math.max(shardMaxBytes, world.em.state.findVersion("state", v.name, v.versionId)?.content.length ?? 0);
      },
    });
    const machineBusy = busyShare(ticks, machineTicks());
    if (out.status !== "succeeded" || out.leftBehind !== 0) throw new Error(`${shards} shards: the rotation ended ${out.status} with ${out.leftBehind} versions left behind`);
    const after: number[] = [];
    for (let i = 0; i < 5; i++) {
      const t = performance.now();
      await world.stack.invoke({ job: out.jobId });
      after.push(performance.now() - t);
    }
    // The requests since the world's last drain (it drains every 2 s): the last shards' folds and the job's end are among them.
    counter.onRequests(world.em.requests);
    world.em.requests.length = 0;
    const final = world.em.state.findVersion("state", `jobs/${out.jobId}.json`)?.content.length ?? Buffer.byteLength(JSON.stringify(storedRecord(world, out.jobId)));
    return {
      shards,
      versions: out.versions,
      wallMs: out.wallMs,
      rate: (out.versions * 1000) / out.wallMs,
      recordWrites: counter.counts.writes,
      conflicts: counter.counts.conflicts,
      recordReads: counter.counts.reads,
      jobWrites: counter.counts.job.writes,
      jobConflicts: counter.counts.job.conflicts,
      recordMaxBytes,
      shardMaxBytes,
      recordFinalBytes: final,
      statusMedianMs: median(statusMs),
      statusMaxMs: Math.max(...statusMs),
      statusAfterMs: median(after),
      leftBehind: out.leftBehind,
      duplicates: out.duplicates,
      invocations: out.invocations,
      sweeps: out.sweeps,
      machineBusy,
    };
  } finally {
    await world.close();
  }
}

/** One row per shard count; the ratio column is the efficiency against N × one shard. */
export async function edgeShards(o: EdgeOptions): Promise<{ rows: BenchRow[]; runs: EdgeRun[] }> {
  const counts = [1, ...o.shardCounts.filter((c) => c !== 1)];
  const runs: EdgeRun[] = [];
  const failed: BenchRow[] = [];
  const what = (shards: number): string =>
    `edge: ${shards} × ${n(o.versionsPerBucket)} versions, +${n(o.latencyMs)} ms/ReencryptObject, concurrency ${o.concurrency}, checkpoint ${o.checkpointSeconds} s, ${shards} shard${shards === 1 ? "" : "s"}`;
  for (const shards of counts) {
    o.log(`edge: ${shards} shard(s) × ${n(o.versionsPerBucket)} versions, +${n(o.latencyMs)} ms per ReencryptObject, concurrency ${o.concurrency}, checkpoint ${o.checkpointSeconds} s`);
    let r: EdgeRun;
    try {
      r = await edgeRun(shards, o);
    } catch (error) {
      // One shard count failing leaves the others' rows (the part's own budget still bounds them all).
      if (o.scope.signal.aborted) throw error;
      const reason = (error instanceof Error ? error.message : String(error)).replace(/\s+/g, " ").slice(0, 300);
      o.log(`edge: ${shards} shard(s) FAILED: ${reason}`);
      failed.push(failedRow(what(shards), reason));
      if (shards === 1) break;
      continue;
    }
    runs.push(r);
    o.log(
      `edge: ${shards} shard(s): ${r.rate.toFixed(1)} versions/s; record writes ${r.recordWrites} + ${r.conflicts} × 412 (job record ${r.jobWrites} + ${r.jobConflicts} × 412), reads ${r.recordReads}; job record ${kib(r.recordMaxBytes)} max, final ${kib(r.recordFinalBytes)}, shard records ${kib(r.shardMaxBytes)} max; status ${r.statusMedianMs.toFixed(0)} ms median; ${r.invocations} invocations, ${r.sweeps} sweeps, ${r.duplicates} duplicate effects; machine CPU ${busy(r.machineBusy)} busy`,
    );
  }
  const one = runs[0];
  if (one === undefined || one.shards !== 1) return { rows: failed, runs };
  const rows = runs.map((r): BenchRow => {
    const attempts = r.recordWrites + r.conflicts;
    return {
      name: what(r.shards),
      value: `${r.rate.toFixed(1)} versions/s`,
      baseline:
        `${r.shards} × 1 shard = ${(r.shards * one.rate).toFixed(1)}/s; 412: ${r.conflicts} of ${attempts} record writes (${attempts ? ((100 * r.conflicts) / attempts).toFixed(0) : 0} %), ` +
        `${r.recordWrites ? (r.conflicts / r.recordWrites).toFixed(2) : "n/a"} retries per write (job record: ${r.jobConflicts} of ${r.jobWrites + r.jobConflicts}); record ${kib(r.recordMaxBytes)}${r.shardMaxBytes ? ` + shard records ≤ ${kib(r.shardMaxBytes)}` : ""}; status ${r.statusMedianMs.toFixed(0)} ms (max ${r.statusMaxMs.toFixed(0)}, after ${r.statusAfterMs.toFixed(0)}); ` +
        `${n(r.duplicates)} repeated ReencryptObject effects, ${r.sweeps} sweeps; machine CPU ${busy(r.machineBusy)} busy`,
      ratio: ratio(r.rate, r.shards * one.rate),
    };
  });
  return { rows: [...rows, ...failed], runs };
}
