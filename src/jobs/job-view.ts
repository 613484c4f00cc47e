import { addCounts, type Counts } from "../model/job.js";
import type { FailureRecord } from "../model/failure.js";
import { awaitsCaller, DoneSet, isLive, isStalled, type JobRecord, type ShardRecord, type ShardView } from "./job-record.js";
import type { JobStore, StoredRecord } from "./job-store.js";
import { addStops, withStopFailures, type StoppedUnits } from "./unit-stop-record.js";
import { mergeFailures } from "./failure-list.js";

// What a job is now, from its job record and the records of the shards that hold a slot (open)
// or were given back (parked): at most REENCRYPT_MAX_PARALLEL of them plus the few parked, never
// every shard. Status, the sweep, a redelivery and diagnose all read a job this way: one job
// record and a bounded number of shard records. The done shards are in the job record already.

/** A shard given a slot has this long to get its record written before it counts as stalled. */
const STARTING_MS = 10_000;
/** Shard records read at once. */
const READ_CONCURRENCY = 16;

export interface JobView {
  record: JobRecord;
  etag: string;
  /** The open and parked shards' records, by id (missing: a shard whose record is not written yet). */
  shards: Map<number, ShardRecord>;
}

/** Reads records of `ids`, at most READ_CONCURRENCY at a time. A format-1 job's come from its record. */
export async function readShards(jobs: JobStore, stored: StoredRecord, ids: readonly number[]): Promise<Map<number, ShardRecord>> {
  const out = new Map<number, ShardRecord>();
  if (stored.legacy) {
    for (const s of stored.legacy) if (ids.includes(s.id)) out.set(s.id, s);
    return out;
  }
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < ids.length) {
      const id = ids[next++] as number;
      const s = await jobs.readShard(stored.record.jobId, id);
      if (s) out.set(id, s.shard);
    }
  };
  await Promise.all(Array.from({ length: Math.min(READ_CONCURRENCY, ids.length) }, worker));
  return out;
}

export async function loadView(jobs: JobStore, jobId: string): Promise<JobView | undefined> {
  const stored = await jobs.read(jobId);
  if (!stored) return undefined;
  return viewOf(jobs, stored);
}

export async function viewOf(jobs: JobStore, stored: StoredRecord): Promise<JobView> {
  const r = stored.record;
  // The job record first, then the shards: a shard that finishes in between is counted from its
  // own record (the job record read did not fold it yet), never twice.
  const ids = r.status === "running" || r.status === "incomplete" ? [...new Set([...r.open, ...r.parked])] : [];
  return { record: r, etag: stored.etag, shards: await readShards(jobs, stored, ids) };
}

export type PublicStatus = JobRecord["status"] | "stalled";

/** Work left and nobody running it, and the counts behind the answer. */
export interface Liveness {
  live: number;
  stalled: number;
  waiting: number;
  /** Not done: open ones, parked ones and those never started. */
  notDone: number;
  /** Not done and holding no slot (parked or never started). */
  pending: number;
}

export function liveness(v: JobView, now: number): Liveness {
  const r = v.record;
  const notDone = r.shardCount - new DoneSet(r.done, r.shardCount).size;
  let live = 0;
  let stalled = 0;
  let waiting = 0;
  for (const id of r.open) {
    const s = v.shards.get(id);
    if (!s) {
      // Not written yet: a dispatch in progress, or one that died before it wrote the shard (stalled then).
      if (now - Date.parse(r.updatedAt) > STARTING_MS) stalled++;
      else live++;
      continue;
    }
    if (s.state === "running" && isLive(s.lease, now)) live++;
    else if (awaitsCaller(s, r, now)) waiting++;
    // Done but not folded yet: its runner holds the lease while it folds it; past the lease it
    // died in between, and the shard is stalled until a sweep folds it (foldDoneShards).
    else if (s.state === "done" && isLive(s.lease, now)) live++;
    else stalled++;
  }
  return { live, stalled, waiting, notDone, pending: Math.max(0, notDone - r.open.length) };
}

