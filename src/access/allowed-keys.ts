import { CONFIG_KEYS } from "../contract/config-keys.js";
import type { Config } from "../config.js";
import { keyNotAllowed } from "../errors.js";
import type { JobSpec } from "../model/job.js";

/**
 * Keys a request (or its resume) may name (contract §10): a target Vault key or secret listed in
 * REENCRYPT_ALLOWED_KEYS or named by a rule; an inline target SSE-C key only with
 * REENCRYPT_ALLOW_INLINE_KEYS=true. Otherwise anyone who may call the route could re-wrap a
 * tenancy's objects under a key only they hold. A source secret (sourceKey.secretId) borrows the
 * function's right to read that secret, so it must be listed too, or a caller who never held an
 * SSE-C key could strip SSE-C from objects (issue 16); an inline source key proves the caller
 * holds it and stays accepted.
 */
export function assertKeysAllowed(spec: Pick<JobSpec, "units" | "sourceKey">, config: Config): void {
  const ruleKeys = new Set(config.rules.map((r) => r.kmsKeyId));
  const allowed = new Set(config.allowedKeys);
  const seen = new Set<string>();
  for (const { key } of spec.units) {
    const id = key.type === "kms" ? key.kmsKeyId : key.type === "sse-c" ? ("secretId" in key ? key.secretId : `inline:${key.keySha256}`) : undefined;
    if (id === undefined || seen.has(id)) continue;
    seen.add(id);
    if (key.type === "kms" && !allowed.has(key.kmsKeyId) && !ruleKeys.has(key.kmsKeyId)) {
      throw keyNotAllowed(`key ${key.kmsKeyId} is not in ${CONFIG_KEYS.allowedKeys} and no rule names it; nothing was done`);
    }
    if (key.type === "sse-c" && "secretId" in key && !allowed.has(key.secretId)) {
      throw keyNotAllowed(`secret ${key.secretId} is not in ${CONFIG_KEYS.allowedKeys}; nothing was done`);
    }
    if (key.type === "sse-c" && "keySha256" in key && !config.allowInlineKeys) {
      throw keyNotAllowed(`an inline SSE-C target key (base64Key) needs ${CONFIG_KEYS.allowInlineKeys}=true; nothing was done`);
    }
  }
  const source = spec.sourceKey;
  if (source && "secretId" in source && !allowed.has(source.secretId)) {
    throw keyNotAllowed(`source secret ${source.secretId} (sourceKey.secretId) is not in ${CONFIG_KEYS.allowedKeys}: the function reads only the secrets listed there; give the key inline (sourceKey.base64Key) to prove you hold it; nothing was done`);
  }
}
