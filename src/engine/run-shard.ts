import type { Counts, Cursor, JobSpec, Position, RedoEntry, ShardWork, Unit } from "../model/job.js";
import { zeroCounts } from "../model/job.js";
import type { FailureRecord, ObjectRef } from "../model/failure.js";
import type { Logger } from "../log.js";
import type { KeyMaterials } from "../keys/resolve-keys.js";
import type { ObjectStore, ReencryptDetails } from "../oci/object-store.js";
import { isRetryable, OciCallError, toOciFailure, type OciFailure } from "../oci/oci-failure.js";
import { hintFor } from "./hints.js";
import { listScope, type Item, type RangeRef } from "./list-scope.js";
import type { ReportLine, ReportSink } from "./report-writer.js";

export const MAX_FAILURES = 100;
/** Versions whose calls failed transiently (429, 5xx, no answer) after their retries, kept for a second chance at the shard's end. */
export const MAX_SECOND_CHANCES = 256;
export const MAX_DRY_RUN_OBJECTS = 1000;



/** A ReencryptBucket work request the shard is waiting for. */
export interface WorkRequestProgress {
  unit: number;
  workRequestId: string;
  status: string;
  percentComplete: number;
}

export interface RunShardDeps {
  store: ObjectStore;
  materials: KeyMaterials;
  /** Calls in flight at most, across all of the shard's units. */
  concurrency: number;
  /** Start no new call after this instant (epoch ms). */
  stopAt: number;
  /** Stop waiting for calls in flight at this instant; their outcome is unknown and they are redone. */
  hardStopAt: number;
  log: Logger;
  report?: ReportSink | undefined;
  /** The shard's name range within its one unit; its end can shrink while the shard runs. */
  range?: RangeRef | undefined;
  pageSize?: number;
  /** How often a ReencryptBucket work request is polled (ms). */
  pollMs?: number;
  now?: () => number;
}

/** What a checkpoint records: consistent at the instant it is taken. */
export interface ShardSnapshot {
  /** undefined once the shard is done. */
  cursor: Cursor | undefined;
  /** Outcomes settled in this invocation so far. */
  counts: Counts;
  /** This invocation's failures so far (at most MAX_FAILURES). */
  failures: FailureRecord[];
  workRequest: WorkRequestProgress | undefined;
}

export interface ShardRun extends ShardSnapshot {
  objects: ObjectRef[];
  /** done: nothing left; deadline: stopped before the invocation's end; aborted: told to stop (lease lost). */
  stopped: "done" | "deadline" | "aborted";
}

export interface RunningShard {
  snapshot(): ShardSnapshot;
  /** Start nothing new and stop as soon as the calls in flight settle (or the hard stop). */
  abort(): void;
  done: Promise<ShardRun>;
}

export function detailsFor(unit: Unit, spec: JobSpec, materials: KeyMaterials): ReencryptDetails {
  const source = spec.sourceKey === undefined ? undefined : materials.source;
  if (spec.sourceKey !== undefined && source === undefined) throw new Error("source SSE-C key was not resolved");
  const src = source === undefined ? {} : { sourceSseCustomerKey: source };
  switch (unit.key.type) {
    case "bucket":
      return { ...src };
    case "kms":
      return { kmsKeyId: unit.key.kmsKeyId, ...src };
    case "sse-c": {
      if (materials.target === undefined) throw new Error("target SSE-C key was not resolved");
      return { sseCustomerKey: materials.target, ...src };
    }
  }
}

// setTimeout fires at once for delays past 2^31-1 ms; clamp so "far away" stays far away.
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, Math.min(2 ** 31 - 1, Math.max(0, ms))).unref());

const positionOf = (i: Item): Position => (i.versionId === undefined ? { name: i.name } : { name: i.name, versionId: i.versionId });
const failureOf = (error: unknown): OciFailure => (error instanceof OciCallError ? error.failure : toOciFailure(error));

