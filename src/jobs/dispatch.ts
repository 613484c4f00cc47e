import type { Config } from "../config.js";
import { newNonce, referenceToken } from "../contract/resume-token.js";
import type { Logger } from "../log.js";
import type { SelfInvoker } from "../oci/self-invoker.js";
import { zeroCounts } from "../model/job.js";
import { awaitsCaller, DoneSet, initialShard, initialShards, isLive, type Birth, type JobRecord, type Lease, type ShardRecord } from "./job-record.js";
import type { JobStore } from "./job-store.js";
import { loadView, type JobView } from "./job-view.js";
import { dispatchGraceMs, dispatchOwner } from "./leases.js";

// REENCRYPT_MAX_PARALLEL (contract §9) is counted in the job record: `open` holds the shards that
// have a slot (dispatched, running, stalled or waiting for their caller), and a slot is given only
// by a conditional write of the job record, so there are never more open shards than slots. A
// slot passes from a finishing shard to the next one in the same write that folds the finished
// shard in (finish-shard.ts): the hot path reads no other shard's record. Which shard runs is
// decided on the shard's own record, with a conditional write too: two dispatchers (sweeps,
// finishing shards, redeliveries) never start the same shard twice.

export interface DispatchDeps {
  jobs: JobStore;
  invoker: SelfInvoker | undefined;
  config: Config;
  log: Logger;
  now?: () => number;
}

export interface Dispatched {
  /** Shards whose detached invocation was started. */
  started: number[];
  /** Shards chosen but whose invocation could not be started: given back. */
  failed: number[];
}

/**
 * Gives free slots to shards that have none: those given back after a run first, then the ones
 * never started (`prefer` before them, e.g. a shard a split just made), in id order. Mutates the
 * record; the ids it opened.
 */
export function openSlots(r: JobRecord, maxParallel: number, o: { prefer?: readonly number[]; skip?: ReadonlySet<number> } = {}): number[] {
  if (r.status !== "running") return [];
  let free = maxParallel - r.open.length;
  if (free <= 0) return [];
  const done = new DoneSet(r.done, r.shardCount);
  const open = new Set(r.open);
  const parked = new Set(r.parked);
  const chosen: number[] = [];
  const take = (id: number): void => {
    if (free <= 0 || id >= r.shardCount || done.has(id) || open.has(id) || o.skip?.has(id)) return;
    chosen.push(id);
    open.add(id);
    free--;
  };
  for (const id of o.prefer ?? []) if (!parked.has(id)) take(id);
  for (const id of r.parked) take(id);
  for (let id = 0; id < r.shardCount && free > 0; id++) if (!parked.has(id)) take(id);
  r.open.push(...chosen);
  r.parked = r.parked.filter((id) => !chosen.includes(id));
  return chosen;
}

/** A dispatched shard is held for its invocation by this lease until the invocation claims it. */
export const dispatchLease = (config: Config, nonce: string, now: number): Lease => ({ owner: dispatchOwner(nonce), until: now + dispatchGraceMs(config) });

export type Take = { shard: ShardRecord } | { not: "taken" | "unborn" | "void" };

/** Whether shard `s` may be taken by a new runner: nobody runs it (given back, stalled, or waiting for a caller that never got its token). */
const takeable = (s: ShardRecord, r: JobRecord, now: number): boolean =>
  s.state === "pending" || (s.state === "running" && !isLive(s.lease, now)) || (s.state === "waiting" && !awaitsCaller(s, r, now));

/**
 * Takes shard `id` for `lease` (a dispatch's, or the calling invocation's own, then counting a run)
 * with a conditional write of its record, writing the record first if the shard never had one (an
 * initial shard, or one a split made whose creation was cut short).
 */
