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
  /** A unit's streak of identical failures grew by another eighth of the limit (UnitStops.askOthers). */
  onUnitStreak?: ((unit: number) => void) | undefined;
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
 * One shard's run: a cursor, a pool of calls across its units, the outcomes so far. Each step is
 * a method: the redo left from the last run, then each unit (listed, or ReencryptBucket), then
 * the second chances. Calls start in listing order, so the started calls always form a prefix of
 * the listing: the cursor is simply the last one started, plus the ones whose outcome is unknown.
 */
class ShardRunner {
  private readonly now: () => number;
  private readonly pool: CallPool;
  private readonly outcomes: ShardOutcomes;
  private readonly stops: UnitStops;
  private readonly redoLeft: RedoEntry[];
  // Failed transiently after every retry: tried once more when the shard's listing is done, when
  // the service has had time to recover. Until then they are redo (not counted).
  private readonly later: RedoEntry[] = [];
  private readonly tiers = new Map<string, TierInfo>();
  private readonly secondChance = new Set<string>();
  private readonly details = new Map<number, ReencryptDetails | undefined>();
  private readonly bucketMethod: BucketMethodState;
  private listUnit: number;
  private listAfter: Position | undefined;
  private listingFailure: ListingFailure | undefined;
  private finished = false;
  aborted = false;
  // Past the hard stop, late results are ignored: those calls are redone.
  private abandoned = false;

  constructor(
    private readonly spec: JobSpec,
    private readonly work: ShardWork,
    private readonly deps: RunShardDeps,
  ) {
    this.now = deps.now ?? Date.now;
    this.pool = new CallPool(deps.concurrency, this.now);
    this.outcomes = new ShardOutcomes(spec, deps.store, deps.report, { audience: deps.audience });
    this.stops = new UnitStops(deps.stopAfterIdentical ?? DEFAULT_STOP_AFTER_IDENTICAL, (f, n) => stopHint(f, n, this.outcomes.hintContext()), work.cursor);
    this.redoLeft = [...work.cursor.redo];
    this.listUnit = work.cursor.unit;
    this.listAfter = work.cursor.after;
    this.listingFailure = work.cursor.listingFailure;
    this.bucketMethod = { workRequestId: work.cursor.workRequestId, progress: undefined };
  }

  adoptStop(s: UnitStop): void {
    this.stops.adopt(s);
  }

  private detailsOf(u: number): ReencryptDetails | undefined {
    if (this.spec.dryRun) return undefined;
    let d = this.details.get(u);
    if (d === undefined) {
      d = detailsFor(this.spec.units[u] as Unit, this.spec, this.deps.materials);
      this.details.set(u, d);
    }
    return d;
  }

  private backlog(): Promise<void> | undefined {
    return this.deps.report?.backlog();
  }

  private async recordFailure(u: number, ref: ObjectRef, f: OciFailure, tier: TierInfo | undefined, tried: boolean): Promise<void> {
    const unit = this.spec.units[u] as Unit;
    const rules = await this.outcomes.retentionFor(unit, f);
    if (this.abandoned) return;
    this.outcomes.failed(ref, f, this.outcomes.hintContext(tier, rules), tried);
    if (!tried || this.spec.dryRun) return;
    if (this.stops.observe(u, f)) {
      this.deps.onUnitStop?.(u);
      this.deps.log.warn("a scope stopped calling after identical failures; its other versions are counted failed without a call", { jobId: this.spec.id, bucket: unit.bucket, status: f.status, code: f.code });
      return;
    }
    if (this.stops.askOthers(u)) this.deps.onUnitStreak?.(u);
  }

