import type { KeyRule } from "../contract/rules.js";
import { loadView, statusOf } from "../jobs/job-view.js";
import type { JobStore } from "../jobs/job-store.js";
import type { Logger } from "../log.js";
import type { Unit } from "../model/job.js";
import type { BucketInfo } from "../oci/object-store.js";
import type { CoverageAnswer } from "./coverage.js";

// A key or key version about to stop working (contract §12): what still depends on it, and the
// fix for each. The function never changes a key; it says what would be lost while the change
// can still be cancelled.

export type HazardKind = "bucket-on-key" | "rule-names-key" | "job-re-encrypts-to-key" | "version-possibly-in-use";

export interface Hazard {
  kind: HazardKind;
  namespace?: string;
  bucket?: string;
  rule?: number;
  jobId?: string;
  keyVersionId?: string;
  fix: string;
}

export type Retirement = "disable" | "delete" | "delete-version";

const what: Record<Retirement, string> = {
  disable: "disabling it makes every object it wraps unreadable",
  delete: "once deleted, every object it still wraps is lost for good",
  "delete-version": "once the version is deleted, every object it still wraps is lost for good",
};

/** The Vault key a unit re-encrypts to (its kmsKeyId, or the bucket's key when it uses the bucket key). */
const targetOf = (u: Unit): string | undefined => (u.key.type === "kms" ? u.key.kmsKeyId : u.key.type === "bucket" ? (u.bucketKey ?? undefined) : undefined);

/** Buckets on the key and rules naming it: they would wrap new objects with a key that no longer works. */
export function configHazards(keyId: string, kind: Retirement, buckets: readonly BucketInfo[], rules: readonly KeyRule[]): Hazard[] {
  if (kind === "delete-version") return [];
  const out: Hazard[] = [];
  for (const b of buckets.filter((x) => x.kmsKeyId === keyId)) {
    out.push({
      kind: "bucket-on-key",
      namespace: b.namespace,
      bucket: b.name,
      fix: `bucket ${b.namespace}/${b.name} uses this key (${what[kind]}): assign it another key (oci os bucket update --kms-key-id …); this function then re-encrypts its objects under the new key (a key-change job); cancel the ${kind === "disable" ? "disabling (enable the key)" : "deletion"} until that job has finished`,
    });
  }
  rules.forEach((r, i) => {
    if (r.kmsKeyId !== keyId) return;
    out.push({
      kind: "rule-names-key",
      rule: i,
      fix: `rule ${i} of REENCRYPT_RULES ({"bucket":"${r.bucket}","prefix":"${r.prefix}"}) puts objects under this key (${what[kind]}): point the rule at another key and re-encrypt its scope with a request naming that key, before the key stops working`,
    });
  });
  return out;
}

/** Jobs not finished that re-encrypt to the key: they would fail, or wrap objects with a key about to go. */
export async function jobHazards(keyId: string, jobs: JobStore, log: Logger, limit = 500): Promise<Hazard[]> {
  const ids = (await jobs.list()).slice(-limit);
  const out: Hazard[] = [];
  for (const id of ids) {
    try {
      const view = await loadView(jobs, id);
      if (!view) continue;
      const r = view.record;
      const status = statusOf(view, Date.now());
      if (status !== "running" && status !== "stalled" && status !== "incomplete") continue;
      if (!r.spec.units.some((u) => targetOf(u) === keyId)) continue;
      out.push({ kind: "job-re-encrypts-to-key", jobId: r.jobId, fix: `job ${r.jobId} (${r.origin}, ${status}) re-encrypts objects to this key: let it finish and move those scopes to another key first, or its work is lost with the key` });
    } catch (error) {
      log.warn("a job record could not be read while looking for hazards", { jobId: id, error: error instanceof Error ? error.message : String(error) });
    }
  }
  return out;
}

/** For a key version: every scope whose objects the function's records cannot show were re-wrapped past it. */
export function versionHazards(keyVersionId: string, coverage: CoverageAnswer): Hazard[] {
  const v = coverage.versions.find((x) => x.id === keyVersionId);
  if (!v) return [];
  if (v.current) {
    return [{ kind: "version-possibly-in-use", keyVersionId, fix: "this is the key's current version: every object written now is wrapped by it; rotate the key (a new version) and let the rotation job finish before deleting this one" }];
  }
  if (v.verdict !== "possible") return [];
  return (v.scopes ?? []).map((s) => ({
    kind: "version-possibly-in-use" as const,
    keyVersionId,
    ...(s.bucket ? { namespace: s.namespace, bucket: s.bucket } : {}),
    fix: `${s.bucket ? `bucket ${s.namespace}/${s.bucket}` : "this key"} may still hold object versions wrapped by ${keyVersionId} (${s.why}): re-encrypt it completely (a request over the whole bucket with every version), check coverage again, then delete the version`,
  }));
}
