import { assertCallerMaySee, type From } from "../access/caller-jobs.js";
import { checkJob } from "../access/check-job.js";
import { JobIdSchema } from "../contract/job-spec-schema.js";
import { MAX_TARGETS, ResumeRequestSchema } from "../contract/request.js";
import type { JobResponse } from "../contract/response.js";
import { lazySchema } from "../contract/lazy-schema.js";
import { zodToInvalidPayload } from "../contract/zod-issues.js";
import { entranceNotAllowed, ErrorCode, jobNotFound, ReencryptError, retryRefused } from "../errors.js";
import { specOf, type JobRecord } from "../jobs/job-record.js";
import { statusOf, viewOf } from "../jobs/job-view.js";
import type { JobStore } from "../jobs/job-store.js";
import { leaseMs, newOwner } from "../jobs/leases.js";
import { openJobStore } from "../jobs/open-job-store.js";
import { failedRef, retrySpec } from "../jobs/retry-job.js";
import { runningShard, singleShardJob } from "../jobs/new-records.js";
import { runInvocation } from "../jobs/run-invocation.js";
import type { Logger } from "../log.js";
import type { ObjectRef } from "../model/failure.js";
import { wholeJob, zeroCounts } from "../model/job.js";
import type { Deadlines } from "../runtime/deadline.js";
import type { Runtime } from "../runtime/runtime.js";
import { inlineKeysFor } from "./resume.js";

/** `{"retry": "<jobId>"}`, with the job's inline keys again when it had any (as a resume takes them). */
export const RetryRequestSchema = lazySchema(() => ResumeRequestSchema.omit({ resume: true }).extend({ retry: JobIdSchema }));

/** The object name of a report part from its path (/n/<ns>/b/<bucket>/o/<name>). */
const partName = (path: string): string | undefined => /^\/n\/[^/]+\/b\/[^/]+\/o\/(.+)$/.exec(path)?.[1];

/**
 * Every failed line of the job: its record's failures when they are all of them (the record keeps
 * the first 100), else its report parts read back from the state bucket.
 */
async function failuresOf(jobs: JobStore, r: JobRecord, dl: Deadlines): Promise<ObjectRef[]> {
  if (r.counts.failed <= r.failures.length) return r.failures;
  const refs: ObjectRef[] = [];
  for (const path of r.reports) {
    const name = partName(path);
    if (!name || name.endsWith(".summary.json")) continue;
    if (Date.now() > dl.stopAt) throw retryRefused(`job ${r.jobId}'s report is too large to read in one invocation (${r.reports.length} parts): nothing was started`);
    const part = await jobs.readText(name);
    if (!part) continue;
    for (const line of part.text.split("\n")) {
      if (!line.includes('"failed"')) continue;
      try {
        const ref = failedRef(JSON.parse(line) as Record<string, unknown>);
        if (ref) refs.push(ref);
      } catch {
        // A torn line (a part cut by a crash) says nothing.
      }
    }
  }
  return refs;
}

/**
 * A new job of exactly the failed versions and units of a finished job (issue 20 item 3), run as a
 * request job (a caller drives it: "incomplete" with a resume token when it outlives the
 * invocation), linked both ways: the new record's `retryOf`, the old one's `retriedBy`. A gateway
 * caller may retry only request jobs, as it may resume only those (contract §7).
 */