  private async call(id: number, u: number, pos: Position, tier: TierInfo | undefined): Promise<void> {
    const unit = this.spec.units[u] as Unit;
    const ref = refOf(unit, pos);
    try {
      const d = this.detailsOf(u);
      if (d === undefined) {
        await confirmExists(this.deps.store, unit, pos);
        if (this.abandoned) return;
        this.outcomes.matched(ref, tier);
      } else {
        await this.deps.store.reencryptObject({ namespace: unit.namespace, bucket: unit.bucket, object: pos.name, versionId: pos.versionId, details: d });
        if (this.abandoned) return;
        this.outcomes.reencrypted(ref, tier);
        this.stops.observe(u, undefined);
      }
    } catch (error) {
      if (this.abandoned) return;
      const f = failureOf(error);
      const k = keyOf(u, pos);
      if (!this.spec.dryRun && isRetryable(f) && this.later.length < MAX_SECOND_CHANCES && !this.secondChance.has(k)) {
        this.later.push(redoEntry(u, pos));
        if (tier) this.tiers.set(k, tier);
        return;
      }
      // A dry run matches only what exists; a real run matched every version it tried.
      await this.recordFailure(u, ref, f, tier, !this.spec.dryRun);
    } finally {
      if (!this.abandoned) this.pool.settle(id);
    }
  }

  /** Starts a version's call, or counts it failed without a call when its unit has stopped. */
  private begin(u: number, pos: Position, tier: TierInfo | undefined): void {
    if (this.stops.isStopped(u) && !this.spec.dryRun) {
      this.outcomes.notAttempted(refOf(this.spec.units[u] as Unit, pos), this.stops.notAttempted(u), tier);
      return;
    }
    this.pool.start(u, pos, (id) => this.call(id, u, pos, tier));
  }

  /** Waits for a free slot; false when no new call may start. */
  private async admit(): Promise<boolean> {
    await this.pool.admit(() => this.backlog());
    return !this.aborted && this.now() < this.deps.stopAt;
  }

  private outOfTime(): "aborted" | "deadline" {
    return this.aborted ? "aborted" : "deadline";
  }

  private cursorNow(): Cursor {
    const c: Cursor = { unit: this.listUnit, redo: [...this.pool.entries(), ...this.redoLeft, ...this.later], ...this.stops.cursorState() };
    if (this.listAfter !== undefined) c.after = this.listAfter;
    if (this.bucketMethod.workRequestId !== undefined) c.workRequestId = this.bucketMethod.workRequestId;
    if (this.listingFailure !== undefined) c.listingFailure = this.listingFailure;
    return c;
  }

  snapshot(): ShardSnapshot {
    return {
      cursor: this.finished ? undefined : this.cursorNow(),
      counts: { ...this.outcomes.counts },
      failures: [...this.outcomes.failures],
      workRequest: this.bucketMethod.progress,
      stops: this.stops.tallies(),
    };
  }

  private result(stopped: ShardRun["stopped"], cursor: Cursor | undefined): ShardRun {
    const o = this.outcomes;
    return { cursor, counts: { ...o.counts }, failures: o.failures, objects: o.objects, workRequest: this.bucketMethod.progress, stops: this.stops.tallies(), stopped };
  }

  private async stop(why: Exclude<UnitEnd, "next">): Promise<ShardRun> {
    await this.pool.drain(this.deps.hardStopAt);
    this.abandoned = true;
    const cursor = this.cursorNow();
    this.deps.log.info("shard stopped", { jobId: this.spec.id, shard: this.work.id, why, unit: cursor.unit, inFlightUnknown: this.pool.size });
    return this.result(why, cursor);
  }

  /** A listing that failed: a transient failure leaves the unit to be listed again on resume, within a bound. */
  private async listingFailed(u: number, f: OciFailure): Promise<UnitEnd> {
    const unit = this.spec.units[u] as Unit;
    if (isRetryable(f)) {
      const prev = this.listingFailure;
      const lf = prev?.unit === u ? { ...prev, attempts: prev.attempts + 1 } : { unit: u, attempts: 1, since: this.now() };
      const giveUp = this.deps.listingGiveUp ?? LISTING_GIVE_UP;
      if (lf.attempts < giveUp.attempts || this.now() - lf.since < giveUp.afterMs) {
        this.listingFailure = lf;
        this.deps.log.warn("a listing failed after its retries; the unit is listed again when the job resumes", { jobId: this.spec.id, bucket: unit.bucket, status: f.status, code: f.code, attempts: lf.attempts });
        return "listing";
      }
      const minutes = Math.round((this.now() - lf.since) / 60_000);
      f = { ...f, message: `listing kept failing for ${minutes} min over ${lf.attempts} attempts: ${f.message}` };
    }
    this.listingFailure = undefined;
    await this.recordFailure(u, unitRef(unit), f, undefined, false);
    return "next";
  }

