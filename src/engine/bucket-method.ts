import type { Logger } from "../log.js";
import type { Unit } from "../model/job.js";
import type { ObjectStore } from "../oci/object-store.js";
import { OciCallError, toOciFailure, type OciFailure } from "../oci/oci-failure.js";
import { sleep } from "./call-pool.js";

/** A ReencryptBucket work request the shard is waiting for. */
export interface WorkRequestProgress {
  unit: number;
  workRequestId: string;
  status: string;
  percentComplete: number;
}

export interface BucketMethodState {
  /** The work request started earlier (from the cursor), polled until it ends. */
  workRequestId: string | undefined;
  progress: WorkRequestProgress | undefined;
}

export interface BucketMethodDeps {
  store: ObjectStore;
  jobId: string;
  stopAt: number;
  pollMs: number;
  now: () => number;
  aborted: () => boolean;
  fail: (f: OciFailure) => void;
  log: Logger;
}

const failureOf = (error: unknown): OciFailure => (error instanceof OciCallError ? error.failure : toOciFailure(error));

/**
 * ReencryptBucket for a whole-bucket unit, then its work request until it ends (across
 * invocations: the work request id is in the cursor). False when out of time.
 */
export async function runBucketMethod(u: number, unit: Unit, st: BucketMethodState, d: BucketMethodDeps): Promise<boolean> {
  if (st.workRequestId === undefined) {
    if (d.aborted() || d.now() >= d.stopAt) return false;
    try {
      st.workRequestId = (await d.store.reencryptBucket(unit.namespace, unit.bucket)).workRequestId;
      d.log.info("ReencryptBucket started", { jobId: d.jobId, bucket: unit.bucket, workRequestId: st.workRequestId });
    } catch (error) {
      d.fail(failureOf(error));
      return true;
    }
  }
  for (const id = st.workRequestId; ; ) {
    try {
      const wr = await d.store.getWorkRequest(id);
      st.progress = { unit: u, workRequestId: id, status: wr.status, percentComplete: wr.percentComplete };
      if (wr.status === "COMPLETED") {
        st.workRequestId = undefined;
        return true;
      }
      if (wr.status === "FAILED" || wr.status === "CANCELED" || wr.status === "CANCELING") {
        d.fail({ status: 500, code: "WorkRequestFailed", message: `ReencryptBucket work request ${id} ended ${wr.status} at ${wr.percentComplete}%`, opcRequestId: undefined });
        st.workRequestId = undefined;
        return true;
      }
    } catch (error) {
      // A poll that fails is tried again at the next poll: the work request goes on regardless.
      d.log.warn("work request poll failed", { workRequestId: id, error: failureOf(error).code });
    }
    if (d.aborted() || d.now() + d.pollMs >= d.stopAt) return false;
    await sleep(d.pollMs);
  }
}
