import { assertAllowed } from "../access/allow-list.js";
import { ResumeRequestSchema } from "../contract/request.js";
import { decodeResumeToken } from "../contract/resume-token.js";
import { zodToInvalidPayload } from "../contract/zod-issues.js";
import type { Deadlines } from "../invocation/deadline.js";
import { executeJob, type Execution } from "../jobs/execute-job.js";
import { continueJob } from "../jobs/continue-job.js";
import { inlineKey } from "../keys/resolve-keys.js";
import { invalidPayload } from "../errors.js";
import type { Logger } from "../log.js";
import type { SseCKey } from "../oci/object-store.js";
import type { Runtime } from "../invocation/runtime.js";

/** `{"resume": token}` continues a job exactly where it stopped; inline keys must be given again. */
export async function handleResume(body: Record<string, unknown>, rt: Runtime, dl: Deadlines, log: Logger): Promise<Execution> {
  const parsed = ResumeRequestSchema.safeParse(body);
  if (!parsed.success) throw zodToInvalidPayload(parsed.error, "resume request");
  const job = decodeResumeToken(parsed.data.resume);
  assertAllowed(rt.config.allowedBuckets, job.units);
  // Keys come back only for what the token cannot carry: inline SSE-C keys. Anything else would
  // look like it changes the job's key, and it would not.
  const needsKey = job.units.some((u) => u.key.type === "sse-c" && "keySha256" in u.key);
  const needsSource = job.sourceKey !== undefined && "keySha256" in job.sourceKey;
  const { key, sourceKey } = parsed.data;
  if (key !== undefined && !(needsKey && key.type === "sse-c" && key.base64Key !== undefined)) {
    throw invalidPayload("key: this job's key is in its token; give key only to resume a job started with an inline SSE-C key", [
      { path: "key", message: "not expected for this job" },
    ]);
  }
  if (sourceKey !== undefined && !(needsSource && sourceKey.base64Key !== undefined)) {
    throw invalidPayload("sourceKey: this job's source key is in its token; give sourceKey only for an inline SSE-C source key", [
      { path: "sourceKey", message: "not expected for this job" },
    ]);
  }
  const inline = new Map<string, SseCKey>();
  for (const ref of [key?.type === "sse-c" ? key : undefined, sourceKey]) {
    const k = ref ? inlineKey(ref) : undefined;
    if (k) inline.set(k.keySha256, k);
  }
  log.info("job resumed", { jobId: job.id, seq: job.seq, unit: job.cursor.unit });
  const exec = await executeJob(job, inline, rt, dl, log.child({ jobId: job.id }));
  // Jobs started by events have no caller waiting for a token: they continue themselves.
  if (job.origin !== "request" && exec.remaining) return { ...exec, response: await continueJob(exec, rt, dl, log) };
  return exec;
}
