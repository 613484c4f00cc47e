import { z } from "zod";
import { lazySchema } from "../contract/lazy-schema.js";
import { CountsSchema, CursorSchema, failureFields, JOB_ORIGINS, JobIdSchema, JobSpecObjectSchema, NameRangeSchema } from "../contract/job-spec-schema.js";
import type { WorkRequestProgress } from "../engine/run-shard.js";
import type { FailureRecord } from "../model/failure.js";
import { withStopFailures, type StoppedUnits } from "./unit-stop-record.js";
import { addCounts, zeroCounts, type Counts, type Cursor, type JobOrigin, type JobSpec, type NameRange } from "../model/job.js";

// The durable job record (contract §8): jobs/<jobId>.json in the state bucket. Small on purpose:
// cursors, counts and leases, never a listing and never key material. Every write is a
// read-modify-write conditional on the ETag read, so two invocations never both think they own
// the same shard.

export type ShardState = "pending" | "running" | "waiting" | "done";

export interface Lease {
  /** Who runs the shard: an invocation, or "dispatch:<nonce>" while its invocation is starting. */
  owner: string;
  /** Epoch ms. */
  until: number;
}

export interface ShardRecord {
  id: number;
  units: [number, number];
  range?: NameRange;
  cursor: Cursor;
  /**
   * pending: no one runs it (not yet dispatched, or given back); running: its lease holder runs it;
   * waiting: stopped for its caller to resume (a request job); done: nothing left.
   */
  state: ShardState;
  lease?: Lease;
  counts: Counts;
  invocations: number;
  workRequest?: WorkRequestProgress;
  /** This shard has handed the rest of its range to a new shard, or listed it all: it splits no more. */
  splitDone?: boolean;
}

export type RecordStatus = "running" | "incomplete" | "succeeded" | "partial" | "failed" | "dry-run";

export interface JobRecord {
  format: 1;
  jobId: string;
  origin: JobOrigin;
  status: RecordStatus;
  spec: Omit<JobSpec, "id">;
  createdAt: string;
  updatedAt: string;
  finishedAt?: string;
  invocations: number;
  shards: ShardRecord[];
  /** The shards' counts, summed at every write. */
  counts: Counts;
  /** The first 100 failures of the whole job. */
  failures: FailureRecord[];
  reports: string[];
  /** Versions per second over the last checkpoint interval. */
  rate?: number;
  etaSeconds?: number;
  /** An estimate of the versions the job covers (Object Storage's approximate counts), for the ETA. */
  estimatedVersions?: number;
  /** The nonce of the one resume token that is valid now (a request job waiting for its caller). */
  resume?: { nonce: string };
  /** The rate a shard was last throttled down to, and when: each other shard adopts it once. */
  throttle?: { rps: number; at: number; shard: number };
  /** Progress sample behind `rate`. */
  sample?: { at: number; processed: number };
  summary?: string;
  message?: string;
  /** Units that stopped calling after identical failures (contract §11), by unit index. */
  stoppedUnits?: StoppedUnits;
  /** The finished job whose failures this job retries (`{"retry": jobId}`). */
  retryOf?: string;
  /** The job started from this job's failures. */
  retriedBy?: string;
  /** A request job's gateway caller (the JWT subject the deployment maps into a header): only it may see or resume the job through the gateway. */
  caller?: string;
}

const FailureSchema = lazySchema(() => z.looseObject(failureFields));

const ShardRecordSchema = lazySchema(() => z.strictObject({
  id: z.number().int().nonnegative(),
  units: z.tuple([z.number().int().nonnegative(), z.number().int().nonnegative()]),
  range: NameRangeSchema.optional(),
  cursor: CursorSchema,
  state: z.enum(["pending", "running", "waiting", "done"]),
  lease: z.strictObject({ owner: z.string().max(200), until: z.number() }).optional(),
  counts: CountsSchema,
  invocations: z.number().int().nonnegative(),
  workRequest: z.strictObject({ unit: z.number(), workRequestId: z.string(), status: z.string(), percentComplete: z.number() }).optional(),
  splitDone: z.boolean().optional(),
}));

