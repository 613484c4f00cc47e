import { targetNotAllowed } from "../errors.js";
import { matchesBucketGlob } from "../glob.js";

/** REENCRYPT_ALLOWED_BUCKETS: undefined means IAM is the only limit. Throws 403 naming the first outsider. */
export function assertAllowed(allowed: readonly string[] | undefined, targets: Iterable<{ namespace: string; bucket: string }>): void {
  if (allowed === undefined) return;
  for (const t of targets) {
    if (!allowed.some((g) => matchesBucketGlob(g, t.namespace, t.bucket))) {
      throw targetNotAllowed(`bucket ${t.namespace}/${t.bucket} is outside REENCRYPT_ALLOWED_BUCKETS; nothing was done`);
    }
  }
}