export async function handleRetry(body: Record<string, unknown>, rt: Runtime, dl: Deadlines, log: Logger, from: From): Promise<JobResponse> {
  const parsed = RetryRequestSchema.safeParse(body);
  if (!parsed.success) throw zodToInvalidPayload(parsed.error, "retry request");
  const jobs = await openJobStore(rt, dl, log);
  if (!jobs) throw new ReencryptError(ErrorCode.JobNotFound, 404, "this function has no state bucket (REENCRYPT_STATE_BUCKET): it keeps no jobs to retry");
  const id = parsed.data.retry;
  const stored = await jobs.read(id);
  if (!stored) throw jobNotFound(id);
  const old = stored.record;
  // Through the gateway only the caller who started a request job may retry it (as status and resume).
  assertCallerMaySee(from, old);
  if (from.gateway && old.origin !== "request") throw entranceNotAllowed(`a ${old.origin} job is retried by an operator (a direct invocation), not through the gateway`);
  if (old.status === "running" || old.status === "incomplete") {
    const now = statusOf(await viewOf(jobs, stored), Date.now());
    throw retryRefused(`job ${id} is not finished (${now}): ${now === "incomplete" ? "resume it with its token" : "wait for it to end"}, then retry what failed`);
  }
  if (old.counts.failed === 0) {
    return { jobId: id, status: "skipped", counts: zeroCounts(), failures: [], message: `job ${id} ended ${old.status} without failures: nothing to retry` };
  }
  const staleRetry = old.retriedBy !== undefined && !(await jobs.read(old.retriedBy)) ? old.retriedBy : undefined;
  if (old.retriedBy !== undefined && staleRetry === undefined) throw retryRefused(`job ${id} was retried already by job ${old.retriedBy}: retry that one for what still fails`);

  let plan;
  try {
    plan = retrySpec(specOf(old), await failuresOf(jobs, old, dl), { maxUnits: MAX_TARGETS, origin: "request" });
  } catch (error) {
    if (error instanceof ReencryptError) throw error;
    throw retryRefused(`job ${id} cannot be retried in one job: ${error instanceof Error ? error.message : String(error)}`);
  }
  if (plan.spec.units.length === 0) throw retryRefused(`job ${id}'s failures are not in its record or report (${old.counts.failed} counted): nothing to retry from`);
  await checkJob(plan.spec, rt, dl);
  const inline = inlineKeysFor(plan.spec, body["key"], body["sourceKey"], parsed.data);
  const { spec } = plan;

  // The link is claimed on the old record first, conditionally: two retries of one job never both run.
  const linked = await jobs.update(id, (r) => {
    if (r.retriedBy !== undefined && r.retriedBy !== staleRetry) return false;
    r.retriedBy = spec.id;
    return true;
  });
  if (!linked?.written) throw retryRefused(`job ${id} was retried already by job ${linked?.record.retriedBy ?? "another"}: retry that one for what still fails`);

  // The new job's record exists from the start (it carries the link), held by this invocation.
  const owner = newOwner();
  const now = Date.now();
  const record = singleShardJob(spec, now);
  // The retry's first run is the job's; its shard counts the runs after it (its report's first part keeps the job's name).
  record.invocations = 1;
  record.retryOf = id;
  if (old.caller !== undefined) record.caller = old.caller;
  if (plan.units === 0) record.estimatedVersions = plan.versions;
  const shard = await jobs.createShard(runningShard(spec.id, wholeJob(spec), { owner, until: now + leaseMs(rt.config) }, { now, invocations: 0 }));
  const created = shard ? await jobs.create(record) : undefined;
  if (!shard || !created) throw new ReencryptError(ErrorCode.InternalError, 500, `the retry's job id ${spec.id} is taken`);
  log.info("retry accepted", { jobId: spec.id, retryOf: id, versions: plan.versions, units: plan.units, widened: plan.widened, unmatched: plan.unmatched });
  const response = await runInvocation(
    { spec, work: wholeJob(spec), inline, driver: "caller", from: { gateway: from.gateway, caller: old.caller }, durable: { jobs, owner, claimed: { record: created.record, shard: shard.shard } } },
    rt,
    dl,
    log.child({ jobId: spec.id }),
  );
  const what = [plan.versions > 0 ? `${plan.versions} failed version(s)` : "", plan.units > 0 ? `${plan.units} failed target(s)${plan.widened > 0 ? ` (${plan.widened} retried whole: too many of their versions failed to list them one by one)` : ""}` : ""].filter(Boolean).join(" and ");
  return { ...response, retryOf: id, message: [response.message, `retrying ${what} of job ${id}`].filter(Boolean).join("; ") };
}
