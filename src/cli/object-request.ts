import { createHash } from "node:crypto";
import type { z } from "zod";
import { ShorthandRequestSchema, type ReencryptRequest } from "../contract/request.js";
import { toFieldIssues } from "../contract/zod-issues.js";
import { usageError } from "./cli-error.js";
import { keyFileAsBase64 } from "./read-key-file.js";
import { readJsonArg } from "./read-json-arg.js";

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

/** `--from-json` may also name the key files, as the OCI CLI's generated JSON input does. */
const FILE_FIELDS = { encryptionKeyFile: "sseCustomerKey", sourceEncryptionKeyFile: "sourceSseCustomerKey" } as const;

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

/**
 * The flags (over `--from-json`, field by field, as the OCI CLI does) as the request shorthand of
 * the function (contract §2), validated by the same schema: what is refused there is refused here.
 */
export function objectRequestBody(flags: ObjectFlags): Record<string, unknown> {
  const body: Record<string, unknown> = {};
  if (flags.fromJson !== undefined) {
    const json = readJsonArg(flags.fromJson, "--from-json");
    if (!isRecord(json)) throw usageError("--from-json: must be a JSON object with the fields of `oci os object reencrypt --generate-full-command-json-input`");
    for (const [k, v] of Object.entries(json)) {
      if (k in FILE_FIELDS) {
        if (typeof v !== "string") throw usageError(`--from-json ${k}: must be a file path`);
        const field = FILE_FIELDS[k as keyof typeof FILE_FIELDS];
        if (field in json) throw usageError(`--from-json: give ${k} or ${field}, not both`);
        body[field] = { base64Key: keyFileAsBase64(v, `--from-json ${k}`) };
      } else if (k === "sseCustomerKey" || k === "sourceSseCustomerKey") {
        body[k] = sseCKeyRefOf(v, k);
      } else {
        body[k] = v;
      }
    }
  }
  // A flag replaces the same field (and its alias) from --from-json.
  const set = (field: string, value: unknown, aliases: string[] = []): void => {
    if (value === undefined) return;
    for (const a of aliases) delete body[a];
    body[field] = value;
  };
  if (flags.namespaceName !== undefined && flags.namespace !== undefined && flags.namespaceName !== flags.namespace) {
    throw usageError("--namespace-name and --namespace are the same option: give one");
  }
  if (flags.objectName !== undefined && flags.name !== undefined && flags.objectName !== flags.name) {
    throw usageError("--object-name and --name are the same option: give one");
  }
  set("namespaceName", flags.namespaceName ?? flags.namespace, ["namespace"]);
  set("bucketName", flags.bucketName);
  set("objectName", flags.objectName ?? flags.name, ["name"]);
  set("versionId", flags.versionId);
  set("kmsKeyId", flags.kmsKeyId);
  if (flags.encryptionKeyFile !== undefined) set("sseCustomerKey", { base64Key: keyFileAsBase64(flags.encryptionKeyFile, "--encryption-key-file") });
  if (flags.sourceEncryptionKeyFile !== undefined) {
    set("sourceSseCustomerKey", { base64Key: keyFileAsBase64(flags.sourceEncryptionKeyFile, "--source-encryption-key-file") });
  }
  if (flags.dryRun === true) body["dryRun"] = true;
  return body;
}

/** Flags → the validated request (one object target); every problem at once, one line each. */
export function parseObjectRequest(flags: ObjectFlags): ReencryptRequest {
  const body = objectRequestBody(flags);
  const missing = [
    body["bucketName"] === undefined ? "--bucket-name" : undefined,
    body["objectName"] === undefined && body["name"] === undefined ? "--object-name (or --name)" : undefined,
  ].filter((m): m is string => m !== undefined);
  if (missing.length > 0) throw usageError(`missing required option${missing.length > 1 ? "s" : ""} ${missing.join(" and ")} (or the same fields in --from-json)`);
  const parsed = ShorthandRequestSchema.safeParse(body);
  if (!parsed.success) throw usageError(requestIssues(parsed.error).join("\n"));
  return parsed.data;
}
