/** One line of a job's report: one object version and what happened to it. */
export interface ReportLine {
  namespace: string;
  bucket: string;
  object: string;
  versionId?: string;
  outcome: "reencrypted" | "failed" | "skipped" | "matched";
  status?: number;
  code?: string;
}

export const reportObjectName = (jobId: string, seq: number): string =>
  seq === 0 ? `reports/${jobId}.jsonl` : `reports/${jobId}.${String(seq).padStart(4, "0")}.jsonl`;
