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

/** The Object Storage operations the product uses. Query values are encoded by the implementation. */
export interface ObjectStore {
  getNamespace(): Promise<string>;
  getBucket(namespace: string, bucket: string): Promise<BucketInfo>;
  listBuckets(namespace: string, compartmentId: string, page?: string): Promise<Page<string>>;
  /** Latest versions' names, in name order, starting at `start` (inclusive). */
  listObjects(namespace: string, bucket: string, o: { prefix: string; start?: string | undefined; limit?: number }): Promise<Page<string>>;
  /** Every version, in name order then newest first; `start` is a name (inclusive), `page` a token. */
  listObjectVersions(
    namespace: string,
    bucket: string,
    o: { prefix: string; start?: string | undefined; page?: string | undefined; limit?: number },
  ): Promise<Page<ObjectVersionEntry>>;
  reencryptObject(r: { namespace: string; bucket: string; object: string; versionId?: string | undefined; details: ReencryptDetails }): Promise<{ opcRequestId: string | undefined }>;
  /** Returns false when `ifNoneMatch` is set and the object exists (412). */
  putObject(namespace: string, bucket: string, object: string, body: string, o?: { ifNoneMatch?: boolean }): Promise<boolean>;
}
