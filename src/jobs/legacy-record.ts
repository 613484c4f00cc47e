import { z } from "zod";
import { lazySchema } from "../contract/lazy-schema.js";
import { CountsSchema, CursorSchema, failureFields, JobIdSchema, NameRangeSchema } from "../contract/job-spec-schema.js";
import { addCounts, zeroCounts, type NameRange } from "../model/job.js";
import { DoneSet, initialShards, recordHeaderShape, type JobRecord, type ShardRecord } from "./job-record.js";

// Format 1 (releases before issue 21): every shard inside jobs/<jobId>.json. Such a record found in
// the state bucket is read as format 2 (status, sweep, retry, diagnose see it as before) and
// converted at its first write: its shard records are created, then the job record is replaced,
// conditional on the format-1 version read (job-store.ts). An invocation of the old release still
// running the job finds a record it cannot parse at its next checkpoint and stops writing; its
// lease expires and the sweep runs the shard again from its last checkpoint (nothing is skipped).

const ShardV1Schema = lazySchema(() =>
  z.strictObject({
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
  }),
);

export const JobRecordV1Schema = lazySchema(() =>
  z.strictObject({
    format: z.literal(1),
    ...recordHeaderShape(),
    invocations: z.number().int().nonnegative(),
    shards: z.array(ShardV1Schema).min(1).max(100_000),
    counts: CountsSchema,
    failures: z.array(z.looseObject(failureFields)).max(100),
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
  }),
);

type V1 = z.infer<typeof JobRecordV1Schema>;

/** A format-1 record as a format-2 job record and every one of its shard records. */
export function fromFormat1(v1: V1): { record: JobRecord; shards: ShardRecord[] } {
  const size = Math.max(...v1.shards.map((s) => s.id)) + 1;
  const done = new DoneSet("", size);
  // Ids no shard of the old record has (none, as it numbered them) are void: done, with nothing.
  const present = new Set(v1.shards.map((s) => s.id));
  for (let i = 0; i < size; i++) if (!present.has(i)) done.add(i);
  let counts = zeroCounts();
  let open = 0;
  const shards: ShardRecord[] = v1.shards.map((s) => {
    if (s.state === "done") {
      done.add(s.id);
      counts = addCounts(counts, s.counts);
    } else open += s.invocations;
    return {
      format: 2,
      jobId: v1.jobId,
      id: s.id,
      units: s.units,
      ...(s.range ? { range: s.range as NameRange } : {}),
      cursor: s.cursor as ShardRecord["cursor"],
      state: s.state,
      ...(s.lease ? { lease: s.lease } : {}),
      counts: s.counts,
      invocations: s.invocations,
      ...(s.workRequest ? { workRequest: s.workRequest } : {}),
      ...(s.splitDone ? { splitDone: true } : {}),
      failures: [],
      reports: [],
      updatedAt: v1.updatedAt,
    };
  });
  const waiting = v1.shards.find((s) => s.state === "waiting");
  const layout = v1.shards.length === 1 && v1.shards[0]?.units[1] === v1.spec.units.length && v1.spec.units.length > 1 ? "whole" : "per-unit";
  const record: JobRecord = {
    format: 2,
    jobId: v1.jobId,
    origin: v1.origin,
    status: v1.status,
    spec: v1.spec as JobRecord["spec"],
    createdAt: v1.createdAt,
    updatedAt: v1.updatedAt,
    ...(v1.finishedAt ? { finishedAt: v1.finishedAt } : {}),
    layout,
    shardCount: Math.max(size, initialShards({ layout, spec: v1.spec as JobRecord["spec"] })),
    done: done.encode(),
    open: v1.shards.filter((s) => s.state === "running" || s.state === "waiting").map((s) => s.id),
    parked: v1.shards.filter((s) => s.state === "pending" && s.invocations > 0).map((s) => s.id),
    counts,
    // The runs of the shards still open are counted with them.
    invocations: Math.max(0, v1.invocations - open),
    failures: v1.failures as JobRecord["failures"],
    reports: v1.reports,
    ...(v1.estimatedVersions !== undefined ? { estimatedVersions: v1.estimatedVersions } : {}),
    ...(v1.resume && waiting ? { resume: { nonce: v1.resume.nonce, shard: waiting.id } } : {}),
    ...(v1.summary !== undefined ? { summary: v1.summary } : {}),
    ...(v1.message !== undefined ? { message: v1.message } : {}),
    ...(v1.stoppedUnits ? { stoppedUnits: v1.stoppedUnits } : {}),
    ...(v1.retryOf !== undefined ? { retryOf: v1.retryOf } : {}),
    ...(v1.retriedBy !== undefined ? { retriedBy: v1.retriedBy } : {}),
    ...(v1.caller !== undefined ? { caller: v1.caller } : {}),
  };
  if (record.status !== "running" && record.status !== "incomplete") {
    record.counts = v1.counts;
    record.invocations = v1.invocations;
    record.shardList = v1.shards.slice(0, 1000).map((s) => ({ id: s.id, units: s.units, ...(s.range ? { range: s.range as NameRange } : {}), state: s.state, counts: s.counts, invocations: s.invocations, ...(s.workRequest ? { workRequest: s.workRequest } : {}) }));
  }
  return { record, shards };
}
