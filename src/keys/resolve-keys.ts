import { invalidPayload, ReencryptError } from "../errors.js";
import type { SseCKeyRef } from "../contract/key-spec.js";
import type { JobKey, JobSourceKey } from "../model/job.js";
import { OciCallError } from "../oci/oci-failure.js";
import type { SseCKey } from "../oci/object-store.js";
import type { SecretReader } from "../oci/secret-reader.js";
import { sseCKeyFromRaw, sseCKeyFromSecretContent } from "./sse-c-key.js";

/** SSE-C keys a job names, resolved for one invocation (from secrets or the caller). */
export interface KeyMaterials {
  target: SseCKey | undefined;
  source: SseCKey | undefined;
}

/** Inline keys supplied with this invocation, by their keySha256. */
export type InlineKeys = ReadonlyMap<string, SseCKey>;

export function inlineKey(ref: SseCKeyRef): SseCKey | undefined {
  return ref.base64Key === undefined ? undefined : sseCKeyFromRaw(Buffer.from(ref.base64Key, "base64"));
}

async function fromSecret(secretId: string, secrets: SecretReader, field: string): Promise<SseCKey> {
  let content: Buffer;
  try {
    content = await secrets.readSecret(secretId);
  } catch (error) {
    const f = error instanceof OciCallError ? error.failure : undefined;
    if (f && f.status >= 400 && f.status < 500) {
      throw invalidPayload(`${field}: secret ${secretId} could not be read (${f.status} ${f.code}): check it exists and the function may read its bundle`, [
        { path: field, message: `secret could not be read (${f.status} ${f.code})` },
      ]);
    }
    throw new ReencryptError("InternalError", 502, `${field}: the Secrets service did not answer (${f ? `${f.status} ${f.code}` : "no response"})`, { cause: error, expose: true });
  }
  const key = sseCKeyFromSecretContent(content);
  content.fill(0);
  if (!key) {
    throw invalidPayload(`${field}: secret ${secretId} does not hold an SSE-C key (32 raw bytes, or their base64)`, [
      { path: field, message: "secret content is not a 32-byte key (raw or base64)" },
    ]);
  }
  return key;
}

async function resolveOne(
  ref: { secretId: string } | { keySha256: string },
  inline: InlineKeys,
  secrets: SecretReader,
  field: string,
): Promise<SseCKey> {
  if ("secretId" in ref) return fromSecret(ref.secretId, secrets, field);
  const key = inline.get(ref.keySha256);
  if (!key) {
    throw invalidPayload(`${field}: this job was started with an inline key; resume it with the same key in "${field}"`, [
      { path: field, message: "the inline key given does not match the job's (or none was given)" },
    ]);
  }
  return key;
}

/** Resolves the SSE-C keys a job names, once per invocation. */
export async function resolveKeyMaterials(
  key: JobKey | undefined,
  source: JobSourceKey | undefined,
  inline: InlineKeys,
  secrets: SecretReader,
): Promise<KeyMaterials> {
  const target = key?.type === "sse-c" ? await resolveOne(key, inline, secrets, "key") : undefined;
  const src = source === undefined ? undefined : await resolveOne(source, inline, secrets, "sourceKey");
  return { target, source: src };
}
