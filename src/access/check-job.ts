import type { Deadlines } from "../runtime/deadline.js";
import { namespaceOf } from "../runtime/namespace.js";
import type { Runtime } from "../runtime/runtime.js";
import type { JobSpec } from "../model/job.js";
import { assertAllowed } from "./allow-list.js";
import { assertKeysAllowed } from "./allowed-keys.js";
import { assertNotStateBucket } from "./state-bucket-guard.js";

/**
 * Everything a request or a resume must pass before anything is called (contract §3, §10): its
 * buckets inside REENCRYPT_ALLOWED_BUCKETS, never the state bucket, its target keys allowed.
 * Checked again on every resume: the configuration may have changed since the job started.
 */
export async function checkJob(spec: JobSpec, rt: Runtime, dl: Deadlines): Promise<void> {
  assertAllowed(rt.config.allowedBuckets, spec.units);
  await assertNotStateBucket(rt.config.stateBucket, spec.units, () => namespaceOf(rt, dl.hardStopAt));
  assertKeysAllowed(spec, rt.config);
}