  /** One unit: failed at once when blocked, ReencryptBucket for the bucket method, else listed and called. */
  private async runUnit(u: number): Promise<UnitEnd> {
    const unit = this.spec.units[u] as Unit;
    if (unit.blocked) {
      // Known to fail before any call (a read-only bucket): one failure for the unit, nothing called.
      if (this.listAfter === undefined) this.outcomes.failed(unitRef(unit), { ...unit.blocked, opcRequestId: undefined }, this.outcomes.hintContext(), false);
      return "next";
    }
    if (unit.method === "bucket" && !this.spec.dryRun) {
      const fail = (f: OciFailure): void => this.outcomes.failed({ namespace: unit.namespace, bucket: unit.bucket, object: "" }, f, this.outcomes.hintContext(), false);
      const d = this.deps;
      const ok = await runBucketMethod(u, unit, this.bucketMethod, { store: d.store, jobId: this.spec.id, stopAt: d.stopAt, pollMs: d.pollMs ?? 2_000, now: this.now, aborted: () => this.aborted, fail, log: d.log });
      return ok ? "next" : this.outOfTime();
    }
    try {
      for await (const item of listScope(this.deps.store, unit, this.listAfter, { range: this.deps.range, pageSize: this.deps.pageSize })) {
        const pos = positionOf(item);
        const leftAlone = item.isDeleteMarker || (this.deps.governs !== undefined && !this.deps.governs(unit, item.name));
        if (leftAlone || (this.stops.isStopped(u) && !this.spec.dryRun)) {
          // No call: only the report's uploads pace these.
          const behind = this.backlog();
          if (behind) await behind;
          if (leftAlone) this.outcomes.skipped(refOf(unit, pos));
          else this.begin(u, pos, item);
          this.listAfter = pos;
          continue;
        }
        if (!(await this.admit())) return this.outOfTime();
        this.begin(u, pos, item);
        this.listAfter = pos;
      }
      if (this.listingFailure?.unit === u) this.listingFailure = undefined;
    } catch (error) {
      if (this.aborted) return "aborted";
      return this.listingFailed(u, failureOf(error));
    }
    return "next";
  }

  /** Versions that failed transiently get one more call each, once the listing is done. */
  private async secondChances(): Promise<UnitEnd> {
    for (;;) {
      while (this.later.length > 0) {
        if (!(await this.admit())) return this.outOfTime();
        const r = this.later.shift() as RedoEntry;
        const k = keyOf(r.unit, r);
        this.secondChance.add(k);
        this.begin(r.unit, r.versionId === undefined ? { name: r.name } : { name: r.name, versionId: r.versionId }, this.tiers.get(k));
      }
      // A call that outlives the invocation has an unknown outcome: it is redone on resume.
      if (!(await this.pool.drain(this.deps.hardStopAt))) return this.outOfTime();
      if (this.later.length === 0) return "next";
    }
  }

  async run(): Promise<ShardRun> {
    while (this.redoLeft.length > 0) {
      if (!(await this.admit())) return this.stop(this.outOfTime());
      const r = this.redoLeft.shift() as RedoEntry;
      this.begin(r.unit, r.versionId === undefined ? { name: r.name } : { name: r.name, versionId: r.versionId }, undefined);
    }
    for (const [, toUnit] = this.work.units; this.listUnit < toUnit; this.listUnit++, this.listAfter = undefined) {
      const end = await this.runUnit(this.listUnit);
      if (end !== "next") return this.stop(end);
    }
    const end = await this.secondChances();
    if (end !== "next") return this.stop(end);
    this.finished = true;
    return this.result("done", undefined);
  }
}

/** Runs a shard from its cursor until it is done, the deadline approaches or it is aborted. */
export function startShard(spec: JobSpec, work: ShardWork, deps: RunShardDeps): RunningShard {
  const runner = new ShardRunner(spec, work, deps);
  return {
    snapshot: () => runner.snapshot(),
    abort: () => {
      runner.aborted = true;
    },
    adoptStop: (s) => runner.adoptStop(s),
    done: runner.run(),
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
