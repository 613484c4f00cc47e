import { createHash } from "node:crypto";
import type { z } from "zod";
import { ShorthandRequestSchema, type ReencryptRequest } from "../contract/request.js";
import { toFieldIssues } from "../contract/zod-issues.js";
import { usageError } from "./cli-error.js";
import { keyFileAsBase64, STDIN } from "./read-key-file.js";
import { jsonInputFields, readJsonArg } from "./read-json-arg.js";

/** `oci os object reencrypt`'s parameters, with the OCI CLI's names (and aliases). */
export interface ObjectFlags {
  namespaceName?: string | undefined;
  namespace?: string | undefined;
  bucketName?: string | undefined;
  objectName?: string | undefined;
  name?: string | undefined;
  versionId?: string | undefined;
  kmsKeyId?: string | undefined;
  encryptionKeyFile?: string | undefined;
  sourceEncryptionKeyFile?: string | undefined;
  fromJson?: string | undefined;
  dryRun?: boolean | undefined;
}

/** Request fields → the flag a user would fix, for error lines. */
export const FLAG_OF_FIELD: Readonly<Record<string, string>> = {
  namespaceName: "--namespace-name",
  namespace: "--namespace",
  bucketName: "--bucket-name",
  objectName: "--object-name",
  name: "--name",
  versionId: "--version-id",
  kmsKeyId: "--kms-key-id",
  sseCustomerKey: "--encryption-key-file",
  sourceSseCustomerKey: "--source-encryption-key-file",
  dryRun: "--dry-run",
};

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

/**
 * An SSECustomerKeyDetails as the OCI API and `oci … --from-json` write it
 * (`{"algorithm":"AES256","key":"<base64>","keySha256":"<base64>"}`) becomes our `{"base64Key"}`;
 * `{"secretId"}` and `{"base64Key"}` pass as they are.
 */
export function sseCKeyRefOf(value: unknown, field: string): unknown {
  if (!isRecord(value) || !("key" in value || "algorithm" in value || "keySha256" in value)) return value;
  const { algorithm, key, keySha256, ...rest } = value;
  const flag = FLAG_OF_FIELD[field] ?? field;
  if (Object.keys(rest).length > 0) throw usageError(`--from-json ${field}: unknown field ${Object.keys(rest)[0]}`);
  if (algorithm !== undefined && algorithm !== "AES256") throw usageError(`--from-json ${field}.algorithm: must be "AES256" (the only SSE-C algorithm)`);
  if (typeof key !== "string" || !/^[A-Za-z0-9+/]{43}=$/.test(key)) throw usageError(`--from-json ${field}.key: must be the base64 of exactly 32 bytes (${flag} reads it from a file)`);
  if (keySha256 !== undefined) {
    const expected = createHash("sha256").update(Buffer.from(key, "base64")).digest("base64");
    if (keySha256 !== expected) throw usageError(`--from-json ${field}.keySha256: is not the SHA-256 of the key (base64 of SHA-256 of the 32 raw bytes)`);
  }
  return { base64Key: key };
}

const issueLine = (path: string, message: string): string => {
  const [head, ...tail] = path.split(".");
  const flag = head !== undefined ? FLAG_OF_FIELD[head] : undefined;
  return `${flag ?? (path || "arguments")}${flag && tail.length > 0 ? ` (${tail.join(".")})` : ""}: ${message}`;
};

/** A zod error over a request, as one line per field, named by flag where one exists. */
export function requestIssues(error: z.ZodError): string[] {
  return toFieldIssues(error).map((i) => issueLine(i.path, i.message));
}

/** Every name `--from-json` may use for each parameter (underscored), as oci-cli maps them. */
export const OBJECT_JSON_NAMES: ReadonlyMap<string, string> = new Map([
  ...["namespace_name", "namespace", "ns"].map((n) => [n, "namespaceName"] as const),
  ...["bucket_name", "bn"].map((n) => [n, "bucketName"] as const),
  ...["object_name", "name", "on"].map((n) => [n, "objectName"] as const),
  ["version_id", "versionId"],
  ["kms_key_id", "kmsKeyId"],
  ["encryption_key_file", "encryptionKeyFile"],
  ["source_encryption_key_file", "sourceEncryptionKeyFile"],
  // Not parameters of `oci os object reencrypt` (its extension removes them), but the API's own
  // form of the keys, which our --from-json accepts too.
  ["sse_customer_key", "sseCustomerKey"],
  ["source_sse_customer_key", "sourceSseCustomerKey"],
  ["dry_run", "dryRun"],
]);

/** The option names oci-cli looks a parameter's default up by in oci_cli_rc (without dashes). */
export const OBJECT_RC_NAMES: Readonly<Record<string, readonly string[]>> = {
  namespaceName: ["namespace-name", "namespace", "ns"],
  bucketName: ["bucket-name", "bn"],
  objectName: ["object-name", "name", "on"],
  versionId: ["version-id"],
  kmsKeyId: ["kms-key-id"],
  encryptionKeyFile: ["encryption-key-file"],
  sourceEncryptionKeyFile: ["source-encryption-key-file"],
};

