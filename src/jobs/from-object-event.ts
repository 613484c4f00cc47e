import type { Config } from "../config.js";
import type { ObjectStorageObjectEventData } from "../contract/events.js";
import { findRule } from "../contract/rules.js";
import { matchesBucketGlob } from "../glob.js";
import { newJobId } from "./from-request.js";
import { zeroCounts, type Job } from "./job.js";

export type ObjectEventDecision = { job: Job } | { skip: string };

/** createobject + REENCRYPT_RULES: the first matching rule's key, or nothing to do. */
export function jobFromObjectEvent(data: ObjectStorageObjectEventData, config: Config): ObjectEventDecision {
  const namespace = data.additionalDetails.namespace;
  const bucket = data.additionalDetails.bucketName;
  // The object name comes from resourceName as sent; whether OCI %-encodes it there is UNCONFIRMED.
  const object = data.resourceName;
  const state = config.stateBucket;
  if (state && state.bucket === bucket && (state.namespace ?? namespace) === namespace) {
    return { skip: "the object is in the state bucket, which events never re-encrypt" };
  }
  if (config.allowedBuckets !== undefined && !config.allowedBuckets.some((g) => matchesBucketGlob(g, namespace, bucket))) {
    return { skip: `bucket ${namespace}/${bucket} is outside REENCRYPT_ALLOWED_BUCKETS` };
  }
  const rule = findRule(config.rules, namespace, bucket, object);
  if (!rule) return { skip: `no rule in REENCRYPT_RULES matches ${bucket}/${object}` };
  const versionId = data.additionalDetails.versionId;
  return {
    job: {
      id: newJobId(),
      origin: "object-event",
      units: [{ namespace, bucket, scope: { kind: "object", object, ...(versionId ? { versionId } : {}) }, key: { type: "kms", kmsKeyId: rule.kmsKeyId } }],
      dryRun: false,
      cursor: { unit: 0, redo: [] },
      totals: zeroCounts(),
      seq: 0,
    },
  };
}
