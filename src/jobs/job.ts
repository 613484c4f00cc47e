// The one Job model every entrance produces and the one engine runs. A Job is plain JSON: it
// travels inside resume tokens, so it never holds key material, only where to find it again
// (a secret OCID) or how to recognise it (the keySha256 of an inline key).

export type JobKey =
  | { type: "bucket" }
  | { type: "kms"; kmsKeyId: string }
  | { type: "sse-c"; secretId: string }
  | { type: "sse-c"; keySha256: string };

export type JobSourceKey = { secretId: string } | { keySha256: string };

export type UnitScope =
  | { kind: "object"; object: string; versionId?: string }
  | { kind: "prefix"; prefix: string; allVersions: boolean; exclude?: string[] };

/** One scope in one bucket, re-encrypted with one key. */
export interface Unit {
  namespace: string;
  bucket: string;
  scope: UnitScope;
  key: JobKey;
}

export interface Position {
  name: string;
  versionId?: string;
}

/** Where a job stopped: everything before `after` in unit `unit` is done, `redo` had unknown outcomes. */
export interface Cursor {
  unit: number;
  after?: Position;
  redo: Position[];
}

export interface Counts {
  matched: number;
  reencrypted: number;
  failed: number;
  skipped: number;
}

export type JobOrigin = "request" | "object-event" | "rotation";

export interface Job {
  id: string;
  origin: JobOrigin;
  units: Unit[];
  sourceKey?: JobSourceKey;
  dryRun: boolean;
  cursor: Cursor;
  /** Totals of the invocations before this one. */
  totals: Counts;
  /** How many invocations ran before this one. */
  seq: number;
}

export const zeroCounts = (): Counts => ({ matched: 0, reencrypted: 0, failed: 0, skipped: 0 });

export const addCounts = (a: Counts, b: Counts): Counts => ({
  matched: a.matched + b.matched,
  reencrypted: a.reencrypted + b.reencrypted,
  failed: a.failed + b.failed,
  skipped: a.skipped + b.skipped,
});