/** A parameter's default from oci_cli_rc, by the names it is known by there. */
export type RcLookup = (names: readonly string[]) => string | undefined;

const stringField = (field: string, v: unknown): string => {
  if (typeof v !== "string") throw usageError(`--from-json ${field}: must be a string`);
  return v;
};

/**
 * The flags, over `--from-json` (parameter by parameter, as the OCI CLI does), over the oci_cli_rc
 * defaults, as the request shorthand of the function (contract §2), validated by the same schema:
 * what is refused there is refused here.
 */
export function objectRequestBody(flags: ObjectFlags, o: { rc?: RcLookup } = {}): Record<string, unknown> {
  if (flags.namespaceName !== undefined && flags.namespace !== undefined && flags.namespaceName !== flags.namespace) {
    throw usageError("--namespace-name and --namespace are the same option: give one");
  }
  if (flags.objectName !== undefined && flags.name !== undefined && flags.objectName !== flags.name) {
    throw usageError("--object-name and --name are the same option: give one");
  }
  const params = new Map<string, unknown>();
  if (flags.fromJson !== undefined) {
    const json = readJsonArg(flags.fromJson, "--from-json");
    if (!isRecord(json)) throw usageError("--from-json: must be a JSON object with the fields of `oci-reencrypt object --generate-full-command-json-input`");
    for (const [k, v] of jsonInputFields(json, OBJECT_JSON_NAMES)) params.set(k, v);
    if (params.has("encryptionKeyFile") && params.has("sseCustomerKey")) throw usageError("--from-json: give encryptionKeyFile or sseCustomerKey, not both");
    if (params.has("sourceEncryptionKeyFile") && params.has("sourceSseCustomerKey")) throw usageError("--from-json: give sourceEncryptionKeyFile or sourceSseCustomerKey, not both");
  }
  // A flag replaces the same parameter from --from-json; a key flag replaces both forms of its key.
  const flag = (param: string, value: unknown, replaces?: string): void => {
    if (value === undefined) return;
    if (replaces !== undefined) params.delete(replaces);
    params.set(param, value);
  };
  flag("namespaceName", flags.namespaceName ?? flags.namespace);
  flag("bucketName", flags.bucketName);
  flag("objectName", flags.objectName ?? flags.name);
  flag("versionId", flags.versionId);
  flag("kmsKeyId", flags.kmsKeyId);
  flag("encryptionKeyFile", flags.encryptionKeyFile, "sseCustomerKey");
  flag("sourceEncryptionKeyFile", flags.sourceEncryptionKeyFile, "sourceSseCustomerKey");
  if (flags.dryRun === true) params.set("dryRun", true);
  // oci_cli_rc last: only what neither the flags nor --from-json gave.
  const fromRc = new Set<string>();
  if (o.rc !== undefined) {
    for (const [param, names] of Object.entries(OBJECT_RC_NAMES)) {
      const covered = params.has(param) || (param === "encryptionKeyFile" && params.has("sseCustomerKey")) || (param === "sourceEncryptionKeyFile" && params.has("sourceSseCustomerKey"));
      const v = covered ? undefined : o.rc(names);
      if (v !== undefined) {
        params.set(param, v);
        fromRc.add(param);
      }
    }
  }
  if (params.get("encryptionKeyFile") === STDIN && params.get("sourceEncryptionKeyFile") === STDIN) {
    throw usageError("--encryption-key-file - and --source-encryption-key-file -: standard input holds one key; give the other as a file");
  }

  const body: Record<string, unknown> = {};
  for (const [param, value] of params) {
    if (param === "encryptionKeyFile" || param === "sourceEncryptionKeyFile") {
      const field = param === "encryptionKeyFile" ? "sseCustomerKey" : "sourceSseCustomerKey";
      const where = flags[param] !== undefined ? (FLAG_OF_FIELD[field] as string) : fromRc.has(param) ? `oci_cli_rc ${OBJECT_RC_NAMES[param]?.[0]}` : `--from-json ${param}`;
      body[field] = { base64Key: keyFileAsBase64(stringField(param, value), where) };
    } else if (param === "sseCustomerKey" || param === "sourceSseCustomerKey") {
      body[param] = sseCKeyRefOf(value, param);
    } else {
      body[param] = value;
    }
  }
  return body;
}

/** Flags → the validated request (one object target); every problem at once, one line each. */
export function parseObjectRequest(flags: ObjectFlags, o: { rc?: RcLookup } = {}): ReencryptRequest {
  const body = objectRequestBody(flags, o);
  const missing = [
    body["bucketName"] === undefined ? "--bucket-name" : undefined,
    body["objectName"] === undefined ? "--object-name (or --name)" : undefined,
  ].filter((m): m is string => m !== undefined);
  if (missing.length > 0) throw usageError(`missing required option${missing.length > 1 ? "s" : ""} ${missing.join(" and ")} (or the same fields in --from-json)`);
  const parsed = ShorthandRequestSchema.safeParse(body);
  if (!parsed.success) throw usageError(requestIssues(parsed.error).join("\n"));
  return parsed.data;
}
