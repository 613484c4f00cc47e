import type { Config } from "../config.js";
import type { ObjectStorageObjectEventData } from "../contract/events.js";
import { isValidBucketName, isValidObjectName } from "../contract/names.js";
import { findRule } from "../contract/rules.js";
import { matchesBucketGlob } from "../glob.js";
import { sameNamespace } from "../same-namespace.js";
import { newJobId } from "./from-request.js";
import type { JobSpec } from "../model/job.js";

export type ObjectEventDecision = { spec: JobSpec } | { skip: string } | { ignore: string };

/** createobject + REENCRYPT_RULES: the first matching rule's key, or nothing to do. */
export function jobFromObjectEvent(data: ObjectStorageObjectEventData, config: Config): ObjectEventDecision {
  const namespace = data.additionalDetails.namespace;
  const bucket = data.additionalDetails.bucketName;
  // The object name comes from resourceName as sent; whether OCI %-encodes it there is UNCONFIRMED.
  const object = data.resourceName;
  const versionId = data.additionalDetails.versionId;
  // Names are validated as a request's are (contract §10): an event naming what OCI could not hold is not acted on.
  if (!isValidBucketName(bucket) || !/^[A-Za-z0-9_-]{1,128}$/.test(namespace) || !isValidObjectName(object) || (versionId !== undefined && !isValidObjectName(versionId))) {
    return { ignore: "the event names a bucket, object or version that is not a valid Object Storage name" };
  }
  const state = config.stateBucket;
  if (state && state.bucket === bucket && sameNamespace(state.namespace ?? namespace, namespace)) {
    return { skip: "the object is in the state bucket, which events never re-encrypt" };
  }
  if (config.allowedBuckets !== undefined && !config.allowedBuckets.some((g) => matchesBucketGlob(g, namespace, bucket))) {
    return { skip: `bucket ${namespace}/${bucket} is outside REENCRYPT_ALLOWED_BUCKETS` };
  }
  const rule = findRule(config.rules, namespace, bucket, object);
  if (!rule) return { skip: `no rule in REENCRYPT_RULES matches ${bucket}/${object}` };
  return {
    spec: {
      id: newJobId(),
      origin: "object-event",
      units: [{ namespace, bucket, scope: { kind: "object", object, ...(versionId ? { versionId } : {}) }, key: { type: "kms", kmsKeyId: rule.kmsKeyId } }],
      dryRun: false,
    },
  };
}
