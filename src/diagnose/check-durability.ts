import { CONFIG_KEYS } from "../contract/config-keys.js";
import type { DiagnoseContext } from "./diagnose-context.js";

/**
 * What a deployment without a state bucket loses, and what its resume tokens are (issue 16): with
 * a state bucket tokens are references to job records; without one they carry the job, signed
 * with REENCRYPT_TOKEN_SECRET_ID when it is set, otherwise unsigned and then given to and taken
 * from direct invocations only.
 */
export async function checkDurability({ rt, list, budget }: DiagnoseContext): Promise<void> {
  const secretId = rt.config.tokenSecretId;
  if (rt.config.stateBucket) {
    list.ok(
      "resume-tokens",
      `resume tokens are references to job records in the state bucket (j1.<job>.<nonce>), carrying no job content${secretId ? `; ${CONFIG_KEYS.tokenSecretId} is set but only used without a state bucket` : ""}`,
    );
    return;
  }
  const lost =
    `${CONFIG_KEYS.stateBucket} is not set, so this deployment has no durable jobs: an invocation that dies loses the rest of its job (no record, no sweep); ` +
    "a key rotation announced twice runs twice (no de-duplication); no reports are written; no job status can be asked; resume tokens carry the job itself instead of naming a record; " +
    `and ${CONFIG_KEYS.maxRps} holds per invocation, not across the deployment`;
  const stateFix = "set state_bucket_name, or leave create_state_bucket = true (the Terraform module's default)";
  list.warning("durability", lost, stateFix, `${lost}; fix: ${stateFix}`);
  if (!secretId) {
    const detail = `${CONFIG_KEYS.tokenSecretId} is not set either: resume tokens are unsigned, so they are given to and accepted from direct invocations only (IAM authorised those callers); an API Gateway caller whose job reaches its deadline gets "incomplete" with no token, and cannot resume one`;
    list.warning("resume-tokens", detail, `set ${CONFIG_KEYS.stateBucket} (preferred) or ${CONFIG_KEYS.tokenSecretId} (Terraform: token_secret_id)`);
    return;
  }
  try {
    await rt.tokenKey(budget);
    list.ok("resume-tokens", `self-contained resume tokens are signed (HMAC-SHA256, r3.<job>.<mac>) with the content of secret ${secretId}: a caller cannot write one, and every resume is checked again like a request`);
  } catch (error) {
    list.problem(
      "resume-tokens",
      `the token secret cannot be used: ${error instanceof Error ? error.message : String(error)}; jobs that reach their deadline cannot be given a resume token`,
      `check secret ${secretId} exists, holds at least 32 random bytes, and the function may read its bundle (Terraform grants read secret-bundles on token_secret_id)`,
    );
  }
}
