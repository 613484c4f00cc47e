import { randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { CliError } from "../../src/cli/cli-error.js";
import { CHECKPOINT_FORMAT, readCheckpoint, writeCheckpoint, type Checkpoint } from "../../src/cli/checkpoint-file.js";
import { inlineKeysFor } from "../../src/cli/job-options.js";
import { expandOciShortFlags } from "../../src/cli/oci-short-flags.js";
import { objectRequestBody, parseObjectRequest, sseCKeyRefOf } from "../../src/cli/object-request.js";
import { readKeyFile } from "../../src/cli/read-key-file.js";
import { csvField, csvLine, reportFormatOf } from "../../src/cli/report-file.js";
import { sseCKeyFromRaw } from "../../src/keys/sse-c-key.js";

const dir = mkdtempSync(join(tmpdir(), "cli-unit-"));
const raw = randomBytes(32);
const b64 = raw.toString("base64");
const keyFile = join(dir, "k");
writeFileSync(keyFile, `  ${b64}\n`);
const sha = sseCKeyFromRaw(raw).keySha256;
const KEY = "ocid1.key.oc1..aaaaexample";

const usage = (f: () => unknown): string => {
  try {
    f();
  } catch (error) {
    expect(error).toBeInstanceOf(CliError);
    expect((error as CliError).exitCode).toBe(2);
    return (error as CliError).message;
  }
  throw new Error("no error");
};

describe("object flags → the function's request shorthand", () => {
  it.each([
    [{ bucketName: "b", objectName: "o" }, { bucketName: "b", objectName: "o" }],
    [{ bucketName: "b", name: "o", namespace: "ns" }, { bucketName: "b", objectName: "o", namespaceName: "ns" }],
    [{ bucketName: "b", objectName: "o", versionId: "v+1=", kmsKeyId: KEY }, { bucketName: "b", objectName: "o", versionId: "v+1=", kmsKeyId: KEY }],
    [{ bucketName: "b", objectName: "o", encryptionKeyFile: keyFile }, { bucketName: "b", objectName: "o", sseCustomerKey: { base64Key: b64 } }],
    [{ bucketName: "b", objectName: "o", sourceEncryptionKeyFile: keyFile, dryRun: true }, { bucketName: "b", objectName: "o", sourceSseCustomerKey: { base64Key: b64 }, dryRun: true }],
  ])("%j", (flags, body) => {
    expect(objectRequestBody(flags)).toEqual(body);
  });

  it("--from-json fields, with flags replacing the same field and its alias", () => {
    const json = JSON.stringify({ namespace: "a", bucketName: "b", name: "o", kmsKeyId: KEY });
    expect(objectRequestBody({ fromJson: json, namespaceName: "z", objectName: "p" })).toEqual({ bucketName: "b", kmsKeyId: KEY, namespaceName: "z", objectName: "p" });
    const file = join(dir, "in.json");
    writeFileSync(file, JSON.stringify({ bucketName: "b", objectName: "o", encryptionKeyFile: keyFile }));
    expect(objectRequestBody({ fromJson: `file://${file}` })).toEqual({ bucketName: "b", objectName: "o", sseCustomerKey: { base64Key: b64 } });
  });

  it("accepts the API's SSECustomerKeyDetails and checks its keySha256 and algorithm", () => {
    expect(sseCKeyRefOf({ algorithm: "AES256", key: b64, keySha256: sha }, "sseCustomerKey")).toEqual({ base64Key: b64 });
    expect(sseCKeyRefOf({ secretId: "ocid1.vaultsecret.oc1..x" }, "sseCustomerKey")).toEqual({ secretId: "ocid1.vaultsecret.oc1..x" });
    expect(usage(() => sseCKeyRefOf({ algorithm: "AES256", key: b64, keySha256: "AAAA" }, "sseCustomerKey"))).toMatch(/keySha256: is not the SHA-256/);
    expect(usage(() => sseCKeyRefOf({ algorithm: "AES128", key: b64 }, "sseCustomerKey"))).toMatch(/must be "AES256"/);
    expect(usage(() => sseCKeyRefOf({ key: "short" }, "sseCustomerKey"))).not.toContain(b64);
  });

  it("validates with the function's schema and names flags in its messages", () => {
    expect(parseObjectRequest({ bucketName: "b", objectName: "o" })).toMatchObject({ targets: [{ kind: "object", bucket: "b", object: "o" }], key: { type: "bucket" } });
    expect(usage(() => parseObjectRequest({ objectName: "o" }))).toMatch(/missing required option --bucket-name/);
    expect(usage(() => parseObjectRequest({ bucketName: "b", objectName: "o", kmsKeyId: "x" }))).toMatch(/^--kms-key-id: must be an OCID of type key/);
    expect(usage(() => parseObjectRequest({ bucketName: "b", objectName: "o", namespaceName: "a", namespace: "b" }))).toMatch(/same option/);
    expect(usage(() => parseObjectRequest({ bucketName: "b", objectName: "o", kmsKeyId: KEY, encryptionKeyFile: keyFile }))).toMatch(/--encryption-key-file: give kmsKeyId or sseCustomerKey, not both/);
    expect(usage(() => parseObjectRequest({ fromJson: '{"bucketName":"b","objectName":"o","extra":1}' }))).toMatch(/extra: unknown field/);
  });
});

describe("key files", () => {
  it("reads the base64 of 32 bytes, whitespace ignored; refuses anything else without echoing it", () => {
    expect(readKeyFile(keyFile, "--encryption-key-file").keySha256).toBe(sha);
    const bad = join(dir, "bad");
    writeFileSync(bad, raw.toString("hex"));
    const message = usage(() => readKeyFile(bad, "--encryption-key-file"));
    expect(message).toMatch(/base64 of exactly 32 bytes/);
    expect(message).not.toContain(raw.toString("hex"));
    expect(usage(() => readKeyFile(join(dir, "none"), "--encryption-key-file"))).toMatch(/no such file/);
  });

  it("a resumed job takes the same key again, by its keySha256", () => {
    const spec = { units: [{ key: { type: "sse-c", keySha256: sha } }], sourceKey: { keySha256: sha } };
    expect([...inlineKeysFor(spec, { encryptionKeyFile: keyFile, sourceEncryptionKeyFile: keyFile }).keys()]).toEqual([sha]);
    expect(usage(() => inlineKeysFor(spec, { encryptionKeyFile: keyFile }))).toMatch(/source key .* --source-encryption-key-file/);
    expect(inlineKeysFor({ units: [{ key: { type: "bucket" } }] }, {}).size).toBe(0);
  });
});

describe("the OCI CLI's short options", () => {
  const takesValue = new Set(["--prefix", "--bucket-name", "--object-name", "--namespace-name"]);
  it("rewrites -ns, -bn, -on where they stand as options only", () => {
    expect(expandOciShortFlags(["object", "-ns", "n", "-bn", "b", "-on", "o"], takesValue)).toEqual(["object", "--namespace-name", "n", "--bucket-name", "b", "--object-name", "o"]);
    expect(expandOciShortFlags(["run", "--prefix", "-bn", "-bn", "b"], takesValue)).toEqual(["run", "--prefix", "-bn", "--bucket-name", "b"]);
    expect(expandOciShortFlags(["object", "--", "-on"], takesValue)).toEqual(["object", "--", "-on"]);
  });
});

describe("reports and checkpoints", () => {
  it("CSV fields are quoted as RFC 4180 says", () => {
    // A line break is spelled out (\n) like every control character: the cell stays on its line.
    expect(csvField('a,"b"\nc')).toBe('"a,""b""\\nc"');
    expect(csvField(" lead")).toBe('" lead"');
    expect(csvField(undefined)).toBe("");
    expect(csvLine({ namespace: "n", bucket: "b", object: "x,y", outcome: "failed", status: 404, code: "ObjectNotFound" })).toBe('n,b,"x,y",,failed,404,ObjectNotFound\r\n');
    expect(reportFormatOf("r.CSV", undefined)).toBe("csv");
    expect(reportFormatOf("r.txt", undefined)).toBe("jsonl");
    expect(reportFormatOf("r.csv", "jsonl")).toBe("jsonl");
  });

  it("a checkpoint round-trips, holds no key, and a tampered one is refused", () => {
    const c: Checkpoint = {
      format: CHECKPOINT_FORMAT,
      command: "run",
      spec: { id: "0f9a3c1e-1111-4222-8333-444455556666", origin: "request", dryRun: false, units: [{ namespace: "n", bucket: "b", scope: { kind: "prefix", prefix: "", allVersions: true }, key: { type: "sse-c", keySha256: sha } }] },
      work: { id: 0, units: [0, 1], cursor: { unit: 0, after: { name: "a", versionId: "v1" }, redo: [{ unit: 0, name: "a0" }] } },
      totals: { matched: 2, reencrypted: 2, failed: 0, skipped: 0 },
      failures: [],
      runs: 1,
      createdAt: "2026-01-01T00:00:00.000Z",
      updatedAt: "2026-01-01T00:00:01.000Z",
    };
    const path = join(dir, "cp.json");
    writeCheckpoint(path, c);
    expect(readCheckpoint(path)).toEqual(c);
    expect(readFileSync(path, "utf8")).not.toContain(b64);
    writeFileSync(path, JSON.stringify({ ...c, work: { ...c.work, units: [0, 5] } }));
    expect(usage(() => readCheckpoint(path))).toMatch(/not a valid checkpoint/);
    writeFileSync(path, JSON.stringify({ ...c, spec: { ...c.spec, units: [{ ...c.spec.units[0], key: { type: "sse-c", base64Key: b64 } }] } }));
    expect(usage(() => readCheckpoint(path))).toMatch(/not a valid checkpoint/);
  });
});
