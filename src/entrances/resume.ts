import { checkJob } from "../access/check-job.js";
import { assertCallerMaySee, type From } from "../access/caller-jobs.js";
import { CONFIG_KEYS } from "../contract/config-keys.js";
import { ResumeRequestSchema, type ResumeRequest } from "../contract/request.js";
import type { JobResponse } from "../contract/response.js";
import { decodeResumeToken, isSelfContained, type PortableJob } from "../contract/resume-token.js";
import { refuseManyUnknownFields, zodToInvalidPayload } from "../contract/zod-issues.js";
import { entranceNotAllowed, invalidPayload } from "../errors.js";
import type { Deadlines } from "../runtime/deadline.js";
import type { Runtime } from "../runtime/runtime.js";
import { claimShard } from "../jobs/claim.js";
import { zeroCounts, type JobSpec } from "../model/job.js";
import { newJobId } from "../jobs/from-request.js";
import { specOf } from "../jobs/job-record.js";
import { leaseMs, newOwner } from "../jobs/leases.js";
import { openJobStore } from "../jobs/open-job-store.js";
import { runInvocation } from "../jobs/run-invocation.js";
import { inlineKey, type InlineKeys } from "../keys/resolve-keys.js";
import type { Logger } from "../log.js";
import type { SseCKey } from "../oci/object-store.js";
import { createRateLimiter } from "../oci/rate-limiter.js";

const tokenIssue = (why: string) => invalidPayload(`invalid resume token: ${why}`, [{ path: "resume", message: why }]);

/** Keys come back only for what a job cannot keep: inline SSE-C keys, given again by the caller. */
export function inlineKeysFor(spec: JobSpec, key: unknown, sourceKey: unknown, parsed: { key?: { type: string; base64Key?: string | undefined } | undefined; sourceKey?: { base64Key?: string | undefined } | undefined }): InlineKeys {
  const needsKey = spec.units.some((u) => u.key.type === "sse-c" && "keySha256" in u.key);
  const needsSource = spec.sourceKey !== undefined && "keySha256" in spec.sourceKey;
  if (key !== undefined && !(needsKey && parsed.key?.type === "sse-c" && parsed.key.base64Key !== undefined)) {
    throw invalidPayload("key: this job's key is kept with the job; give key only to resume a job started with an inline SSE-C key", [{ path: "key", message: "not expected for this job" }]);
  }
  if (sourceKey !== undefined && !(needsSource && parsed.sourceKey?.base64Key !== undefined)) {
    throw invalidPayload("sourceKey: this job's source key is kept with the job; give sourceKey only for an inline SSE-C source key", [{ path: "sourceKey", message: "not expected for this job" }]);
  }
  const inline = new Map<string, SseCKey>();
  for (const ref of [parsed.key?.type === "sse-c" ? parsed.key : undefined, parsed.sourceKey]) {
    const k = ref && ref.base64Key !== undefined ? inlineKey({ base64Key: ref.base64Key }) : undefined;
    if (k) inline.set(k.keySha256, k);
  }
  // Checked before the job is claimed: a wrong key must leave the token usable.
  for (const u of spec.units) {
    if (u.key.type === "sse-c" && "keySha256" in u.key && !inline.has(u.key.keySha256)) {
      throw invalidPayload('key: this job was started with an inline key; resume it with the same key in "key"', [{ path: "key", message: "the inline key given does not match the job's (or none was given)" }]);
    }
  }
  if (spec.sourceKey && "keySha256" in spec.sourceKey && !inline.has(spec.sourceKey.keySha256)) {
    throw invalidPayload('sourceKey: this job was started with an inline source key; resume it with the same key in "sourceKey"', [{ path: "sourceKey", message: "the inline key given does not match the job's (or none was given)" }]);
  }
  return inline;
}

/**
 * `{"resume": token}` continues a job exactly where it stopped. A caller (through the gateway)
 * may resume only jobs a request started for it, and never a shard's internal token (contract
 * §7, issue 16). Every resume runs the request's checks again (checkJob).
 */
