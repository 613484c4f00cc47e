import type { Config } from "../config.js";
import { newNonce, referenceToken } from "../contract/resume-token.js";
import type { Logger } from "../log.js";
import type { SelfInvoker } from "../oci/self-invoker.js";
import { isLive, isStalled, refreshDerived, type JobRecord } from "./job-record.js";
import type { JobStore } from "./job-store.js";
import { dispatchGraceMs, dispatchOwner } from "./leases.js";

export interface DispatchDeps {
  jobs: JobStore;
  invoker: SelfInvoker | undefined;
  config: Config;
  log: Logger;
  now?: () => number;
}

export interface DispatchOptions {
  /** Dispatch exactly this shard (a continuation), whatever the free slots. */
  only?: number;
  /** A change to make in the same write, before shards are chosen (a shard's final checkpoint). */
  alsoChange?: (r: JobRecord) => void;
}

export interface Dispatched {
  /** Shards whose detached invocation was started. */
  started: number[];
  /** Shards chosen but whose invocation could not be started: given back as pending. */
  failed: number[];
  record: JobRecord | undefined;
}

/**
 * Starts detached invocations for shards that should run and do not: pending ones and stalled
 * ones (their runner died), at most REENCRYPT_MAX_PARALLEL running at once. The shards are taken
 * with a conditional write first, so two dispatchers (sweeps, finishing shards, redeliveries) never
 * start the same shard twice; InvokeFunction 429s (the tenancy's concurrency limit) are retried
 * while the invocation has time, and a shard that still cannot start goes back to pending.
 */
export async function dispatchShards(jobId: string, deps: DispatchDeps, o: DispatchOptions = {}): Promise<Dispatched> {
  const now = deps.now ?? Date.now;
  const chosen = new Map<number, string>();
  if (!deps.invoker && !o.alsoChange) return { started: [], failed: [], record: undefined };
  const updated = await deps.jobs.update(jobId, (r) => {
    chosen.clear();
    o.alsoChange?.(r);
    if (r.status !== "running" || !deps.invoker) return o.alsoChange !== undefined;
    const t = now();
    const live = r.shards.filter((s) => s.state === "running" && isLive(s.lease, t) && s.id !== o.only).length;
    const candidates =
      o.only !== undefined
        ? r.shards.filter((s) => s.id === o.only && s.state !== "done")
        : r.shards.filter((s) => s.state === "pending" || isStalled(s, t)).slice(0, Math.max(0, deps.config.maxParallel - live));
    for (const s of candidates) {
      const nonce = newNonce();
      s.state = "running";
      s.lease = { owner: dispatchOwner(nonce), until: t + dispatchGraceMs(deps.config) };
      chosen.set(s.id, nonce);
    }
    refreshDerived(r, t);
    return chosen.size > 0 || o.alsoChange !== undefined;
  });
  if (!updated) return { started: [], failed: [], record: undefined };
  const started: number[] = [];
  const failed: number[] = [];
  await Promise.all(
    [...chosen].map(async ([shard, nonce]) => {
      try {
        await (deps.invoker as SelfInvoker).invokeDetached(JSON.stringify({ resume: referenceToken({ jobId, shard, nonce }) }));
        started.push(shard);
      } catch (error) {
        failed.push(shard);
        deps.log.warn("a shard's invocation could not be started; it waits for the next dispatch or sweep", {
          jobId,
          shard,
          error: error instanceof Error ? error.message : String(error),
        });
      }
    }),
  );
  if (failed.length > 0) {
    // Given back at once rather than left to expire: the next dispatcher can take it right away.
    await deps.jobs
      .update(jobId, (r) => {
        let changed = false;
        for (const id of failed) {
          const s = r.shards.find((x) => x.id === id);
          if (s && s.state === "running" && s.lease?.owner === dispatchOwner(chosen.get(id) as string)) {
            s.state = "pending";
            delete s.lease;
            changed = true;
          }
        }
        return changed;
      })
      .catch((error: unknown) => deps.log.warn("a failed dispatch could not be given back; it expires", { jobId, error: String(error) }));
  }
  if (started.length > 0) deps.log.info("shards dispatched", { jobId, shards: started });
  return { started: started.sort((a, b) => a - b), failed, record: updated.record };
}
