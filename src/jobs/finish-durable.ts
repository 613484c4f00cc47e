import type { JobResponse } from "../contract/response.js";
import { newNonce, referenceToken } from "../contract/resume-token.js";
import type { ReencryptError } from "../errors.js";
import type { ShardRun } from "../engine/run-shard.js";
import type { Logger } from "../log.js";
import type { FailureRecord } from "../model/failure.js";
import type { RateLimiter } from "../oci/rate-limiter.js";
import { addCounts, zeroCounts, type Counts } from "../model/job.js";
import { reportJobEnd } from "../ops/job-ops.js";
import type { Deadlines } from "../runtime/deadline.js";
import type { Runtime } from "../runtime/runtime.js";
import { mergeFailures } from "./failure-list.js";
import { recordCoverage } from "./coverage-record.js";
import { dispatchLease, giveBack } from "./dispatch.js";
import { finalStatus } from "./final-status.js";
import { endJob, finishShard } from "./finish-shard.js";
import { dispatchDeps, errorText, firstRecords, planNotes, type DurableRun, type InvocationInput } from "./invocation-input.js";
import { DoneSet, type JobRecord, type RecordStatus, type ShardRecord } from "./job-record.js";
import { countsOf, failuresOf, shardView, stopsOf, type JobView } from "./job-view.js";
import { leaseMs } from "./leases.js";
import { newJobRecord } from "./new-records.js";
import { writeSummary } from "./summary.js";
import { mergeStops, withStopFailures, type StoppedUnits } from "./unit-stop-record.js";

export interface Step {
  response: JobResponse;
  /** The rate limiter this invocation's calls went through, for the shard it takes over next. */
  limiter?: RateLimiter | undefined;
  /** A shard this invocation claimed to run next. */
  next?: { record: JobRecord; shard: ShardRecord } | undefined;
}

const stoppedOf = (run: ShardRun): StoppedUnits | undefined => {
  if (run.stops.length === 0) return undefined;
  const out: StoppedUnits = {};
  mergeStops(out, run.stops, new Map());
  return out;
};

/** A job done in its first invocation, with no record: the answer is the whole story, plus the report. */
async function finishUnrecorded(input: InvocationInput, durable: DurableRun, run: ShardRun, parts: string[], rt: Runtime, dl: Deadlines, log: Logger): Promise<Step> {
  const { spec, work } = input;
  const jobs = durable.jobs;
  const response: JobResponse = {
    jobId: spec.id,
    status: finalStatus(run.counts, { dryRun: spec.dryRun, remaining: false }),
    counts: run.counts,
    failures: withStopFailures(spec, run.stops, run.failures),
    ...planNotes(spec),
  };
  if (spec.dryRun) response.objects = run.objects;
  const finished = (): JobRecord => {
    const r = newJobRecord(spec, { layout: "whole", now: Date.now(), status: response.status as RecordStatus });
    r.counts = run.counts;
    r.failures = run.failures;
    const stops = stoppedOf(run);
    if (stops) r.stoppedUnits = stops;
    r.reports = parts;
    r.invocations = 1;
    r.finishedAt = r.updatedAt;
    return r;
  };
  if (parts.length === 1) response.report = parts[0] as string;
  else if (parts.length > 1) response.report = await writeSummary(jobs, { record: finished(), shards: [] }).catch(() => parts[0] as string);
  const { id: jobId, ...rest } = spec;
  await recordCoverage(jobs, { spec: rest, jobId, origin: spec.origin, createdAt: new Date(input.startedAt ?? Date.now()).toISOString(), allComplete: run.counts.failed === 0 && run.stops.length === 0 }, log);
  // A job with failures keeps a (finished) record, so that {"retry": jobId} finds what failed.
  if (run.counts.failed > 0) {
    const r = finished();
    const done = new DoneSet(r.done, r.shardCount);
    done.add(0);
    r.done = done.encode();
    const shard: ShardRecord = { format: 2, jobId, id: 0, units: work.units, cursor: { unit: work.units[1], redo: [] }, state: "done", counts: run.counts, invocations: 0, failures: [], reports: [], updatedAt: r.updatedAt };
    r.shardList = [shardView(shard, Date.now())];
    // Bound to its gateway caller like any request job: only that caller may see or retry it.
    if (input.from?.caller !== undefined) r.caller = input.from.caller;
    await jobs.create(r).catch((error: unknown) => log.warn("the record of a job with failures could not be written; it cannot be retried by id", { jobId: spec.id, error: errorText(error) }));
  }
  reportJobEnd(rt, dl, log, { ...response, origin: spec.origin });
  return { response };
}

