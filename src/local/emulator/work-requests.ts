import { ApiError, notFound } from "./api-error.js";
import type { EmulatorState } from "./emulator-state.js";
import type { ObjectVersion, WorkRequestRecord, WorkRequestStatus } from "./model.js";
import { randomOcid } from "./random-ids.js";
import { NO_BUCKET_KMS_KEY, refuse } from "./refusals.js";
import { archivalStateOf } from "./storage-tiers.js";

const TICK_MS = 10;
const DEFAULT_RATE = 2000;
const ACTIVE: ReadonlySet<WorkRequestStatus> = new Set(["ACCEPTED", "IN_PROGRESS", "CANCELING"]);

/**
 * What ReencryptBucket does to versions whose data key is not wrapped by the bucket's Vault key:
 * "leave" (default, the conservative emulator choice) or "rewrap" them under the bucket's key too.
 * Real OCI's behaviour is UNCONFIRMED. SSE-C versions are always left unchanged.
 */
export type OtherKeyPolicy = "leave" | "rewrap";

interface Running {
  record: WorkRequestRecord;
  /** The object versions that existed at the call, in listing order. */
  queue: ObjectVersion[];
  next: number;
}

const now = (): string => new Date().toISOString();

/**
 * ReencryptBucket's asynchronous side: each call becomes a work request that re-wraps the versions
 * that existed at the call, in the background, at `rate` versions per second, updating ground truth
 * exactly as ReencryptObject does (EmulatorState.rewrap: history and reencryptCount).
 */
export class WorkRequests {
  readonly records = new Map<string, WorkRequestRecord>();
  private readonly running = new Map<string, Running>();
  private rate = DEFAULT_RATE;
  private policy: OtherKeyPolicy = "leave";
  private timer: NodeJS.Timeout | undefined;
  private lastTick = 0;
  private budget = 0;
  private waiters: (() => void)[] = [];

  constructor(private readonly state: EmulatorState) {}

  /** Versions re-wrapped per second, across all running work requests; 0 pauses them, Infinity finishes each on its next tick. */
  setRate(versionsPerSecond: number): void {
    if (!(versionsPerSecond >= 0)) throw new Error(`work request rate must be >= 0, got ${versionsPerSecond}`);
    this.rate = versionsPerSecond;
  }

  setOtherKeyPolicy(policy: OtherKeyPolicy): void {
    this.policy = policy;
  }

  /** ReencryptBucket: checks the bucket's key now, snapshots its versions, and starts a work request. */
  reencryptBucket(bucketName: string, o: { bucketKeyOnly?: boolean } = {}): WorkRequestRecord {
    const bucket = this.state.bucket(bucketName);
    if (!bucket) throw notFound("BucketNotFound", `Either the bucket named '${bucketName}' does not exist in the namespace '${this.state.namespace}' or you are not authorized to access it`);
    if (bucket.kmsKeyId === undefined) {
      throw refuse(NO_BUCKET_KMS_KEY, `The bucket '${bucketName}' has no kmsKeyId: ReencryptBucket needs a bucket encrypted with a Vault key`);
    }
    this.state.usableKey(bucket.kmsKeyId);
    const queue = o.bucketKeyOnly ? [] : this.state.liveVersionRecords(bucketName);
    const record: WorkRequestRecord = {
      id: randomOcid("objectstorageworkrequest"),
      operationType: "REENCRYPT",
      status: "ACCEPTED",
      compartmentId: bucket.compartmentId,
      namespace: this.state.namespace,
      bucketName,
      bucketId: bucket.id,
      bucketKeyOnly: o.bucketKeyOnly === true,
      timeAccepted: now(),
      total: queue.length,
      processed: 0,
      rewrapped: 0,
      skipped: { sseC: 0, otherKey: 0, gone: 0, archived: 0, retained: 0, keyUnusable: 0 },
      errors: [],
      logs: [{ message: `Accepted: re-encrypt ${queue.length} object versions of bucket ${bucketName}`, timestamp: now() }],
    };
    this.records.set(record.id, record);
    this.running.set(record.id, { record, queue, next: 0 });
    this.ensureTimer();
    return record;
  }

  get(id: string): WorkRequestRecord {
    const r = this.records.get(id);
    if (!r) throw notFound("NotAuthorizedOrNotFound", `Work request ${id} does not exist or you are not authorized to access it`);
    return r;
  }

  /** CancelWorkRequest. Emulator choice: an unfinished work request is CANCELED at once (versions already re-wrapped stay so); a finished one is 409. */
  cancel(id: string): WorkRequestRecord {
    const r = this.get(id);
    if (!ACTIVE.has(r.status)) throw new ApiError(409, "Conflict", `Work request ${id} has already finished (${r.status})`);
    this.finish(r, "CANCELED", "Canceled by CancelWorkRequest");
    return r;
  }

