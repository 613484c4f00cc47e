import type { Deadlines } from "../runtime/deadline.js";
import { stateBucketOf } from "../runtime/namespace.js";
import type { Runtime } from "../runtime/runtime.js";
import type { Logger } from "../log.js";
import { createRateLimiter } from "../oci/rate-limiter.js";
import { createJobStore, type JobStore } from "./job-store.js";

/**
 * The job store of REENCRYPT_STATE_BUCKET, or undefined without one (jobs are then not durable).
 * Record writes have a budget of their own up to the invocation's deadline: losing a checkpoint
 * to the engine's hard stop would lose the job's progress.
 */
export async function openJobStore(rt: Runtime, dl: Deadlines, log: Logger): Promise<JobStore | undefined> {
  const state = await stateBucketOf(rt, dl.hardStopAt);
  if (!state) return undefined;
  const store = rt.objectStore({ notAfter: () => dl.deadline - 300, limiter: createRateLimiter(undefined) });
  return createJobStore(store, state, log);
}
