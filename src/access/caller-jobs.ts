import { createHash } from "node:crypto";
import { jobNotFound } from "../errors.js";

/**
 * The HTTP header the API Gateway deployment sets to the caller's JWT `sub` (a `set` header
 * transformation that overwrites whatever the client sent; terraform/api-gateway.tf). Only ever
 * read from gateway invocations: a direct invocation has no gateway headers.
 */
export const CALLER_HEADER = "X-Reencrypt-Caller";
const MAX_CALLER = 512;

/** Who sent an invocation: through the gateway (with the subject the gateway vouches for, if any) or directly. */
export interface From {
  gateway: boolean;
  /** The gateway caller's subject; undefined for direct invocations and gateways that name no subject. */
  caller?: string | undefined;
}

/** The caller header's value as the function uses it: trimmed, empty as none, bounded. */
export function callerOf(header: string | null | undefined): string | undefined {
  const v = header?.trim();
  if (!v) return undefined;
  // Longer than any subject an issuer writes: kept as its hash, which no two subjects share.
  return v.length > MAX_CALLER ? `sha256:${createHash("sha256").update(v).digest("hex")}` : v;
}

/**
 * Whether `from` may see (status) or carry on (resume) a job (issue 16 item 7). Direct invocations
 * are authorised by IAM and see every job. Through the gateway, a job with a recorded caller (a
 * request job started through a deployment that maps the JWT subject) is seen by that caller
 * only; anyone else is answered as if the job did not exist, so job ids cannot be probed. A job
 * without one (started directly, by an event, or through a gateway that names no subject) is seen
 * as before by whoever holds the route's scope (docs/security.md says what that shows).
 */
export function assertCallerMaySee(from: From, job: { jobId: string; caller?: string | undefined }): void {
  if (!from.gateway || job.caller === undefined) return;
  if (job.caller !== from.caller) throw jobNotFound(job.jobId);
}
