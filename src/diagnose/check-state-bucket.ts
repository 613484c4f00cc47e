import type { Deadlines } from "../runtime/deadline.js";
import { liveness, loadView, stalledJobOf, statusOf, type JobView } from "../jobs/job-view.js";
import { openJobStore } from "../jobs/open-job-store.js";
import type { Logger } from "../log.js";
import type { ObjectStore } from "../oci/object-store.js";
import type { Runtime } from "../runtime/runtime.js";
import { stateBucketOf } from "../runtime/namespace.js";
import { failureOf, isDenied, said, type Checklist } from "./checklist.js";

/** A stalled job older than this has outlived several sweeps (every 10 minutes by default). */
export const STALLED_TOO_LONG_MS = 30 * 60_000;
/** Job records read at most: the check is evidence, not an audit. */
const MAX_JOB_RECORDS = 200;
/** An object name that is never written: the write probe's If-Match cannot match it. */
export const WRITE_PROBE_OBJECT = "diagnose/write-probe";
const WRITE_PROBE_ETAG = '"diagnose-never-matches"';

/** The state bucket exists, accepts this function's writes, and its jobs are not stuck. */
export async function checkStateBucket(rt: Runtime, dl: Deadlines, log: Logger, store: ObjectStore, list: Checklist): Promise<void> {
  const configured = rt.config.stateBucket;
  if (!configured) {
    // What is lost without one is said by check-durability.ts.
    list.skipped("sweep-schedule", "no state bucket: there is nothing for a sweep to resume");
    return;
  }
  const state = await stateBucketOf(rt, dl.hardStopAt);
  if (!state) return;
  const name = `${state.namespace}/${state.bucket}`;

  try {
    const b = await store.getBucket(state.namespace, state.bucket);
    list.ok("state-bucket.exists", `state bucket ${name} exists (versioning ${b.versioning ?? "unknown"})`);
  } catch (error) {
    const f = failureOf(error);
    if (isDenied(f)) {
      list.problem(
        "state-bucket.exists",
        `state bucket ${name} (REENCRYPT_STATE_BUCKET) does not exist, or this function may not read it (GetBucket: ${said(f)}): jobs cannot be recorded, reports are not written, status queries and sweeps fail`,
        `create it (Terraform: create_state_bucket = true) or correct REENCRYPT_STATE_BUCKET; the function needs read buckets and the object rights on it (the module grants them when state_bucket_name is set)`,
      );
    } else {
      list.warning("state-bucket.exists", `could not check state bucket ${name}: GetBucket answered ${said(f)}`, "run diagnose again");
    }
    return;
  }

  // A conditional write that cannot succeed: If-Match on an object that is never written.
  try {
    const w = await store.putObject(state.namespace, state.bucket, WRITE_PROBE_OBJECT, "", { ifMatch: WRITE_PROBE_ETAG });
    if (w === undefined) {
      list.ok(
        "state-bucket.write",
        `state bucket ${name} accepts this function's writes: a conditional PutObject that cannot match was answered 412 (its precondition was evaluated), not 403/404`,
      );
      list.unconfirmed.push(
        `state-bucket.write: that Object Storage authorises a PutObject before it evaluates If-Match is UNCONFIRMED; if it does not, the 412 for ${name} proves nothing about write access`,
      );
    } else {
      list.warning("state-bucket.write", `the write probe created ${WRITE_PROBE_OBJECT} in ${name} (an If-Match that cannot match was accepted)`, `delete ${WRITE_PROBE_OBJECT}; report this`);
    }
  } catch (error) {
    const f = failureOf(error);
    if (isDenied(f)) {
      list.problem(
        "state-bucket.write",
        `this function may not write to state bucket ${name} (a conditional PutObject was refused: ${said(f)}): job records, checkpoints, reports and rotation markers cannot be written`,
        `grant "Allow dynamic-group <dg> to manage objects in compartment id <c> where all {target.bucket.name = '${state.bucket}', any {request.permission = 'OBJECT_INSPECT', request.permission = 'OBJECT_READ', request.permission = 'OBJECT_CREATE', request.permission = 'OBJECT_OVERWRITE'}}" (the Terraform module writes it when state_bucket_name is set)`,
      );
    } else {
      list.warning("state-bucket.write", `could not check whether ${name} accepts writes: the probe was answered ${said(f)}`, "run diagnose again");
    }
  }

  await checkJobs(rt, dl, log, list, name);
}

