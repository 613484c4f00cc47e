import type { KeyMaterials } from "../keys/resolve-keys.js";
import type { Logger } from "../log.js";
import type { FailureRecord, ObjectRef } from "../model/failure.js";
import type { Counts, Cursor, JobSpec, ListingFailure, Position, RedoEntry, ShardWork, Unit, UnitStop } from "../model/job.js";
import type { ObjectStore, ReencryptDetails, TierInfo } from "../oci/object-store.js";
import { isRetryable, OciCallError, toOciFailure, type OciFailure } from "../oci/oci-failure.js";
import { runBucketMethod, type BucketMethodState, type WorkRequestProgress } from "./bucket-method.js";
import { CallPool, redoEntry } from "./call-pool.js";
import { stopHint, type HintAudience } from "./hints.js";
import { listScope, type Item, type RangeRef } from "./list-scope.js";
import type { ReportSink } from "./report-writer.js";
import { refOf, ShardOutcomes } from "./shard-outcomes.js";
import { UnitStops, type StopTally } from "./unit-stops.js";

export { MAX_DRY_RUN_OBJECTS, MAX_FAILURES, stopFailure } from "./shard-outcomes.js";
export type { WorkRequestProgress } from "./bucket-method.js";
export type { StopTally } from "./unit-stops.js";

/** Versions whose calls failed transiently (429, 5xx, no answer) after their retries, kept for a second chance at the shard's end. */
export const MAX_SECOND_CHANCES = 256;
/** REENCRYPT_STOP_AFTER_IDENTICAL_FAILURES's default. */
export const DEFAULT_STOP_AFTER_IDENTICAL = 200;
/** A unit whose listing keeps failing transiently fails once both bounds are passed. */
export const LISTING_GIVE_UP = { attempts: 3, afterMs: 10 * 60_000 };

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
  /** Who reads the failures' hints (default the function's caller). */
  audience?: HintAudience | undefined;
  /**
   * Whether the unit's key still governs a listed name (contract §11: the rules may have changed
   * since the job was planned); a name it does not govern is left alone and counted skipped.
   */
  governs?: ((unit: Unit, name: string) => boolean) | undefined;
  /** REENCRYPT_STOP_AFTER_IDENTICAL_FAILURES (0: never stop). */
  stopAfterIdentical?: number | undefined;
  listingGiveUp?: { attempts: number; afterMs: number } | undefined;
  /** A unit stopped calling: other shards of it should hear soon (a checkpoint now). */
  onUnitStop?: ((unit: number) => void) | undefined;
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
  /** Units that stopped calling, and how many versions of each this invocation counted failed without a call. */
  stops: StopTally[];
}

export interface ShardRun extends ShardSnapshot {
  objects: ObjectRef[];
  /**
   * done: nothing left; deadline: stopped before the invocation's end; aborted: told to stop
   * (lease lost); listing: a unit's listing failed transiently, to be tried again on resume.
   */
  stopped: "done" | "deadline" | "aborted" | "listing";
}

