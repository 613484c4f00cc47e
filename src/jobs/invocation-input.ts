import type { From } from "../access/caller-jobs.js";
import type { JobResponse } from "../contract/response.js";
import type { InlineKeys } from "../keys/resolve-keys.js";
import type { Logger } from "../log.js";
import type { Counts, JobSpec, ShardWork } from "../model/job.js";
import { createRateLimiter, type RateLimiter } from "../oci/rate-limiter.js";
import type { Deadlines } from "../runtime/deadline.js";
import type { Runtime } from "../runtime/runtime.js";
import type { JobRecord, ShardRecord } from "./job-record.js";
import type { JobStore } from "./job-store.js";
import { runningShard, singleShardJob } from "./new-records.js";

/**
 * Who carries a job on when this invocation runs out of time: its caller (a request: the answer
 * is "incomplete" with a resume token) or the function itself (events, shards: a detached
 * invocation continues, the answer is "continuing").
 */
export type Driver = "caller" | "self";

export interface DurableRun {
  jobs: JobStore;
  owner: string;
  /** The job record and the shard record as claimed; undefined for a new job, recorded at its first checkpoint. */
  claimed: { record: JobRecord; shard: ShardRecord } | undefined;
}

export interface InvocationInput {
  spec: JobSpec;
  work: ShardWork;
  inline: InlineKeys;
  driver: Driver;
  /** With a state bucket. */
  durable?: DurableRun | undefined;
  /** Without one: what the token brought. */
  portable?: { totals: Counts; seq: number } | undefined;
  /** When this invocation began (epoch ms): a job first recorded at its end started then. */
  startedAt?: number;
  /** A shard taken over in the same invocation keeps the limiter of the one before. */
  limiter?: RateLimiter | undefined;
  /** Who sent it: through the gateway or directly, and the caller a request job belongs to. Undefined: directly. */
  from?: From | undefined;
}

export const errorText = (e: unknown): string => (e instanceof Error ? e.message : String(e));

/** What a job's plan left alone (contract §11): scopes other keys govern, read-only buckets. */
export function planNotes(spec: Pick<JobSpec, "leftAlone" | "skippedBuckets">): Pick<JobResponse, "leftAlone" | "skippedBuckets"> {
  return {
    ...(spec.leftAlone && spec.leftAlone.length > 0 ? { leftAlone: spec.leftAlone } : {}),
    ...(spec.skippedBuckets && spec.skippedBuckets.length > 0 ? { skippedBuckets: spec.skippedBuckets } : {}),
  };
}

/** The records of a job first recorded by the invocation running it (its first, as shard 0 of one). */
export function firstRecords(spec: JobSpec, work: ShardWork, owner: string, lease: number, caller: string | undefined): { job: () => JobRecord; shard: () => ShardRecord } {
  return {
    job: () => {
      const r = singleShardJob(spec, Date.now());
      // Its first run is the job's, not counted by its shard (whose next run is then its 1st).
      r.invocations = 1;
      if (caller !== undefined) r.caller = caller;
      return r;
    },
    shard: () => runningShard(spec.id, work, { owner, until: Date.now() + lease }, { now: Date.now(), invocations: 0 }),
  };
}

export const dispatchDeps = (rt: Runtime, jobs: JobStore, dl: Deadlines, log: Logger) => ({
  jobs,
  invoker: rt.selfInvoker({ notAfter: () => dl.deadline - 300, limiter: createRateLimiter(undefined) }),
  config: rt.config,
  log,
});

