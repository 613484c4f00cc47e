import type { ReportSink } from "../engine/report-writer.js";
import type { RunningShard, ShardSnapshot } from "../engine/run-shard.js";
import { mergeFailures } from "./failure-list.js";
import type { Logger } from "../log.js";
import type { RateLimiter } from "../oci/rate-limiter.js";
import { addCounts, type Counts, type JobSpec, type ShardWork } from "../model/job.js";
import { throttleName, type JobRecord, type ShardRecord } from "./job-record.js";
import type { JobStore, StoredShard } from "./job-store.js";
import { mergeStops, stopsToAdopt, type StoppedUnits } from "./unit-stop-record.js";
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
  /**
   * The job's shards holding a slot when this run began: the least the live runners are counted as
   * for one lease, while dispatched shards may not have registered yet; past it the registry alone
   * counts, so the last shards of a job take the share the finished ones left.
   */
  openShards: number;
  /** Units the job record announced stopped when this run began. */
  announced: StoppedUnits | undefined;
  /** Whether other shards may run this shard's unit (a name range of it): their stops are read from the job record at each checkpoint. */
  shared: () => boolean;
  /** A job that has no records yet gets them at its first checkpoint: its shard's, then its own. */
  fresh?: { shard: () => ShardRecord; job: () => JobRecord };
  log: Logger;
  now?: () => number;
}

export interface Checkpointer {
  /** Stops the timer and waits for a write in progress. */
  stop(): Promise<void>;
  /** Checkpoints now (or right after the write in progress): news other shards must hear before the next interval. */
  soon(): void;
  /** Reads now (unless a read is in progress) whether another shard stopped a unit this shard shares. */
  listen(): void;
  /** How many of this invocation's failures are in the shard record already. */
  mergedFailures(): number;
  /** How many not-attempted versions of each stopped unit this invocation added to the shard record already. */
  mergedStops(): ReadonlyMap<number, number>;
  recordExists(): boolean;
}

/** A throttled shard's rate, for the job's other shards to adopt once (throttleName). */
interface ThrottleEvent {
  rps: number;
  at: number;
  shard: number;
}

/**
 * Writes the shard's cursor, counts, failures and report parts, and renews its lease, every
 * interval, off the engine's path: the engine only hands over a snapshot. The write is to the
 * shard's own record, conditional on its ETag, so shards never wait on each other; one that finds
 * the lease in someone else's hands stops the engine: another invocation owns the shard now.
 * Around it, the job's shards share their news: throttling as events in one small object (read at
 * every checkpoint, written by a shard throttled since its last one), a unit stopped after
 * identical failures in the job record (written once per unit, read by the unit's other shards).
 * REENCRYPT_MAX_RPS is split among the live runners of the whole deployment (runners.ts).
 */