export async function takeShard(jobs: JobStore, r: JobRecord, id: number, lease: Lease, o: { countRun: boolean; now?: () => number }): Promise<Take> {
  const now = o.now ?? Date.now;
  const run = (s: ShardRecord): void => {
    s.state = "running";
    s.lease = lease;
    // Counted when the run starts, not when it ends: a run that dies still used its number, and
    // its report parts (named by it) are never overwritten by the next run.
    if (o.countRun) s.invocations++;
  };
  for (let attempt = 0; attempt < 3; attempt++) {
    const updated = await jobs.updateShard(r.jobId, id, (s) => {
      if (s.lease?.owner === lease.owner && s.state === "running") return false;
      if (!takeable(s, r, now())) return false;
      run(s);
      return true;
    });
    if (updated) {
      if (updated.written || (updated.shard.lease?.owner === lease.owner && updated.shard.state === "running")) return { shard: updated.shard };
      return { not: "taken" };
    }
    // No record yet.
    let fresh: ShardRecord | undefined;
    if (id < initialShards(r)) fresh = initialShard(r, id, now());
    else {
      const birth = r.births?.find((b) => b.id === id);
      const made = birth ? await resolveBirth(jobs, r, birth) : "void";
      if (made !== "made") return { not: made === "in-flight" ? "unborn" : "void" };
      continue;
    }
    run(fresh);
    const created = await jobs.createShard(fresh);
    if (created) return { shard: created.shard };
  }
  return { not: "taken" };
}

/**
 * A shard a split allocated (split-range.ts): made (its record exists, or is written now from its
 * parent's cut), in flight (its parent's runner has not written the cut yet), or void (the cut can
 * never be written: the parent moved on without it).
 */
export async function resolveBirth(jobs: JobStore, r: JobRecord, b: Birth): Promise<"made" | "in-flight" | "void"> {
  if (await jobs.readShard(r.jobId, b.id)) return "made";
  const parent = (await jobs.readShard(r.jobId, b.parent))?.shard;
  if (parent?.child?.id === b.id) {
    await jobs.createShard(childOf(r.jobId, parent));
    return "made";
  }
  if (!parent || parent.splitDone || parent.state !== "running" || parent.lease?.owner !== b.owner) return "void";
  return "in-flight";
}

/** The record of the shard `parent` handed the rest of its range to. */
export function childOf(jobId: string, parent: ShardRecord): ShardRecord {
  const c = parent.child as NonNullable<ShardRecord["child"]>;
  return {
    format: 2,
    jobId,
    id: c.id,
    units: [...parent.units],
    range: c.range,
    cursor: { unit: parent.units[0], redo: [] },
    state: "pending",
    counts: zeroCounts(),
    invocations: 0,
    failures: [],
    reports: [],
    updatedAt: new Date().toISOString(),
  };
}

/** Marks void births done and forgets made ones (their record exists: nobody allocates them again). */
export async function settleBirths(jobs: JobStore, jobId: string, outcomes: ReadonlyMap<number, "made" | "void">): Promise<void> {
  if (outcomes.size === 0) return;
  await jobs.update(jobId, (r) => {
    const before = r.births?.length ?? 0;
    const done = new DoneSet(r.done, r.shardCount);
    for (const [id, o] of outcomes) {
      if (o !== "void") continue;
      done.add(id);
      r.open = r.open.filter((x) => x !== id);
      r.parked = r.parked.filter((x) => x !== id);
    }
    r.done = done.encode();
    r.births = (r.births ?? []).filter((b) => !outcomes.has(b.id));
    if (r.births.length === 0) delete r.births;
    return (r.births?.length ?? 0) !== before;
  });
}

/**
 * Starts detached invocations for shards that should run and do not: open ones whose runner
 * died (or whose dispatch never arrived), then new ones for the free slots. InvokeFunction 429s
 * (the tenancy's concurrency limit) are retried by the invoker while the invocation has time; a
 * shard that still cannot start is given back.
 */
