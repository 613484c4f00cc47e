import { compartmentBuckets } from "./compartment-buckets.js";
import type { DiagnoseContext } from "./diagnose-context.js";

/**
 * SSE-KMS Bucket Key (oci-facts v3 addendum): the compartments' buckets with a Vault key whose
 * Bucket Key is off are named (a warning: it works, with more calls to Key Management). Enabling
 * it affects new objects only, so the warning says existing objects need one re-encryption.
 */
export async function checkBucketKey(ctx: DiagnoseContext): Promise<void> {
  const { list } = ctx;
  const found = await compartmentBuckets(ctx);
  if (!found) return; // checkObjectEventBuckets reports GetNamespace already.
  for (const u of found.unlisted) list.skipped(`bucket-key.${u.compartmentId}`, `the buckets of compartment ${u.compartmentId} could not be listed (${u.why}): their SSE-KMS Bucket Key was not checked`);
  if (!found.complete) list.skipped("bucket-key", "not every bucket's SSE-KMS Bucket Key was checked (time or the bucket limit)");
  const off = found.buckets.filter((b) => b.kmsKeyId !== undefined && b.isBucketKeyEnabled === false).map((b) => b.name);
  for (const name of off) {
    list.warning(
      `bucket-key.${name}`,
      `bucket ${name} (SSE-KMS, a Vault key) has SSE-KMS Bucket Key off: every object's key wrapping goes to Key Management`,
      `enable it with oci os bucket update --name ${name} --is-bucket-key-enabled true; it applies to new objects only, so existing objects need one re-encryption to use it (the next key rotation's job, or oci-reencrypt bucket reencrypt -bn ${name})`,
    );
  }
  if (off.length === 0) list.ok("bucket-key", "every Vault-keyed bucket in the compartments has SSE-KMS Bucket Key on (or reports nothing)");
}
