import { z } from "zod";
import { lazySchema } from "../contract/lazy-schema.js";
import { CountsSchema, CursorSchema, failureFields, JOB_ORIGINS, JobIdSchema, JobSpecObjectSchema, MAX_SHARDS, NameRangeSchema } from "../contract/job-spec-schema.js";
import type { WorkRequestProgress } from "../engine/run-shard.js";
import type { FailureRecord } from "../model/failure.js";
import type { StoppedUnits } from "./unit-stop-record.js";
import { zeroCounts, type Counts, type Cursor, type JobOrigin, type JobSpec, type NameRange } from "../model/job.js";

// The durable job (contract §8), format 2: one small record per shard plus one job record, so
// that no write contends with every shard (issue 21; docs/jobs.md "Records").
//
// - shards/<jobId>/<n>.json, the shard record: its cursor, lease, counts, failures (first 100 of
//   this shard), report parts, work request, split. Written by its runner at every checkpoint,
//   conditional on its own ETag: the lease and "one runner per shard" live here.
// - jobs/<jobId>.json, the job record: the spec, which shards exist (a count), which are done (a
//   bitmap), which hold one of the REENCRYPT_MAX_PARALLEL slots (`open`), and what the done ones
//   added up to. Written when shards are added (a range split), when a shard finishes (its counts
//   are folded in and its slot handed on), when the job ends, and for rare job-wide facts (a
//   stopped unit, a caller's resume nonce, retriedBy). Never at a checkpoint.
//
// Neither ever holds key material. Format 1 (every shard inside jobs/<jobId>.json) is still read,
// and converted to format 2 at its first write (legacy-record.ts).

export type ShardState = "pending" | "running" | "waiting" | "done";

export interface Lease {
  /** Who runs the shard: an invocation, or "dispatch:<nonce>" while its invocation is starting. */
  owner: string;
  /** Epoch ms. */
  until: number;
}

export interface ShardRecord {
  format: 2;
  jobId: string;
  id: number;
  units: [number, number];
  range?: NameRange;
  cursor: Cursor;
  /**
   * pending: no one runs it (not yet dispatched, or given back); running: its lease holder runs it;
   * waiting: stopped for its caller to resume (a request job); done: nothing left.
   */
  state: ShardState;
  /** Kept when the shard is done (until = when): a finishing write retried after a lost answer recognises its own. */
  lease?: Lease;
  counts: Counts;
  /** Runs of this shard (each names its report parts by this count). */
  invocations: number;
  workRequest?: WorkRequestProgress;
  /** This shard has handed the rest of its range to a new shard, or listed it all: it splits no more. */
  splitDone?: boolean;
  /** The shard it handed the rest of its range to: created from this if its creation was cut short. */
  child?: { id: number; range: NameRange };
  /** This shard's first 100 failures. */
  failures: FailureRecord[];
  /** Its report parts, each acknowledged by the checkpoint that counted its lines. */
  reports: string[];
  /** Units this shard stopped (contract §11), with the versions it counted failed without a call. */
  stops?: StoppedUnits;
  /** Versions per second over its last checkpoint interval, and the sample behind it. */
  rate?: number;
  sample?: { at: number; processed: number };
  updatedAt: string;
}

export type RecordStatus = "running" | "incomplete" | "succeeded" | "partial" | "failed" | "dry-run";

/** A shard as the status view and the summary show it. */
export interface ShardView {
  id: number;
  units: [number, number];
  range?: NameRange;
  state: ShardState | "stalled";
  counts: Counts;
  invocations: number;
  leaseUntil?: string;
  workRequest?: WorkRequestProgress;
}

/** A shard allocated by a range split whose record may not exist yet (split-range.ts). */
export interface Birth {
  id: number;
  parent: number;
  /** The parent's lease owner that allocated it: only it can write the cut. */
  owner: string;
}

