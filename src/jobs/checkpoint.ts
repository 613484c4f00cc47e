import type { ReportSink } from "../engine/report-writer.js";
import type { RunningShard, ShardSnapshot } from "../engine/run-shard.js";
import type { FailureRecord } from "../model/failure.js";
import { MAX_FAILURES } from "../engine/run-shard.js";
import type { Logger } from "../log.js";
import type { RateLimiter } from "../oci/rate-limiter.js";
import { addCounts, type Counts, type JobSpec, type ShardWork } from "../model/job.js";
import { isLive, refreshDerived, type JobRecord } from "./job-record.js";
import type { JobStore } from "./job-store.js";
import { mergeStops, stopsToAdopt } from "./unit-stop-record.js";
import type { RunnerRegistry } from "./runners.js";

export interface CheckpointDeps {
  jobs: JobStore;
  spec: JobSpec;
  work: ShardWork;
  owner: string;
  intervalMs: number;
  leaseMs: number;
  engine: RunningShard;
  /** The shard's report: cut with every snapshot, so the record never counts a line that is not stored. */
  report?: ReportSink | undefined;
  /** The shard's counts before this invocation. */
  base: Counts;
  limiter: RateLimiter;
  maxRps: number | undefined;
  /** Sees each checkpoint's counts of this run (its metrics, src/ops). */
  onCheckpoint?: ((counts: Counts) => void) | undefined;
  /** Every running shard of the deployment (runners.ts): the ceiling is maxRps / the live ones. */
  runners?: RunnerRegistry | undefined;
  /** A job that has no record yet gets one at its first checkpoint. */
  freshRecord?: () => JobRecord;
  log: Logger;
  now?: () => number;
}

export interface Checkpointer {
  /** Stops the timer and waits for a write in progress. */
  stop(): Promise<void>;
  /** Checkpoints now (or right after the write in progress): news other shards must hear before the next interval. */
  soon(): void;
  /** How many of this invocation's failures are in the record already. */
  mergedFailures(): number;
  /** How many not-attempted versions of each stopped unit this invocation added to the record already. */
  mergedStops(): ReadonlyMap<number, number>;
  recordExists(): boolean;
}

/** Appends failures to the record's first 100. */
export function mergeFailures(r: JobRecord, more: readonly FailureRecord[]): void {
  for (const f of more) {
    if (r.failures.length >= MAX_FAILURES) return;
    r.failures.push(f);
  }
}

/**
 * Writes the shard's cursor and counts, and renews its lease, every interval, off the engine's
 * path: the engine only hands over a snapshot. A write that finds the lease in someone else's
 * hands stops the engine: another invocation owns the shard now. The same read-modify-write
 * shares the job's throttling between shards; REENCRYPT_MAX_RPS is split among the live runners of
 * the whole deployment (runners.ts), or among the job's running shards if that count failed.
 */