export async function dispatchShards(jobId: string, deps: DispatchDeps, o: { prefer?: readonly number[]; view?: JobView } = {}): Promise<Dispatched> {
  const none: Dispatched = { started: [], failed: [] };
  if (!deps.invoker) return none;
  const now = deps.now ?? Date.now;
  const view = o.view ?? (await loadView(deps.jobs, jobId));
  if (!view || view.record.status !== "running") return none;

  // Splits cut short: each is made or void now, so that its slot and its range are not lost.
  const births = new Map<number, "made" | "void">();
  for (const b of view.record.births ?? []) {
    const made = await resolveBirth(deps.jobs, view.record, b);
    if (made !== "in-flight") births.set(b.id, made);
  }
  await settleBirths(deps.jobs, jobId, births);

  const t = now();
  const again = view.record.open.filter((id) => {
    const s = view.shards.get(id);
    if (!s) return births.get(id) !== "void" && t - Date.parse(view.record.updatedAt) > dispatchGraceMs(deps.config);
    return takeable(s, view.record, t);
  });
  let opened: number[] = [];
  const updated = await deps.jobs.update(jobId, (r) => {
    opened = openSlots(r, deps.config.maxParallel, o.prefer ? { prefer: o.prefer } : {});
    return opened.length > 0;
  });
  if (!updated) return none;
  return startShards(jobId, updated.record, [...again, ...opened], opened, deps);
}

/** Takes each shard for a dispatch and invokes it; slots of shards that could not be taken or started are given back. */
export async function startShards(jobId: string, r: JobRecord, ids: readonly number[], opened: readonly number[], deps: DispatchDeps): Promise<Dispatched> {
  const started: number[] = [];
  const failed: { id: number; owner: string }[] = [];
  const unused: number[] = [];
  const now = deps.now ?? Date.now;
  await Promise.all(
    ids.map(async (id) => {
      const nonce = newNonce();
      const lease = dispatchLease(deps.config, nonce, now());
      const took = await takeShard(deps.jobs, r, id, lease, { countRun: false, now }).catch((error: unknown) => {
        deps.log.warn("a shard could not be taken for its dispatch", { jobId, shard: id, error: error instanceof Error ? error.message : String(error) });
        return { not: "taken" } as Take;
      });
      if (!("shard" in took)) {
        // Someone else runs it (it is theirs now), or it does not exist yet: a slot opened for it is given back.
        if (opened.includes(id) && took.not !== "taken") unused.push(id);
        return;
      }
      try {
        await (deps.invoker as SelfInvoker).invokeDetached(JSON.stringify({ resume: referenceToken({ jobId, shard: id, nonce }) }));
        started.push(id);
      } catch (error) {
        failed.push({ id, owner: lease.owner });
        deps.log.warn("a shard's invocation could not be started; it waits for the next dispatch or sweep", { jobId, shard: id, error: error instanceof Error ? error.message : String(error) });
      }
    }),
  );
  if (failed.length > 0 || unused.length > 0) await giveBack(deps.jobs, jobId, failed, unused, deps.log);
  if (started.length > 0) deps.log.info("shards dispatched", { jobId, shards: started.sort((a, b) => a - b) });
  return { started: started.sort((a, b) => a - b), failed: failed.map((f) => f.id).sort((a, b) => a - b) };
}

/**
 * Given back at once rather than left to expire: the next dispatcher can take them right away. A
 * shard that ran before keeps its place in line (parked: status still counts what it did); one
 * that never ran just loses its slot.
 */
export async function giveBack(jobs: JobStore, jobId: string, held: readonly { id: number; owner: string }[], unused: readonly number[] = [], log?: Logger): Promise<void> {
  try {
    const ran = new Set<number>();
    const back = new Set<number>(unused);
    for (const { id, owner } of held) {
      const u = await jobs.updateShard(jobId, id, (s) => {
        if (s.state !== "running" || s.lease?.owner !== owner) return false;
        s.state = "pending";
        delete s.lease;
        return true;
      });
      if (!u?.written) continue;
      back.add(id);
      if (u.shard.invocations > 0 || u.shard.counts.matched + u.shard.counts.skipped > 0) ran.add(id);
    }
    if (back.size === 0) return;
    await jobs.update(jobId, (r) => {
      const before = r.open.length;
      r.open = r.open.filter((id) => !back.has(id));
      for (const id of ran) if (!r.parked.includes(id)) r.parked.push(id);
      return r.open.length !== before;
    });
  } catch (error) {
    log?.warn("shards could not be given back; their leases expire and a sweep takes them", { jobId, error: error instanceof Error ? error.message : String(error) });
  }
}
