import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startEmulator, type Emulator, type Seed } from "../../src/local/emulator/index.js";
import { startLocalStack, type LocalStack } from "../../src/local/local-stack.js";
import { expectAllSigned, expectNoKeyMaterial, gateway, mutations, sha, wrapOf } from "./helpers.js";

const WEIRD = ["dir/sub/file name+plus&amp=eq#hash%pct?q.txt", "ünï/cødé ☃.txt", "a+b", "100%"];
// Names that land exactly at ListObjects page boundaries (pages of 1000): index 999 and 2000.
const AT_BOUNDARY = ["p/000998+&#=", "p/001998 %?ü"];
const INLINE = Buffer.alloc(32, 0x5a).toString("base64");
const B64_SECRET_KEY = Buffer.alloc(32, 0x21).toString("base64");

const seed: Seed = {
  namespace: "e2ens",
  vaults: [{ name: "v1", keys: [{ name: "k1" }, { name: "k2" }] }],
  secrets: [
    { name: "raw-key", randomSseCKey: true },
    { name: "b64-key", content: B64_SECRET_KEY, encoding: "utf8" },
    { name: "not-a-key", content: "hello", encoding: "utf8" },
  ],
  buckets: [
    {
      name: "data",
      kmsKey: "k1",
      versioning: "Enabled",
      objects: [...WEIRD.map((name) => ({ name })), { name: "ver.txt", versions: 3 }, { name: "gone.txt", deleted: true }, { prefix: "logs/", count: 20, versions: 2 }],
    },
    { name: "pages", kmsKey: "k1", objects: [{ prefix: "p/", count: 3100 }, ...AT_BOUNDARY.map((name) => ({ name }))] },
    { name: "ssec", objects: [{ name: "c1", sseCustomerKey: { secret: "raw-key" } }, { name: "c2", sseCustomerKey: { secret: "raw-key" } }] },
    { name: "plain", objects: [{ prefix: "x/", count: 5 }] },
  ],
};

