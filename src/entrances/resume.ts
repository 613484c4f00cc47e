import { assertAllowed } from "../allow-list.js";
import { ResumeRequestSchema } from "../contract/request.js";
import { decodeResumeToken } from "../contract/resume-token.js";
import { zodToInvalidPayload } from "../contract/zod-issues.js";
import type { Deadlines } from "../deadline.js";
import { executeJob, type Execution } from "../execute-job.js";
import { continueJob } from "../continue-job.js";
import { inlineKey } from "../keys/resolve-keys.js";
import type { Logger } from "../log.js";
import type { SseCKey } from "../oci/object-store.js";
import type { Runtime } from "../runtime.js";

/** `{"resume": token}` continues a job exactly where it stopped; inline keys must be given again. */
export async function handleResume(body: Record<string, unknown>, rt: Runtime, dl: Deadlines, log: Logger): Promise<Execution> {
  const parsed = ResumeRequestSchema.safeParse(body);
  if (!parsed.success) throw zodToInvalidPayload(parsed.error, "resume request");
  const job = decodeResumeToken(parsed.data.resume);
  assertAllowed(rt.config.allowedBuckets, job.units);
  const inline = new Map<string, SseCKey>();
  const given = [parsed.data.key?.type === "sse-c" ? parsed.data.key : undefined, parsed.data.sourceKey];
  for (const ref of given) {
    const k = ref ? inlineKey(ref) : undefined;
    if (k) inline.set(k.keySha256, k);
  }
  log.info("job resumed", { jobId: job.id, seq: job.seq, unit: job.cursor.unit });
  const exec = await executeJob(job, inline, rt, dl, log.child({ jobId: job.id }));
  // Jobs started by events have no caller waiting for a token: they continue themselves.
  if (job.origin !== "request" && exec.remaining) return { ...exec, response: await continueJob(exec, rt, dl, log) };
  return exec;
}
