import { createHash } from "node:crypto";
import { z } from "zod";
import { lazySchema } from "../contract/lazy-schema.js";
import type { Logger } from "../log.js";
import type { JobSpec, Unit } from "../model/job.js";
import type { FinishedJobRecords } from "./finish-shard.js";
import type { JobStore } from "./job-store.js";

// What each finished job covered (contract §12): for every bucket whose whole scope under a key
// the job re-wrapped, one small object per (key, bucket) keeps the newest job that did it
// completely and the newest that tried. "May I delete key version V?" is then a read of a few
// small objects, not a scan of reports.

export interface CoverageJob {
  jobId: string;
  origin: string;
  /** The key version Key Management confirmed current before the job started (rotations); otherwise derived from the start time when asked. */
  keyVersion?: string;
  startedAt: string;
  finishedAt: string;
  complete: boolean;
}

export interface CoverageEntry {
  keyId: string;
  namespace: string;
  bucket: string;
  /** The newest job that re-wrapped every version of the key's scope in the bucket, with no failure left. */
  complete?: CoverageJob;
  /** The newest job that covered it at all. */
  latest: CoverageJob;
}

const JobSchema = lazySchema(() => z.strictObject({ jobId: z.string(), origin: z.string(), keyVersion: z.string().optional(), startedAt: z.string(), finishedAt: z.string(), complete: z.boolean() }));
const EntrySchema = lazySchema(() => z.strictObject({ keyId: z.string(), namespace: z.string(), bucket: z.string(), complete: JobSchema.optional(), latest: JobSchema }));

const hash = (s: string): string => createHash("sha256").update(s).digest("hex").slice(0, 32);
export const coveragePrefix = (keyId: string): string => `coverage/${hash(keyId)}/`;
export const coverageName = (keyId: string, namespace: string, bucket: string): string => `${coveragePrefix(keyId)}${namespace}/${bucket}.json`;

/** The key a unit re-wraps its bucket's whole scope under, if it covers all of it (a planned prefix-"" unit over every version). */
export function coveredKey(unit: Unit): string | undefined {
  if (unit.scope.kind !== "prefix" || unit.scope.prefix !== "" || !unit.scope.allVersions || unit.bucketKey === undefined || unit.blocked) return undefined;
  if (unit.key.type === "kms") return unit.key.kmsKeyId;
  if (unit.key.type === "bucket") return unit.bucketKey ?? undefined;
  return undefined;
}

/** Units with no failure left: every shard that ran them ended without one, and none stopped. */
function completeUnits(job: FinishedJobRecords): Set<number> {
  const r = job.record;
  const bad = new Set<number>(Object.keys(r.stoppedUnits ?? {}).map(Number));
  for (const s of job.shards) {
    if (s.counts.failed === 0 && s.state === "done") continue;
    for (let u = s.units[0]; u < s.units[1]; u++) bad.add(u);
  }
  const out = new Set<number>();
  r.spec.units.forEach((_, u) => {
    if (!bad.has(u)) out.add(u);
  });
  return out;
}

export async function readCoverage(jobs: JobStore, keyId: string, namespace: string, bucket: string): Promise<{ entry: CoverageEntry; etag: string } | undefined> {
  const t = await jobs.readText(coverageName(keyId, namespace, bucket));
  if (!t) return undefined;
  try {
    const r = EntrySchema.safeParse(JSON.parse(t.text));
    return r.success ? { entry: r.data as CoverageEntry, etag: t.etag } : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Records a finished job's coverage. Written by the one invocation that set the job's final
 * status; conditional on the entry it read, so two jobs finishing at once both land. Never fails
 * the job: coverage is evidence, and a failed write is logged.
 */
export async function recordCoverage(jobs: JobStore, job: FinishedJobRecords | { spec: Omit<JobSpec, "id">; jobId: string; origin: string; createdAt: string; finishedAt?: string; allComplete: boolean }, log: Logger): Promise<void> {
  const r = "record" in job ? job.record : job;
  if (r.spec.dryRun) return;
  const complete = "record" in job ? completeUnits(job) : undefined;
  const finishedAt = r.finishedAt ?? new Date().toISOString();
  for (const [u, unit] of r.spec.units.entries()) {
    const keyId = coveredKey(unit);
    if (keyId === undefined) continue;
    const entryJob: CoverageJob = {
      jobId: r.jobId,
      origin: r.origin,
      ...(r.spec.keyVersion?.keyId === keyId ? { keyVersion: r.spec.keyVersion.versionId } : {}),
      startedAt: r.createdAt,
      finishedAt,
      complete: complete ? complete.has(u) : "allComplete" in job && job.allComplete,
    };
    try {
      for (let attempt = 0; attempt < 5; attempt++) {
        const current = await readCoverage(jobs, keyId, unit.namespace, unit.bucket);
        const newer = (a: CoverageJob | undefined): boolean => a === undefined || a.startedAt <= entryJob.startedAt;
        const entry: CoverageEntry = {
          keyId,
          namespace: unit.namespace,
          bucket: unit.bucket,
          ...(entryJob.complete && newer(current?.entry.complete) ? { complete: entryJob } : current?.entry.complete ? { complete: current.entry.complete } : {}),
          latest: newer(current?.entry.latest) ? entryJob : (current?.entry.latest as CoverageJob),
        };
        const text = JSON.stringify(entry);
        const w = await jobs.writeText(coverageName(keyId, unit.namespace, unit.bucket), text, current ? { ifMatch: current.etag } : { ifNoneMatch: true });
        if (w !== undefined) break;
      }
    } catch (error) {
      log.warn("the job's coverage could not be recorded", { jobId: r.jobId, bucket: unit.bucket, error: error instanceof Error ? error.message : String(error) });
    }
  }
}
