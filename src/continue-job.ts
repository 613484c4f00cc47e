import type { JobResponse } from "./contract/response.js";
import { encodeResumeToken } from "./contract/resume-token.js";
import type { Execution } from "./execute-job.js";
import type { Logger } from "./log.js";
import { createRateLimiter } from "./oci/rate-limiter.js";
import type { Runtime } from "./runtime.js";

const ATTEMPTS = 3;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * An event has no caller to resume it: when work remains, the function invokes itself (detached)
 * with the resume token and answers "continuing". If that cannot start after retries, the answer
 * is "incomplete" with the token, and the log says so loudly: nothing is silently dropped.
 */
export async function continueJob(exec: Execution, rt: Runtime, log: Logger): Promise<JobResponse> {
  const { response, remaining } = exec;
  if (!remaining) return response;
  const token = encodeResumeToken(remaining);
  const invoker = rt.selfInvoker({ notAfter: () => Date.now() + 10_000, limiter: createRateLimiter(undefined) });
  if (!invoker) {
    log.error("job incomplete and no function id to continue it (FN_FN_ID); resume it by hand", { jobId: remaining.id });
    return { ...response, status: "incomplete", resume: token, message: "could not continue automatically: FN_FN_ID is not a function OCID" };
  }
  let lastError = "";
  for (let attempt = 1; attempt <= ATTEMPTS; attempt++) {
    try {
      await invoker.invokeDetached(JSON.stringify({ resume: token }));
      log.info("job continues in a detached invocation", { jobId: remaining.id, seq: remaining.seq, attempt });
      const { resume: _omit, ...rest } = response;
      return { ...rest, status: "continuing" };
    } catch (error) {
      lastError = error instanceof Error ? error.message : String(error);
      log.warn("continuation did not start", { jobId: remaining.id, attempt, error: lastError });
      if (attempt < ATTEMPTS) await sleep(250 * 2 ** attempt);
    }
  }
  log.error("job incomplete: its continuation could not be started; resume it with the token in this response", { jobId: remaining.id, error: lastError });
  return { ...response, status: "incomplete", resume: token, message: `continuation could not be started: ${lastError}` };
}
