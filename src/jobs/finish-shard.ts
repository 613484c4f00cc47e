import type { Config } from "../config.js";
import type { Logger } from "../log.js";
import { addCounts } from "../model/job.js";
import type { SelfInvoker } from "../oci/self-invoker.js";
import { reportJobEnd } from "../ops/job-ops.js";
import type { Deadlines } from "../runtime/deadline.js";
import type { Runtime } from "../runtime/runtime.js";
import { mergeFailures } from "./failure-list.js";
import { recordCoverage } from "./coverage-record.js";
import { childOf, giveBack, openSlots, startShards, takeShard } from "./dispatch.js";
import { finalStatus } from "./final-status.js";
import { DoneSet, isLive, MAX_LISTED_SHARDS, type JobRecord, type RecordStatus, type ShardRecord } from "./job-record.js";
import type { JobStore } from "./job-store.js";
import { readShards, shardView } from "./job-view.js";
import { writeSummary } from "./summary.js";
import { addStops } from "./unit-stop-record.js";

// A shard that is done (its own record says so) is folded into the job record in one conditional
// write: its counts, runs, first failures and stopped units are added, its bit in `done` is set,
// its slot goes to the next shard waiting for one (this invocation takes it itself when it has
// time). The write that sets the last bit also sets the job's final status: exactly one writer,
// as the ETag decides. That writer alone then writes the summary, records the job's coverage and
// publishes its one notification.

/** A finished job: its record and every shard's (in id order). */
export interface FinishedJobRecords {
  record: JobRecord;
  shards: ShardRecord[];
}

export interface FinishDeps {
  jobs: JobStore;
  config: Config;
  invoker: SelfInvoker | undefined;
  log: Logger;
}