/** "stalled" when work remains and no live lease covers it: a sweep or a redelivery picks it up. */
export function statusOf(v: JobView, now: number): PublicStatus {
  const r = v.record;
  if (r.status !== "running" && r.status !== "incomplete") return r.status;
  const l = liveness(v, now);
  // Every shard done: the last one is writing the job's end.
  if (l.notDone === 0) return "running";
  if (l.stalled > 0) return "stalled";
  if (l.live > 0) return "running";
  if (l.waiting > 0) return "incomplete";
  return "stalled";
}

// Every shard read is open or parked in the job record read before it, so none is folded in yet
// (a shard leaves `open` in the same write that folds it).
const openShards = (v: JobView): ShardRecord[] => [...v.shards.values()];

/** Counts now: the done shards' (folded into the job record) and the open and parked ones'. */
export function countsOf(v: JobView): Counts {
  return openShards(v).reduce((a, s) => addCounts(a, s.counts), v.record.counts);
}

export function invocationsOf(v: JobView): number {
  return openShards(v).reduce((a, s) => a + s.invocations, v.record.invocations);
}

/** The job's stopped units: announcements and the done shards' tallies, plus the open shards'. */
export function stopsOf(v: JobView): StoppedUnits | undefined {
  let out: StoppedUnits | undefined = v.record.stoppedUnits ? structuredClone(v.record.stoppedUnits) : undefined;
  for (const s of openShards(v)) if (s.stops) out = addStops(out ?? {}, s.stops);
  return out;
}

export function failuresOf(v: JobView): FailureRecord[] {
  const out = [...v.record.failures];
  for (const s of openShards(v)) mergeFailures(out, s.failures);
  return out;
}

export function shardView(s: ShardRecord, now: number): ShardView {
  return {
    id: s.id,
    units: s.units,
    ...(s.range ? { range: s.range } : {}),
    state: isStalled(s, now) ? "stalled" : s.state,
    counts: s.counts,
    invocations: s.invocations,
    ...(s.state === "running" && s.lease && isLive(s.lease, now) ? { leaseUntil: new Date(s.lease.until).toISOString() } : {}),
    ...(s.workRequest ? { workRequest: s.workRequest } : {}),
  };
}

const processedOf = (c: Counts): number => c.matched + c.skipped;

/**
 * The job as a status query shows it: no resume nonce, no lease owners (they would let the reader
 * act on the job). While it runs, `shards.list` holds the shards that hold a slot or were given
 * back; once it has ended, every shard (the first MAX_LISTED_SHARDS).
 */
export function publicView(v: JobView, now: number): Record<string, unknown> {
  const r = v.record;
  const { resume: _resume, stoppedUnits: _stops, done: _done, open: _open, parked: _parked, births: _births, shardList, layout: _layout, shardCount, ...rest } = r;
  const running = r.status === "running" || r.status === "incomplete";
  const counts = countsOf(v);
  const l = liveness(v, now);
  const listed = running ? [...v.shards.values()].sort((a, b) => a.id - b.id).map((s) => shardView(s, now)) : (shardList ?? []);
  const updated = [r.updatedAt, ...[...v.shards.values()].map((s) => s.updatedAt)].sort().at(-1) as string;
  // Versions per second now: the live shards' rates over their last checkpoint interval.
  const rate = [...v.shards.values()].filter((s) => s.state === "running" && isLive(s.lease, now)).reduce((a, s) => a + (s.rate ?? 0), 0);
  const out: Record<string, unknown> = {
    ...rest,
    updatedAt: updated,
    counts,
    invocations: invocationsOf(v),
    failures: withStopFailures(r.spec, stopsOf(v), failuresOf(v)),
    status: statusOf(v, now),
    shards: { total: shardCount, running: l.live, done: shardCount - l.notDone, stalled: l.stalled, list: listed },
  };
  if (running) {
    out["rate"] = rate;
    if (r.estimatedVersions !== undefined && rate > 0) out["etaSeconds"] = Math.max(0, Math.round((r.estimatedVersions - processedOf(counts)) / rate));
  }
  return out;
}

/** The job as the sweep's and diagnose's notes name a stalled one. */
export function stalledJobOf(v: JobView): { jobId: string; origin: JobRecord["origin"]; counts: Counts; updatedAt: string } {
  const updated = [v.record.updatedAt, ...[...v.shards.values()].map((s) => s.updatedAt)].sort().at(-1) as string;
  return { jobId: v.record.jobId, origin: v.record.origin, counts: countsOf(v), updatedAt: updated };
}