export function startCheckpoints(d: CheckpointDeps): Checkpointer {
  const now = d.now ?? Date.now;
  let merged = 0;
  let exists = d.fresh === undefined;
  let writing: Promise<void> | undefined;
  let stopped = false;

  let pendingMerged = 0;
  // Not-attempted versions of stopped units already added to the shard record by this run.
  let stopsMerged = new Map<number, number>();
  let pendingStops = stopsMerged;
  let adoptedAt = 0;
  // The shard record as this run last wrote it: the next checkpoint writes over it without reading
  // it again (a write by anyone else since moves its ETag, and then the record is read).
  let last: StoredShard | undefined;
  // Throttled since the last checkpoint that was written.
  let lowered = false;
  const announced = new Set(Object.keys(d.announced ?? {}).map(Number));
  // Every shard that held a slot at this run's start has claimed and written its runner entry
  // within a lease of it, or is not running.
  const floorUntil = now() + d.leaseMs;

  const apply = (s: ShardRecord, t: number, snap: ShardSnapshot, parts: readonly string[]): boolean => {
    if (s.state !== "running" || s.lease?.owner !== d.owner) return false;
    if (snap.cursor) s.cursor = snap.cursor;
    s.counts = addCounts(d.base, snap.counts);
    if (snap.workRequest) s.workRequest = snap.workRequest;
    s.lease = { owner: d.owner, until: t + d.leaseMs };
    mergeFailures(s.failures, snap.failures.slice(merged));
    const stops = s.stops ?? {};
    pendingStops = mergeStops(stops, snap.stops, stopsMerged);
    if (Object.keys(stops).length > 0) s.stops = stops;
    for (const p of parts) if (!s.reports.includes(p)) s.reports.push(p);
    const processed = s.counts.matched + s.counts.skipped;
    if (s.sample && t - s.sample.at >= 1_000) {
      s.rate = Math.round(((processed - s.sample.processed) * 1000) / (t - s.sample.at));
      s.sample = { at: t, processed };
    } else if (!s.sample) s.sample = { at: t, processed };
    pendingMerged = snap.failures.length;
    return true;
  };

  /**
   * Units this run stopped that the job record does not announce yet: announced, so the unit's
   * other shards stop too. The job record as it stands after, when it was read.
   */
  const announce = async (snap: ShardSnapshot): Promise<JobRecord | undefined> => {
    const fresh = snap.stops.filter((t) => !announced.has(t.unit));
    if (fresh.length === 0) return undefined;
    const stored = await d.jobs.update(d.spec.id, (r) => {
      r.stoppedUnits ??= {};
      let changed = false;
      for (const t of fresh) {
        if (r.stoppedUnits[String(t.unit)]) continue;
        r.stoppedUnits[String(t.unit)] = { status: t.status, code: t.code, message: t.message, hint: t.hint, n: t.n, notAttempted: 0 };
        changed = true;
      }
      return changed;
    });
    for (const t of fresh) announced.add(t.unit);
    return stored?.record;
  };

  /** The job's news: another shard's throttling (adopted once), another shard's stop of this shard's unit (from `job` when just read). */
  const news = async (t: number, job: JobRecord | undefined): Promise<void> => {
    const ev = await d.jobs.readText(throttleName(d.spec.id));
    if (ev) {
      try {
        const e = JSON.parse(ev.text) as ThrottleEvent;
        if (typeof e.rps === "number" && e.shard !== d.work.id && e.at > adoptedAt && e.at > t - 2 * d.intervalMs) {
          adoptedAt = e.at;
          d.limiter.adopt(e.rps);
        }
      } catch {
        // A torn or foreign object says nothing.
      }
    }
    await hearStops(job);
  };

  /** Stops the job record announces for this shard's units (another shard of a shared unit stopped it). */
  const hearStops = async (known?: JobRecord): Promise<void> => {
    if (!d.shared()) return;
    const job = known ?? (await d.jobs.read(d.spec.id))?.record;
    // adoptStop ignores a unit this shard stopped itself or has adopted already.
    for (const stop of stopsToAdopt(job?.stoppedUnits, d.work, new Set())) d.engine.adoptStop(stop);
  };

  // A shard whose shared unit keeps failing identically asks the job record between checkpoints:
  // another shard of the unit may have stopped it, and each of this shard's calls until it hears
  // is one more call the unit should not have made (contract §11).
  let listening: Promise<void> | undefined;
  const listen = (): void => {
    if (stopped || listening) return;
    listening = hearStops()
      .catch(() => undefined)
      .finally(() => (listening = undefined));
  };

  const tick = async (): Promise<void> => {
    lowered = d.limiter.takeLowered() || lowered;
    // The snapshot and the report's cut are taken at the same instant: every line of what the
    // snapshot counts is in a stored part before the record says so.
    const snap = d.engine.snapshot();
    d.onCheckpoint?.(snap.counts);
    const parts = d.report ? await d.report.cut() : [];
    const live = d.runners
      ? await d.runners.heartbeat().catch((error: unknown) => {
          d.log.warn("runner heartbeat failed; this job's shards share REENCRYPT_MAX_RPS until the next one", { jobId: d.spec.id, error: error instanceof Error ? error.message : String(error) });
          return undefined;
        })
      : undefined;
    // The job's own shards holding a slot (dispatched ones included) count even before they
    // register as runners, so the share never errs high while shards start; a lease later the
    // registry's count is the truth (without a count, the floor stays), and a job's tail speeds up.
    const t = now();
    if (d.maxRps !== undefined) d.limiter.setCeiling(d.maxRps / Math.max(1, live ?? 1, live === undefined || t < floorUntil ? d.openShards : 1));
    let written = false;
    if (!exists && d.fresh) {
      const shard = d.fresh.shard();
      apply(shard, t, snap, parts);
      const created = await d.jobs.createShard(shard);
      last = created;
      if (created) await d.jobs.create(d.fresh.job());
      exists = true;
      written = created !== undefined;
    }
    if (!written) {
      const updated = await d.jobs.updateShard(d.spec.id, d.work.id, (s) => apply(s, now(), snap, parts), last);
      last = updated?.written ? { shard: updated.shard, etag: updated.etag } : undefined;
      if (!updated?.written) {
        d.log.warn("shard lease lost: another invocation runs it now; stopping", { jobId: d.spec.id, shard: d.work.id });
        d.engine.abort();
        stopped = true;
        return;
      }
    }
    merged = pendingMerged;
    stopsMerged = pendingStops;
    const mine = d.limiter.rate();
    if (lowered && mine !== undefined) {
      // Throttling is shared as events, not as a standing minimum: a shard that was throttled since
      // its last checkpoint publishes its new rate; each other shard adopts each such event once.
      // (A standing minimum would ratchet every shard down while any one of them is throttled.)
      await d.jobs.writeText(throttleName(d.spec.id), JSON.stringify({ rps: mine, at: t, shard: d.work.id } satisfies ThrottleEvent));
    }
    lowered = false;
    await news(t, await announce(snap));
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
      await listening;
    },
    soon: checkpoint,
    listen,
    mergedFailures: () => merged,
    mergedStops: () => stopsMerged,
    recordExists: () => exists,
  };
}