export function startCheckpoints(d: CheckpointDeps): Checkpointer {
  const now = d.now ?? Date.now;
  let merged = 0;
  let exists = d.freshRecord === undefined;
  let writing: Promise<void> | undefined;
  let stopped = false;

  let pendingMerged = 0;
  // Not-attempted versions of stopped units already added to the record by this run.
  let stopsMerged = new Map<number, number>();
  let pendingStops = stopsMerged;
  let adoptedAt = 0;
  // Throttled since the last checkpoint that was written.
  let lowered = false;
  // Live runners of the whole deployment at this checkpoint; undefined: this job's running shards.
  let live: number | undefined;
  const apply = (r: JobRecord, t: number, snap: ShardSnapshot, parts: readonly string[]): boolean => {
    const s = r.shards.find((x) => x.id === d.work.id);
    if (!s || s.state !== "running" || s.lease?.owner !== d.owner) return false;
    if (snap.cursor) s.cursor = snap.cursor;
    s.counts = addCounts(d.base, snap.counts);
    if (snap.workRequest) s.workRequest = snap.workRequest;
    s.lease = { owner: d.owner, until: t + d.leaseMs };
    mergeFailures(r, snap.failures.slice(merged));
    r.stoppedUnits ??= {};
    pendingStops = mergeStops(r.stoppedUnits, snap.stops, stopsMerged);
    if (Object.keys(r.stoppedUnits).length === 0) delete r.stoppedUnits;
    // Another shard of the same unit stopped it: stop calling here too.
    for (const stop of stopsToAdopt(r.stoppedUnits, d.work, new Set(snap.stops.map((t) => t.unit)))) d.engine.adoptStop(stop);
    for (const p of parts) if (!r.reports.includes(p)) r.reports.push(p);
    // The job's own running shards (dispatched ones included) are counted even before they register
    // as runners: the share never errs high while shards start.
    const running = Math.max(live ?? 1, r.shards.filter((x) => x.state === "running" && isLive(x.lease, t)).length);
    if (d.maxRps !== undefined) d.limiter.setCeiling(d.maxRps / running);
    // Throttling is shared as events, not as a standing minimum: a shard that was throttled since
    // its last checkpoint publishes its new rate; each other shard adopts each such event once.
    // (A standing minimum would ratchet every shard down while any one of them is throttled.)
    const shared = r.throttle;
    if (shared && shared.shard !== d.work.id && shared.at > adoptedAt && shared.at > t - 2 * d.intervalMs) {
      adoptedAt = shared.at;
      d.limiter.adopt(shared.rps);
    }
    const mine = d.limiter.rate();
    if (lowered && mine !== undefined) r.throttle = { rps: mine, at: t, shard: d.work.id };
    refreshDerived(r, t);
    pendingMerged = snap.failures.length;
    return true;
  };

  const tick = async (): Promise<void> => {
    lowered = d.limiter.takeLowered() || lowered;
    // The snapshot and the report's cut are taken at the same instant: every line of what the
    // snapshot counts is in a stored part before the record says so.
    const snap = d.engine.snapshot();
    d.onCheckpoint?.(snap.counts);
    const parts = d.report ? await d.report.cut() : [];
    live = d.runners
      ? await d.runners.heartbeat().catch((error: unknown) => {
          d.log.warn("runner heartbeat failed; this job's shards share REENCRYPT_MAX_RPS until the next one", { jobId: d.spec.id, error: error instanceof Error ? error.message : String(error) });
          return undefined;
        })
      : undefined;
    const t = now();
    if (!exists && d.freshRecord) {
      const fresh = d.freshRecord();
      apply(fresh, t, snap, parts);
      const created = await d.jobs.create(fresh);
      exists = true;
      if (created) {
        merged = pendingMerged;
        stopsMerged = pendingStops;
        lowered = false;
        return;
      }
    }
    const updated = await d.jobs.update(d.spec.id, (r) => apply(r, now(), snap, parts));
    if (updated?.written) {
      merged = pendingMerged;
      stopsMerged = pendingStops;
      lowered = false;
      return;
    }
    d.log.warn("shard lease lost: another invocation runs it now; stopping", { jobId: d.spec.id, shard: d.work.id });
    d.engine.abort();
    stopped = true;
  };

  let again = false;
  const checkpoint = (): void => {
    if (stopped) return;
    if (writing) {
      again = true;
      return;
    }
    writing = tick()
      .catch((error: unknown) => {
        // A checkpoint that fails is retried at the next interval; the lease has 3 intervals.
        d.log.warn("checkpoint failed", { jobId: d.spec.id, shard: d.work.id, error: error instanceof Error ? error.message : String(error) });
      })
      .finally(() => {
        writing = undefined;
        if (again) {
          again = false;
          checkpoint();
        }
      });
  };
  const timer = setInterval(() => {
    if (!writing) checkpoint();
  }, d.intervalMs);
  timer.unref();

  return {
    async stop() {
      stopped = true;
      clearInterval(timer);
      await writing;
    },
    soon: checkpoint,
    mergedFailures: () => merged,
    mergedStops: () => stopsMerged,
    recordExists: () => exists,
  };
}
