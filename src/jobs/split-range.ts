import type { Logger } from "../log.js";
import { listScope } from "../engine/list-scope.js";
import type { ObjectStore } from "../oci/object-store.js";
import { compareNames } from "../oci/name-order.js";
import { zeroCounts, type JobSpec, type ShardWork, type Unit } from "../model/job.js";
import type { ShardRecord } from "./job-record.js";
import type { JobStore } from "./job-store.js";

/** The shard's end, which a split moves closer; the engine reads it for every item. */
export interface MutableRange {
  start: string | undefined;
  end(): string | undefined;
  setEnd(end: string | undefined): void;
}

export interface SplitterDeps {
  store: ObjectStore;
  jobs: JobStore;
  spec: JobSpec;
  work: ShardWork;
  range: MutableRange;
  owner: string;
  /** Starts the new shard's invocation when a slot is free. */
  dispatch(): Promise<void>;
  log: Logger;
  /** REENCRYPT_SPLIT_VERSIONS: it hands off the rest of its range once it has seen this many versions ahead. */
  every: number;
}

export interface Splitter {
  stop(): Promise<void>;
}

/**
 * Splits a big bucket or prefix while it is being worked through (contract §9): a scout lists
 * ahead of the engine, names only; once it has passed `every` versions it cuts the shard's range
 * at the next new name and gives everything from there on to a new shard. That shard does the
 * same with its own range, so a bucket of millions of versions spreads over many invocations
 * without knowing its distribution in advance. The engine is far behind the cut (it lists the same
 * names at the pace of its calls), and the cut is written before the new shard exists, so no
 * version belongs to two shards.
 */
export function startSplitter(d: SplitterDeps): Splitter {
  let stopped = false;
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
    // A write whose answer was lost is retried on the record it changed: it must not cut twice.
    let applied = false;
    const updated = await d.jobs
      .update(d.spec.id, (r) => {
      const s = r.shards.find((x) => x.id === d.work.id);
      if (!s || s.state !== "running" || s.lease?.owner !== d.owner) return false;
      if (s.splitDone && s.range?.end === at) {
        applied = true;
        return false;
      }
      s.range = { ...s.range, end: at };
      s.splitDone = true;
      const next: ShardRecord = {
        id: Math.max(...r.shards.map((x) => x.id)) + 1,
        units: [...s.units],
        range: oldEnd === undefined ? { start: at } : { start: at, end: oldEnd },
        cursor: { unit: s.units[0], redo: [] },
        state: "pending",
        counts: zeroCounts(),
        invocations: 0,
      };
      r.shards.push(next);
      return true;
    })
      .catch((error: unknown) => {
        d.range.setEnd(oldEnd);
        throw error;
      });
    if (!updated?.written && !applied) {
      // The shard is no longer ours (its new owner has the uncut range): nothing was handed off.
      d.range.setEnd(oldEnd);
      return;
    }
    d.log.info("range split", { jobId: d.spec.id, shard: d.work.id, bucket: unit.bucket, at: cut, after: seen });
    await d.dispatch();
  };
  const done = run().catch((error: unknown) => {
    d.log.warn("range split failed; the shard keeps its whole range", { jobId: d.spec.id, shard: d.work.id, error: error instanceof Error ? error.message : String(error) });
  });
  return {
    async stop() {
      stopped = true;
      await done;
    },
  };
}
