import { encodeResumeToken } from "../contract/resume-token.js";
import { finalStatus, type JobResponse } from "../contract/response.js";
import type { Deadlines } from "../invocation/deadline.js";
import { runJob, type JobRun } from "../engine/run-job.js";
import { reportObjectName } from "../engine/report.js";
import { addCounts, type Job } from "./job.js";
import { resolveKeyMaterials, type InlineKeys } from "../keys/resolve-keys.js";
import type { Logger } from "../log.js";
import { createRateLimiter } from "../oci/rate-limiter.js";
import { stateBucketOf } from "../invocation/namespace.js";
import type { Runtime } from "../invocation/runtime.js";

export interface Execution {
  response: JobResponse;
  run: JobRun;
  /** The job with its cursor advanced, when work remains. */
  remaining: Job | undefined;
}

/** Runs one invocation's share of a job and shapes the contract's response. */
export async function executeJob(job: Job, inline: InlineKeys, rt: Runtime, dl: Deadlines, log: Logger): Promise<Execution> {
  const budget = { notAfter: () => dl.hardStopAt, limiter: createRateLimiter(rt.config.maxRps) };
  const store = rt.objectStore(budget);
  const sseCTarget = job.units.find((u) => u.key.type === "sse-c")?.key;
  const materials = await resolveKeyMaterials(sseCTarget, job.sourceKey, inline, rt.secrets(budget));
  const run = await runJob(job, {
    store,
    materials,
    concurrency: rt.config.concurrency,
    stopAt: dl.stopAt,
    hardStopAt: dl.hardStopAt,
    log,
    collectReport: rt.config.stateBucket !== undefined,
  });
  const totals = addCounts(job.totals, run.counts);
  const remaining: Job | undefined = run.cursor === undefined ? undefined : { ...job, cursor: run.cursor, totals, seq: job.seq + 1 };
  const response: JobResponse = {
    jobId: job.id,
    status: finalStatus(totals, { dryRun: job.dryRun, remaining: remaining !== undefined }),
    counts: totals,
    failures: run.failures,
  };
  if (job.dryRun) response.objects = run.objects;
  if (remaining) response.resume = encodeResumeToken(remaining);
  const report = await writeReport(job, run, rt, log);
  if (report) response.report = report;
  return { response, run, remaining };
}

async function writeReport(job: Job, run: JobRun, rt: Runtime, log: Logger): Promise<string | undefined> {
  if (!rt.config.stateBucket || run.report.length === 0) return undefined;
  // The report is written after the job's own calls, with a fresh budget of its own: losing it
  // to the deadline would hide what was done.
  const store = rt.objectStore({ notAfter: () => Date.now() + 5_000, limiter: createRateLimiter(undefined) });
  const name = reportObjectName(job.id, job.seq);
  try {
    const state = await stateBucketOf(rt, Date.now() + 5_000);
    if (!state) return undefined;
    await store.putObject(state.namespace, state.bucket, name, run.report.map((l) => JSON.stringify(l)).join("\n") + "\n");
    return `/n/${state.namespace}/b/${state.bucket}/o/${name}`;
  } catch (error) {
    log.warn("report could not be written", { jobId: job.id, report: name, error: error instanceof Error ? error.message : String(error) });
    return undefined;
  }
}
