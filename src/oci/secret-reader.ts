import type { SecretsClient, requests } from "oci-secrets";
import { strictBase64 } from "../base64.js";
import { withRetry } from "./retry.js";

/** Reads a secret bundle's current version; returns the base64-decoded content. */
export interface SecretReader {
  readSecret(secretId: string): Promise<Buffer>;
}

/** requests.GetSecretBundleRequest.Stage.Current, without loading oci-secrets to read it. */
const CURRENT = "CURRENT" as requests.GetSecretBundleRequest.Stage.Current;

/**
 * GetSecretBundle, current version; the content is returned decoded and never logged. The client
 * (and with it the oci-secrets package) is only made when a secret is first read.
 */
export function createSecretReader(client: () => Promise<SecretsClient>, notAfter: () => number | undefined): SecretReader {
  return {
    async readSecret(secretId) {
      const c = await client();
      const r = await withRetry("GetSecretBundle", () => c.getSecretBundle({ secretId, stage: CURRENT }), { notAfter: notAfter() });
      const content = r.secretBundle.secretBundleContent as { contentType?: string; content?: string } | undefined;
      // Strictly: Node's base64 decoder skips what it cannot read, which would accept "<key>!!garbage".
      return strictBase64(content?.content ?? "") ?? Buffer.alloc(0);
    },
  };
}
