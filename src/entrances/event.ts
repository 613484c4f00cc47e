import type { JobResponse } from "../contract/response.js";
import type { Deadlines } from "../deadline.js";
import { newJobId } from "../jobs/from-request.js";
import { zeroCounts } from "../jobs/job.js";
import type { Logger } from "../log.js";
import type { Runtime } from "../runtime.js";
import type { InvocationContext } from "../handle.js";

export async function handleEvent(body: Record<string, unknown>, _rt: Runtime, _dl: Deadlines, log: Logger, _ctx: InvocationContext): Promise<JobResponse> {
  log.info("event ignored", { eventType: body["eventType"] ?? body["type"] });
  return { jobId: newJobId(), status: "ignored", counts: zeroCounts(), failures: [] };
}