/**
 * A durable run has stopped: its shard is done (folded into the job record, which the last one
 * ends), waiting for its caller (a token), or continued by a detached invocation.
 */
export async function finishDurable(
  input: InvocationInput,
  durable: DurableRun,
  run: ShardRun,
  parts: string[],
  base: Counts,
  merged: { failures: number; stops: ReadonlyMap<number, number> },
  recorded: boolean,
  rt: Runtime,
  dl: Deadlines,
  log: Logger,
): Promise<Step> {
  const { spec, work } = input;
  const jobs = durable.jobs;
  const exists = durable.claimed !== undefined || recorded;
  if (!exists && run.cursor === undefined) return finishUnrecorded(input, durable, run, parts, rt, dl, log);

  const shardCounts = addCounts(base, run.counts);
  const newFailures = run.failures.slice(merged.failures);
  const applyStop = (s: ShardRecord): boolean => {
    if (s.lease?.owner !== durable.owner) return false;
    s.counts = shardCounts;
    if (run.cursor) s.cursor = run.cursor;
    if (run.workRequest) s.workRequest = run.workRequest;
    mergeFailures(s.failures, newFailures);
    if (run.stops.length > 0) {
      const stops = s.stops ?? {};
      mergeStops(stops, run.stops, merged.stops);
      s.stops = stops;
    }
    for (const p of parts) if (!s.reports.includes(p)) s.reports.push(p);
    return true;
  };
  /** The shard's record after `mutate`; a job recorded only now gets its records here. undefined: another invocation runs the shard. */
  const writeShard = async (mutate: (s: ShardRecord) => boolean): Promise<ShardRecord | undefined> => {
    if (!exists) {
      const first = firstRecords(spec, work, durable.owner, leaseMs(rt.config), input.from?.caller);
      const s = first.shard();
      if (!mutate(s)) return undefined;
      const created = await jobs.createShard(s);
      if (created) {
        await jobs.create(first.job());
        return created.shard;
      }
    }
    const u = await jobs.updateShard(spec.id, work.id, mutate);
    return u?.written ? u.shard : undefined;
  };
  const lost = (): Step => ({ response: { jobId: spec.id, status: "continuing", counts: shardCounts, failures: run.failures, message: `shard ${work.id} is run by another invocation now` } });
  const answer = (record: JobRecord, shard: ShardRecord | undefined, o: { token?: string; next?: Step["next"] } = {}): Step => {
    // The answer counts the job's done shards and this one (the others' are in the status).
    // The job view's own sums: a stopped unit's not-attempted versions add up, the failures stay the first 100.
    const v: JobView = { record, etag: "", shards: new Map(shard && shard.state !== "done" ? [[shard.id, shard]] : []) };
    const counts = countsOf(v);
    const stops = stopsOf(v);
    const failures = failuresOf(v);
    const status = record.status === "running" ? (o.token ? "incomplete" : "continuing") : record.status;
    const response: JobResponse = { jobId: spec.id, status, counts, failures: withStopFailures(spec, stops, failures), ...planNotes(spec) };
    if (spec.dryRun) response.objects = run.objects;
    if (o.token) response.resume = o.token;
    const reportPath = record.summary ?? parts[0] ?? shard?.reports[0] ?? record.reports[0];
    if (reportPath) response.report = reportPath;
    return { response, next: o.next };
  };

  if (run.cursor === undefined) {
    const shard = await writeShard((s) => {
      if (!applyStop(s)) return false;
      s.state = "done";
      s.cursor = { unit: s.units[1], redo: [] };
      // Held while this invocation folds the shard into the job record (status counts it live);
      // if it dies first, the lease runs out and a sweep folds it.
      s.lease = { owner: durable.owner, until: Date.now() + leaseMs(rt.config) };
      return true;
    });
    if (!shard) return lost();
    const deps = dispatchDeps(rt, jobs, dl, log);
    const out = await finishShard(shard, { takeover: input.driver === "self" ? { owner: durable.owner, leaseMs: leaseMs(rt.config) } : undefined }, deps);
    if (!out.record) return lost();
    const record = out.ended ? await endJob(out.ended, rt, dl, log, jobs) : out.record;
    return answer(record, shard, { next: out.next });
  }

  if (input.driver === "caller" || !rt.functionId) {
    // A job that cannot continue itself (no function OCID) waits for someone to resume it by hand.
    const shard = await writeShard((s) => {
      if (!applyStop(s)) return false;
      s.state = "waiting";
      delete s.lease;
      return true;
    });
    if (!shard) return lost();
    const nonce = newNonce();
    const u = await jobs.update(spec.id, (r) => {
      r.resume = { nonce, shard: shard.id };
      // Nothing else runs a waiting job's shards (one shard, driven by its caller).
      if (r.open.length <= 1) r.status = "incomplete";
      return true;
    });
    if (!u) return lost();
    return answer(u.record, shard, { token: referenceToken({ jobId: spec.id, nonce }) });
  }

  // A detached invocation continues the shard: the shard's lease passes to its dispatch in the same write.
  const nonce = newNonce();
  const lease = dispatchLease(rt.config, nonce, Date.now());
  const shard = await writeShard((s) => {
    if (!applyStop(s)) return false;
    s.state = "running";
    s.lease = lease;
    return true;
  });
  if (!shard) return lost();
  const deps = dispatchDeps(rt, jobs, dl, log);
  let started = false;
  if (deps.invoker) {
    try {
      await deps.invoker.invokeDetached(JSON.stringify({ resume: referenceToken({ jobId: spec.id, shard: work.id, nonce }) }));
      started = true;
    } catch (error) {
      log.warn("a shard's continuation could not be started", { jobId: spec.id, shard: work.id, error: errorText(error) });
    }
  }
  if (!started) {
    // Nobody continues it now: it waits, and the next sweep (or a redelivery, or a finishing shard) resumes it.
    await giveBack(jobs, spec.id, [{ id: work.id, owner: lease.owner }], [], log);
    log.error("shard stopped and could not start its continuation; the sweep resumes it", { jobId: spec.id, shard: work.id });
  }
  const record = (await jobs.read(spec.id).catch(() => undefined))?.record;
  return record ? answer(record, shard) : { response: { jobId: spec.id, status: "continuing", counts: shardCounts, failures: run.failures, ...planNotes(spec) } };
}

/** A detached shard whose keys cannot be resolved: recorded as a failure of its units, the job goes on. */
export async function failShard(input: InvocationInput, durable: DurableRun, error: ReencryptError, rt: Runtime, dl: Deadlines, log: Logger): Promise<JobResponse> {
  const { spec, work } = input;
  const unit = spec.units[work.units[0]];
  const failure: FailureRecord = {
    namespace: unit?.namespace ?? "",
    bucket: unit?.bucket ?? "",
    object: "",
    status: error.status,
    code: error.code,
    message: error.message,
    hint: "The job's key could not be read: check the secret exists and the function may read it, then send the request again.",
  };
  log.error("shard failed: its key could not be resolved", { jobId: spec.id, shard: work.id, code: error.code });
  const run: ShardRun = {
    cursor: undefined,
    counts: { ...zeroCounts(), failed: 1 },
    failures: [failure],
    objects: [],
    workRequest: undefined,
    stops: [],
    stopped: "done",
  };
  return (await finishDurable(input, durable, run, [], durable.claimed?.shard.counts ?? zeroCounts(), { failures: 0, stops: new Map() }, false, rt, dl, log)).response;
}
