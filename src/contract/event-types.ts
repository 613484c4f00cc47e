// The OCI event types this function acts on. Terraform event rules are tested against these,
// so a type added here without a rule (or a rule without a handler) fails the build.

export const OBJECT_CREATED_EVENT = "com.oraclecloud.objectstorage.createobject";

export const KEY_VERSION_CREATED_EVENT = "com.oraclecloud.keymanagementservice.createkeyversion.end";
export const KEY_AUTO_ROTATED_EVENT = "com.oraclecloud.keymanagementservice.autokeyrotate.end";

export const KEY_ROTATION_EVENTS = [KEY_VERSION_CREATED_EVENT, KEY_AUTO_ROTATED_EVENT] as const;
export const OBJECT_EVENTS = [OBJECT_CREATED_EVENT] as const;
export const HANDLED_EVENT_TYPES = [...OBJECT_EVENTS, ...KEY_ROTATION_EVENTS] as const;

export type HandledEventType = (typeof HANDLED_EVENT_TYPES)[number];