  /** Resolves once no work request is ACCEPTED or IN_PROGRESS (a paused rate never resolves). */
  idle(): Promise<void> {
    if (this.running.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /** Stops the background timer (emulator close). Running work requests stay where they are. */
  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  private ensureTimer(): void {
    if (this.timer) return;
    this.lastTick = Date.now();
    this.budget = 0;
    this.timer = setInterval(() => this.tick(), TICK_MS);
    this.timer.unref();
  }

  private tick(): void {
    const t = Date.now();
    const elapsed = t - this.lastTick;
    this.lastTick = t;
    this.budget = this.rate === Infinity ? Infinity : Math.min(this.budget + (this.rate * elapsed) / 1000, Math.max(this.rate, 1));
    for (const run of [...this.running.values()]) {
      const r = run.record;
      if (r.status === "ACCEPTED") {
        // Accepted on one tick, started on the next: a caller can see both states.
        r.status = "IN_PROGRESS";
        r.timeStarted = now();
        r.logs.push({ message: "Started", timestamp: r.timeStarted });
        continue;
      }
      while (run.next < run.queue.length && this.budget >= 1) {
        const v = run.queue[run.next] as ObjectVersion;
        const failure = this.step(r, v);
        if (failure) {
          this.finish(r, "FAILED", failure.message, failure);
          break;
        }
        run.next++;
        r.processed++;
        if (this.budget !== Infinity) this.budget--;
      }
      if (r.status === "IN_PROGRESS" && run.next >= run.queue.length) {
        this.finish(r, "COMPLETED", `Completed: ${r.rewrapped} re-encrypted, ${r.processed - r.rewrapped} left unchanged`);
      }
    }
    if (this.running.size === 0) this.stop();
  }

  /** One version; returns an error that fails the whole work request (the bucket's key became unusable). */
  private step(r: WorkRequestRecord, v: ObjectVersion): ApiError | undefined {
    if (!this.state.versionsOf(v.bucket, v.name).includes(v)) {
      r.skipped.gone++;
      return undefined;
    }
    const bucket = this.state.bucket(r.bucketName);
    const kmsKeyId = bucket?.kmsKeyId;
    if (kmsKeyId === undefined) return refuse(NO_BUCKET_KMS_KEY, `The bucket '${r.bucketName}' no longer has a kmsKeyId`);
    let keyVersionId: string;
    try {
      keyVersionId = this.state.usableKey(kmsKeyId).currentKeyVersion;
    } catch (error) {
      if (error instanceof ApiError) return error;
      throw error;
    }
    const w = v.wrapping;
    if (w.kind === "sse-c") {
      r.skipped.sseC++;
      return undefined;
    }
    if ((w.kind === "oracle" || w.kmsKeyId !== kmsKeyId) && this.policy === "leave") {
      r.skipped.otherKey++;
      return undefined;
    }
    // Emulator choices (UNCONFIRMED): what ReencryptObject refuses, a work request leaves and counts.
    const archival = archivalStateOf(v);
    if (archival !== undefined && archival !== "Restored") {
      r.skipped.archived++;
      return undefined;
    }
    if (this.state.retentionRules.activeFor(v.bucket, v)) {
      r.skipped.retained++;
      return undefined;
    }
    if (!this.canUnwrap(v)) {
      r.skipped.keyUnusable++;
      return undefined;
    }
    this.state.rewrap(v, { kind: "kms", kmsKeyId, keyVersionId });
    r.rewrapped++;
    return undefined;
  }

  private canUnwrap(v: ObjectVersion): boolean {
    try {
      this.state.requireUnwrappable(v);
      return true;
    } catch (error) {
      if (error instanceof ApiError) return false;
      throw error;
    }
  }

  private finish(r: WorkRequestRecord, status: WorkRequestStatus, message: string, error?: ApiError): void {
    r.status = status;
    r.timeFinished = now();
    r.timeStarted ??= r.timeFinished;
    if (error) r.errors.push({ code: error.code, message: error.message, timestamp: r.timeFinished });
    r.logs.push({ message, timestamp: r.timeFinished });
    this.running.delete(r.id);
    if (this.running.size === 0) {
      const waiters = this.waiters.splice(0);
      for (const w of waiters) w();
    }
  }
}

/** Percent of the work request's versions processed; 100 once COMPLETED. */
export function percentComplete(r: WorkRequestRecord): number {
  if (r.status === "COMPLETED") return 100;
  if (r.total === 0) return 0;
  return Math.floor((r.processed * 100) / r.total);
}
