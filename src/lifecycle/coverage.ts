import { rulesInBucket } from "../keys/governing-key.js";
import { readCoverage, type CoverageJob } from "../jobs/coverage-record.js";
import type { JobStore } from "../jobs/job-store.js";
import type { KeyInfo, KeyVersionInfo } from "../oci/key-management.js";
import type { KeyRule } from "../contract/rules.js";
import { listInventory } from "./inventory.js";

/** A key version is taken as current for a job started this long after it was created (rotations say exactly). */
export const VERSION_SETTLE_MS = 10 * 60_000;

export interface CoverageScope {
  namespace: string;
  bucket: string;
  /** Why the key governs something there: the bucket's own key, or rules (by index). */
  via: { bucketKey: true } | { rules: number[] };
  /** The newest job that re-wrapped it completely, and the key version it re-wrapped to. */
  covered: (Omit<CoverageJob, "keyVersion"> & { keyVersion: string | undefined }) | null;
  /** The newest job that tried, when it left failures. */
  latestIncomplete?: CoverageJob;
}

export interface VersionVerdict {
  id: string;
  timeCreated: string;
  lifecycleState: string;
  current?: true;
  /** Older versions: "none known" when every scope was fully re-wrapped after it stopped being current. */
  verdict?: "none known" | "possible";
  /** The scopes that make it possible. */
  scopes?: { namespace: string; bucket: string; why: string }[];
}

export interface CoverageAnswer {
  keyId: string;
  currentKeyVersion: string;
  builtFrom: string;
  scopes: CoverageScope[];
  versions: VersionVerdict[];
}

/** The version a job re-wrapped to: what the rotation confirmed, else the newest created well before it started. */
function versionOf(job: CoverageJob, versions: readonly KeyVersionInfo[]): string | undefined {
  if (job.keyVersion) return job.keyVersion;
  const started = Date.parse(job.startedAt);
  const settled = versions.filter((v) => Date.parse(v.timeCreated) + VERSION_SETTLE_MS <= started);
  return settled[settled.length - 1]?.id;
}

/**
 * "May I delete key version V?" from the function's own records only (contract §12): the scopes
 * of the key (buckets on it and rule scopes, from the bucket inventory and the rules), the newest
 * job that covered each completely, and per older version whether any scope may still hold
 * versions it wraps.
 */
export async function answerCoverage(key: KeyInfo, versions: readonly KeyVersionInfo[], rules: readonly KeyRule[], jobs: JobStore): Promise<CoverageAnswer> {
  const inventory = await listInventory(jobs);
  const scopes: CoverageScope[] = [];
  for (const b of inventory) {
    const bucket = { namespace: b.namespace, name: b.bucket, kmsKeyId: b.entry.kmsKeyId ?? undefined };
    const ruleIdx = rulesInBucket(rules, bucket).filter(({ rule }) => rule.kmsKeyId === key.id).map(({ index }) => index);
    const onKey = b.entry.kmsKeyId === key.id;
    if (!onKey && ruleIdx.length === 0) continue;
    const c = (await readCoverage(jobs, key.id, b.namespace, b.bucket))?.entry;
    const covered = c?.complete ? { ...c.complete, keyVersion: versionOf(c.complete, versions) } : null;
    scopes.push({
      namespace: b.namespace,
      bucket: b.bucket,
      via: onKey ? { bucketKey: true } : { rules: ruleIdx },
      covered,
      ...(c && !c.latest.complete ? { latestIncomplete: c.latest } : {}),
    });
  }
  const byId = new Map(versions.map((v, i) => [v.id, i]));
  const verdicts: VersionVerdict[] = versions.map((v, i) => {
    const base = { id: v.id, timeCreated: v.timeCreated, lifecycleState: v.lifecycleState };
    if (v.id === key.currentKeyVersion) return { ...base, current: true as const };
    // The version stopped being current when the next one was created (a newer version may have come later still).
    const next = versions[i + 1];
    if (!next) return { ...base, verdict: "possible" as const, scopes: [{ namespace: "", bucket: "", why: "no newer version is known" }] };
    const stopped = Date.parse(next.timeCreated);
    const open = scopes.flatMap((s) => {
      if (!s.covered) return [{ namespace: s.namespace, bucket: s.bucket, why: s.latestIncomplete ? `job ${s.latestIncomplete.jobId} left failures and no job covered it completely` : "no job of this function has covered it completely" }];
      const reWrappedTo = s.covered.keyVersion === undefined ? undefined : byId.get(s.covered.keyVersion);
      const after = Date.parse(s.covered.startedAt) >= stopped && (reWrappedTo === undefined || reWrappedTo > i);
      return after ? [] : [{ namespace: s.namespace, bucket: s.bucket, why: `its newest complete job ${s.covered.jobId} started ${s.covered.startedAt}, before this version stopped being current` }];
    });
    return open.length === 0 ? { ...base, verdict: "none known" as const } : { ...base, verdict: "possible" as const, scopes: open };
  });
  return {
    keyId: key.id,
    currentKeyVersion: key.currentKeyVersion,
    builtFrom:
      "this function's own records only: its bucket inventory (the sweep), REENCRYPT_RULES, and what each of its finished jobs covered. Objects re-keyed or written outside its jobs, and buckets outside REENCRYPT_COMPARTMENT_IDS, are not known to it.",
    scopes,
    versions: verdicts,
  };
}