describe("HTTP entrance, end to end (bundle + FDK socket + SDK + emulator)", () => {
  let stack: LocalStack;
  const responses: string[] = [];
  const call = async (body: unknown, viaGateway = true) => {
    const r = await stack.invoke(body, viaGateway ? { gateway } : {});
    responses.push(r.body);
    expect(r.status).toBe(200); // the container status: errors travel in Fn-Http-Status, never as FDK 502s
    return r;
  };
  let ids: LocalStack["emulator"]["seedIds"];
  let k1v2: string;

  let em: Emulator;
  beforeAll(async () => {
    em = await startEmulator({ seed });
    ids = em.seedIds;
    // Target keys must be allowed (contract §10): the Vault key and both key secrets, and inline keys.
    const allowed = [ids.keys["k2"], ids.secrets["raw-key"], ids.secrets["b64-key"], ids.secrets["not-a-key"]].join(",");
    stack = await startLocalStack({ emulator: em, config: { REENCRYPT_ALLOWED_KEYS: allowed, REENCRYPT_ALLOW_INLINE_KEYS: "true" } });
    // Rotate k1 so every object in data/pages sits on an old key version.
    k1v2 = stack.emulator.state.rotateKey(ids.keys["k1"] as string).id;
  });
  afterAll(async () => {
    expectAllSigned(stack.emulator);
    expectNoKeyMaterial(stack, [...Object.values(ids.sseCKeys), INLINE, B64_SECRET_KEY], responses);
    await stack.stop();
    await em.close();
  });

  it("re-encrypts one object with a hostile name to the bucket key's latest version, via the gateway", async () => {
    const em = stack.emulator;
    const before = em.state.objectVersions("data").filter((v) => !WEIRD.includes(v.name)).map((v) => v.reencryptCount);
    const r = await call({ targets: WEIRD.map((object) => ({ bucket: "data", object })) });
    expect(r.httpStatus).toBe(200);
    expect(r.data).toMatchObject({ status: "succeeded", counts: { matched: 4, reencrypted: 4, failed: 0, skipped: 0 }, failures: [] });
    for (const name of WEIRD) expect(wrapOf(em, "data", name).wrapping).toEqual({ kind: "kms", kmsKeyId: ids.keys["k1"], keyVersionId: k1v2 });
    expect(em.state.objectVersions("data").filter((v) => !WEIRD.includes(v.name)).map((v) => v.reencryptCount)).toEqual(before);
    expect(em.requests.filter((q) => q.operation === "GetNamespace")).toHaveLength(1);
  });

  it("re-encrypts under a given Vault key", async () => {
    const r = await call({ targets: [{ bucket: "plain", object: "x/000001", namespace: "e2ens" }], key: { type: "kms", kmsKeyId: ids.keys["k2"] } });
    expect(r.data.status).toBe("succeeded");
    expect(wrapOf(stack.emulator, "plain", "x/000001").wrapping).toMatchObject({ kind: "kms", kmsKeyId: ids.keys["k2"] });
  });

  it.each([
    ["a secret holding the raw 32 bytes", "raw-key", "x/000002"],
    ["a secret holding their base64 text", "b64-key", "x/000000"],
  ])("re-encrypts with SSE-C from %s", async (_label, secret, object) => {
    const r = await call({ targets: [{ bucket: "plain", object }], key: { type: "sse-c", secretId: ids.secrets[secret] } });
    expect(r.data.status).toBe("succeeded");
    const expected = secret === "raw-key" ? sha(ids.sseCKeys["raw-key"] as string) : sha(B64_SECRET_KEY);
    expect(wrapOf(stack.emulator, "plain", object).wrapping).toEqual({ kind: "sse-c", keySha256: expected });
  });

  it("re-encrypts an SSE-C object to an inline SSE-C key with the source key from a secret (CLI shorthand)", async () => {
    const r = await call({ bucketName: "ssec", objectName: "c1", sseCustomerKey: { base64Key: INLINE }, sourceSseCustomerKey: { secretId: ids.secrets["raw-key"] } });
    expect(r.data.status).toBe("succeeded");
    expect(wrapOf(stack.emulator, "ssec", "c1").wrapping).toEqual({ kind: "sse-c", keySha256: sha(INLINE) });
  });

  it("fails an SSE-C object without sourceKey with a hint naming it", async () => {
    const r = await call({ targets: [{ bucket: "ssec", object: "c2" }] });
    expect(r.httpStatus).toBe(400);
    expect(r.data.status).toBe("failed");
    expect(r.data.failures[0]).toMatchObject({ bucket: "ssec", object: "c2", status: 400 });
    expect(r.data.failures[0].hint).toMatch(/sourceKey/);
    expect(wrapOf(stack.emulator, "ssec", "c2").reencryptCount).toBe(0);
  });

  it("answers a missing object 404 with a hint, and a mix 207", async () => {
    const missing = await call({ targets: [{ bucket: "data", object: "no/such" }] });
    expect(missing.httpStatus).toBe(404);
    expect(missing.data.failures[0]).toMatchObject({ status: 404, code: "ObjectNotFound", object: "no/such" });
    expect(missing.data.failures[0].hint).toMatch(/does not exist/);
    expect(missing.data.failures[0].opcRequestId).toBeTruthy();
    const mixed = await call({ targets: [{ bucket: "data", object: "no/such" }, { bucket: "plain", object: "x/000003" }] });
    expect(mixed.httpStatus).toBe(207);
    expect(mixed.data).toMatchObject({ status: "partial", counts: { matched: 2, reencrypted: 1, failed: 1 } });
  });

  it("re-encrypts exactly one version by a version id full of + / =", async () => {
    const versions = stack.emulator.state.objectVersions("data", "ver.txt");
    const target = versions[1];
    expect(target?.versionId).toMatch(/[+/]/);
    const r = await call({ targets: [{ bucket: "data", object: "ver.txt", versionId: target?.versionId }] });
    expect(r.data.status).toBe("succeeded");
    const after = stack.emulator.state.objectVersions("data", "ver.txt");
    expect(after.map((v) => v.reencryptCount)).toEqual([0, 1, 0]);
  });

  it("re-encrypts every version under a prefix, skipping delete markers, and accepts resourceId", async () => {
    const r = await call({ targets: [{ bucket: "data", prefix: "logs/" }, { resourceId: "/n/e2ens/b/data/o/gone.txt" }, { bucket: "data", prefix: "gon" }], allVersions: true });
    // The resourceId target lies under the "gon" prefix (all versions): processed once, by the prefix.
    expect(r.data.counts).toMatchObject({ reencrypted: 41, skipped: 1 });
    expect(r.data.failures).toHaveLength(0);
    const single = await call({ targets: [{ resourceId: "/n/e2ens/b/data/o/gone.txt" }] });
    expect(single.data.failures).toHaveLength(1); // alone, the resourceId target: its latest version is a delete marker
    const logs = stack.emulator.state.objectVersions("data", "logs/");
    expect(logs).toHaveLength(40);
    expect(logs.every((v) => v.reencryptCount === 1 && v.wrapping.kind === "kms" && v.wrapping.keyVersionId === k1v2)).toBe(true);
  });

  it("lists without changing anything in a dry run", async () => {
    const before = mutations(stack.emulator);
    const r = await call({ targets: [{ bucket: "plain" }, { bucket: "data", object: "nope" }], dryRun: true });
    // As the real run would answer (contract v2): some targets missing is a 207.
    expect(r.httpStatus).toBe(207);
    expect(r.data.status).toBe("dry-run");
    expect(r.data.objects.map((o: { object: string }) => o.object)).toEqual(["x/000000", "x/000001", "x/000002", "x/000003", "x/000004"]);
    expect(r.data.failures).toMatchObject([{ object: "nope", status: 404 }]);
    expect(mutations(stack.emulator)).toBe(before);
  });

  it("walks a prefix over four listing pages with hostile names at the page boundaries, each object once", async () => {
    const names = stack.emulator.state.objectVersions("pages").map((v) => v.name).sort();
    expect(names.indexOf(AT_BOUNDARY[0] as string)).toBe(999);
    expect(names.indexOf(AT_BOUNDARY[1] as string)).toBe(2000);
    const r = await call({ targets: [{ bucket: "pages", prefix: "p/" }] });
    expect(r.data).toMatchObject({ status: "succeeded", counts: { matched: 3102, reencrypted: 3102, failed: 0 } });
    const all = stack.emulator.state.objectVersions("pages");
    expect(all.filter((v) => v.reencryptCount !== 1)).toEqual([]);
    expect(all.every((v) => v.wrapping.kind === "kms" && v.wrapping.keyVersionId === k1v2)).toBe(true);
    expect(stack.emulator.requests.filter((q) => q.operation === "ListObjects" && q.path.includes("/b/pages/")).length).toBe(4);
  });

  it("rides out a 429 with a retry", async () => {
    const fault = stack.emulator.faults.add({ operation: "ReencryptObject", status: 429, code: "TooManyRequests", times: 1 });
    const r = await call({ targets: [{ bucket: "plain", object: "x/000004" }] });
    expect(fault.hits).toBe(1);
    expect(r.data.status).toBe("succeeded");
    expect(wrapOf(stack.emulator, "plain", "x/000004").reencryptCount).toBe(1);
  });

  it.each([
    ["an unknown field", { targets: [{ bucket: "data" }], tragets: [] }, "tragets"],
    ["an empty bucket name", { targets: [{ bucket: "" }] }, "targets.0.bucket"],
    ["an empty object name", { targets: [{ bucket: "data", object: "" }] }, "targets.0.object"],
    ["kmsKeyId with an SSE-C key", { bucketName: "data", objectName: "a+b", kmsKeyId: "ocid1.key.oc1.iad.aaaa", sseCustomerKey: { base64Key: INLINE } }, "sseCustomerKey"],
    ["a 31-byte key", { targets: [{ bucket: "data" }], key: { type: "sse-c", base64Key: Buffer.alloc(31).toString("base64") } }, "key.base64Key"],
    ["a malformed OCID", { targets: [{ bucket: "data" }], key: { type: "kms", kmsKeyId: "ocid1.key" } }, "key.kmsKeyId"],
    ["1001 targets", { targets: Array.from({ length: 1001 }, () => ({ bucket: "data" })) }, "targets"],
    ["a body that is not JSON", "{nope", ""],
  ])("rejects %s with 400 naming the field, changing nothing", async (_label, body, path) => {
    const before = mutations(stack.emulator);
    const r = await call(body);
    expect(r.httpStatus).toBe(400);
    expect(r.data.error.code).toBe("InvalidPayload");
    expect(r.data.error.issues.map((i: { path: string }) => i.path)).toContain(path);
    expect(mutations(stack.emulator)).toBe(before);
  });

  it("rejects a secret that holds no key, changing nothing", async () => {
    const before = mutations(stack.emulator);
    const r = await call({ targets: [{ bucket: "plain" }], key: { type: "sse-c", secretId: ids.secrets["not-a-key"] } });
    expect(r.httpStatus).toBe(400);
    expect(r.data.error.issues[0].path).toBe("key");
    expect(mutations(stack.emulator)).toBe(before);
  });

  it("answers a direct invoke (no gateway) with the same body", async () => {
    const r = await call({ targets: [{ bucket: "data", object: "no/such" }] }, false);
    expect(r.data.failures[0].status).toBe(404);
  });
});
