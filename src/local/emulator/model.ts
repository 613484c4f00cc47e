// The emulator's ground-truth records. Times are ISO strings so a snapshot is plain JSON.

/** How an object version's data-encryption key is wrapped: the thing re-encryption changes. */
export type Wrapping =
  | { kind: "oracle" }
  | { kind: "kms"; kmsKeyId: string; keyVersionId: string }
  | { kind: "sse-c"; keySha256: string };

export type Versioning = "Enabled" | "Disabled" | "Suspended";

/**
 * A key's lifecycle states as the KMS SDK names them. ENABLED, DISABLED, PENDING_DELETION and
 * DELETED are where a key rests; the -ING states are what a client sees while a lifecycle action
 * runs (only with `state.setKeyTransitionDelay(ms > 0)`; by default actions complete at once).
 */
export type KeyState =
  | "ENABLED"
  | "DISABLED"
  | "PENDING_DELETION"
  | "DELETED"
  | "ENABLING"
  | "DISABLING"
  | "SCHEDULING_DELETION"
  | "CANCELLING_DELETION";

/** A key version's lifecycle states (OCI has no per-version disable). */
export type KeyVersionState = "ENABLED" | "PENDING_DELETION" | "DELETED" | "SCHEDULING_DELETION" | "CANCELLING_DELETION";

/** A bucket's tier is fixed at creation; an object's tier can also be InfrequentAccess. */
export type BucketStorageTier = "Standard" | "Archive";
export type StorageTier = "Standard" | "InfrequentAccess" | "Archive";
/** Only Archive-tier objects have one. */
export type ArchivalState = "Archived" | "Restoring" | "Restored";

export interface Vault {
  id: string;
  compartmentId: string;
  displayName: string;
  /** Path segment that makes this vault's management endpoint distinct on the shared server. */
  shortId: string;
  managementEndpoint: string;
  cryptoEndpoint: string;
  lifecycleState: "ACTIVE";
  vaultType: "DEFAULT";
  wrappingkeyId: string;
  timeCreated: string;
}

export interface KeyVersion {
  id: string;
  keyId: string;
  vaultId: string;
  compartmentId: string;
  lifecycleState: KeyVersionState;
  origin: "INTERNAL";
  isAutoRotated: boolean;
  timeCreated: string;
  /** Set while PENDING_DELETION (and once DELETED). */
  timeOfDeletion?: string;
}

export interface AutoKeyRotationDetails {
  rotationIntervalInDays?: number;
  timeOfLastRotation?: string;
  lastRotationStatus?: "SUCCESS" | "FAILED" | "IN_PROGRESS";
  lastRotationMessage?: string;
}

export interface Key {
  id: string;
  vaultId: string;
  compartmentId: string;
  displayName: string;
  lifecycleState: KeyState;
  currentKeyVersion: string;
  /** Oldest first; the last one is current. */
  versions: KeyVersion[];
  isAutoRotationEnabled: boolean;
  autoKeyRotationDetails?: AutoKeyRotationDetails;
  timeCreated: string;
  /** Set while PENDING_DELETION (and once DELETED). */
  timeOfDeletion?: string;
}

export interface Bucket {
  id: string;
  namespace: string;
  name: string;
  compartmentId: string;
  kmsKeyId?: string;
  versioning: Versioning;
  objectEventsEnabled: boolean;
  /** Immutable after creation: every object written to an Archive bucket is Archive. */
  storageTier: BucketStorageTier;
  /** SSE-KMS Bucket Key: stored and reported; the emulator models no intermediate keys. */
  isBucketKeyEnabled: boolean;
  /** A replication source (`state.setReplication(this, destination)`). */
  replicationEnabled: boolean;
  /** A replication destination: every state-changing call is refused. */
  isReadOnly: boolean;
  etag: string;
  createdBy: string;
  timeCreated: string;
}

