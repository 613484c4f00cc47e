import type { KeyManagementRotationEventData } from "../contract/events.js";
import type { JobResponse } from "../contract/response.js";
import { isValidBucketName } from "../contract/names.js";
import { newJobId } from "../jobs/from-request.js";
import { discoverBuckets, locateKey, rotationTarget } from "../jobs/from-key-rotation.js";
import { openJobStore } from "../jobs/open-job-store.js";
import { answerCoverage } from "../lifecycle/coverage.js";
import { configHazards, jobHazards, versionHazards, type Hazard, type Retirement } from "../lifecycle/hazards.js";
import { followBucket } from "../lifecycle/key-change.js";
import type { Logger } from "../log.js";
import { notifyHazards } from "../ops/notify.js";
import { zeroCounts } from "../model/job.js";
import { createRateLimiter } from "../oci/rate-limiter.js";
import type { Deadlines } from "../runtime/deadline.js";
import { namespaceOf } from "../runtime/namespace.js";
import type { Runtime } from "../runtime/runtime.js";

const answer = (status: JobResponse["status"], message: string, jobId = newJobId()): JobResponse => ({ jobId, status, counts: zeroCounts(), failures: [], message });

/** com.oraclecloud.objectstorage.updatebucket: the bucket as it is now, against the inventory. */
export async function bucketUpdated(data: Record<string, unknown>, rt: Runtime, dl: Deadlines, log: Logger): Promise<JobResponse> {
  const details = (typeof data["additionalDetails"] === "object" && data["additionalDetails"] !== null ? data["additionalDetails"] : {}) as Record<string, unknown>;
  const bucket = typeof details["bucketName"] === "string" ? details["bucketName"] : typeof data["resourceName"] === "string" ? data["resourceName"] : "";
  if (!isValidBucketName(bucket)) return answer("ignored", "the event names no valid bucket (additionalDetails.bucketName or resourceName)");
  const jobs = await openJobStore(rt, dl, log);
  if (!jobs) return answer("ignored", "no state bucket (REENCRYPT_STATE_BUCKET): there is no inventory to compare the bucket's key with");
  const namespace = typeof details["namespace"] === "string" && /^[A-Za-z0-9_-]{1,128}$/.test(details["namespace"]) ? details["namespace"] : await namespaceOf(rt, dl.hardStopAt);
  const store = rt.objectStore({ notAfter: () => dl.hardStopAt, limiter: createRateLimiter(rt.config.maxRps) });
  // The payload's fields are not trusted for the key (whether it carries kmsKeyId is UNCONFIRMED): GetBucket says.
  const b = await store.getBucket(namespace, bucket);
  const f = await followBucket(b, jobs, rt, dl, log);
  if (f.kind === "first-seen") return answer("skipped", `bucket ${namespace}/${bucket} was first seen: recorded in the inventory, nothing to re-encrypt`);
  if (f.kind === "unchanged") return answer("skipped", `bucket ${namespace}/${bucket} is on the key the inventory has: nothing to re-encrypt`);
  if (f.response) return f.response;
  return answer("skipped", `bucket ${namespace}/${bucket} moved to ${f.to ?? "an Oracle-managed key"}, and nothing is re-encrypted: ${f.why ?? ""}`);
}

// A type, not an interface: answers are plain records (Answer's body).
export type HazardAnswer = {
  status: "hazard" | "clear";
  keyId: string;
  keyVersionId?: string;
  retirement: Retirement;
  hazards: Hazard[];
  message: string;
  /** A message went to REENCRYPT_NOTIFY_TOPIC. */
  notified?: boolean;
};

const verb: Record<Retirement, string> = { disable: "disabled", delete: "scheduled for deletion", "delete-version": "scheduled for deletion (a key version)" };

/**
 * disablekey / schedulekeydeletion / schedulekeyversiondeletion: what still depends on the key or
 * key version (contract §12). It never changes the key; with hazards it notifies.
 */
export async function keyRetiring(kind: Retirement, data: KeyManagementRotationEventData, rt: Runtime, dl: Deadlines, log: Logger): Promise<HazardAnswer> {
  const target = rotationTarget(data);
  const keyId = target.keyId;
  const keyVersionId = kind === "delete-version" ? (data.resourceId.startsWith("ocid1.keyversion.") ? data.resourceId : target.keyVersionId) : undefined;
  if (!keyId || (kind === "delete-version" && !keyVersionId)) {
    return { status: "clear", keyId: keyId ?? "", retirement: kind, hazards: [], message: "the event names no key (or no key version): nothing could be checked" };
  }
  const budget = { notAfter: () => dl.hardStopAt, limiter: createRateLimiter(rt.config.maxRps) };
  const store = rt.objectStore(budget);
  const namespace = await namespaceOf(rt, dl.hardStopAt);
  const compartments = rt.config.compartmentIds ?? (rt.compartmentId ? [rt.compartmentId] : []);
  const buckets = await discoverBuckets(store, namespace, compartments);
  const hazards = configHazards(keyId, kind, buckets, rt.config.rules);
  const jobs = await openJobStore(rt, dl, log);
  if (jobs) hazards.push(...(await jobHazards(keyId, jobs, log)));
  if (kind === "delete-version" && keyVersionId) {
    const kms = rt.keyManagement(budget);
    const found = await locateKey(kms, keyId, target.vaultId, [...new Set([...(data.compartmentId ? [data.compartmentId] : []), ...compartments])]);
    if (found && jobs) {
      const versions = await kms.listKeyVersions(found.vault.managementEndpoint, keyId);
      hazards.push(...versionHazards(keyVersionId, await answerCoverage(found.key, versions, rt.config.rules, jobs)));
    } else {
      hazards.push({ kind: "version-possibly-in-use", keyVersionId, fix: jobs ? `key ${keyId} was not found in the vaults of ${compartments.join(", ")}: coverage cannot be read; check it before deleting the version` : "no state bucket: this function keeps no record of what it covered, so it cannot tell whether objects still use this version" });
    }
  }
  const what = `key ${keyId}${keyVersionId ? ` version ${keyVersionId}` : ""} is being ${verb[kind]}`;
  const result: HazardAnswer = {
    status: hazards.length > 0 ? "hazard" : "clear",
    keyId,
    ...(keyVersionId ? { keyVersionId } : {}),
    retirement: kind,
    hazards,
    message: hazards.length > 0 ? `${what}, and ${hazards.length} thing${hazards.length === 1 ? "" : "s"} still depend on it: see each hazard's fix` : `${what}; nothing this function knows of depends on it`,
  };
  (hazards.length > 0 ? log.warn : log.info).call(log, "key retirement checked", { keyId, keyVersionId, retirement: kind, hazards: hazards.length });
  if (hazards.length > 0) {
    const notified = await notifyHazards(
      rt,
      dl,
      log,
      hazards.map((h) => ({ kind: h.kind, fix: h.fix, keyId: h.keyVersionId ?? keyId, ...(h.bucket ? { bucket: h.namespace ? `${h.namespace}/${h.bucket}` : h.bucket } : {}), ...(h.rule !== undefined ? { rule: h.rule } : {}), ...(h.jobId ? { jobId: h.jobId } : {}) })),
    );
    return { ...result, notified };
  }
  return result;
}
