import { createHash } from "node:crypto";
import type { SseCKey } from "../oci/object-store.js";
import { SecretValue } from "../secret-value.js";

/** keySha256 is base64(SHA-256(the 32 raw bytes)), not a hash of the base64 text. */
export function sseCKeyFromRaw(raw: Buffer): SseCKey {
  if (raw.length !== 32) throw new Error("an SSE-C key is exactly 32 bytes");
  return { key: new SecretValue(raw.toString("base64")), keySha256: createHash("sha256").update(raw).digest("base64") };
}

const BASE64_32 = /^[A-Za-z0-9+/]{43}=$/;

/** A secret bundle's decoded content: the 32 raw bytes, or the base64 text of them. */
export function sseCKeyFromSecretContent(decoded: Buffer): SseCKey | undefined {
  if (decoded.length === 32) return sseCKeyFromRaw(decoded);
  const text = decoded.toString("utf8").trim();
  if (BASE64_32.test(text)) {
    const raw = Buffer.from(text, "base64");
    if (raw.length === 32) return sseCKeyFromRaw(raw);
  }
  return undefined;
}