export interface JobRecord {
  format: 2;
  jobId: string;
  origin: JobOrigin;
  status: RecordStatus;
  spec: Omit<JobSpec, "id">;
  createdAt: string;
  updatedAt: string;
  finishedAt?: string;
  /** How shards 0..first-1 are made when their record does not exist yet: one per unit, or one for the whole job. */
  layout: "per-unit" | "whole";
  /** Shards 0..shardCount-1 exist (the ones past the layout's were added by range splits). */
  shardCount: number;
  /** Which shards are done: a bitmap (bit n of byte n>>3), base64. */
  done: string;
  /** Shards that hold one of the REENCRYPT_MAX_PARALLEL slots: dispatched, running, stalled, or waiting for their caller. */
  open: number[];
  /** Shards given back after a run (a continuation that could not start): first in line for a slot. */
  parked: number[];
  births?: Birth[];
  /** The done shards' counts, folded in as each finished (exact once the job has ended). */
  counts: Counts;
  /** Runs of the done shards, plus runs no shard counts (a request's first invocation). */
  invocations: number;
  /** The job's first 100 failures, as the shards finished. */
  failures: FailureRecord[];
  /** Every report part, written when the job ends (and a format-1 record's parts, kept). */
  reports: string[];
  /** Every shard as it ended (the first MAX_LISTED_SHARDS), written when the job ends. */
  shardList?: ShardView[];
  /** An estimate of the versions the job covers (Object Storage's approximate counts), for the ETA. */
  estimatedVersions?: number;
  /** The nonce of the one resume token that is valid now (a request job waiting for its caller), and its shard. */
  resume?: { nonce: string; shard: number };
  summary?: string;
  message?: string;
  /** Units that stopped calling after identical failures (contract §11): announced by the shard that stopped them (so the unit's other shards stop too), with the not-attempted versions of the done shards. */
  stoppedUnits?: StoppedUnits;
  /** The finished job whose failures this job retries (`{"retry": jobId}`). */
  retryOf?: string;
  /** The job started from this job's failures. */
  retriedBy?: string;
  /** A request job's gateway caller (the JWT subject the deployment maps into a header): only it may see or resume the job through the gateway. */
  caller?: string;
}

/** The shards a finished job's record lists; past it, the summary counts them. */
export const MAX_LISTED_SHARDS = 1_000;

const FailureSchema = lazySchema(() => z.looseObject(failureFields));
const StoppedUnitsSchema = lazySchema(() =>
  z.record(
    z.string().regex(/^\d{1,5}$/),
    z.strictObject({ status: z.number(), code: z.string(), message: z.string(), hint: z.string(), n: z.number().int().positive(), notAttempted: z.number().int().nonnegative() }),
  ),
);
const WorkRequestSchema = lazySchema(() => z.strictObject({ unit: z.number(), workRequestId: z.string(), status: z.string(), percentComplete: z.number() }));
const ShardIdSchema = lazySchema(() => z.number().int().nonnegative().max(MAX_SHARDS));
const UnitRangeSchema = lazySchema(() => z.tuple([z.number().int().nonnegative(), z.number().int().nonnegative()]));
const LeaseSchema = lazySchema(() => z.strictObject({ owner: z.string().max(200), until: z.number() }));

export const ShardRecordSchema = lazySchema(() =>
  z.strictObject({
    format: z.literal(2),
    jobId: JobIdSchema,
    id: ShardIdSchema,
    units: UnitRangeSchema,
    range: NameRangeSchema.optional(),
    cursor: CursorSchema,
    state: z.enum(["pending", "running", "waiting", "done"]),
    lease: LeaseSchema.optional(),
    counts: CountsSchema,
    invocations: z.number().int().nonnegative(),
    workRequest: WorkRequestSchema.optional(),
    splitDone: z.boolean().optional(),
    child: z.strictObject({ id: ShardIdSchema, range: NameRangeSchema }).optional(),
    failures: z.array(FailureSchema).max(100),
    reports: z.array(z.string().max(2048)).max(100_000),
    stops: StoppedUnitsSchema.optional(),
    rate: z.number().optional(),
    sample: z.strictObject({ at: z.number(), processed: z.number() }).optional(),
    updatedAt: z.string(),
  }),
);

const ShardViewSchema = lazySchema(() =>
  z.strictObject({
    id: ShardIdSchema,
    units: UnitRangeSchema,
    range: NameRangeSchema.optional(),
    state: z.enum(["pending", "running", "waiting", "done", "stalled"]),
    counts: CountsSchema,
    invocations: z.number().int().nonnegative(),
    leaseUntil: z.string().optional(),
    workRequest: WorkRequestSchema.optional(),
  }),
);

/** What every format of job record begins with (built inside a lazy schema, on first use). */
export const recordHeaderShape = () => ({
    jobId: JobIdSchema,
    origin: z.enum(JOB_ORIGINS),
    status: z.enum(["running", "incomplete", "succeeded", "partial", "failed", "dry-run"]),
    spec: JobSpecObjectSchema.omit({ id: true }),
    createdAt: z.string(),
    updatedAt: z.string(),
    finishedAt: z.string().optional(),
});