/** Stalled job records are the evidence of a missing sweep, or of shards that could not start. */
async function checkJobs(rt: Runtime, dl: Deadlines, log: Logger, list: Checklist, name: string): Promise<void> {
  const jobs = await openJobStore(rt, dl, log);
  if (!jobs) return;
  let ids: string[];
  try {
    ids = await jobs.list();
  } catch (error) {
    const f = failureOf(error);
    list.problem(
      "state-bucket.read",
      `this function may not list state bucket ${name} (ListObjects jobs/: ${said(f)}): the sweep cannot find jobs to resume`,
      "grant OBJECT_INSPECT and OBJECT_READ on the state bucket (the Terraform module does when state_bucket_name is set)",
    );
    return;
  }
  const now = Date.now();
  const read: JobView[] = [];
  const damaged: string[] = [];
  const sample = ids.slice(-MAX_JOB_RECORDS);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < sample.length && Date.now() < dl.stopAt) {
      const id = sample[next++] as string;
      try {
        // A job record, and its open shards' records if it runs (at most REENCRYPT_MAX_PARALLEL).
        const v = await loadView(jobs, id);
        if (v) read.push(v);
      } catch {
        damaged.push(id);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(8, sample.length) }, worker));
  const stalled = read.filter((r) => statusOf(r, now) === "stalled");
  const running = read.filter((r) => statusOf(r, now) === "running").length;
  const of = read.length < ids.length ? `${read.length} of ${ids.length}` : `${ids.length}`;
  list.ok("state-bucket.read", `state bucket ${name} is readable: ${of} job record${ids.length === 1 ? "" : "s"} read, ${running} running, ${stalled.length} stalled`);
  for (const id of damaged) list.warning(`job.${id}`, `the record of job ${id} could not be read or is damaged`, "look at jobs/" + id + ".json in the state bucket");

  let tooLong = 0;
  for (const v of stalled) {
    const r = { ...stalledJobOf(v) };
    const since = Date.parse(r.updatedAt);
    const minutes = Math.round((now - since) / 60_000);
    const l = liveness(v, now);
    const neverStarted = l.pending;
    const dead = l.stalled;
    const what = `job ${r.jobId} (${r.origin}) is stalled with work left since ${r.updatedAt} (${minutes} min): ${dead} shard${dead === 1 ? "" : "s"} whose invocation died, ${neverStarted} that could not start`;
    if (now - since > STALLED_TOO_LONG_MS) {
      tooLong++;
      list.problem(
        `job.${r.jobId}`,
        `${what}; no sweep has resumed it`,
        `check the sweep schedule (Terraform enable_sweep: its Resource Scheduler schedule, and the policy letting it invoke this function)${neverStarted > 0 ? ", and that this function may invoke itself (use fn-invocation) within the region's Functions concurrency" : ""}; resume it now with {"sweep": true}`,
      );
    } else if (neverStarted > 0 && dead === 0) {
      list.warning(
        `job.${r.jobId}`,
        `${what}: InvokeFunction was refused or throttled (429) for its shards`,
        'check that this function may invoke itself (Allow dynamic-group <dg> to use fn-invocation … where target.function.id = this function) and the region\'s Functions concurrency; the next sweep, or {"sweep": true}, retries',
      );
    } else {
      list.ok(`job.${r.jobId}`, `${what}; the next sweep resumes it`);
    }
  }
  if (tooLong === 0) {
    list.couldNotConfirm(
      "sweep-schedule",
      "could not confirm that the sweep is scheduled: diagnose cannot list Resource Scheduler schedules; a job stalled for more than 30 minutes would be reported here as a problem",
      'terraform output sweep_schedule_id shows the schedule; its run history shows whether {"sweep": true} reached the function',
    );
  }
}

