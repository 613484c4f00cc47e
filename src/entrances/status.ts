import { z } from "zod";
import { assertCallerMaySee, type From } from "../access/caller-jobs.js";
import { JobIdSchema } from "../contract/job-spec-schema.js";
import { zodToInvalidPayload } from "../contract/zod-issues.js";
import { ErrorCode, jobNotFound, ReencryptError } from "../errors.js";
import type { Deadlines } from "../runtime/deadline.js";
import type { Runtime } from "../runtime/runtime.js";
import { publicView, viewOf } from "../jobs/job-view.js";
import { openJobStore } from "../jobs/open-job-store.js";
import type { Logger } from "../log.js";

export const StatusRequestSchema = z.strictObject({ job: JobIdSchema });

/**
 * `{"job": "<jobId>"}` or GET /reencrypt/jobs/{jobId}: the job as it is now (contract §8), from its
 * job record and the records of the shards holding a slot (at most REENCRYPT_MAX_PARALLEL reads,
 * 16 at a time, plus the few given back): never every shard's.
 */
export async function handleStatus(body: Record<string, unknown>, rt: Runtime, dl: Deadlines, log: Logger, from: From = { gateway: false }): Promise<Record<string, unknown>> {
  const parsed = StatusRequestSchema.safeParse(body);
  if (!parsed.success) throw zodToInvalidPayload(parsed.error, "status query");
  const jobs = await openJobStore(rt, dl, log);
  if (!jobs) throw new ReencryptError(ErrorCode.JobNotFound, 404, "this function has no state bucket (REENCRYPT_STATE_BUCKET): it keeps no job records");
  const stored = await jobs.read(parsed.data.job);
  if (!stored) throw jobNotFound(parsed.data.job);
  // Through the gateway, only the caller who started a request job sees it (docs/security.md).
  // Checked before any shard is read.
  assertCallerMaySee(from, stored.record);
  const view = await viewOf(jobs, stored);
  return publicView(view, Date.now());
}
