// Custom metrics (contract §13), in REENCRYPT_METRICS_NAMESPACE. Names and dimensions are part of
// the product's interface (alarms and dashboards are built on them: docs/operations.md): keep them
// stable. Dimensions are low in cardinality on purpose: origin, and status for job-level metrics;
// never an object name, a bucket or a job id.

import type { Counts, JobOrigin } from "../model/job.js";
import { MAX_STREAMS_PER_CALL, type MetricData } from "../oci/monitoring.js";

export const METRIC_NAMES = {
  /** Object versions re-encrypted since the last data point (per shard, at checkpoints and when a shard stops). */
  versionsReencrypted: "VersionsReencrypted",
  /** Object versions whose re-encryption failed. */
  versionsFailed: "VersionsFailed",
  /** Object versions left alone on purpose (already on the key, delete markers, SSE-C without its key…). */
  versionsSkipped: "VersionsSkipped",
  /** 429 answers from Object Storage (retried or not). */
  throttled429: "Throttled429",
  /** 1 per finished job. */
  jobsFinished: "JobsFinished",
  /** A finished job's wall time, first record to last shard. */
  jobDurationSeconds: "JobDurationSeconds",
  /** Stalled jobs a sweep found (0 included: the alarm then sees the sweep run). */
  jobsStalled: "JobsStalled",
} as const;

export const JOB_ORIGINS: readonly JobOrigin[] = ["request", "object-event", "rotation"];

export interface Target {
  namespace: string;
  compartmentId: string;
}

/** Versions and 429s since the last data point. */
export interface Progress {
  reencrypted: number;
  failed: number;
  skipped: number;
  throttled: number;
}

export const noProgress = (): Progress => ({ reencrypted: 0, failed: 0, skipped: 0, throttled: 0 });
export const progressOf = (c: Counts, throttled: number): Progress => ({ reencrypted: c.reencrypted, failed: c.failed, skipped: c.skipped, throttled });
export const minus = (a: Progress, b: Progress): Progress => ({
  reencrypted: a.reencrypted - b.reencrypted,
  failed: a.failed - b.failed,
  skipped: a.skipped - b.skipped,
  throttled: a.throttled - b.throttled,
});
export const isEmpty = (p: Progress): boolean => p.reencrypted <= 0 && p.failed <= 0 && p.skipped <= 0 && p.throttled <= 0;

const datum = (t: Target, name: string, dimensions: Record<string, string>, value: number, unit: string, at: string): MetricData => ({
  namespace: t.namespace,
  compartmentId: t.compartmentId,
  name,
  dimensions,
  metadata: { unit },
  datapoints: [{ timestamp: at, value }],
});

/** The non-zero version counts since the last data point: at most 4 streams. */
export function progressData(t: Target, origin: JobOrigin, p: Progress, at: string): MetricData[] {
  const dims = { origin };
  const out: MetricData[] = [];
  if (p.reencrypted > 0) out.push(datum(t, METRIC_NAMES.versionsReencrypted, dims, p.reencrypted, "count", at));
  if (p.failed > 0) out.push(datum(t, METRIC_NAMES.versionsFailed, dims, p.failed, "count", at));
  if (p.skipped > 0) out.push(datum(t, METRIC_NAMES.versionsSkipped, dims, p.skipped, "count", at));
  if (p.throttled > 0) out.push(datum(t, METRIC_NAMES.throttled429, dims, p.throttled, "count", at));
  return out;
}

/** A finished job: JobsFinished and, when known, JobDurationSeconds, by origin and status. */
export function jobEndData(t: Target, origin: JobOrigin, status: string, durationSeconds: number | null, at: string): MetricData[] {
  const dims = { origin, status };
  const out = [datum(t, METRIC_NAMES.jobsFinished, dims, 1, "count", at)];
  if (durationSeconds !== null) out.push(datum(t, METRIC_NAMES.jobDurationSeconds, dims, durationSeconds, "seconds", at));
  return out;
}

/** JobsStalled by origin, every origin (zeros too). */
export function stalledData(t: Target, stalled: readonly { origin: JobOrigin }[], at: string): MetricData[] {
  return JOB_ORIGINS.map((origin) => datum(t, METRIC_NAMES.jobsStalled, { origin }, stalled.filter((s) => s.origin === origin).length, "count", at));
}

/** Streams in calls of at most MAX_STREAMS_PER_CALL. */
export function batches(data: readonly MetricData[]): MetricData[][] {
  const out: MetricData[][] = [];
  for (let i = 0; i < data.length; i += MAX_STREAMS_PER_CALL) out.push(data.slice(i, i + MAX_STREAMS_PER_CALL));
  return out;
}
