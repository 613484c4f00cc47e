import { createHash } from "node:crypto";
import { z } from "zod";
import { lazySchema } from "../contract/lazy-schema.js";
import type { JobStore } from "../jobs/job-store.js";
import type { BucketInfo } from "../oci/object-store.js";

// The buckets the function watches, as it last saw them (contract §12): one small object per
// bucket in the state bucket, so a bucket whose key changed is noticed by comparing GetBucket with
// what was recorded, whatever did the change and whether or not an event said so.

export interface InventoryEntry {
  kmsKeyId: string | null;
  isBucketKeyEnabled: boolean;
  isReadOnly: boolean;
  /** When these values were first seen. */
  seenAt: string;
}

const InventoryEntrySchema = lazySchema(() =>
  z.strictObject({
    kmsKeyId: z.string().nullable(),
    isBucketKeyEnabled: z.boolean(),
    isReadOnly: z.boolean(),
    seenAt: z.string(),
  }),
);

export const inventoryName = (namespace: string, bucket: string): string => `inventory/buckets/${namespace}/${bucket}.json`;
/** Written at the end of every inventory pass: its age tells whether sweeps are running. */
export const INVENTORY_PASS = "inventory/last-pass.json";

export const entryOf = (b: BucketInfo, at: Date): InventoryEntry => ({
  kmsKeyId: b.kmsKeyId ?? null,
  isBucketKeyEnabled: b.isBucketKeyEnabled === true,
  isReadOnly: b.isReadOnly,
  seenAt: at.toISOString(),
});

export async function readInventory(jobs: JobStore, namespace: string, bucket: string): Promise<{ entry: InventoryEntry; etag: string } | undefined> {
  const t = await jobs.readText(inventoryName(namespace, bucket));
  if (!t) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(t.text);
  } catch {
    parsed = undefined;
  }
  const r = InventoryEntrySchema.safeParse(parsed);
  // A damaged entry is treated as a bucket first seen: it is written again, nothing is started.
  return r.success ? { entry: r.data, etag: t.etag } : undefined;
}

/** Every inventory entry (coverage and hazards read them: the function's own record of the buckets). */
export async function listInventory(jobs: JobStore, limit = 5_000): Promise<{ namespace: string; bucket: string; entry: InventoryEntry }[]> {
  const names = (await jobs.listNames("inventory/buckets/")).slice(0, limit);
  const out: { namespace: string; bucket: string; entry: InventoryEntry }[] = [];
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < names.length) {
      const name = names[next++] as string;
      const m = /^inventory\/buckets\/([^/]+)\/(.+)\.json$/.exec(name);
      if (!m) continue;
      const got = await readInventory(jobs, m[1] as string, m[2] as string);
      if (got) out.push({ namespace: m[1] as string, bucket: m[2] as string, entry: got.entry });
    }
  };
  await Promise.all(Array.from({ length: Math.min(8, names.length) }, worker));
  return out.sort((a, b) => `${a.namespace}/${a.bucket}`.localeCompare(`${b.namespace}/${b.bucket}`));
}

/** A short, stable name for a key in object names: the OCID hashed (OCIDs are long and dotted). */
export const keyHash = (keyId: string | null | undefined): string => createHash("sha256").update(keyId ?? "oracle-managed").digest("hex").slice(0, 32);
