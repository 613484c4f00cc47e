import { createHash } from "node:crypto";

export interface SseCKeyDetails {
  algorithm: "AES256";
  key: string;
  keySha256: string;
}

/** base64(SHA-256(raw key bytes)): OCI hashes the decoded 32 bytes, not the base64 text. */
export function sseCKeySha256(base64Key: string): string {
  return createHash("sha256").update(Buffer.from(base64Key, "base64")).digest("base64");
}

/** The `SSECustomerKeyDetails` body OCI expects for a base64 key of 32 bytes. */
export function sseCKeyDetails(base64Key: string): SseCKeyDetails {
  return { algorithm: "AES256", key: base64Key, keySha256: sseCKeySha256(base64Key) };
}

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/** Why a customer key is unusable, or undefined when it is a canonical base64 encoding of 32 bytes. */
export function sseCKeyProblem(base64Key: string): string | undefined {
  if (!BASE64.test(base64Key) || base64Key.length % 4 !== 0) return "is not valid base64";
  const raw = Buffer.from(base64Key, "base64");
  if (raw.length !== 32) return `must decode to 32 bytes (a 256-bit key), got ${raw.length}`;
  return undefined;
}
