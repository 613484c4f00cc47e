import { createHash } from "node:crypto";
import type { SseCKey } from "../oci/object-store.js";
import { rememberKeyMaterial } from "../redact.js";
import { SecretValue } from "../secret-value.js";

/** keySha256 is base64(SHA-256(the 32 raw bytes)), not a hash of the base64 text. */
export function sseCKeyFromRaw(raw: Buffer): SseCKey {
  if (raw.length !== 32) throw new Error("an SSE-C key is exactly 32 bytes");
  // Any text the function later logs, stores or answers is searched for this key (redact.ts).
  rememberKeyMaterial(raw);
  return { key: new SecretValue(raw.toString("base64")), keySha256: createHash("sha256").update(raw).digest("base64") };
}

const BASE64_32 = /^[A-Za-z0-9+/]{43}=$/;

/**
 * A secret bundle's decoded content: exactly the 32 raw bytes, or exactly the base64 text of them
 * (one trailing newline tolerated: secrets are often made with `echo`). Anything else is not a key.
 */
export function sseCKeyFromSecretContent(decoded: Buffer): SseCKey | undefined {
  if (decoded.length === 32) return sseCKeyFromRaw(decoded);
  let text = decoded.toString("utf8");
  if (text.endsWith("\r\n")) text = text.slice(0, -2);
  else if (text.endsWith("\n")) text = text.slice(0, -1);
  if (!BASE64_32.test(text)) return undefined;
  const raw = Buffer.from(text, "base64");
  return raw.length === 32 ? sseCKeyFromRaw(raw) : undefined;
}
