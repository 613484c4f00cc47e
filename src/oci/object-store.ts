import type { SecretValue } from "../secret-value.js";

/** An SSE-C key ready for the wire: the key stays wrapped until the request is built. */
export interface SseCKey {
  key: SecretValue;
  keySha256: string;
}

/** ReencryptObjectDetails in our terms: never both kmsKeyId and sseCustomerKey. */
export type ReencryptDetails =
  | { kmsKeyId?: undefined; sseCustomerKey?: undefined; sourceSseCustomerKey?: SseCKey | undefined }
  | { kmsKeyId: string; sseCustomerKey?: undefined; sourceSseCustomerKey?: SseCKey | undefined }
  | { kmsKeyId?: undefined; sseCustomerKey: SseCKey; sourceSseCustomerKey?: SseCKey | undefined };

export interface BucketInfo {
  namespace: string;
  name: string;
  compartmentId: string;
  kmsKeyId: string | undefined;
  versioning: string | undefined;
  objectEventsEnabled: boolean;
  /** SSE-KMS Bucket Key (intermediate keys wrapped by the Vault key); undefined when the service does not say. */
  isBucketKeyEnabled?: boolean | undefined;
  /** Object Storage's approximate object count, when asked for. */
  approximateCount?: number | undefined;
  /** The destination of a replication policy: changed only by replication, never re-encrypted. */
  isReadOnly: boolean;
  /** The source of a replication policy. */
  replicationEnabled: boolean;
  /** Standard or Archive; undefined when the service did not say. */
  storageTier: string | undefined;
}

/** Where an object version's data lives; undefined fields: the service did not say (Standard). */
export interface TierInfo {
  /** Standard, InfrequentAccess, Archive. */
  storageTier?: string | undefined;
  /** Archive tier only: Archived, Restoring, Restored. */
  archivalState?: string | undefined;
}

export interface ObjectEntry extends TierInfo {
  name: string;
}

export interface ObjectVersionEntry extends TierInfo {
  name: string;
  versionId: string;
  isDeleteMarker: boolean;
}

/** A bucket's retention rule, as a hint names it. */
export interface RetentionRuleInfo {
  displayName: string;
  /** undefined: indefinite. */
  duration: { amount: number; unit: string } | undefined;
  locked: boolean;
}

export interface Page<T> {
  items: T[];
  /** Opaque continuation: ListObjects' nextStartWith or ListObjectVersions' opc-next-page. */
  next: string | undefined;
}

export interface WorkRequestInfo {
  id: string;
  /** ACCEPTED, IN_PROGRESS, COMPLETED, FAILED, CANCELING, CANCELED. */
  status: string;
  percentComplete: number;
}

export interface StoredObject {
  body: Buffer;
  etag: string;
}

/** The Object Storage operations the product uses. Query values are encoded by the implementation. */
export interface ObjectStore {
  getNamespace(): Promise<string>;
  getBucket(namespace: string, bucket: string, o?: { approximateCount?: boolean }): Promise<BucketInfo>;
  listBuckets(namespace: string, compartmentId: string, page?: string): Promise<Page<string>>;
  /** Latest versions (name and tier), in name order, from `start` (inclusive) to `end` (exclusive). */
  listObjects(
    namespace: string,
    bucket: string,
    o: { prefix: string; start?: string | undefined; end?: string | undefined; limit?: number },
  ): Promise<Page<ObjectEntry>>;
  /** Latest versions' names and when each was last written (epoch ms), in name order: the runner registry's one call per checkpoint. */
  listObjectTimes(namespace: string, bucket: string, o: { prefix: string; start?: string | undefined; limit?: number }): Promise<Page<{ name: string; modifiedAt: number | undefined }>>;
  /** Every version, in name order then newest first; `start`/`end` are names, `page` a token. */
  listObjectVersions(
    namespace: string,
    bucket: string,
    o: { prefix: string; start?: string | undefined; end?: string | undefined; page?: string | undefined; limit?: number },
  ): Promise<Page<ObjectVersionEntry>>;
  reencryptObject(r: { namespace: string; bucket: string; object: string; versionId?: string | undefined; details: ReencryptDetails }): Promise<{ opcRequestId: string | undefined }>;
  listRetentionRules(namespace: string, bucket: string): Promise<RetentionRuleInfo[]>;
  /**
   * Starts ReencryptBucket: the bucket key's newest version for every object version (asynchronous).
   * `bucketKeyOnly` (isReencryptBucketKeyOnly): only the SSE-KMS intermediate bucket keys.
   */
  reencryptBucket(namespace: string, bucket: string, o?: { bucketKeyOnly?: boolean | undefined }): Promise<{ workRequestId: string }>;
  getWorkRequest(workRequestId: string): Promise<WorkRequestInfo>;
  /** undefined when the object does not exist. */
  getObject(namespace: string, bucket: string, object: string): Promise<StoredObject | undefined>;
  /**
   * Writes an object. With `ifNoneMatch` (create only) or `ifMatch` (replace that ETag only), a
   * failed precondition answers undefined instead of throwing.
   */
  putObject(
    namespace: string,
    bucket: string,
    object: string,
    body: string | Buffer,
    o?: { ifNoneMatch?: boolean; ifMatch?: string | undefined; contentType?: string },
  ): Promise<{ etag: string } | undefined>;
  /** Deletes an object's latest version; an object that is already gone is not an error. */
  deleteObject(namespace: string, bucket: string, object: string): Promise<void>;
}
