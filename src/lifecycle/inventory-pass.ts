import { discoverBuckets } from "../jobs/from-key-rotation.js";
import type { JobStore } from "../jobs/job-store.js";
import type { Logger } from "../log.js";
import { createRateLimiter } from "../oci/rate-limiter.js";
import type { Deadlines } from "../runtime/deadline.js";
import { namespaceOf } from "../runtime/namespace.js";
import type { Runtime } from "../runtime/runtime.js";
import { INVENTORY_PASS } from "./inventory.js";
import { followBucket } from "./key-change.js";

export interface InventoryPass {
  /** Buckets compared with the inventory in this pass. */
  buckets: number;
  firstSeen: number;
  /** Key-change jobs started (or found running) for buckets whose key changed. */
  keyChanges: string[];
  /** Changes that started no job, and why. */
  notFollowed: { bucket: string; why: string }[];
  complete: boolean;
}

/**
 * Every sweep compares every bucket of REENCRYPT_COMPARTMENT_IDS with the inventory (contract
 * §12): the first pass records them; later ones start a key-change job for each bucket whose key
 * changed, however the change was made (an updatebucket event can be missed or late).
 */
export async function inventoryPass(jobs: JobStore, rt: Runtime, dl: Deadlines, log: Logger): Promise<InventoryPass> {
  const store = rt.objectStore({ notAfter: () => dl.hardStopAt, limiter: createRateLimiter(rt.config.maxRps) });
  const namespace = await namespaceOf(rt, dl.hardStopAt);
  const compartments = rt.config.compartmentIds ?? (rt.compartmentId ? [rt.compartmentId] : []);
  const buckets = await discoverBuckets(store, namespace, compartments);
  const out: InventoryPass = { buckets: 0, firstSeen: 0, keyChanges: [], notFollowed: [], complete: true };
  for (const b of buckets) {
    if (Date.now() > dl.stopAt) {
      out.complete = false;
      break;
    }
    try {
      const f = await followBucket(b, jobs, rt, dl, log);
      out.buckets++;
      if (f.kind === "first-seen") out.firstSeen++;
      if (f.kind === "changed" && f.jobId !== undefined) out.keyChanges.push(f.jobId);
      if (f.kind === "changed" && f.jobId === undefined) out.notFollowed.push({ bucket: `${b.namespace}/${b.name}`, why: f.why ?? "nothing to re-encrypt" });
    } catch (error) {
      log.warn("a bucket could not be compared with the inventory", { bucket: b.name, error: error instanceof Error ? error.message : String(error) });
    }
  }
  if (out.complete) await jobs.writeText(INVENTORY_PASS, JSON.stringify({ at: new Date().toISOString(), buckets: out.buckets }));
  log.info("inventory pass", { buckets: out.buckets, firstSeen: out.firstSeen, keyChanges: out.keyChanges.length, complete: out.complete });
  return out;
}
