// The OCI event types this function acts on. Terraform event rules are tested against these,
// so a type added here without a rule (or a rule without a handler) fails the build.

export const OBJECT_CREATED_EVENT = "com.oraclecloud.objectstorage.createobject";

export const KEY_VERSION_CREATED_EVENT = "com.oraclecloud.keymanagementservice.createkeyversion.end";
export const KEY_AUTO_ROTATED_EVENT = "com.oraclecloud.keymanagementservice.autokeyrotate.end";

export const KEY_ROTATION_EVENTS = [KEY_VERSION_CREATED_EVENT, KEY_AUTO_ROTATED_EVENT] as const;
export const OBJECT_EVENTS = [OBJECT_CREATED_EVENT] as const;

/** A bucket's settings changed (its key among them): compared with the inventory (contract §12). */
export const BUCKET_UPDATED_EVENT = "com.oraclecloud.objectstorage.updatebucket";
export const BUCKET_EVENTS = [BUCKET_UPDATED_EVENT] as const;

// A key or key version about to stop working (contract §12). The names come from a secondary
// table (UNCONFIRMED): both .begin and .end are handled, so either one reaching the function
// raises the hazards while the change can still be cancelled (a deletion waits 7 to 30 days).
const KMS = "com.oraclecloud.keymanagementservice";
export const KEY_RETIREMENT_EVENTS = {
  [`${KMS}.disablekey.begin`]: "disable",
  [`${KMS}.disablekey.end`]: "disable",
  [`${KMS}.schedulekeydeletion.begin`]: "delete",
  [`${KMS}.schedulekeydeletion.end`]: "delete",
  [`${KMS}.schedulekeyversiondeletion.begin`]: "delete-version",
  [`${KMS}.schedulekeyversiondeletion.end`]: "delete-version",
} as const satisfies Record<string, "disable" | "delete" | "delete-version">;
export const KEY_RETIREMENT_EVENT_TYPES = Object.keys(KEY_RETIREMENT_EVENTS) as (keyof typeof KEY_RETIREMENT_EVENTS)[];

export const HANDLED_EVENT_TYPES = [...OBJECT_EVENTS, ...KEY_ROTATION_EVENTS, ...BUCKET_EVENTS, ...KEY_RETIREMENT_EVENT_TYPES] as const;

export type HandledEventType = (typeof HANDLED_EVENT_TYPES)[number];
