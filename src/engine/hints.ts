import type { OciFailure } from "../oci/oci-failure.js";

/** The product docs' advice for a failed ReencryptObject, in one sentence. */
export function hintFor(f: OciFailure, ctx: { sseCSourceGiven: boolean }): string {
  if (f.status === 404 && f.code === "BucketNotFound") {
    return "The bucket does not exist in this namespace, or this function may not read it: check the bucket name and namespace, and the dynamic group's policy (read buckets, use objects).";
  }
  if (f.status === 404) {
    return "The object does not exist, was just deleted, or this function may not read it: check the name and version, and the dynamic group's policy (use objects).";
  }
  if (f.status === 400 || f.status === 403) {
    if (/customer|sse-?c|encryption key|source/i.test(f.message) || f.status === 403) {
      return ctx.sseCSourceGiven
        ? "If the object is encrypted with SSE-C, the sourceKey given does not match its key; check the sourceKey. Otherwise check the policy allows OBJECT_OVERWRITE and use key-delegate on the key."
        : "If the object is encrypted with a customer-provided key (SSE-C), pass that key as sourceKey. Otherwise check the policy allows OBJECT_OVERWRITE and use key-delegate on the key.";
    }
    return "The service rejected the request: check the key (kmsKeyId must be an enabled Vault key this function and Object Storage may use) and the request fields.";
  }
  if (f.status === 401) return "The function's resource principal was not accepted: check the dynamic group matches this function.";
  if (f.code === "WorkRequestFailed") return "ReencryptBucket did not complete: check the bucket's key is enabled and Object Storage may use it, then run the job again (or without method bucket).";
  if (f.status === 409) return "Conflict (409) that outlived the retries: the object may be changing; retry later.";
  if (f.status === 429) return "Throttled (429) beyond the retries: lower REENCRYPT_CONCURRENCY or set REENCRYPT_MAX_RPS, then resume.";
  if (f.status >= 500) return `Service error (${f.status}) that outlived the retries: retry later; quote the opc-request-id to Oracle support if it persists.`;
  if (f.code === "ClientError") return "The call could not be made: an error in the function itself, not in OCI; see the function's logs for this job and report it.";
  if (f.status === 0) return "No response from Object Storage (connection failed) after retries: check the function's network path (service or NAT gateway).";
  return "Unexpected response; see the code and message.";
}
