import type { Counts } from "../jobs/job.js";
import type { FailureRecord, ObjectRef } from "../engine/run-job.js";

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
}

/** The contract's status table (§3). */
export function httpStatusFor(r: Pick<JobResponse, "status" | "failures">): number {
  switch (r.status) {
    case "succeeded":
    case "dry-run":
    case "skipped":
    case "ignored":
      return 200;
    case "incomplete":
    case "continuing":
      return 202;
    case "partial":
      return 207;
    case "failed": {
      const statuses = new Set(r.failures.map((f) => f.status));
      const only = statuses.size === 1 ? [...statuses][0] : undefined;
      return only !== undefined && only >= 400 && only < 600 ? only : 502;
    }
  }
}

export function finalStatus(totals: Counts, o: { dryRun: boolean; remaining: boolean }): JobStatus {
  if (o.remaining) return "incomplete";
  if (o.dryRun) return "dry-run";
  if (totals.failed === 0) return "succeeded";
  return totals.reencrypted === 0 ? "failed" : "partial";
}
