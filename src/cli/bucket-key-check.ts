import type { Unit } from "../model/job.js";
import type { ObjectStore } from "../oci/object-store.js";

// SSE-KMS Bucket Key (oci-facts v3 addendum): Object Storage keeps intermediate bucket keys,
// wrapped by the Vault key, so fewer calls reach KMS. Enabling it affects new objects only;
// existing objects keep their wrapping until re-encrypted once. `rotate --dry-run` names the
// buckets on the rotated key that have it off.

export interface BucketKeyReport {
  /** Buckets (namespace/name) whose Vault key is this key and whose Bucket Key is off. */
  off: string[];
  /** Buckets that could not be read, or whose answer does not say (an older service). */
  unknown: string[];
  note?: string;
}

export const bucketKeyNote = (buckets: readonly string[]): string =>
  `SSE-KMS Bucket Key is off on ${buckets.join(", ")}: enable it with \`oci os bucket update --name <bucket> --is-bucket-key-enabled true\`. It applies to objects written afterwards: existing objects need one re-encryption to use it (this rotation's run is that one, when the Bucket Key is enabled before it).`;

/** The units' buckets whose key is `keyId`, read once each: which have the Bucket Key off. */
export async function bucketKeyReport(store: ObjectStore, units: readonly Unit[], keyId: string): Promise<BucketKeyReport> {
  const buckets = [...new Map(units.map((u) => [`${u.namespace}/${u.bucket}`, u] as const)).values()];
  const off: string[] = [];
  const unknown: string[] = [];
  for (const u of buckets) {
    const where = `${u.namespace}/${u.bucket}`;
    try {
      const b = await store.getBucket(u.namespace, u.bucket);
      if (b.kmsKeyId !== keyId) continue;
      if (b.isBucketKeyEnabled === undefined) unknown.push(where);
      else if (!b.isBucketKeyEnabled) off.push(where);
    } catch {
      unknown.push(where);
    }
  }
  return { off, unknown, ...(off.length > 0 ? { note: bucketKeyNote(off) } : {}) };
}
