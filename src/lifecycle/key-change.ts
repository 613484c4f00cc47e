import type { JobResponse } from "../contract/response.js";
import { matchesBucketGlob } from "../glob.js";
import { planFields, planKeyUnits } from "../jobs/from-key-rotation.js";
import { newJobId } from "../jobs/from-request.js";
import type { JobStore } from "../jobs/job-store.js";
import { startMarkedJob } from "../jobs/start-marked-job.js";
import type { Logger } from "../log.js";
import type { BucketInfo } from "../oci/object-store.js";
import type { Deadlines } from "../runtime/deadline.js";
import type { Runtime } from "../runtime/runtime.js";
import { sameNamespace } from "../same-namespace.js";
import { entryOf, inventoryName, keyHash, readInventory } from "./inventory.js";

export type Followed =
  | { kind: "first-seen" }
  | { kind: "unchanged" }
  | { kind: "changed"; from: string | null; to: string | null; jobId: string | undefined; response: JobResponse | undefined; why?: string };

const keyName = (k: string | null | undefined): string => k ?? "an Oracle-managed key";

/**
 * A bucket as GetBucket shows it now, against the inventory (contract §12). First seen: recorded,
 * nothing started. Its key changed: one key-change job re-encrypts every version with the new key
 * (minus the scopes rules give other keys), then the inventory records the new key. The job's
 * marker is named by the new key and the inventory entry it replaces, so a redelivered event or a
 * sweep racing it finds the same job, while a later move back to a key starts a job again.
 */
export async function followBucket(b: BucketInfo, jobs: JobStore, rt: Runtime, dl: Deadlines, log: Logger): Promise<Followed> {
  const name = inventoryName(b.namespace, b.name);
  const now = new Date();
  const recorded = await readInventory(jobs, b.namespace, b.name);
  const entry = entryOf(b, now);
  if (!recorded) {
    await jobs.writeText(name, JSON.stringify(entry), { ifNoneMatch: true });
    return { kind: "first-seen" };
  }
  const from = recorded.entry.kmsKeyId;
  const to = entry.kmsKeyId;
  if (from === to) {
    // Other fields changed (Bucket Key turned on, replication set up): recorded, nothing to re-encrypt.
    if (recorded.entry.isBucketKeyEnabled !== entry.isBucketKeyEnabled || recorded.entry.isReadOnly !== entry.isReadOnly) {
      await jobs.writeText(name, JSON.stringify({ ...entry, seenAt: recorded.entry.seenAt }), { ifMatch: recorded.etag });
    }
    return { kind: "unchanged" };
  }
  const started = await startKeyChange(b, from, recorded.etag, jobs, rt, dl, log);
  // Recorded only once its job exists: if this invocation dies first, the next sweep sees the same change and finds the same job.
  await jobs.writeText(name, JSON.stringify(entry), { ifMatch: recorded.etag });
  log.info("bucket key changed", { bucket: `${b.namespace}/${b.name}`, from, to, jobId: started.jobId, why: started.why });
  return { kind: "changed", from, to, ...started };
}

async function startKeyChange(b: BucketInfo, from: string | null, replaces: string, jobs: JobStore, rt: Runtime, dl: Deadlines, log: Logger): Promise<{ jobId: string | undefined; response: JobResponse | undefined; why?: string }> {
  const config = rt.config;
  const state = config.stateBucket;
  if (state && state.bucket === b.name && (state.namespace === undefined || sameNamespace(state.namespace, b.namespace))) return { jobId: undefined, response: undefined, why: "the state bucket is never re-encrypted" };
  if (config.allowedBuckets !== undefined && !config.allowedBuckets.some((g) => matchesBucketGlob(g, b.namespace, b.name))) {
    return { jobId: undefined, response: undefined, why: "outside REENCRYPT_ALLOWED_BUCKETS" };
  }
  if (b.isReadOnly) return { jobId: undefined, response: undefined, why: "a read-only bucket (replication destination) follows its source" };
  const plan = planKeyUnits([b], b.kmsKeyId, config.rules, false);
  if (plan.units.length === 0) return { jobId: undefined, response: undefined, why: "rules give every scope of the bucket to other keys" };
  const spec = { id: newJobId(), origin: "key-change" as const, units: plan.units, dryRun: false, ...planFields(plan) };
  const what = `the move of bucket ${b.namespace}/${b.name} from ${keyName(from)} to ${keyName(b.kmsKeyId)}`;
  const marker = {
    name: `key-changes/${b.namespace}/${b.name}/${keyHash(b.kmsKeyId)}-${keyHash(replaces).slice(0, 12)}.json`,
    what,
    extra: { bucket: b.name, namespace: b.namespace, from, to: b.kmsKeyId ?? null },
  };
  const response = await startMarkedJob({ spec, estimatedVersions: plan.estimatedVersions, message: what }, marker, jobs, rt, dl, log.child({ jobId: spec.id }));
  return { jobId: response.jobId, response };
}
