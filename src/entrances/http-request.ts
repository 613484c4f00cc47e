import { assertAllowed } from "../access/allow-list.js";
import { isShorthand, ReencryptRequestSchema, ShorthandRequestSchema, type ReencryptRequest } from "../contract/request.js";
import { zodToInvalidPayload } from "../contract/zod-issues.js";
import type { Deadlines } from "../invocation/deadline.js";
import { executeJob, type Execution } from "../jobs/execute-job.js";
import { jobFromRequest } from "../jobs/from-request.js";
import type { Logger } from "../log.js";
import type { Runtime } from "../invocation/runtime.js";
import { namespaceOf } from "../invocation/namespace.js";

export function parseRequest(body: Record<string, unknown>): ReencryptRequest {
  const shorthand = isShorthand(body);
  const parsed = (shorthand ? ShorthandRequestSchema : ReencryptRequestSchema).safeParse(body);
  if (!parsed.success) throw zodToInvalidPayload(parsed.error, shorthand ? "single-object request" : "request");
  return parsed.data;
}

/** HTTP or direct invoke: validate, resolve the namespace, check the allow-list, run. */
export async function handleRequest(body: Record<string, unknown>, rt: Runtime, dl: Deadlines, log: Logger): Promise<Execution> {
  const req = parseRequest(body);
  const needsLookup = req.targets.some((t) => t.namespace === undefined);
  const namespace = needsLookup ? await namespaceOf(rt, dl.hardStopAt) : "";
  const { job, inline } = jobFromRequest(req, namespace);
  assertAllowed(rt.config.allowedBuckets, job.units);
  log.info("job accepted", { jobId: job.id, origin: job.origin, units: job.units.length, key: job.units[0]?.key.type, dryRun: job.dryRun });
  return executeJob(job, inline, rt, dl, log.child({ jobId: job.id }));
}
