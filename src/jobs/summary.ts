import type { FinishedJobRecords } from "./finish-shard.js";
import { withStopFailures } from "./unit-stop-record.js";
import type { JobStore } from "./job-store.js";

export const summaryName = (jobId: string): string => `reports/${jobId}.summary.json`;

/** One object per finished job (contract §8): its outcome and where every report part is. */
export async function writeSummary(jobs: JobStore, job: FinishedJobRecords): Promise<string> {
  const r = job.record;
  const name = summaryName(r.jobId);
  const started = Date.parse(r.createdAt);
  const finished = Date.parse(r.finishedAt ?? r.updatedAt);
  const body = {
    jobId: r.jobId,
    origin: r.origin,
    status: r.status,
    counts: r.counts,
    createdAt: r.createdAt,
    finishedAt: r.finishedAt,
    durationSeconds: Number.isFinite(finished - started) ? Math.round((finished - started) / 100) / 10 : undefined,
    invocations: r.invocations,
    shards: job.shards.length,
    failures: withStopFailures(r.spec, r.stoppedUnits, r.failures),
    ...(r.spec.leftAlone?.length ? { leftAlone: r.spec.leftAlone } : {}),
    ...(r.spec.skippedBuckets?.length ? { skippedBuckets: r.spec.skippedBuckets } : {}),
    parts: r.reports,
  };
  await jobs.writeText(name, JSON.stringify(body, null, 2));
  return `/n/${jobs.namespace}/b/${jobs.bucket}/o/${name}`;
}
