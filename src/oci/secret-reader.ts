import type { SecretsClient } from "oci-secrets";
import { requests } from "oci-secrets";
import type { SecretReader } from "../keys/resolve-keys.js";
import { withRetry } from "./retry.js";

/** GetSecretBundle, current version; the content is returned decoded and never logged. */
export function createSecretReader(client: SecretsClient, notAfter: () => number | undefined): SecretReader {
  return {
    async readSecret(secretId) {
      const r = await withRetry(
        "GetSecretBundle",
        () => client.getSecretBundle({ secretId, stage: requests.GetSecretBundleRequest.Stage.Current }),
        { notAfter: notAfter() },
      );
      const content = r.secretBundle.secretBundleContent as { contentType?: string; content?: string } | undefined;
      return Buffer.from(content?.content ?? "", "base64");
    },
  };
}
