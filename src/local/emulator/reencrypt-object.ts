import { ApiError, invalidParameter, notFound } from "./api-error.js";
import { bucketNotFoundMessage, type EmulatorState } from "./emulator-state.js";
import type { ObjectVersion, Wrapping } from "./model.js";
import { refuse, RETENTION_RULE_ACTIVE } from "./refusals.js";
import { sseCKeyProblem, sseCKeySha256 } from "./sse-c.js";
import { requireRestored } from "./storage-tiers.js";

export const BOTH_KEYS_MESSAGE =
  "The object re-encryption key must be specified either in the kmsKeyId field or in the sseCustomerKey field, but not in both";

interface CustomerKey {
  key: string;
  keySha256: string;
}

/**
 * ReencryptObject with the service's rules as far as they are known (oci-facts §3.1, §4):
 * empty details rewrap under the bucket's key at its current version (or Oracle-managed), a
 * `kmsKeyId` under that key's current version, an `sseCustomerKey` as SSE-C; an SSE-C object
 * needs its `sourceSseCustomerKey`. Emulator choices (UNCONFIRMED, see README): an Archive version
 * that is not Restored, a version an active retention rule protects, and a version whose current
 * key (version) can no longer unwrap its data key are refused. Returns the rewrapped version.
 */
export function reencryptObject(
  state: EmulatorState,
  bucketName: string,
  objectName: string,
  versionId: string | undefined,
  details: unknown,
): ObjectVersion {
  const bucket = state.bucket(bucketName);
  if (!bucket) throw notFound("BucketNotFound", bucketNotFoundMessage(bucketName, state.namespace));

  if (details === undefined || details === null) details = {};
  if (typeof details !== "object" || Array.isArray(details)) {
    throw new ApiError(400, "CannotParseRequest", "The request body must be a ReencryptObjectDetails JSON object");
  }
  const d = details as Record<string, unknown>;
  const kmsKeyId = optionalString(d["kmsKeyId"], "kmsKeyId");
  const target = customerKey(d["sseCustomerKey"], "sseCustomerKey");
  const source = customerKey(d["sourceSseCustomerKey"], "sourceSseCustomerKey");
  // The docs treat a null or empty kmsKeyId as absent.
  if (kmsKeyId && target) throw invalidParameter(BOTH_KEYS_MESSAGE);

  const version = state.findVersion(bucketName, objectName, versionId);
  if (!version || version.isDeleteMarker) {
    const which = versionId === undefined ? "" : ` with version id '${versionId}'`;
    throw notFound("ObjectNotFound", `The object '${objectName}'${which} was not found in the bucket '${bucketName}'`);
  }

  requireRestored(version, "re-encrypting it");
  const rule = state.retentionRules.activeFor(bucketName, version);
  if (rule) {
    throw refuse(RETENTION_RULE_ACTIVE, `The object '${objectName}' is protected by the retention rule '${rule.displayName}' of bucket '${bucketName}': re-encrypting it is not allowed`);
  }

  if (version.wrapping.kind === "sse-c") {
    if (!source) {
      throw invalidParameter(
        `The object '${objectName}' is encrypted with a customer-provided encryption key; ` +
          "specify that key in the sourceSseCustomerKey field",
      );
    }
    if (source.keySha256 !== version.wrapping.keySha256) {
      throw new ApiError(403, "Forbidden", "The sourceSseCustomerKey does not match the key the object is encrypted with");
    }
  }

  let wrapping: Wrapping;
  if (target) wrapping = { kind: "sse-c", keySha256: target.keySha256 };
  else if (kmsKeyId) wrapping = { kind: "kms", kmsKeyId, keyVersionId: state.usableKey(kmsKeyId).currentKeyVersion };
  else if (bucket.kmsKeyId !== undefined) {
    wrapping = { kind: "kms", kmsKeyId: bucket.kmsKeyId, keyVersionId: state.usableKey(bucket.kmsKeyId).currentKeyVersion };
  } else wrapping = { kind: "oracle" };
  state.requireUnwrappable(version);

  state.rewrap(version, wrapping);
  return version;
}

function optionalString(value: unknown, field: string): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "string") throw invalidParameter(`The ${field} field must be a string`);
  return value;
}

function customerKey(value: unknown, field: string): CustomerKey | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "object" || Array.isArray(value)) throw invalidParameter(`The ${field} field must be an object`);
  const v = value as Record<string, unknown>;
  if (v["algorithm"] !== "AES256") throw invalidParameter(`${field}.algorithm must be AES256`);
  const key = v["key"];
  const keySha256 = v["keySha256"];
  if (typeof key !== "string" || key === "") throw invalidParameter(`${field}.key is required`);
  if (typeof keySha256 !== "string" || keySha256 === "") throw invalidParameter(`${field}.keySha256 is required`);
  const problem = sseCKeyProblem(key);
  if (problem) throw invalidParameter(`${field}.key ${problem}`);
  if (sseCKeySha256(key) !== keySha256) {
    throw invalidParameter(`${field}.keySha256 is not the base64 SHA-256 of the decoded ${field}.key`);
  }
  return { key, keySha256 };
}
