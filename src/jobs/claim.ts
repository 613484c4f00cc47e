import { invalidPayload, jobAdvanced } from "../errors.js";
import type { TokenReference } from "../contract/resume-token.js";
import { isLive, type JobRecord, type ShardRecord } from "./job-record.js";
import type { JobStore, StoredRecord } from "./job-store.js";
import { dispatchOwner } from "./leases.js";

export interface Claimed {
  /** The job record as it is after the claim. */
  stored: StoredRecord;
  shard: ShardRecord;
}

const unknownJob = () =>
  invalidPayload("invalid resume token: it names no job in the state bucket", [{ path: "resume", message: "no such job" }]);

const moved = (jobId: string) =>
  `job ${jobId} has moved on since this token was issued: ask its status (GET /reencrypt/jobs/${jobId} or {"job":"${jobId}"})`;

/**
 * Takes a shard for this invocation with a conditional write of the shard's own record. A shard
 * token (from a dispatch) is good while the shard's lease still names that dispatch; a caller's
 * token while the job record still holds its nonce. Anything else has been superseded: 409
 * JobAdvanced, nothing done.
 */
export async function claimShard(jobs: JobStore, stored: StoredRecord, ref: TokenReference, owner: string, leaseMs: number, now: () => number = Date.now): Promise<Claimed> {
  const r = stored.record;
  const shardId = ref.shard ?? (r.resume?.nonce === ref.nonce ? r.resume.shard : undefined);
  if (shardId === undefined) throw jobAdvanced(moved(ref.jobId));
  let problem: string | undefined;
  let already = false;
  const updated = await jobs.updateShard(ref.jobId, shardId, (s) => {
    problem = undefined;
    // A write whose answer was lost is retried on the record it changed: that claim is ours.
    if (s.lease?.owner === owner && s.state === "running") {
      already = true;
      return false;
    }
    if (ref.shard !== undefined) {
      if (s.state !== "running" || s.lease?.owner !== dispatchOwner(ref.nonce)) {
        problem = `shard ${ref.shard} of job ${ref.jobId} was taken by another invocation`;
        return false;
      }
    } else if (s.state !== "waiting" && !(s.state === "running" && !isLive(s.lease, now()))) {
      // Waiting for its caller; or claimed by a caller's invocation that died before it cleared the nonce.
      problem = s.state === "running" ? moved(ref.jobId) : `job ${ref.jobId} is not waiting to be resumed`;
      return false;
    }
    s.state = "running";
    s.lease = { owner, until: now() + leaseMs };
    // Counted when the run starts, not when it ends: a run that dies still used its number, and
    // its report parts (named by it) are never overwritten by the next run.
    s.invocations++;
    return true;
  });
  if (!updated) throw ref.shard === undefined ? jobAdvanced(moved(ref.jobId)) : unknownJob();
  if (!updated.written && !already) throw jobAdvanced(problem ?? moved(ref.jobId));
  if (ref.shard !== undefined) return { stored, shard: updated.shard };
  // The caller's token is used up: the next one is issued when the job stops again.
  const cleared = await jobs.update(ref.jobId, (x: JobRecord) => {
    if (x.resume?.nonce !== ref.nonce) return false;
    delete x.resume;
    x.status = "running";
    return true;
  });
  return { stored: cleared ?? stored, shard: updated.shard };
}