export const JobRecordSchema = lazySchema(() =>
  z.strictObject({
    format: z.literal(2),
    ...recordHeaderShape(),
    layout: z.enum(["per-unit", "whole"]),
    shardCount: z.number().int().positive().max(MAX_SHARDS),
    done: z.string().max(Math.ceil(MAX_SHARDS / 6) + 4),
    open: z.array(ShardIdSchema).max(100_000),
    parked: z.array(ShardIdSchema).max(100_000),
    births: z.array(z.strictObject({ id: ShardIdSchema, parent: ShardIdSchema, owner: z.string().max(200) })).max(100_000).optional(),
    counts: CountsSchema,
    invocations: z.number().int().nonnegative(),
    failures: z.array(FailureSchema).max(100),
    reports: z.array(z.string().max(2048)),
    shardList: z.array(ShardViewSchema).max(MAX_LISTED_SHARDS).optional(),
    estimatedVersions: z.number().optional(),
    resume: z.strictObject({ nonce: z.string(), shard: ShardIdSchema }).optional(),
    summary: z.string().optional(),
    message: z.string().optional(),
    stoppedUnits: StoppedUnitsSchema.optional(),
    retryOf: JobIdSchema.optional(),
    retriedBy: JobIdSchema.optional(),
    caller: z.string().max(600).optional(),
  }),
);

export const jobRecordName = (jobId: string): string => `jobs/${jobId}.json`;
/** Outside jobs/, so that listing the jobs (sweep, diagnose) never pages through their shards. */
export const shardPrefix = (jobId: string): string => `shards/${jobId}/`;
export const shardRecordName = (jobId: string, id: number): string => `${shardPrefix(jobId)}${id}.json`;
/** The job's latest throttling event (checkpoint.ts): written without a precondition, read by every shard at its checkpoint. */
export const throttleName = (jobId: string): string => `${shardPrefix(jobId)}throttle.json`;

export const specOf = (r: Pick<JobRecord, "jobId" | "spec">): JobSpec => ({ id: r.jobId, ...r.spec });

export const isLive = (lease: Lease | undefined, now: number): boolean => lease !== undefined && lease.until > now;

/** A shard that should be running and is not: its invocation died (or never started). */
export const isStalled = (s: ShardRecord, now: number): boolean => s.state === "running" && !isLive(s.lease, now);

/** Between a shard's "waiting" and its job's nonce (two writes) its caller's token is on its way. */
const TOKEN_ON_ITS_WAY_MS = 30_000;

/** A waiting shard whose caller holds the job's current token (or is about to): only that caller resumes it. */
export const awaitsCaller = (s: ShardRecord, r: Pick<JobRecord, "resume">, now: number): boolean =>
  s.state === "waiting" && (r.resume?.shard === s.id || now - Date.parse(s.updatedAt) < TOKEN_ON_ITS_WAY_MS);

/** How many shards a job starts with (the rest come from range splits). */
export const initialShards = (r: Pick<JobRecord, "layout" | "spec">): number => (r.layout === "whole" ? 1 : r.spec.units.length);

/** Shard `id` of the job's layout, before anything ran it: what a missing record of an initial shard stands for. */
export function initialShard(r: Pick<JobRecord, "jobId" | "layout" | "spec">, id: number, now: number): ShardRecord {
  const units: [number, number] = r.layout === "whole" ? [0, r.spec.units.length] : [id, id + 1];
  return { format: 2, jobId: r.jobId, id, units, cursor: { unit: units[0], redo: [] }, state: "pending", counts: zeroCounts(), invocations: 0, failures: [], reports: [], updatedAt: new Date(now).toISOString() };
}

/** The done bitmap of a job record, decoded once per use. */
export class DoneSet {
  private bytes: Uint8Array;
  private count: number;
  constructor(encoded: string, size: number) {
    const b = Buffer.from(encoded, "base64");
    this.bytes = new Uint8Array(Math.max(b.length, Math.ceil(size / 8)));
    this.bytes.set(b.subarray(0, this.bytes.length));
    let c = 0;
    for (const x of this.bytes) c += popcount(x);
    this.count = c;
  }
  has(i: number): boolean {
    return (((this.bytes[i >> 3] ?? 0) >> (i & 7)) & 1) === 1;
  }
  add(i: number): void {
    if (this.has(i)) return;
    const at = i >> 3;
    if (at >= this.bytes.length) {
      const grown = new Uint8Array(at + 1);
      grown.set(this.bytes);
      this.bytes = grown;
    }
    this.bytes[at] = (this.bytes[at] ?? 0) | (1 << (i & 7));
    this.count++;
  }
  get size(): number {
    return this.count;
  }
  encode(): string {
    return Buffer.from(this.bytes).toString("base64");
  }
}

function popcount(x: number): number {
  let c = 0;
  for (let v = x; v; v &= v - 1) c++;
  return c;
}
