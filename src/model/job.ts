// The one Job model every entrance produces and the one engine runs. A job is plain JSON: its
// spec travels in job records and (without a state bucket) in resume tokens, so it never holds
// key material, only where to find it again (a secret OCID) or how to recognise it (the
// keySha256 of an inline key).

export type JobKey =
  | { type: "bucket" }
  | { type: "kms"; kmsKeyId: string }
  | { type: "sse-c"; secretId: string }
  | { type: "sse-c"; keySha256: string };

export type JobSourceKey = { secretId: string } | { keySha256: string };

export type UnitScope =
  | { kind: "object"; object: string; versionId?: string }
  | {
      kind: "prefix";
      prefix: string;
      allVersions: boolean;
      /**
       * The name ranges under the prefix that are this unit's (sorted, disjoint): what other keys
       * govern is never listed. Absent: the whole prefix.
       */
      ranges?: NameRange[];
      /** Records written before ranges: names under these prefixes belong to an earlier rule. */
      exclude?: string[];
    };

/** Why a unit makes no call at all: its failure, known before anything was called (a read-only bucket). */
export interface BlockedUnit {
  status: number;
  code: string;
  message: string;
}

/** One scope in one bucket, re-encrypted with one key. */
export interface Unit {
  namespace: string;
  bucket: string;
  scope: UnitScope;
  key: JobKey;
  /** "bucket": one ReencryptBucket call instead of listing (whole bucket, bucket key only). */
  method?: "bucket";
  /**
   * The bucket's own key when the unit was planned (null: Oracle-managed). Set on bulk units: the
   * engine then checks every listed name against the rules and leaves alone what another key governs.
   */
  bucketKey?: string | null;
  blocked?: BlockedUnit;
}

export type JobOrigin = "request" | "object-event" | "rotation" | "key-change";

/** A scope a bulk job left alone because another key governs it (contract §11). */
export interface LeftAlone {
  namespace: string;
  bucket: string;
  prefix: string;
  governedBy: { rule: number; bucketGlob: string; rulePrefix: string; kmsKeyId: string } | { bucketKey: string | null };
}

/** A bucket a job did not touch at all, and why (a replication destination is read-only). */
export interface SkippedBucket {
  namespace: string;
  bucket: string;
  reason: "read-only";
}

/** What a job is: never changes once the job exists. */
export interface JobSpec {
  id: string;
  origin: JobOrigin;
  units: Unit[];
  sourceKey?: JobSourceKey;
  dryRun: boolean;
  leftAlone?: LeftAlone[];
  skippedBuckets?: SkippedBucket[];
  /** A rotation's key and the version Key Management confirmed current before the job started: what it re-wraps to. */
  keyVersion?: { keyId: string; versionId: string };
}

export interface Position {
  name: string;
  versionId?: string;
}

/** A version whose call started but whose outcome is unknown: it is done again. */
export interface RedoEntry extends Position {
  unit: number;
}

/** The run of identical non-retryable failures a unit's last calls ended with. */
export interface UnitStreak {
  unit: number;
  status: number;
  code: string;
  n: number;
}

/** A unit that stopped calling after REENCRYPT_STOP_AFTER_IDENTICAL_FAILURES identical failures. */
export interface UnitStop {
  unit: number;
  status: number;
  code: string;
  message: string;
  /** How many identical failures stopped it. */
  n: number;
}

/** A unit whose listing failed transiently (network, 429, 5xx) after its retries: tried again on resume, within a bound. */
export interface ListingFailure {
  unit: number;
  attempts: number;
  /** Epoch ms of the first failed attempt. */
  since: number;
}

/**
 * Where a shard stopped: everything up to `after` in unit `unit` (and every unit before it) was
 * started; of those, only `redo` may not have happened. `workRequestId` is the ReencryptBucket
 * work request of a bucket-method unit, polled until it ends. Streaks and stops carry the
 * fail-fast state of its units across invocations.
 */
export interface Cursor {
  unit: number;
  after?: Position;
  redo: RedoEntry[];
  workRequestId?: string;
  streaks?: UnitStreak[];
  stopped?: UnitStop[];
  listingFailure?: ListingFailure;
}

/** Names from `start` (inclusive) to `end` (exclusive), as ListObjects' start and end. */
export interface NameRange {
  start?: string;
  end?: string;
}

/** A share of a job one invocation at a time works on: units [from, to), optionally a name range of one unit. */
export interface ShardWork {
  id: number;
  units: [number, number];
  range?: NameRange;
  cursor: Cursor;
}

export interface Counts {
  matched: number;
  reencrypted: number;
  failed: number;
  skipped: number;
}

export const zeroCounts = (): Counts => ({ matched: 0, reencrypted: 0, failed: 0, skipped: 0 });

export const addCounts = (a: Counts, b: Counts): Counts => ({
  matched: a.matched + b.matched,
  reencrypted: a.reencrypted + b.reencrypted,
  failed: a.failed + b.failed,
  skipped: a.skipped + b.skipped,
});

export const startCursor = (unit = 0): Cursor => ({ unit, redo: [] });

/** The whole job as one shard: how request and object-event jobs start. */
export const wholeJob = (spec: JobSpec): ShardWork => ({ id: 0, units: [0, spec.units.length], cursor: startCursor() });
