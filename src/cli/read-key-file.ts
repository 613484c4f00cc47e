import { readFileSync } from "node:fs";
import { sseCKeyFromRaw } from "../keys/sse-c-key.js";
import type { SseCKey } from "../oci/object-store.js";
import { usageError } from "./cli-error.js";

const BASE64_32 = /^[A-Za-z0-9+/]{43}=$/;

/** `-` names standard input, as click.File does for the OCI CLI's key file options. */
export const STDIN = "-";

let stdinRead = false;

/**
 * An SSE-C key file as the OCI CLI reads it (`--encryption-key-file`): the base64 text of 32 bytes,
 * surrounding whitespace ignored (`openssl rand -base64 32 > key`); `-` reads standard input
 * (`vault-read | oci-reencrypt object … --encryption-key-file -`). The key never appears in an
 * error; the file's name does.
 */
export function readKeyFile(path: string, flag: string): SseCKey {
  let text: string;
  const where = path === STDIN ? "- (standard input)" : path;
  try {
    if (path === STDIN) {
      // Standard input holds one key: a second reader would get nothing and see a wrong key.
      if (stdinRead) throw usageError(`${flag} -: standard input was already read for another key file; give one of the keys as a file`);
      stdinRead = true;
      text = readFileSync(0, "utf8");
    } else text = readFileSync(path, "utf8");
  } catch (error) {
    if (!(error instanceof Error) || !("code" in error)) throw error;
    const why = (error as NodeJS.ErrnoException).code === "ENOENT" ? "no such file" : ((error as NodeJS.ErrnoException).code ?? "cannot be read");
    throw usageError(`${flag} ${where}: ${why}`);
  }
  const b64 = text.trim();
  const raw = BASE64_32.test(b64) ? Buffer.from(b64, "base64") : undefined;
  if (!raw || raw.length !== 32) throw usageError(`${flag} ${where}: must hold the base64 of exactly 32 bytes (an AES-256 key), e.g. made with "openssl rand -base64 32"`);
  return sseCKeyFromRaw(raw);
}

/** The base64 text of a key read from a file, for a request body (which takes `base64Key`). */
export function keyFileAsBase64(path: string, flag: string): string {
  return readKeyFile(path, flag).key.reveal();
}