export interface FinishOutcome {
  /** The job record as this invocation left it; undefined when there is none. */
  record: JobRecord | undefined;
  /** Set when this invocation ended the job. */
  ended?: FinishedJobRecords;
  /** A shard this invocation claimed to run next. */
  next?: { record: JobRecord; shard: ShardRecord } | undefined;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function recordFinalStatus(r: JobRecord): RecordStatus {
  const s = finalStatus(r.counts, { dryRun: r.spec.dryRun, remaining: false });
  return s === "incomplete" ? "running" : (s as RecordStatus);
}

/** Adds a done shard to the job record; false when it is in already (a retried write). */
export function foldShard(r: JobRecord, s: ShardRecord): boolean {
  const done = new DoneSet(r.done, r.shardCount);
  if (done.has(s.id)) return false;
  done.add(s.id);
  r.counts = addCounts(r.counts, s.counts);
  r.invocations += s.invocations;
  mergeFailures(r.failures, s.failures);
  if (s.stops) r.stoppedUnits = addStops(r.stoppedUnits ?? {}, s.stops);
  r.open = r.open.filter((x) => x !== s.id);
  r.parked = r.parked.filter((x) => x !== s.id);
  // Ids this shard allocated for splits: its child is made (its record exists), any other is void.
  for (const b of r.births ?? []) if (b.parent === s.id && b.id !== s.child?.id) done.add(b.id);
  r.births = (r.births ?? []).filter((b) => b.parent !== s.id && b.id !== s.id);
  if (r.births.length === 0) delete r.births;
  r.done = done.encode();
  return true;
}

/** The job's end, computed from every shard's record (read once, by the one invocation that ends it). */
async function finalize(jobs: JobStore, r: JobRecord): Promise<ShardRecord[]> {
  const all = await readShards(jobs, { record: r, etag: "" }, Array.from({ length: r.shardCount }, (_, i) => i));
  const shards = [...all.values()].sort((a, b) => a.id - b.id);
  const t = Date.now();
  r.status = recordFinalStatus(r);
  r.finishedAt = new Date(t).toISOString();
  const parts = new Set(r.reports);
  for (const s of shards) for (const p of s.reports) parts.add(p);
  r.reports = [...parts];
  r.shardList = shards.slice(0, MAX_LISTED_SHARDS).map((s) => shardView(s, t));
  delete r.resume;
  return shards;
}

/**
 * Folds the done shard `s` into the job record; ends the job if it was the last; else hands its
 * slot on: to `takeover` (this invocation's next shard) and to detached invocations.
 */
export async function finishShard(s: ShardRecord, o: { takeover?: { owner: string; leaseMs: number } | undefined }, deps: FinishDeps): Promise<FinishOutcome> {
  const { jobs, log } = deps;
  const jobId = s.jobId;
  // A split's new shard exists before its parent counts as done (its creation may have been cut short).
  if (s.child) await jobs.createShard(childOf(jobId, s));
  for (let attempt = 1; ; attempt++) {
    const current = await jobs.read(jobId);
    if (!current) return { record: undefined };
    if (current.legacy) {
      await jobs.update(jobId, () => false);
      continue;
    }
    const r = structuredClone(current.record);
    if (!foldShard(r, s) || (r.status !== "running" && r.status !== "incomplete")) {
      // Folded by an earlier attempt whose answer was lost, or the job has ended: nothing to do.
      return { record: current.record };
    }
    let ended: ShardRecord[] | undefined;
    let opened: number[] = [];
    if (new DoneSet(r.done, r.shardCount).size === r.shardCount) ended = await finalize(jobs, r);
    else {
      // Slots this invocation can fill: one it runs itself, the others by detached invocations.
      const fill = (o.takeover ? 1 : 0) + (deps.invoker ? deps.config.maxParallel : 0);
      opened = openSlots(r, Math.min(deps.config.maxParallel, r.open.length + fill));
    }
    r.updatedAt = new Date().toISOString();
    const w = await jobs.replace(r, current.etag);
    if (!w) {
      if (attempt >= 40) throw new Error(`job ${jobId}: its record kept changing while shard ${s.id} was folded in`);
      await sleep(Math.random() * Math.min(2_000, 10 * 2 ** Math.min(attempt, 8)));
      continue;
    }
    if (ended) return { record: r, ended: { record: r, shards: ended } };
    let next: FinishOutcome["next"];
    let rest = opened;
    if (o.takeover && opened.length > 0) {
      const [first, ...others] = opened as [number, ...number[]];
      rest = others;
      const took = await takeShard(jobs, r, first, { owner: o.takeover.owner, until: Date.now() + o.takeover.leaseMs }, { countRun: true }).catch(() => undefined);
      if (took && "shard" in took) next = { record: r, shard: took.shard };
      else if (deps.invoker) rest = opened;
      else await giveBack(jobs, jobId, [], [first], log);
    }
    if (rest.length > 0 && deps.invoker) await startShards(jobId, r, rest, rest, deps).catch((error: unknown) => log.warn("dispatch after a shard finished failed", { jobId, error: String(error) }));
    return { record: r, next };
  }
}

/**
 * Shards done in their own records that the job record does not count yet: their runner died
 * between the two writes (or gave up on the fold). Folded now, as their runner would have; the
 * fold that sets the last bit ends the job here. Folding twice is harmless (foldShard). The
 * number folded.
 */
export async function foldDoneShards(view: { record: JobRecord; shards: ReadonlyMap<number, ShardRecord> }, deps: FinishDeps, rt: Runtime, dl: Deadlines): Promise<number> {
  let folded = 0;
  for (const id of view.record.open) {
    const s = view.shards.get(id);
    // A live lease: its runner is folding it now.
    if (s?.state !== "done" || isLive(s.lease, Date.now())) continue;
    const out = await finishShard(s, {}, deps);
    folded++;
    deps.log.info("a done shard its runner did not fold is folded", { jobId: s.jobId, shard: s.id });
    if (out.ended) await endJob(out.ended, rt, dl, deps.log, deps.jobs);
  }
  return folded;
}

/** What the one invocation that ended a job does once: the summary, the coverage, the notification. */
export async function endJob(ended: FinishedJobRecords, rt: Runtime, dl: Deadlines, log: Logger, jobs: JobStore): Promise<JobRecord> {
  const record = ended.record;
  try {
    const summary = await writeSummary(jobs, ended);
    const u = await jobs.update(record.jobId, (r) => {
      if (r.summary === summary) return false;
      r.summary = summary;
      return true;
    });
    record.summary = summary;
    if (u) record.updatedAt = u.record.updatedAt;
  } catch (error) {
    log.warn("the job summary could not be written", { jobId: record.jobId, error: error instanceof Error ? error.message : String(error) });
  }
  await recordCoverage(jobs, ended, log);
  log.info("job finished", { jobId: record.jobId, status: record.status, counts: record.counts, shards: record.shardCount });
  reportJobEnd(rt, dl, log, { ...record, shards: ended.shards });
  return record;
}
