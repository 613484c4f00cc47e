import { MAX_TARGETS } from "../contract/request.js";
import { invalidPayload } from "../errors.js";
import { dedupeUnits } from "../model/dedupe-units.js";
import type { JobSpec } from "../model/job.js";
import type { Deadlines } from "../runtime/deadline.js";
import { namespaceOf } from "../runtime/namespace.js";
import type { Runtime } from "../runtime/runtime.js";
import { assertAllowed } from "./allow-list.js";
import { assertKeysAllowed } from "./allowed-keys.js";
import { assertNotStateBucket } from "./state-bucket-guard.js";

const notARequest = (why: string) =>
  invalidPayload(`invalid resume token: ${why}; a request cannot express that, so no token of this function's can`, [{ path: "resume", message: why }]);

/**
 * What a request could express, for a job that says a request started it (contract §10, issue
 * 16): at most 1000 units, no two naming the same versions (de-duplication changes nothing), and
 * `method: "bucket"` only on whole-bucket units re-encrypted with the bucket key and no source key.
 * A job a request built always passes; one that does not came from somewhere else.
 */
function assertRequestShape(spec: JobSpec): void {
  if (spec.units.length > MAX_TARGETS) throw notARequest(`the job has ${spec.units.length} units, a request at most ${MAX_TARGETS}`);
  const bucketMethod = spec.units.find((u) => u.method === "bucket" && (u.scope.kind !== "prefix" || u.scope.prefix !== "" || !u.scope.allVersions || u.key.type !== "bucket"));
  if (bucketMethod) throw notARequest(`method "bucket" on ${bucketMethod.bucket} is not a whole bucket re-encrypted with its own key`);
  if (spec.sourceKey !== undefined && spec.units.some((u) => u.method === "bucket")) throw notARequest('method "bucket" with a source key');
  if (dedupeUnits(spec.units).length !== spec.units.length) throw notARequest("the job names the same versions more than once");
}

/**
 * Everything a request or a resume must pass before anything is called (contract §3, §10): a
 * request's job is what a request can express, its buckets inside REENCRYPT_ALLOWED_BUCKETS, never
 * the state bucket, its keys allowed. The request entrance and every resume (self-contained token
 * or job record) call this one function: the configuration may have changed since the job
 * started, and a token or record is input like any other.
 */
export async function checkJob(spec: JobSpec, rt: Runtime, dl: Deadlines): Promise<void> {
  if (spec.origin === "request") assertRequestShape(spec);
  assertAllowed(rt.config.allowedBuckets, spec.units);
  await assertNotStateBucket(rt.config.stateBucket, spec.units, () => namespaceOf(rt, dl.hardStopAt));
  assertKeysAllowed(spec, rt.config);
}
