import { ApiError } from "./api-error.js";

/**
 * The status and code of each refusal whose real OCI answer no source settled (see the table in
 * README.md, "UNCONFIRMED choices"). One constant each, so a
 * choice is changed in one place; tests assert against these, never against literals.
 */
export interface Refusal {
  readonly status: number;
  readonly code: string;
}

/** A state-changing call on a replication destination (`isReadOnly`). UNCONFIRMED. */
export const READ_ONLY_BUCKET: Refusal = { status: 403, code: "BucketReadOnly" };

/** ReencryptObject, DeleteObject or an overwrite of a version an active retention rule protects. UNCONFIRMED. */
export const RETENTION_RULE_ACTIVE: Refusal = { status: 409, code: "RetentionRuleViolation" };

/** DeleteRetentionRule on a rule past its `timeRuleLocked`. UNCONFIRMED. */
export const RETENTION_RULE_LOCKED: Refusal = { status: 409, code: "RetentionRuleLocked" };

/** GetObject, ReencryptObject or UpdateObjectStorageTier on an Archive object that is not Restored. UNCONFIRMED. */
export const ARCHIVED_NOT_RESTORED: Refusal = { status: 409, code: "NotRestored" };

/**
 * A Vault key (or key version) Object Storage cannot use: unknown, or not ENABLED. For a write it
 * is the key named or the bucket's; for ReencryptObject and GetObject also the key version that
 * wraps the object now (it must unwrap the data key). UNCONFIRMED.
 */
export const KEY_NOT_USABLE: Refusal = { status: 400, code: "InvalidParameter" };

/** ReencryptBucket on a bucket without a `kmsKeyId` ("the call will fail", says the API reference). Code UNCONFIRMED. */
export const NO_BUCKET_KMS_KEY: Refusal = { status: 400, code: "InvalidParameter" };

/** A Key Management lifecycle action the key's or version's current state does not allow (as CreateKeyVersion on a disabled key). */
export const KEY_INCORRECT_STATE: Refusal = { status: 409, code: "IncorrectState" };

/** ScheduleKeyVersionDeletion of the key's current version. UNCONFIRMED (both that it is refused and how). */
export const CURRENT_KEY_VERSION: Refusal = { status: 400, code: "InvalidParameter" };

/** RestoreObjects on an object that is not in the Archive tier. UNCONFIRMED. */
export const NOT_ARCHIVED: Refusal = { status: 400, code: "InvalidParameter" };

export function refuse(refusal: Refusal, message: string): ApiError {
  return new ApiError(refusal.status, refusal.code, message);
}
