import type { Counts, LeftAlone, SkippedBucket } from "../model/job.js";
import type { FailureRecord, ObjectRef } from "../model/failure.js";

export const JobStatus = {
  succeeded: "succeeded",
  partial: "partial",
  failed: "failed",
  dryRun: "dry-run",
  incomplete: "incomplete",
  continuing: "continuing",
  skipped: "skipped",
  ignored: "ignored",
} as const;
export type JobStatus = (typeof JobStatus)[keyof typeof JobStatus];

export interface JobResponse {
  jobId: string;
  status: JobStatus;
  counts: Counts;
  failures: FailureRecord[];
  objects?: ObjectRef[];
  resume?: string;
  report?: string;
  message?: string;
  /** Scopes a bulk job left alone because another key governs them (contract §11). */
  leftAlone?: LeftAlone[];
  /** Buckets a rotation did not touch (read-only replication destinations). */
  skippedBuckets?: SkippedBucket[];
  /** A retry's answer: the job whose failures it retries. */
  retryOf?: string;
}

const commonStatus = (failures: readonly FailureRecord[]): number => {
  const statuses = new Set(failures.map((f) => f.status));
  const only = statuses.size === 1 ? [...statuses][0] : undefined;
  return only !== undefined && only >= 400 && only < 600 ? only : 502;
};

/** The contract's status table (§3, with v2's dry-run rows). */
export function httpStatusFor(r: Pick<JobResponse, "status" | "failures" | "counts">): number {
  switch (r.status) {
    case "dry-run":
      // A dry run answers as the real run would: 207 when some targets failed, their status when all did.
      if (r.counts.failed === 0) return 200;
      return r.counts.matched > 0 ? 207 : commonStatus(r.failures);
    case "succeeded":
    case "skipped":
    case "ignored":
      return 200;
    case "incomplete":
    case "continuing":
      return 202;
    case "partial":
      return 207;
    case "failed":
      return commonStatus(r.failures);
  }
}