export interface RunningShard {
  snapshot(): ShardSnapshot;
  /** Start nothing new and stop as soon as the calls in flight settle (or the hard stop). */
  abort(): void;
  /** Another shard stopped this unit: stop calling in it here too. */
  adoptStop(stop: UnitStop): void;
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

const positionOf = (i: Item): Position => (i.versionId === undefined ? { name: i.name } : { name: i.name, versionId: i.versionId });
const failureOf = (error: unknown): OciFailure => (error instanceof OciCallError ? error.failure : toOciFailure(error));
const keyOf = (u: number, p: Position): string => `${u}\u0000${p.name}\u0000${p.versionId ?? ""}`;
const unitRef = (unit: Unit): ObjectRef => ({ namespace: unit.namespace, bucket: unit.bucket, object: unit.scope.kind === "prefix" ? unit.scope.prefix : unit.scope.object });

type UnitEnd = "next" | "deadline" | "aborted" | "listing";

/**
 * Runs a shard from its cursor until it is done, the deadline approaches or it is aborted. One
 * pool of `concurrency` calls serves all of the shard's units: the next unit is listed while the
 * previous one's calls are still in flight. Calls start in listing order, so the started calls
 * always form a prefix of the listing: the cursor is simply the last one started, plus the ones
 * whose outcome is still unknown.
 */
export function startShard(spec: JobSpec, work: ShardWork, deps: RunShardDeps): RunningShard {
  const now = deps.now ?? Date.now;
  const pool = new CallPool(deps.concurrency, now);
  const outcomes = new ShardOutcomes(spec, deps.store, deps.report, { audience: deps.audience });
  const stops = new UnitStops(deps.stopAfterIdentical ?? DEFAULT_STOP_AFTER_IDENTICAL, (f, n) => stopHint(f, n, outcomes.hintContext()), work.cursor);
  const redoLeft: RedoEntry[] = [...work.cursor.redo];
  // Failed transiently after every retry: tried once more when the shard's listing is done, when
  // the service has had time to recover. Until then they are redo (not counted).
  const later: RedoEntry[] = [];
  const tiers = new Map<string, TierInfo>();
  const secondChance = new Set<string>();
  let listUnit = work.cursor.unit;
  let listAfter: Position | undefined = work.cursor.after;
  let listingFailure: ListingFailure | undefined = work.cursor.listingFailure;
  const bucketMethod: BucketMethodState = { workRequestId: work.cursor.workRequestId, progress: undefined };
  let finished = false;
  let aborted = false;
  // Past the hard stop, late results are ignored: those calls are redone.
  let abandoned = false;
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
  const backlog = (): Promise<void> | undefined => deps.report?.backlog();

  const recordFailure = async (u: number, ref: ObjectRef, f: OciFailure, tier: TierInfo | undefined, tried: boolean): Promise<void> => {
    const unit = spec.units[u] as Unit;
    const rules = await outcomes.retentionFor(unit, f);
    if (abandoned) return;
    outcomes.failed(ref, f, outcomes.hintContext(tier, rules), tried);
    if (tried && !spec.dryRun && stops.observe(u, f)) {
      deps.onUnitStop?.(u);
      deps.log.warn("a scope stopped calling after identical failures; its other versions are counted failed without a call", { jobId: spec.id, bucket: unit.bucket, status: f.status, code: f.code });
    }
  };

  const call = async (id: number, u: number, pos: Position, tier: TierInfo | undefined): Promise<void> => {
    const unit = spec.units[u] as Unit;
    const ref = refOf(unit, pos);
    try {
      const d = detailsOf(u);
      if (d === undefined) {
        await confirmExists(deps.store, unit, pos);
        if (abandoned) return;
        outcomes.matched(ref, tier);
      } else {
        await deps.store.reencryptObject({ namespace: unit.namespace, bucket: unit.bucket, object: pos.name, versionId: pos.versionId, details: d });
        if (abandoned) return;
        outcomes.reencrypted(ref, tier);
        stops.observe(u, undefined);
      }
    } catch (error) {
      if (abandoned) return;
      const f = failureOf(error);
      const k = keyOf(u, pos);
      if (!spec.dryRun && isRetryable(f) && later.length < MAX_SECOND_CHANCES && !secondChance.has(k)) {
        later.push(redoEntry(u, pos));
        if (tier) tiers.set(k, tier);
        return;
      }
      // A dry run matches only what exists; a real run matched every version it tried.
      await recordFailure(u, ref, f, tier, !spec.dryRun);
    } finally {
      if (!abandoned) pool.settle(id);
    }
  };

  /** Starts a version's call, or counts it failed without a call when its unit has stopped. */
  const begin = (u: number, pos: Position, tier: TierInfo | undefined): void => {
    if (stops.isStopped(u) && !spec.dryRun) {
      outcomes.notAttempted(refOf(spec.units[u] as Unit, pos), stops.notAttempted(u), tier);
      return;
    }
    pool.start(u, pos, (id) => call(id, u, pos, tier));
  };

  /** Waits for a free slot; false when no new call may start. */
  const admit = async (): Promise<boolean> => {
    await pool.admit(backlog);
    return !aborted && now() < deps.stopAt;
  };
  const outOfTime = (): "aborted" | "deadline" => (aborted ? "aborted" : "deadline");

  const cursorNow = (): Cursor => {
    const c: Cursor = { unit: listUnit, redo: [...pool.entries(), ...redoLeft, ...later], ...stops.cursorState() };
    if (listAfter !== undefined) c.after = listAfter;
    if (bucketMethod.workRequestId !== undefined) c.workRequestId = bucketMethod.workRequestId;
    if (listingFailure !== undefined) c.listingFailure = listingFailure;
    return c;
  };

  const snapshot = (): ShardSnapshot => ({
    cursor: finished ? undefined : cursorNow(),
    counts: { ...outcomes.counts },
    failures: [...outcomes.failures],
    workRequest: bucketMethod.progress,
    stops: stops.tallies(),
  });

  const stop = async (why: Exclude<UnitEnd, "next">): Promise<ShardRun> => {
    await pool.drain(deps.hardStopAt);
    abandoned = true;
    const cursor = cursorNow();
    deps.log.info("shard stopped", { jobId: spec.id, shard: work.id, why, unit: cursor.unit, inFlightUnknown: pool.size });
    return { cursor, counts: { ...outcomes.counts }, failures: outcomes.failures, objects: outcomes.objects, workRequest: bucketMethod.progress, stops: stops.tallies(), stopped: why };
  };

  /** A listing that failed: a transient failure leaves the unit to be listed again on resume, within a bound. */
  const listingFailed = async (u: number, f: OciFailure): Promise<UnitEnd> => {
    const unit = spec.units[u] as Unit;
    if (isRetryable(f)) {
      const lf = listingFailure?.unit === u ? { ...listingFailure, attempts: listingFailure.attempts + 1 } : { unit: u, attempts: 1, since: now() };
      const giveUp = deps.listingGiveUp ?? LISTING_GIVE_UP;
      if (lf.attempts < giveUp.attempts || now() - lf.since < giveUp.afterMs) {
        listingFailure = lf;
        deps.log.warn("a listing failed after its retries; the unit is listed again when the job resumes", { jobId: spec.id, bucket: unit.bucket, status: f.status, code: f.code, attempts: lf.attempts });
        return "listing";
      }
      const minutes = Math.round((now() - lf.since) / 60_000);
      f = { ...f, message: `listing kept failing for ${minutes} min over ${lf.attempts} attempts: ${f.message}` };
    }
    listingFailure = undefined;
    await recordFailure(u, unitRef(unit), f, undefined, false);
    return "next";
  };

  const runUnit = async (u: number): Promise<UnitEnd> => {
    const unit = spec.units[u] as Unit;
    if (unit.blocked) {
      // Known to fail before any call (a read-only bucket): one failure for the unit, nothing called.
      if (listAfter === undefined) outcomes.failed(unitRef(unit), { ...unit.blocked, opcRequestId: undefined }, outcomes.hintContext(), false);
      return "next";
    }
    if (unit.method === "bucket" && !spec.dryRun) {
      const fail = (f: OciFailure): void => outcomes.failed({ namespace: unit.namespace, bucket: unit.bucket, object: "" }, f, outcomes.hintContext(), false);
      const ok = await runBucketMethod(u, unit, bucketMethod, { store: deps.store, jobId: spec.id, stopAt: deps.stopAt, pollMs: deps.pollMs ?? 2_000, now, aborted: () => aborted, fail, log: deps.log });
      return ok ? "next" : outOfTime();
    }
    try {
      for await (const item of listScope(deps.store, unit, listAfter, { range: deps.range, pageSize: deps.pageSize })) {
        const pos = positionOf(item);
        const leftAlone = item.isDeleteMarker || (deps.governs !== undefined && !deps.governs(unit, item.name));
        if (leftAlone || (stops.isStopped(u) && !spec.dryRun)) {
          const behind = backlog();
          if (behind) await behind;
          if (leftAlone) outcomes.skipped(refOf(unit, pos));
          else begin(u, pos, item);
          listAfter = pos;
          continue;
        }
        if (!(await admit())) return outOfTime();
        begin(u, pos, item);
        listAfter = pos;
      }
      if (listingFailure?.unit === u) listingFailure = undefined;
    } catch (error) {
      if (aborted) return "aborted";
      return listingFailed(u, failureOf(error));
    }
    return "next";
  };

  const run = async (): Promise<ShardRun> => {
    while (redoLeft.length > 0) {
      if (!(await admit())) return stop(outOfTime());
      const r = redoLeft.shift() as RedoEntry;
      begin(r.unit, r.versionId === undefined ? { name: r.name } : { name: r.name, versionId: r.versionId }, undefined);
    }
    for (; listUnit < toUnit; listUnit++, listAfter = undefined) {
      const end = await runUnit(listUnit);
      if (end !== "next") return stop(end);
    }
    // Second chances, until none is left (one each: a version that fails again is a failure).
    for (;;) {
      while (later.length > 0) {
        if (!(await admit())) return stop(outOfTime());
        const r = later.shift() as RedoEntry;
        const k = keyOf(r.unit, r);
        secondChance.add(k);
        begin(r.unit, r.versionId === undefined ? { name: r.name } : { name: r.name, versionId: r.versionId }, tiers.get(k));
      }
      // A call that outlives the invocation has an unknown outcome: it is redone on resume.
      if (!(await pool.drain(deps.hardStopAt))) return stop(outOfTime());
      if (later.length === 0) break;
    }
    finished = true;
    return { cursor: undefined, counts: { ...outcomes.counts }, failures: outcomes.failures, objects: outcomes.objects, workRequest: bucketMethod.progress, stops: stops.tallies(), stopped: "done" };
  };

  return {
    snapshot,
    abort: () => {
      aborted = true;
    },
    adoptStop: (s) => stops.adopt(s),
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
    if (page.items[0]?.name !== pos.name) notFound();
    return;
  }
  const page = await store.listObjectVersions(unit.namespace, unit.bucket, { prefix: pos.name, start: pos.name, limit: 1000 });
  if (!page.items.some((v) => v.name === pos.name && v.versionId === pos.versionId && !v.isDeleteMarker)) notFound();
}