export async function handleResume(body: Record<string, unknown>, rt: Runtime, dl: Deadlines, log: Logger, from: From): Promise<JobResponse> {
  refuseManyUnknownFields(body, Object.keys(ResumeRequestSchema.shape), "resume request");
  const parsed = ResumeRequestSchema.safeParse(body);
  if (!parsed.success) throw zodToInvalidPayload(parsed.error, "resume request");
  const token = parsed.data.resume;
  const stateful = rt.config.stateBucket !== undefined;

  if (isSelfContained(token)) {
    // With a state bucket every token this function issues is a reference: a self-contained one
    // could pick its own job id and overwrite another job's report.
    if (stateful) throw tokenIssue("this function keeps its jobs in its state bucket and issues reference tokens (j1.…) only");
    const key = await rt.tokenKey({ notAfter: () => dl.hardStopAt, limiter: createRateLimiter(undefined) });
    if (!key && from.gateway) {
      throw entranceNotAllowed(
        `this function keeps no jobs (${CONFIG_KEYS.stateBucket} is not set) and has no secret to authenticate a self-contained token with (${CONFIG_KEYS.tokenSecretId} is not set): a token cannot be resumed through the gateway; nothing was done`,
      );
    }
    const decoded = decodeResumeToken(token, key);
    if (decoded.kind !== "portable") throw tokenIssue("not a token issued by this function");
    return resumePortable(decoded.job, decoded.authenticated, body, parsed.data, rt, dl, log, from);
  }

  const decoded = decodeResumeToken(token);
  if (decoded.kind !== "reference") throw tokenIssue("not a token issued by this function");
  const { ref } = decoded;
  if (!stateful) throw tokenIssue("this function has no state bucket (REENCRYPT_STATE_BUCKET), so it keeps no jobs to resume");
  if (from.gateway && ref.shard !== undefined) throw entranceNotAllowed("a shard token is the function's own: callers resume with the token a request answered");
  const jobs = await openJobStore(rt, dl, log);
  if (!jobs) throw tokenIssue("no state bucket");
  const stored = await jobs.read(ref.jobId);
  if (!stored) throw tokenIssue("it names no job in the state bucket");
  const spec = specOf(stored.record);
  if (from.gateway && spec.origin !== "request") throw entranceNotAllowed(`a ${spec.origin} job is continued by the function itself, not through the gateway`);
  assertCallerMaySee(from, stored.record);
  await checkJob(spec, rt, dl);
  const inline = inlineKeysFor(spec, body["key"], body["sourceKey"], parsed.data);
  const owner = newOwner();
  const claimed = await claimShard(jobs, stored, ref, owner, leaseMs(rt.config));
  const { shard } = claimed;
  const driver = ref.shard === undefined && spec.origin === "request" ? "caller" : "self";
  log.info("job resumed", { jobId: spec.id, shard: shard.id, invocation: shard.invocations, unit: shard.cursor.unit });
  return runInvocation(
    {
      spec,
      work: { id: shard.id, units: shard.units, ...(shard.range ? { range: shard.range } : {}), cursor: shard.cursor },
      inline,
      driver,
      from: { gateway: from.gateway, caller: stored.record.caller },
      durable: { jobs, owner, claimed: { record: claimed.stored.record, shard } },
    },
    rt,
    dl,
    log.child({ jobId: spec.id, shard: shard.id }),
  );
}

/**
 * A self-contained token. What it says is checked like a request (checkJob). What it says of
 * itself is believed only when its MAC proves this function wrote it: an unsigned token (no token
 * secret; direct invocations only) runs under a new job id, with counts of this invocation alone,
 * and its caller binding is not trusted, so it names no caller.
 */
async function resumePortable(job: PortableJob, authenticated: boolean, body: Record<string, unknown>, parsed: ResumeRequest, rt: Runtime, dl: Deadlines, log: Logger, from: From): Promise<JobResponse> {
  if (from.gateway && job.spec.origin !== "request") throw entranceNotAllowed(`a ${job.spec.origin} job is continued by the function itself, not through the gateway`);
  const caller = authenticated ? job.caller : undefined;
  assertCallerMaySee(from, { jobId: job.spec.id, caller });
  const spec: JobSpec = authenticated ? job.spec : { ...job.spec, id: newJobId() };
  await checkJob(spec, rt, dl);
  const inline = inlineKeysFor(spec, body["key"], body["sourceKey"], parsed);
  const portable = authenticated ? { totals: job.totals, seq: job.seq } : { totals: zeroCounts(), seq: 0 };
  log.info("job resumed", { jobId: spec.id, seq: portable.seq, unit: job.work.cursor.unit, ...(authenticated ? {} : { unsignedToken: true, tokenJobId: job.spec.id }) });
  return runInvocation(
    { spec, work: job.work, inline, driver: spec.origin === "request" ? "caller" : "self", from: { gateway: from.gateway, caller }, portable },
    rt,
    dl,
    log.child({ jobId: spec.id }),
  );
}