/** A bucket's retention rule as the SDK's RetentionRule model has it; no `duration` = indefinite. */
export interface RetentionRule {
  id: string;
  displayName: string;
  duration?: { timeAmount: number; timeUnit: "DAYS" | "YEARS" };
  etag: string;
  /** After this time the rule is locked: it can no longer be deleted. */
  timeRuleLocked?: string;
  timeCreated: string;
  timeModified: string;
}

export interface ObjectVersion {
  bucket: string;
  name: string;
  versionId: string;
  /** Creation order across the whole emulator: newest has the highest. */
  seq: number;
  isDeleteMarker: boolean;
  content: Buffer;
  contentType: string;
  etag: string;
  md5: string;
  timeCreated: string;
  timeModified: string;
  wrapping: Wrapping;
  reencryptCount: number;
  /** Every wrapping this version had before its current one, oldest first. */
  history: Wrapping[];
  storageTier: StorageTier;
  /**
   * Archive tier only: a restore in progress or done. No restore = Archived; before `readyAt`
   * (epoch ms) Restoring; then Restored until `until`, after which it is Archived again.
   */
  restore?: { readyAt: number; until: number };
}

export interface ObjectVersionView {
  bucket: string;
  name: string;
  versionId: string;
  isDeleteMarker: boolean;
  wrapping: Wrapping;
  reencryptCount: number;
  history: Wrapping[];
  storageTier: StorageTier;
  /** Archive tier only. */
  archivalState?: ArchivalState;
}

export interface Secret {
  id: string;
  compartmentId: string;
  content: Buffer;
  versionNumber: number;
  timeCreated: string;
}

export interface Application {
  id: string;
  compartmentId: string;
  displayName: string;
  lifecycleState: "ACTIVE";
  timeCreated: string;
}

export interface FunctionRecord {
  id: string;
  applicationId: string;
  compartmentId: string;
  displayName: string;
  invokeEndpoint: string;
  lifecycleState: "ACTIVE";
  memoryInMBs: number;
  timeoutInSeconds: number;
  detachedModeTimeoutInSeconds: number;
  config: Record<string, string>;
  image: string;
  timeCreated: string;
}

export interface RuleAction {
  id: string;
  actionType: "FAAS";
  functionId: string;
  isEnabled: boolean;
  lifecycleState: "ACTIVE";
  description?: string;
}

export interface Rule {
  id: string;
  compartmentId: string;
  displayName: string;
  description?: string;
  isEnabled: boolean;
  /** The event filter as OCI stores it: a JSON string. */
  condition: string;
  lifecycleState: "ACTIVE";
  actions: RuleAction[];
  timeCreated: string;
}

export type WorkRequestStatus = "ACCEPTED" | "IN_PROGRESS" | "FAILED" | "COMPLETED" | "CANCELING" | "CANCELED";

/** A ReencryptBucket work request and what it did, version by version, so far. */
export interface WorkRequestRecord {
  id: string;
  operationType: "REENCRYPT";
  status: WorkRequestStatus;
  /** The bucket's compartment. */
  compartmentId: string;
  namespace: string;
  bucketName: string;
  bucketId: string;
  /** `isReencryptBucketKeyOnly=true`: the emulator has no bucket keys, so nothing is re-wrapped. */
  bucketKeyOnly: boolean;
  timeAccepted: string;
  timeStarted?: string;
  timeFinished?: string;
  /** Object versions (not delete markers) that existed at the call. */
  total: number;
  /** Versions looked at so far (re-wrapped or skipped). */
  processed: number;
  /** Versions re-wrapped under the bucket key's current version. */
  rewrapped: number;
  /**
   * Left unchanged: SSE-C, wrapped by another key (or Oracle-managed), deleted since the call,
   * Archive tier and not restored, under an active retention rule, or wrapped by a key (version)
   * that can no longer unwrap it (disabled, pending deletion, deleted).
   */
  skipped: { sseC: number; otherKey: number; gone: number; archived: number; retained: number; keyUnusable: number };
  errors: { code: string; message: string; timestamp: string }[];
  logs: { message: string; timestamp: string }[];
}
