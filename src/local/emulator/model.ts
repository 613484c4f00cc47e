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
