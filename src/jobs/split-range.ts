import type { Logger } from "../log.js";
import { listScope } from "../engine/list-scope.js";
import type { ObjectStore } from "../oci/object-store.js";
import { compareNames } from "../oci/name-order.js";
import type { JobSpec, ShardWork, Unit } from "../model/job.js";
import { childOf, settleBirths } from "./dispatch.js";
import type { JobStore } from "./job-store.js";

/** The shard's end, which a split moves closer; the engine reads it for every item. */
export interface MutableRange {
  start: string | undefined;
  end(): string | undefined;
  setEnd(end: string | undefined): void;
  took(name: string): void;
  /** The last name the engine took (listScope tells it): a cut must lie beyond it. */
  taken(): string | undefined;
}

export interface SplitterDeps {
  store: ObjectStore;
  jobs: JobStore;
  spec: JobSpec;
  work: ShardWork;
  range: MutableRange;
  owner: string;
  /** Starts the new shard's invocation when a slot is free. */
  dispatch(child: number): Promise<void>;
  log: Logger;
  /** REENCRYPT_SPLIT_VERSIONS: it hands off the rest of its range once it has seen this many versions ahead. */
  every: number;
}

export interface Splitter {
  stop(): Promise<void>;
  /** Whether this run handed part of its range to a new shard. */
  split(): boolean;
}

/**
 * Splits a big bucket or prefix while it is being worked through (contract §9): a scout lists
 * ahead of the engine, names only; once it has passed `every` versions it cuts the shard's range
 * at the next new name and gives everything from there on to a new shard. That shard does the
 * same with its own range, so a bucket of millions of versions spreads over many invocations
 * without knowing its distribution in advance. The engine is usually far behind the cut (it lists
 * the same names at the pace of its calls); when it is not, there is no split.
 *
 * No version belongs to two shards: the new shard's id is allocated in the job record first (with
 * a note of who allocated it, a "birth"), then the cut is written to this shard's own record under
 * its lease, naming the new shard and its range, and only then is the new shard's record written.
 * A split cut short is finished by whoever meets it: this shard's next runner (the cut is in its
 * record), or a dispatch resolving the birth (made from the cut, or void if the cut never landed).
 */
export function startSplitter(d: SplitterDeps): Splitter {
  let stopped = false;
  let didSplit = false;
  const run = async (): Promise<void> => {
    const unit = d.spec.units[d.work.units[0]] as Unit;
    if (unit.scope.kind !== "prefix" || d.work.units[1] - d.work.units[0] !== 1) return;
    const every = d.every;
    const after = d.work.cursor.after?.name;
    const from = d.range.start === undefined ? after : after === undefined ? d.range.start : compareNames(after, d.range.start) > 0 ? after : d.range.start;
    const end = d.range.end();
    let seen = 0;
    let last: string | undefined;
    let cut: string | undefined;
    // The same listing the engine makes (the unit's ranges only: what other keys govern is never
    // paged through), names and versions counted, from the cursor on.
    for await (const item of listScope(d.store, unit, undefined, { range: { start: from, end: () => end } })) {
      if (stopped) return;
      if (seen >= every && item.name !== last) {
        cut = item.name;
        break;
      }
      seen++;
      last = item.name;
    }
    if (stopped || cut === undefined) return;
    const oldEnd = d.range.end();
    if (oldEnd !== undefined && compareNames(cut, oldEnd) >= 0) return;
    // Narrow first: from here on the engine does not list past the cut, whatever happens next.
    d.range.setEnd(cut);
    const at = cut;
    const restore = (): void => d.range.setEnd(oldEnd);
    // Unless the engine is there already: one that makes no calls (a stopped scope, a dry run)
    // lists as fast as the scout, and what it took from the cut on would be the new shard's too.
    const taken = d.range.taken();
    if (taken !== undefined && compareNames(taken, cut) >= 0) return restore();
    try {
      // 1. The new shard's id, noted as born of this shard and this runner.
      let id: number | undefined;
      const allocated = await d.jobs.update(d.spec.id, (r) => {
        id = undefined;
        if (r.status !== "running") return false;
        id = r.shardCount;
        r.shardCount++;
        r.births = [...(r.births ?? []), { id, parent: d.work.id, owner: d.owner }];
        return true;
      });
      if (!allocated?.written || id === undefined) return restore();
      const child = id;
      // 2. The cut, in this shard's record, under its lease. A write whose answer was lost is
      // retried on the record it changed: it must not cut twice.
      const cutDone = await d.jobs.updateShard(d.spec.id, d.work.id, (s) => {
        if (s.child?.id === child) return false;
        if (s.state !== "running" || s.lease?.owner !== d.owner || s.splitDone) return false;
        s.range = { ...s.range, end: at };
        s.splitDone = true;
        s.child = { id: child, range: oldEnd === undefined ? { start: at } : { start: at, end: oldEnd } };
        return true;
      });
      if (!cutDone || cutDone.shard.child?.id !== child) {
        // The shard is no longer ours (its new owner has the uncut range): nothing was handed off,
        // and the id allocated is void.
        restore();
        await settleBirths(d.jobs, d.spec.id, new Map([[child, "void"]]));
        return;
      }
      // 3. The new shard exists.
      await d.jobs.createShard(childOf(d.spec.id, cutDone.shard));
      didSplit = true;
      d.log.info("range split", { jobId: d.spec.id, shard: d.work.id, into: child, bucket: unit.bucket, at: cut, after: seen });
      await d.dispatch(child);
    } catch (error) {
      // Which of the writes landed decides: before the cut, this shard keeps its whole range;
      // after it, the cut stands and the new shard is made by whoever meets the split next.
      const mine = await d.jobs.readShard(d.spec.id, d.work.id).catch(() => undefined);
      if (mine?.shard.range?.end !== at || mine.shard.lease?.owner !== d.owner) restore();
      throw error;
    }
  };
  const done = run().catch((error: unknown) => {
    d.log.warn("range split failed", { jobId: d.spec.id, shard: d.work.id, error: error instanceof Error ? error.message : String(error) });
  });
  return {
    async stop() {
      stopped = true;
      await done;
    },
    split: () => didSplit,
  };
}
