import type { JobResponse } from "../contract/response.js";
import { encodeResumeToken } from "../contract/resume-token.js";
import type { Deadlines } from "../invocation/deadline.js";
import type { Execution } from "./execute-job.js";
import type { Logger } from "../log.js";
import { createRateLimiter } from "../oci/rate-limiter.js";
import { stateBucketOf } from "../invocation/namespace.js";
import type { Runtime } from "../invocation/runtime.js";

/**
 * An event has no caller to resume it: when work remains, the function invokes itself (detached)
 * with the resume token and answers "continuing". InvokeFunction is retried (429, 5xx, transport)
 * until just before this invocation's deadline. If it cannot start, the answer is "incomplete"
 * with the token, the log says so, and with a state bucket the token is kept there too.
 */
export async function continueJob(exec: Execution, rt: Runtime, dl: Deadlines, log: Logger): Promise<JobResponse> {
  const { response, remaining } = exec;
  if (!remaining) return response;
  const token = encodeResumeToken(remaining);
  const invoker = rt.selfInvoker({ notAfter: () => dl.deadline - 300, limiter: createRateLimiter(undefined) });
  let problem: string;
  if (!invoker) {
    problem = "FN_FN_ID is not a function OCID, so the job cannot continue itself";
  } else {
    try {
      await invoker.invokeDetached(JSON.stringify({ resume: token }));
      log.info("job continues in a detached invocation", { jobId: remaining.id, seq: remaining.seq });
      const { resume: _omit, ...rest } = response;
      return { ...rest, status: "continuing" };
    } catch (error) {
      problem = `its continuation could not be started: ${error instanceof Error ? error.message : String(error)}`;
    }
  }
  log.error("job incomplete: resume it with the token in the response (or in the state bucket)", { jobId: remaining.id, problem });
  const kept = await keepToken(remaining.id, remaining.seq, token, problem, rt, log);
  return { ...response, status: "incomplete", resume: token, message: `${problem}${kept ? `; token kept at ${kept}` : ""}` };
}

async function keepToken(jobId: string, seq: number, token: string, problem: string, rt: Runtime, log: Logger): Promise<string | undefined> {
  if (!rt.config.stateBucket) return undefined;
  const store = rt.objectStore({ notAfter: () => Date.now() + 3_000, limiter: createRateLimiter(undefined) });
  const name = `reports/${jobId}.incomplete.json`;
  try {
    const state = await stateBucketOf(rt, Date.now() + 3_000);
    if (!state) return undefined;
    await store.putObject(state.namespace, state.bucket, name, JSON.stringify({ jobId, seq, problem, resume: token, at: new Date().toISOString() }));
    return `/n/${state.namespace}/b/${state.bucket}/o/${name}`;
  } catch (error) {
    log.error("the resume token could not be kept in the state bucket", { jobId, error: error instanceof Error ? error.message : String(error) });
    return undefined;
  }
}
