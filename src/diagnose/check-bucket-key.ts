import { collectPages } from "../oci/paging.js";
import { namespaceOf } from "../runtime/namespace.js";
import { failureOf, said } from "./checklist.js";
import type { DiagnoseContext } from "./diagnose-context.js";

/**
 * SSE-KMS Bucket Key (oci-facts v3 addendum): the compartments' buckets with a Vault key whose
 * Bucket Key is off are named (a warning: it works, with more calls to Key Management). Enabling
 * it affects new objects only, so the warning says existing objects need one re-encryption.
 */
export async function checkBucketKey({ rt, dl, store, list, compartments }: DiagnoseContext): Promise<void> {
  let namespace: string;
  try {
    namespace = await namespaceOf(rt, dl.hardStopAt);
  } catch {
    // checkObjectEventBuckets reports GetNamespace already.
    return;
  }
  const off: string[] = [];
  for (const c of compartments) {
    let names: string[];
    try {
      names = await collectPages((page) => store.listBuckets(namespace, c, page));
    } catch (error) {
      list.skipped(`bucket-key.${c}`, `the buckets of compartment ${c} could not be listed (${said(failureOf(error))}): their SSE-KMS Bucket Key was not checked`);
      continue;
    }
    for (const name of names) {
      if (Date.now() > dl.hardStopAt) {
        list.skipped("bucket-key", "no time left to check every bucket's SSE-KMS Bucket Key");
        return;
      }
      try {
        const b = await store.getBucket(namespace, name);
        if (b.kmsKeyId !== undefined && b.isBucketKeyEnabled === false) off.push(name);
      } catch {
        // Unreadable buckets are reported by the checks that need them.
      }
    }
  }
  for (const name of off) {
    list.warning(
      `bucket-key.${name}`,
      `bucket ${name} (SSE-KMS, a Vault key) has SSE-KMS Bucket Key off: every object's key wrapping goes to Key Management`,
      `enable it with oci os bucket update --name ${name} --is-bucket-key-enabled true; it applies to new objects only, so existing objects need one re-encryption to use it (the next key rotation's job, or oci-reencrypt bucket reencrypt -bn ${name})`,
    );
  }
  if (off.length === 0) list.ok("bucket-key", "every Vault-keyed bucket in the compartments has SSE-KMS Bucket Key on (or reports nothing)");
}