/**
 * Runs a shard from its cursor until it is done, the deadline approaches or it is aborted. One
 * pool of `concurrency` calls serves all of the shard's units: the next unit is listed while the
 * previous one's calls are still in flight. Calls start in listing order, so the started calls
 * always form a prefix of the listing: the cursor is simply the last one started, plus the ones
 * whose outcome is still unknown.
 */
export function startShard(spec: JobSpec, work: ShardWork, deps: RunShardDeps): RunningShard {
  const now = deps.now ?? Date.now;
  const counts = zeroCounts();
  const failures: FailureRecord[] = [];
  const objects: ObjectRef[] = [];
  const inflight = new Map<number, RedoEntry>();
  const redoLeft: RedoEntry[] = [...work.cursor.redo];
  // Failed transiently after every retry: tried once more when the shard's listing is done, when
  // the service has had time to recover. Until then they are redo (not counted).
  const later: RedoEntry[] = [];
  const secondChance = new Set<string>();
  const keyOf = (u: number, p: Position): string => `${u}\u0000${p.name}\u0000${p.versionId ?? ""}`;
  let listUnit = work.cursor.unit;
  let listAfter: Position | undefined = work.cursor.after;
  let workRequestId = work.cursor.workRequestId;
  let workRequest: WorkRequestProgress | undefined;
  let finished = false;
  let aborted = false;
  // Past the hard stop, late results are ignored: those calls are redone.
  let abandoned = false;
  let ticket = 0;
  let slotFreed: (() => void) | undefined;
  let drained: (() => void) | undefined;
  const [, toUnit] = work.units;
  const details = new Map<number, ReencryptDetails | undefined>();
  const detailsOf = (u: number): ReencryptDetails | undefined => {
    if (spec.dryRun) return undefined;
    let d = details.get(u);
    if (d === undefined) {
      d = detailsFor(spec.units[u] as Unit, spec, deps.materials);
      details.set(u, d);
    }
    return d;
  };

  const record = (line: ReportLine): void => deps.report?.add(line);
  const refOf = (unit: Unit, p: Position): ObjectRef =>
    p.versionId === undefined ? { namespace: unit.namespace, bucket: unit.bucket, object: p.name } : { namespace: unit.namespace, bucket: unit.bucket, object: p.name, versionId: p.versionId };
  const fail = (ref: ObjectRef, f: OciFailure): void => {
    counts.failed++;
    if (failures.length < MAX_FAILURES) {
      failures.push({ ...ref, status: f.status, code: f.code, message: f.message, hint: hintFor(f, { sseCSourceGiven: spec.sourceKey !== undefined }), ...(f.opcRequestId ? { opcRequestId: f.opcRequestId } : {}) });
    }
    record({ ...ref, outcome: "failed", status: f.status, code: f.code });
  };

  const settle = (id: number): void => {
    inflight.delete(id);
    const s = slotFreed;
    slotFreed = undefined;
    s?.();
    if (inflight.size === 0) {
      const d = drained;
      drained = undefined;
      d?.();
    }
  };

  const call = async (id: number, u: number, pos: Position): Promise<void> => {
    const unit = spec.units[u] as Unit;
    const ref = refOf(unit, pos);
    try {
      const d = detailsOf(u);
      if (d === undefined) {
        await confirmExists(deps.store, unit, pos);
        if (abandoned) return;
        counts.matched++;
        if (objects.length < MAX_DRY_RUN_OBJECTS) objects.push(ref);
        record({ ...ref, outcome: "matched" });
      } else {
        await deps.store.reencryptObject({ namespace: unit.namespace, bucket: unit.bucket, object: pos.name, versionId: pos.versionId, details: d });
        if (abandoned) return;
        counts.matched++;
        counts.reencrypted++;
        record({ ...ref, outcome: "reencrypted" });
      }
    } catch (error) {
      if (abandoned) return;
      const f = failureOf(error);
      if (!spec.dryRun && isRetryable(f) && later.length < MAX_SECOND_CHANCES && !secondChance.has(keyOf(u, pos))) {
        later.push(pos.versionId === undefined ? { unit: u, name: pos.name } : { unit: u, name: pos.name, versionId: pos.versionId });
        return;
      }
      // A dry run matches only what exists; a real run matched every version it tried.
      if (!spec.dryRun) counts.matched++;
      fail(ref, f);
    } finally {
      if (!abandoned) settle(id);
    }
  };

  const start = (u: number, pos: Position): void => {
    const id = ticket++;
    inflight.set(id, pos.versionId === undefined ? { unit: u, name: pos.name } : { unit: u, name: pos.name, versionId: pos.versionId });
    void call(id, u, pos);
  };

  /** Waits for a free slot (and for the report's uploads to keep up); false when no new call may start. */
  const admit = async (): Promise<boolean> => {
    while (inflight.size >= deps.concurrency) await new Promise<void>((r) => (slotFreed = r));
    const behind = deps.report?.backlog();
    if (behind) await behind;
    return !aborted && now() < deps.stopAt;
  };

  /** Waits for the calls in flight, but not past the hard stop; true when all settled. */
  const drain = async (): Promise<boolean> => {
    if (inflight.size === 0) return true;
    const all = new Promise<boolean>((r) => (drained = () => r(true)));
    return Promise.race([all, sleep(deps.hardStopAt - now()).then(() => inflight.size === 0)]);
  };

  const cursorNow = (): Cursor => {
    const redo = [...inflight.values(), ...redoLeft, ...later];
    const c: Cursor = { unit: listUnit, redo };
    if (listAfter !== undefined) c.after = listAfter;
    if (workRequestId !== undefined) c.workRequestId = workRequestId;
    return c;
  };

  const snapshot = (): ShardSnapshot => ({
    cursor: finished ? undefined : cursorNow(),
    counts: { ...counts },
    failures: [...failures],
    workRequest,
  });

  const stop = async (why: "deadline" | "aborted"): Promise<ShardRun> => {
    await drain();
    abandoned = true;
    const cursor = cursorNow();
    deps.log.info("shard stopped", { jobId: spec.id, shard: work.id, why, unit: cursor.unit, inFlightUnknown: inflight.size });
    return { cursor, counts: { ...counts }, failures, objects, workRequest, stopped: why };
  };

  /** ReencryptBucket for a whole-bucket unit, then its work request until it ends; false when out of time. */
  const bucketMethod = async (u: number): Promise<boolean> => {
    const unit = spec.units[u] as Unit;
    const whole = { namespace: unit.namespace, bucket: unit.bucket, object: "" };
    const pollMs = deps.pollMs ?? 2_000;
    if (workRequestId === undefined) {
      if (aborted || now() >= deps.stopAt) return false;
      try {
        workRequestId = (await deps.store.reencryptBucket(unit.namespace, unit.bucket)).workRequestId;
        deps.log.info("ReencryptBucket started", { jobId: spec.id, bucket: unit.bucket, workRequestId });
      } catch (error) {
        fail(whole, failureOf(error));
        return true;
      }
    }
    for (const id = workRequestId; ; ) {
      try {
        const wr = await deps.store.getWorkRequest(id);
        workRequest = { unit: u, workRequestId: id, status: wr.status, percentComplete: wr.percentComplete };
        if (wr.status === "COMPLETED") {
          workRequestId = undefined;
          return true;
        }
        if (wr.status === "FAILED" || wr.status === "CANCELED" || wr.status === "CANCELING") {
          fail(whole, { status: 500, code: "WorkRequestFailed", message: `ReencryptBucket work request ${id} ended ${wr.status} at ${wr.percentComplete}%`, opcRequestId: undefined });
          workRequestId = undefined;
          return true;
        }
      } catch (error) {
        // A poll that fails is tried again at the next poll: the work request goes on regardless.
        deps.log.warn("work request poll failed", { workRequestId: id, error: failureOf(error).code });
      }
      if (aborted || now() + pollMs >= deps.stopAt) return false;
      await sleep(pollMs);
    }
  };

  const run = async (): Promise<ShardRun> => {
    while (redoLeft.length > 0) {
      if (!(await admit())) return stop(aborted ? "aborted" : "deadline");
      const r = redoLeft.shift() as RedoEntry;
      start(r.unit, r.versionId === undefined ? { name: r.name } : { name: r.name, versionId: r.versionId });
    }
    for (; listUnit < toUnit; listUnit++, listAfter = undefined) {
      const u = listUnit;
      const unit = spec.units[u] as Unit;
      if (unit.method === "bucket" && !spec.dryRun) {
        if (!(await bucketMethod(u))) return stop(aborted ? "aborted" : "deadline");
        continue;
      }
      try {
        for await (const item of listScope(deps.store, unit, listAfter, { range: deps.range, pageSize: deps.pageSize })) {
          if (item.isDeleteMarker) {
            const behind = deps.report?.backlog();
            if (behind) await behind;
            counts.skipped++;
            const pos = positionOf(item);
            record({ ...refOf(unit, pos), outcome: "skipped" });
            listAfter = pos;
            continue;
          }
          if (!(await admit())) return stop(aborted ? "aborted" : "deadline");
          const pos = positionOf(item);
          start(u, pos);
          listAfter = pos;
        }
      } catch (error) {
        // A listing that fails (missing bucket, no permission) fails this unit, not the job.
        if (aborted) return stop("aborted");
        const s = unit.scope;
        fail({ namespace: unit.namespace, bucket: unit.bucket, object: s.kind === "prefix" ? s.prefix : s.object }, failureOf(error));
      }
    }
    // Second chances, until none is left (one each: a version that fails again is a failure).
    for (;;) {
      while (later.length > 0) {
        if (!(await admit())) return stop(aborted ? "aborted" : "deadline");
        const r = later.shift() as RedoEntry;
        secondChance.add(keyOf(r.unit, r));
        start(r.unit, r.versionId === undefined ? { name: r.name } : { name: r.name, versionId: r.versionId });
      }
      // A call that outlives the invocation has an unknown outcome: it is redone on resume.
      if (!(await drain())) return stop(aborted ? "aborted" : "deadline");
      if (later.length === 0) break;
    }
    finished = true;
    return { cursor: undefined, counts: { ...counts }, failures, objects, workRequest, stopped: "done" };
  };

  return {
    snapshot,
    abort: () => {
      aborted = true;
    },
    done: run(),
  };
}

export const runShard = (spec: JobSpec, work: ShardWork, deps: RunShardDeps): Promise<ShardRun> => startShard(spec, work, deps).done;

/** Dry-run: an object target is listed only if it exists (a prefix's items exist by construction). */
async function confirmExists(store: ObjectStore, unit: Unit, pos: Position): Promise<void> {
  if (unit.scope.kind !== "object") return;
  const notFound = (): never => {
    throw new OciCallError({ status: 404, code: "ObjectNotFound", message: `object ${pos.name}${pos.versionId ? ` version ${pos.versionId}` : ""} not found`, opcRequestId: undefined }, "ListObjects");
  };
  if (pos.versionId === undefined) {
    const page = await store.listObjects(unit.namespace, unit.bucket, { prefix: pos.name, start: pos.name, limit: 1 });
    if (page.items[0] !== pos.name) notFound();
    return;
  }
  const page = await store.listObjectVersions(unit.namespace, unit.bucket, { prefix: pos.name, start: pos.name, limit: 1000 });
  if (!page.items.some((v) => v.name === pos.name && v.versionId === pos.versionId && !v.isDeleteMarker)) notFound();
}
