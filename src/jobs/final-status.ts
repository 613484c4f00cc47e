import type { JobStatus } from "../contract/response.js";
import type { Counts } from "../model/job.js";

export function finalStatus(totals: Counts, o: { dryRun: boolean; remaining: boolean }): JobStatus {
  if (o.remaining) return "incomplete";
  if (o.dryRun) return "dry-run";
  if (totals.failed === 0) return "succeeded";
  return totals.reencrypted === 0 ? "failed" : "partial";
}
