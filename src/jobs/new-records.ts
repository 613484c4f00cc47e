import { zeroCounts, type JobSpec, type ShardWork } from "../model/job.js";
import { DoneSet, type JobRecord, type RecordStatus, type ShardRecord } from "./job-record.js";

/** A new job's record: no shard done, none holding a slot. */
export function newJobRecord(spec: JobSpec, o: { layout: JobRecord["layout"]; now: number; status?: RecordStatus }): JobRecord {
  const at = new Date(o.now).toISOString();
  const { id, ...rest } = spec;
  const shardCount = o.layout === "whole" ? 1 : spec.units.length;
  return {
    format: 2,
    jobId: id,
    origin: spec.origin,
    status: o.status ?? "running",
    spec: rest,
    createdAt: at,
    updatedAt: at,
    layout: o.layout,
    shardCount,
    done: new DoneSet("", shardCount).encode(),
    open: [],
    parked: [],
    counts: zeroCounts(),
    invocations: 0,
    failures: [],
    reports: [],
  };
}

/** The record of a shard run by `owner` from now on. */
export function runningShard(jobId: string, work: ShardWork, lease: { owner: string; until: number }, o: { now: number; invocations: number }): ShardRecord {
  return {
    format: 2,
    jobId,
    id: work.id,
    units: work.units,
    ...(work.range ? { range: work.range } : {}),
    cursor: work.cursor,
    state: "running",
    lease,
    counts: zeroCounts(),
    invocations: o.invocations,
    failures: [],
    reports: [],
    updatedAt: new Date(o.now).toISOString(),
  };
}

/** The record of a job its one invocation is running as one shard (a request's, a retry's): it holds the one slot. */
export function singleShardJob(spec: JobSpec, now: number): JobRecord {
  const r = newJobRecord(spec, { layout: "whole", now });
  r.open = [0];
  return r;
}
