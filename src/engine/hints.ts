import type { JobOrigin } from "../model/job.js";
import type { OciFailure } from "../oci/oci-failure.js";
import type { RetentionRuleInfo, TierInfo } from "../oci/object-store.js";

/**
 * Who reads the hint: the function's caller (fix the dynamic group's policy, pass a request field)
 * or an operator at the CLI (fix the user's policy, pass a flag).
 */
export type HintAudience = "function" | "cli";

export interface HintContext {
  audience?: HintAudience | undefined;
  sseCSourceGiven: boolean;
  origin?: JobOrigin | undefined;
  /** The version's tier, when a listing said. */
  tier?: TierInfo | undefined;
  /** The bucket's retention rules, looked up after a 4xx; undefined: not known. */
  retentionRules?: readonly RetentionRuleInfo[] | undefined;
}

interface Words {
  policy: string;
  principal: string;
  sourceKey: string;
  sourceGiven: string;
  concurrency: string;
  logs: string;
  support: string;
}

const WORDS: Record<HintAudience, Words> = {
  function: {
    policy: "the dynamic group's policy",
    principal: "this function",
    sourceKey: "pass that key as sourceKey",
    sourceGiven: "the sourceKey given",
    concurrency: "lower REENCRYPT_CONCURRENCY or set REENCRYPT_MAX_RPS, then resume",
    logs: "an error in the function itself, not in OCI; see the function's logs for this job and report it",
    support: "quote the opc-request-id to Oracle support if it persists",
  },
  cli: {
    policy: "your user's policy (or that of the principal --auth names)",
    principal: "you",
    sourceKey: "pass that key with --source-encryption-key-file",
    sourceGiven: "the key in --source-encryption-key-file",
    concurrency: "lower --concurrency or set --max-rps, then resume with --resume",
    logs: "an error in oci-reencrypt itself, not in OCI; run again with -d and report it",
    support: "quote the opc-request-id and the opc-client-request-id (--request-id) to Oracle support if it persists",
  },
};

const describeRules = (rules: readonly RetentionRuleInfo[]): string =>
  rules
    .slice(0, 3)
    .map((r) => `"${r.displayName}" (${r.duration ? `${r.duration.amount} ${r.duration.unit.toLowerCase()}` : "indefinite"}${r.locked ? ", locked" : ""})`)
    .join(", ") + (rules.length > 3 ? ` and ${rules.length - 3} more` : "");

/** Where the version's data lives makes some failures what they are: say so first. */
function tierHint(f: OciFailure, tier: TierInfo | undefined): string | undefined {
  if (f.status < 400 || f.status >= 500 || f.status === 429 || !tier?.storageTier) return undefined;
  if (tier.storageTier === "Archive" && tier.archivalState !== "Restored") {
    return `The object is in the Archive tier (${tier.archivalState ?? "archived"}): restore it first (oci os object restore; it takes up to an hour and stays readable for the hours you ask), then retry it. Whether re-encryption works on an archived object is not documented.`;
  }
  if (tier.storageTier === "Archive" || tier.storageTier === "InfrequentAccess") {
    return `The object is in the ${tier.storageTier === "Archive" ? "Archive tier (restored)" : "Infrequent Access tier"}: if the service refuses re-encryption in this tier, move it to Standard (oci os object update-storage-tier) or leave it on its key; the message says why it failed.`;
  }
  return undefined;
}

/** The product docs' advice for a failed ReencryptObject, in one or two sentences for the one who can act on it. */
export function hintFor(f: OciFailure, ctx: HintContext): string {
  const w = WORDS[ctx.audience ?? "function"];
  if (f.code === "BucketReadOnly") {
    return "The bucket is a replication destination (read-only): it changes only through replication. Re-encrypt the source bucket; the replica follows replication, and rotations skip it.";
  }
  if (f.code === "ClientError") return `The call could not be made: ${w.logs}.`;
  const tier = tierHint(f, ctx.tier);
  if (tier) return tier;
  if (ctx.retentionRules && ctx.retentionRules.length > 0 && f.status >= 400 && f.status < 500 && f.status !== 404 && f.status !== 429) {
    return `The bucket has retention rules (${describeRules(ctx.retentionRules)}) that prevent modifying its objects, which can include re-encryption: wait until they expire for these objects, or re-encrypt another way (a locked rule cannot be removed).`;
  }
  if (f.status === 404 && f.code === "BucketNotFound") {
    return `The bucket does not exist in this namespace, or ${w.principal} may not read it: check the bucket name and namespace, and ${w.policy} (read buckets, use objects).`;
  }
  if (f.status === 404) {
    return `The object does not exist, was just deleted, or ${w.principal} may not read it: check the name and version, and ${w.policy} (use objects).`;
  }
  if (f.status === 400 || f.status === 403) {
    if (/customer|sse-?c|encryption key|source/i.test(f.message) || f.status === 403) {
      if (ctx.sseCSourceGiven) {
        return `If the object is encrypted with SSE-C, ${w.sourceGiven} does not match its key; check it. Otherwise check ${w.policy} allows OBJECT_OVERWRITE and use key-delegate on the key.`;
      }
      if (ctx.origin === "rotation" || ctx.origin === "key-change") {
        return `If the object is encrypted with a customer-provided key (SSE-C), no key rotation can re-encrypt it and it fails at every rotation: re-key it once with a request naming its key as source and a Vault key as target, or keep it out of the rotated scopes with a rule. Otherwise check ${w.policy} allows OBJECT_OVERWRITE and use key-delegate on the key.`;
      }
      return `If the object is encrypted with a customer-provided key (SSE-C), ${w.sourceKey}. Otherwise check ${w.policy} allows OBJECT_OVERWRITE and use key-delegate on the key.`;
    }
    return "The service rejected the request: check the key (kmsKeyId must be an enabled Vault key that Object Storage may use) and the request fields.";
  }
  if (f.status === 401) {
    return ctx.audience === "cli"
      ? "Your credentials were not accepted: check --profile and --config-file, the key's fingerprint and that the key is uploaded to your user; with --auth security_token run `oci session refresh`."
      : "The function's resource principal was not accepted: check the dynamic group matches this function.";
  }
  if (f.code === "WorkRequestFailed") return "ReencryptBucket did not complete: check the bucket's key is enabled and Object Storage may use it, then run the job again (or without method bucket).";
  if (f.status === 409) return "Conflict (409) that outlived the retries: the object may be changing; retry later.";
  if (f.status === 429) return `Throttled (429) beyond the retries: ${w.concurrency}.`;
  if (f.status >= 500) return `Service error (${f.status}) that outlived the retries: retry later; ${w.support}.`;
  if (f.status === 0) {
    return ctx.audience === "cli"
      ? "No response from Object Storage (connection failed) after retries: check the endpoint, proxy and network."
      : "No response from Object Storage (connection failed) after retries: check the function's network path (service or NAT gateway).";
  }
  return "Unexpected response; see the code and message.";
}

/** Why a unit stopped calling, and what to fix before its failures are retried. */
export function stopHint(f: OciFailure, n: number, ctx: HintContext): string {
  return `The last ${n} calls in this scope failed the same way (${f.status} ${f.code}), so it stopped calling and counted the rest failed without a call. ${hintFor(f, ctx)} Then retry the job's failures.`;
}
