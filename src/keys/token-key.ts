import { CONFIG_KEYS } from "../contract/config-keys.js";
import { configurationError, ReencryptError } from "../errors.js";
import { OciCallError } from "../oci/oci-failure.js";
import type { SecretReader } from "../oci/secret-reader.js";
import { rememberKeyMaterial } from "../redact.js";

/** HMAC-SHA256 keys shorter than this are below the hash's own strength. */
export const MIN_TOKEN_KEY_BYTES = 32;

/**
 * The key of self-contained resume tokens' MAC: the content of REENCRYPT_TOKEN_SECRET_ID's
 * current version (GetSecretBundle, base64-decoded), at least 32 bytes. Read once per container
 * by the runtime; never logged, and remembered so that any text holding it is redacted.
 */
export async function readTokenKey(secretId: string, secrets: SecretReader): Promise<Buffer> {
  let content: Buffer;
  try {
    content = await secrets.readSecret(secretId);
  } catch (error) {
    const f = error instanceof OciCallError ? error.failure : undefined;
    if (f && f.status >= 400 && f.status < 500) {
      throw configurationError(CONFIG_KEYS.tokenSecretId, `secret ${secretId} could not be read (${f.status} ${f.code}): check it exists and the function may read its bundle (read secret-bundles)`);
    }
    throw new ReencryptError("ServiceError", 502, `${CONFIG_KEYS.tokenSecretId}: the Secrets service did not answer (${f ? `${f.status} ${f.code}` : "no response"})`, { cause: error, expose: true });
  }
  if (content.length < MIN_TOKEN_KEY_BYTES) {
    content.fill(0);
    throw configurationError(CONFIG_KEYS.tokenSecretId, `secret ${secretId} holds ${content.length} bytes; a token secret needs at least ${MIN_TOKEN_KEY_BYTES} random bytes`);
  }
  rememberKeyMaterial(content);
  return content;
}
