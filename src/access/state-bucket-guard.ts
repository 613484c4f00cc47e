import { targetNotAllowed } from "../errors.js";
import { sameNamespace } from "../same-namespace.js";

/**
 * The state bucket holds job records, rotation markers and reports: it is never a target
 * (contract §10), whatever REENCRYPT_ALLOWED_BUCKETS says. `stateNamespace` is resolved lazily:
 * it costs a GetNamespace only when a target has the state bucket's name.
 */
export async function assertNotStateBucket(
  state: { namespace: string | undefined; bucket: string } | undefined,
  targets: Iterable<{ namespace: string; bucket: string }>,
  tenancyNamespace: () => Promise<string>,
): Promise<void> {
  if (!state) return;
  for (const t of targets) {
    if (t.bucket !== state.bucket) continue;
    const ns = state.namespace ?? (await tenancyNamespace());
    if (sameNamespace(t.namespace, ns)) throw targetNotAllowed(`bucket ${t.namespace}/${t.bucket} is the function's state bucket, which is never a target; nothing was done`);
  }
}
