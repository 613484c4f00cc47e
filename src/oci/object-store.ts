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
  /** Object Storage's approximate object count, when asked for. */
  approximateCount?: number | undefined;
}

export interface ObjectVersionEntry {
  name: string;
  versionId: string;
  isDeleteMarker: boolean;
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
  /** Latest versions' names, in name order, from `start` (inclusive) to `end` (exclusive). */
  listObjects(
    namespace: string,
    bucket: string,
    o: { prefix: string; start?: string | undefined; end?: string | undefined; limit?: number },
  ): Promise<Page<string>>;
  /** Latest versions' names and when each was last written (epoch ms), in name order: the runner registry's one call per checkpoint. */
  listObjectTimes(namespace: string, bucket: string, o: { prefix: string; start?: string | undefined; limit?: number }): Promise<Page<{ name: string; modifiedAt: number | undefined }>>;
  /** Every version, in name order then newest first; `start`/`end` are names, `page` a token. */
  listObjectVersions(
    namespace: string,
    bucket: string,
    o: { prefix: string; start?: string | undefined; end?: string | undefined; page?: string | undefined; limit?: number },
  ): Promise<Page<ObjectVersionEntry>>;
  reencryptObject(r: { namespace: string; bucket: string; object: string; versionId?: string | undefined; details: ReencryptDetails }): Promise<{ opcRequestId: string | undefined }>;
  /** Starts ReencryptBucket: the bucket key's newest version for every object version (asynchronous). */
  reencryptBucket(namespace: string, bucket: string): Promise<{ workRequestId: string }>;
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