export const JobRecordSchema = lazySchema(() => z.strictObject({
  format: z.literal(1),
  jobId: JobIdSchema,
  origin: z.enum(JOB_ORIGINS),
  status: z.enum(["running", "incomplete", "succeeded", "partial", "failed", "dry-run"]),
  spec: JobSpecObjectSchema.omit({ id: true }),
  createdAt: z.string(),
  updatedAt: z.string(),
  finishedAt: z.string().optional(),
  invocations: z.number().int().nonnegative(),
  shards: z.array(ShardRecordSchema).min(1).max(100_000),
  counts: CountsSchema,
  failures: z.array(FailureSchema).max(100),
  reports: z.array(z.string()),
  rate: z.number().optional(),
  etaSeconds: z.number().optional(),
  estimatedVersions: z.number().optional(),
  resume: z.strictObject({ nonce: z.string() }).optional(),
  throttle: z.strictObject({ rps: z.number(), at: z.number(), shard: z.number() }).optional(),
  sample: z.strictObject({ at: z.number(), processed: z.number() }).optional(),
  summary: z.string().optional(),
  message: z.string().optional(),
  stoppedUnits: z
    .record(
      z.string().regex(/^\d{1,5}$/),
      z.strictObject({ status: z.number(), code: z.string(), message: z.string(), hint: z.string(), n: z.number().int().positive(), notAttempted: z.number().int().nonnegative() }),
    )
    .optional(),
  retryOf: JobIdSchema.optional(),
  retriedBy: JobIdSchema.optional(),
  caller: z.string().max(600).optional(),
}));

export const jobRecordName = (jobId: string): string => `jobs/${jobId}.json`;

export const specOf = (r: JobRecord): JobSpec => ({ id: r.jobId, ...r.spec });

export const isLive = (lease: Lease | undefined, now: number): boolean => lease !== undefined && lease.until > now;

/** A shard that should be running and is not: its invocation died (or never started). */
export const isStalled = (s: ShardRecord, now: number): boolean => s.state === "running" && !isLive(s.lease, now);

export type PublicStatus = RecordStatus | "stalled";

/** "stalled" when work remains and no live lease covers it: a sweep or a redelivery picks it up. */
export function statusOf(r: JobRecord, now: number): PublicStatus {
  if (r.status !== "running") return r.status;
  const open = r.shards.filter((s) => s.state !== "done");
  if (open.some((s) => isStalled(s, now))) return "stalled";
  if (open.length > 0 && !open.some((s) => s.state === "running" && isLive(s.lease, now))) return "stalled";
  return "running";
}

export const sumCounts = (shards: readonly ShardRecord[]): Counts => shards.reduce((a, s) => addCounts(a, s.counts), zeroCounts());

const processedOf = (c: Counts): number => c.matched + c.skipped;

/** Recomputes what is derived from the shards: counts, rate and ETA. */
export function refreshDerived(r: JobRecord, now: number): void {
  r.counts = sumCounts(r.shards);
  const processed = processedOf(r.counts);
  const s = r.sample;
  if (s && now - s.at >= 1_000) {
    r.rate = Math.round(((processed - s.processed) * 1000) / (now - s.at));
    r.sample = { at: now, processed };
  } else if (!s) {
    r.sample = { at: now, processed };
  }
  if (r.estimatedVersions !== undefined && r.rate !== undefined && r.rate > 0 && r.status === "running") {
    r.etaSeconds = Math.max(0, Math.round((r.estimatedVersions - processed) / r.rate));
  } else {
    delete r.etaSeconds;
  }
  r.updatedAt = new Date(now).toISOString();
}

/** The record as a status query shows it: no resume nonce, no lease owners (they would let the reader act on the job). */
export function publicView(r: JobRecord, now: number): Record<string, unknown> {
  const { resume: _resume, sample: _sample, stoppedUnits, ...rest } = r;
  return {
    ...rest,
    failures: withStopFailures(r.spec, stoppedUnits, r.failures),
    status: statusOf(r, now),
    shards: {
      total: r.shards.length,
      running: r.shards.filter((s) => s.state === "running" && isLive(s.lease, now)).length,
      done: r.shards.filter((s) => s.state === "done").length,
      stalled: r.shards.filter((s) => isStalled(s, now)).length,
      list: r.shards.map((s) => ({
        id: s.id,
        units: s.units,
        ...(s.range ? { range: s.range } : {}),
        state: s.state === "running" && !isLive(s.lease, now) ? "stalled" : s.state,
        counts: s.counts,
        invocations: s.invocations,
        ...(s.lease && isLive(s.lease, now) ? { leaseUntil: new Date(s.lease.until).toISOString() } : {}),
        ...(s.workRequest ? { workRequest: s.workRequest } : {}),
      })),
    },
  };
}
