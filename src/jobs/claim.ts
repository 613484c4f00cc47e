import { invalidPayload, jobAdvanced } from "../errors.js";
import type { TokenReference } from "../contract/resume-token.js";
import type { ShardRecord } from "./job-record.js";
import type { JobStore, StoredRecord } from "./job-store.js";
import { dispatchOwner } from "./leases.js";

export interface Claimed {
  stored: StoredRecord;
  shard: ShardRecord;
}

const unknownJob = () =>
  invalidPayload("invalid resume token: it names no job in the state bucket", [{ path: "resume", message: "no such job" }]);

/**
 * Takes a shard for this invocation with a conditional write. A shard token (from a dispatch) is
 * good while the shard's lease still names that dispatch; a caller's token while the record still
 * holds its nonce. Anything else has been superseded: 409 JobAdvanced, nothing done.
 */
export async function claimShard(jobs: JobStore, ref: TokenReference, owner: string, leaseMs: number, now: () => number = Date.now): Promise<Claimed> {
  let problem: string | undefined;
  let shardId: number | undefined;
  let already = false;
  const updated = await jobs.update(ref.jobId, (r) => {
    problem = undefined;
    const t = now();
    // A write whose answer was lost is retried on the record it changed: that claim is ours.
    const mine = r.shards.find((x) => x.lease?.owner === owner && x.state === "running");
    if (mine) {
      shardId = mine.id;
      already = true;
      return false;
    }
    let s: ShardRecord | undefined;
    if (ref.shard !== undefined) {
      s = r.shards.find((x) => x.id === ref.shard);
      if (!s || s.state !== "running" || s.lease?.owner !== dispatchOwner(ref.nonce)) {
        problem = `shard ${ref.shard} of job ${ref.jobId} was taken by another invocation`;
        return false;
      }
    } else {
      if (r.resume?.nonce !== ref.nonce) {
        problem = `job ${ref.jobId} has moved on since this token was issued: ask its status (GET /reencrypt/jobs/${ref.jobId} or {"job":"${ref.jobId}"})`;
        return false;
      }
      s = r.shards.find((x) => x.state === "waiting");
      if (!s) {
        problem = `job ${ref.jobId} is not waiting to be resumed`;
        return false;
      }
      delete r.resume;
      r.status = "running";
    }
    s.state = "running";
    s.lease = { owner, until: t + leaseMs };
    // Counted when the run starts, not when it ends: a run that dies still used its number, and
    // its report parts (named by it) are never overwritten by the next run.
    s.invocations++;
    r.invocations++;
    shardId = s.id;
    return true;
  });
  if (!updated) throw unknownJob();
  if ((!updated.written && !already) || shardId === undefined) throw jobAdvanced(problem ?? `job ${ref.jobId} has moved on`);
  return { stored: updated, shard: updated.record.shards.find((s) => s.id === shardId) as ShardRecord };
}
