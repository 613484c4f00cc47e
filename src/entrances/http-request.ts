import type { From } from "../access/caller-jobs.js";
import { checkJob } from "../access/check-job.js";
import { isShorthand, ReencryptRequestSchema, ShorthandRequestSchema, type ReencryptRequest } from "../contract/request.js";
import type { JobResponse } from "../contract/response.js";
import { refuseManyUnknownFields, zodToInvalidPayload } from "../contract/zod-issues.js";
import type { Deadlines } from "../runtime/deadline.js";
import { namespaceOf } from "../runtime/namespace.js";
import type { Runtime } from "../runtime/runtime.js";
import { jobFromRequest } from "../jobs/from-request.js";
import { wholeJob, zeroCounts } from "../model/job.js";
import { newOwner } from "../jobs/leases.js";
import { openJobStore } from "../jobs/open-job-store.js";
import { planRequestUnits } from "../jobs/plan-units.js";
import { planNotes, runInvocation } from "../jobs/run-invocation.js";
import { createRateLimiter } from "../oci/rate-limiter.js";
import type { Logger } from "../log.js";

export function parseRequest(body: Record<string, unknown>): ReencryptRequest {
  const shorthand = isShorthand(body);
  refuseManyUnknownFields(body, Object.keys(shorthand ? ShorthandRequestSchema.in.shape : ReencryptRequestSchema.shape), shorthand ? "single-object request" : "request");
  const parsed = (shorthand ? ShorthandRequestSchema : ReencryptRequestSchema).safeParse(body);
  if (!parsed.success) throw zodToInvalidPayload(parsed.error, shorthand ? "single-object request" : "request");
  return parsed.data;
}

/** HTTP or direct invoke: validate, resolve the namespace, check what may be named, run. */
export async function handleRequest(body: Record<string, unknown>, rt: Runtime, dl: Deadlines, log: Logger, from: From = { gateway: false }): Promise<JobResponse> {
  const req = parseRequest(body);
  const needsLookup = req.targets.some((t) => t.namespace === undefined);
  const namespace = needsLookup ? await namespaceOf(rt, dl.hardStopAt) : "";
  const built = jobFromRequest(req, namespace);
  await checkJob(built.spec, rt, dl);
  const { inline } = built;
  // Which key governs each scope decides what a bulk target may touch (contract §11).
  const store = rt.objectStore({ notAfter: () => dl.hardStopAt, limiter: createRateLimiter(rt.config.maxRps) });
  const spec = await planRequestUnits(built.spec, store, rt.config.rules, log);
  if (spec.units.length === 0) {
    log.info("nothing to do: other keys govern every scope named", { jobId: spec.id, leftAlone: spec.leftAlone?.length ?? 0 });
    return { jobId: spec.id, status: spec.dryRun ? "dry-run" : "skipped", counts: zeroCounts(), failures: [], ...planNotes(spec), message: "every scope named is governed by another key (see leftAlone): nothing to re-encrypt" };
  }
  log.info("job accepted", { jobId: spec.id, origin: spec.origin, units: spec.units.length, key: spec.units[0]?.key.type, dryRun: spec.dryRun });
  const jobs = await openJobStore(rt, dl, log);
  return runInvocation(
    {
      spec,
      work: wholeJob(spec),
      inline,
      driver: "caller",
      from,
      ...(jobs ? { durable: { jobs, owner: newOwner(), claimed: undefined } } : { portable: { totals: zeroCounts(), seq: 0 } }),
    },
    rt,
    dl,
    log.child({ jobId: spec.id }),
  );
}
