// The emulator's ground-truth records. Times are ISO strings so a snapshot is plain JSON.

/** How an object version's data-encryption key is wrapped: the thing re-encryption changes. */
export type Wrapping =
  | { kind: "oracle" }
  | { kind: "kms"; kmsKeyId: string; keyVersionId: string }
  | { kind: "sse-c"; keySha256: string };

export type Versioning = "Enabled" | "Disabled" | "Suspended";
export type KeyState = "ENABLED" | "DISABLED";

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
  lifecycleState: "ENABLED";
  origin: "INTERNAL";
  isAutoRotated: boolean;
  timeCreated: string;
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
}

export interface Bucket {
  id: string;
  namespace: string;
  name: string;
  compartmentId: string;
  kmsKeyId?: string;
  versioning: Versioning;
  objectEventsEnabled: boolean;
  /** SSE-KMS Bucket Key; GetBucket answers false when unset. */
  isBucketKeyEnabled?: boolean;
  etag: string;
  createdBy: string;
  timeCreated: string;
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
}

export interface ObjectVersionView {
  bucket: string;
  name: string;
  versionId: string;
  isDeleteMarker: boolean;
  wrapping: Wrapping;
  reencryptCount: number;
  history: Wrapping[];
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
  /** Left unchanged: SSE-C, wrapped by another key (or Oracle-managed), deleted since the call. */
  skipped: { sseC: number; otherKey: number; gone: number };
  errors: { code: string; message: string; timestamp: string }[];
  logs: { message: string; timestamp: string }[];
}
