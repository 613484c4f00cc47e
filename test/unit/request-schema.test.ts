import { describe, expect, it } from "vitest";
import { ReencryptRequestSchema } from "../../src/contract/request.js";
import { parseRequest } from "../../src/entrances/http-request.js";
import { ReencryptError } from "../../src/errors.js";

const KEY = Buffer.alloc(32, 7).toString("base64");
const KMS = "ocid1.key.oc1.iad.exampleexampleexample";
const SECRET = "ocid1.vaultsecret.oc1.iad.examplesecret";

const invalid = (body: Record<string, unknown>): { path: string; message: string }[] => {
  try {
    parseRequest(body);
  } catch (e) {
    expect(e).toBeInstanceOf(ReencryptError);
    const err = e as ReencryptError;
    expect(err.status).toBe(400);
    expect(err.code).toBe("InvalidPayload");
    return [...err.issues];
  }
  throw new Error("expected the payload to be rejected");
};

describe("request schema", () => {
  it("accepts every target shape and applies defaults", () => {
    const r = parseRequest({
      targets: [
        { bucket: "b", object: "a/b c.txt", versionId: "v+/=", namespace: "ns" },
        { bucket: "b", prefix: "logs/", allVersions: true },
        { bucket: "b" },
        { resourceId: "/n/ns/b/bk/o/dir%2Fname%20%25x" },
      ],
    });
    expect(r.key).toEqual({ type: "bucket" });
    expect(r.dryRun).toBe(false);
    expect(r.targets).toEqual([
      { kind: "object", namespace: "ns", bucket: "b", object: "a/b c.txt", versionId: "v+/=" },
      { kind: "prefix", namespace: undefined, bucket: "b", prefix: "logs/", allVersions: true },
      { kind: "prefix", namespace: undefined, bucket: "b", prefix: "", allVersions: undefined },
      { kind: "object", namespace: "ns", bucket: "bk", object: "dir/name %x", versionId: undefined },
    ]);
  });

  it("maps the CLI-shaped shorthand and its aliases", () => {
    const r = parseRequest({ namespace: "ns", bucketName: "b", name: "o", versionId: "v1", sseCustomerKey: { secretId: SECRET }, sourceSseCustomerKey: { base64Key: KEY } });
    expect(r.targets).toEqual([{ kind: "object", namespace: "ns", bucket: "b", object: "o", versionId: "v1" }]);
    expect(r.key).toEqual({ type: "sse-c", secretId: SECRET });
    expect(r.sourceKey).toEqual({ base64Key: KEY });
    expect(parseRequest({ namespaceName: "ns", bucketName: "b", objectName: "o", kmsKeyId: KMS }).key).toEqual({ type: "kms", kmsKeyId: KMS });
  });

  it.each([
    ["unknown top-level field", { targets: [{ bucket: "b" }], dryrun: true }, "dryrun"],
    ["unknown target field", { targets: [{ bucket: "b", objet: "x" }] }, "targets.0.objet"],
    ["empty bucket", { targets: [{ bucket: "" }] }, "targets.0.bucket"],
    ["empty object", { targets: [{ bucket: "b", object: "" }] }, "targets.0.object"],
    ["two shapes", { targets: [{ bucket: "b", object: "o", prefix: "p" }] }, "targets.0"],
    ["no targets", { targets: [] }, "targets"],
    ["too many targets", { targets: Array.from({ length: 1001 }, () => ({ bucket: "b" })) }, "targets"],
    ["malformed kms OCID", { targets: [{ bucket: "b" }], key: { type: "kms", kmsKeyId: "ocid1.vault.oc1..x" } }, "key.kmsKeyId"],
    ["short inline key", { targets: [{ bucket: "b" }], key: { type: "sse-c", base64Key: Buffer.alloc(16).toString("base64") } }, "key.base64Key"],
    ["key not base64", { targets: [{ bucket: "b" }], key: { type: "sse-c", base64Key: "!".repeat(44) } }, "key.base64Key"],
    ["malformed secret OCID", { targets: [{ bucket: "b" }], sourceKey: { secretId: "secret" } }, "sourceKey.secretId"],
    ["unknown key type", { targets: [{ bucket: "b" }], key: { type: "rsa" } }, "key.type"],
    ["kms with an SSE-C field", { targets: [{ bucket: "b" }], key: { type: "kms", kmsKeyId: KMS, base64Key: KEY } }, "key.base64Key"],
    ["shorthand kmsKeyId with SSE-C", { bucketName: "b", objectName: "o", kmsKeyId: KMS, sseCustomerKey: { base64Key: KEY } }, "sseCustomerKey"],
    ["shorthand without object", { bucketName: "b" }, "objectName"],
    ["bad resourceId", { targets: [{ resourceId: "/n/ns/b/bk" }] }, "targets.0.resourceId"],
    ["allVersions not boolean", { targets: [{ bucket: "b" }], allVersions: "yes" }, "allVersions"],
  ])("rejects %s, naming the field", (_name, body, path) => {
    const issues = invalid(body as Record<string, unknown>);
    expect(issues.map((i) => i.path)).toContain(path);
  });

  it("never echoes a key in an error", () => {
    const bad = Buffer.alloc(31, 9).toString("base64");
    const issues = invalid({ targets: [{ bucket: "b" }], key: { type: "sse-c", base64Key: bad } });
    expect(JSON.stringify(issues)).not.toContain(bad);
  });

  it("keeps the 1000-target limit inclusive", () => {
    expect(ReencryptRequestSchema.safeParse({ targets: Array.from({ length: 1000 }, () => ({ bucket: "b" })) }).success).toBe(true);
  });
});
