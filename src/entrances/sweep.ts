import { z } from "zod";
import { zodToInvalidPayload } from "../contract/zod-issues.js";
import type { Deadlines } from "../runtime/deadline.js";
import type { Runtime } from "../runtime/runtime.js";
import { dispatchShards } from "../jobs/dispatch.js";
import { foldDoneShards } from "../jobs/finish-shard.js";
import { loadView, stalledJobOf, statusOf } from "../jobs/job-view.js";
import { openJobStore } from "../jobs/open-job-store.js";
import type { Logger } from "../log.js";
import { inventoryPass } from "../lifecycle/inventory-pass.js";
import { createRateLimiter } from "../oci/rate-limiter.js";
import { reportSweep } from "../ops/notify.js";

export const SweepRequestSchema = z.strictObject({ sweep: z.literal(true) });

export interface SweepAnswer {
  resumed: string[];
  running: number;
  /** Key-change jobs started for buckets whose key changed since the last pass (contract §12). */
  keyChanges: string[];
  /** Stalled jobs only their caller can resume: they were started with an inline SSE-C key. */
  needCaller: string[];
  message?: string;
}

const READ_CONCURRENCY = 8;

/**
 * `{"sweep": true}` (scheduled, direct invocations only): every job whose lease expired with work
 * remaining gets its stalled and pending shards dispatched again. Two sweeps racing are safe: the
 * dispatch takes each shard with a conditional write, so only one starts it.
 */
export async function handleSweep(body: Record<string, unknown>, rt: Runtime, dl: Deadlines, log: Logger): Promise<SweepAnswer> {
  const parsed = SweepRequestSchema.safeParse(body);
  if (!parsed.success) throw zodToInvalidPayload(parsed.error, "sweep request");
  const jobs = await openJobStore(rt, dl, log);
  if (!jobs) return { resumed: [], running: 0, keyChanges: [], needCaller: [], message: "no state bucket (REENCRYPT_STATE_BUCKET): no jobs are kept, so none can be resumed" };
  const invoker = rt.selfInvoker({ notAfter: () => dl.deadline - 300, limiter: createRateLimiter(undefined) });
  const ids = await jobs.list();
  const resumed: string[] = [];
  const needCaller: string[] = [];
  const stalled: ReturnType<typeof stalledJobOf>[] = [];
  let running = 0;
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < ids.length && Date.now() < dl.stopAt) {
      const id = ids[next++] as string;
      try {
        // The job record, and the records of its open shards if it runs: a bounded number of reads.
        const view = await loadView(jobs, id);
        if (!view) continue;
        const r = view.record;
        const status = statusOf(view, Date.now());
        if (status === "running") running++;
        if (status !== "stalled") continue;
        stalled.push(stalledJobOf(view));
        const spec = r.spec;
        if (spec.sourceKey !== undefined && "keySha256" in spec.sourceKey) {
          needCaller.push(id);
          continue;
        }
        if (spec.units.some((u) => u.key.type === "sse-c" && "keySha256" in u.key)) {
          needCaller.push(id);
          continue;
        }
        const deps = { jobs, invoker, config: rt.config, log };
        // Done shards whose runner died before folding them hold a slot and keep the job from its end.
        const folded = await foldDoneShards(view, deps, rt, dl);
        const fresh = folded > 0 ? await loadView(jobs, id) : view;
        const d = fresh ? await dispatchShards(id, deps, { view: fresh }) : { started: [] };
        if (folded > 0 || d.started.length > 0) resumed.push(id);
      } catch (error) {
        log.warn("sweep could not handle a job", { jobId: id, error: error instanceof Error ? error.message : String(error) });
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(READ_CONCURRENCY, ids.length) }, worker));
  // Then the buckets' keys against the inventory: a key change starts its job.
  const pass = await inventoryPass(jobs, rt, dl, log).catch((error: unknown) => {
    log.warn("the inventory pass failed; the next sweep tries again", { error: error instanceof Error ? error.message : String(error) });
    return undefined;
  });
  log.info("sweep done", { jobs: ids.length, resumed: resumed.length, running, needCaller: needCaller.length, keyChanges: pass?.keyChanges.length ?? 0 });
  await reportSweep(rt, dl, log, { stalled, resumed, needCaller });
  return { resumed: resumed.sort(), running, keyChanges: pass?.keyChanges ?? [], needCaller: needCaller.sort() };
}
