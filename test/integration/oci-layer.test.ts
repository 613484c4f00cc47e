import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildRuntime } from "../../src/invocation/build-runtime.js";
import { ReencryptError } from "../../src/errors.js";
import { createLogger } from "../../src/log.js";
import { OciCallError } from "../../src/oci/oci-failure.js";
import { createRateLimiter } from "../../src/oci/rate-limiter.js";
import type { Runtime } from "../../src/runtime/runtime.js";
import { startEmulator, type Emulator } from "../../src/local/emulator/index.js";

// The product's own OCI layer (real SDK clients, built exactly as the function builds them)
// against the emulator.
const HOSTILE = ["q/a+b", "q/a b", "q/a&b=c", "q/a#b", "q/a%b", "q/a?b", "q/ü+"];
const quiet = createLogger("error", {}, () => {});

describe("OCI layer against the emulator", () => {
  let em: Emulator;
  let rt: Runtime;
  const budget = { notAfter: () => Date.now() + 20_000, limiter: createRateLimiter(undefined) };

  beforeAll(async () => {
    em = await startEmulator({
      seed: {
        namespace: "intns",
        compartments: ["apps"],
        vaults: [{ name: "v", compartment: "apps", keys: [{ name: "k" }] }],
        secrets: [{ name: "s", randomSseCKey: true }],
        buckets: [
          { name: "b", compartment: "apps", kmsKey: "k", versioning: "Enabled", objects: [...HOSTILE.map((name) => ({ name, versions: 2 })), { prefix: "q/z", count: 9 }] },
          { name: "other", compartment: "apps" },
        ],
        functions: [{ name: "fn", compartment: "apps" }],
      },
    });
    const rp = await em.issueResourcePrincipal({ compartmentId: em.seedIds.compartments["apps"] as string, mode: "literal" });
    const env = {
      ...rp.env,
      FN_FN_ID: em.seedIds.functions["fn"] as string,
      REENCRYPT_OBJECTSTORAGE_ENDPOINT: em.url,
      REENCRYPT_KMS_VAULT_ENDPOINT: em.url,
      REENCRYPT_SECRETS_ENDPOINT: em.url,
      REENCRYPT_FUNCTIONS_ENDPOINT: em.url,
      REENCRYPT_EVENTS_ENDPOINT: em.url,
    };
    // The SDK's provider reads process.env itself, as it does inside OCI Functions.
    const saved = { ...process.env };
    Object.assign(process.env, env);
    const built = await buildRuntime(env, quiet);
    process.env = saved;
    if (built instanceof ReencryptError) throw built;
    rt = built;
  });
  afterAll(async () => {
    expect(em.requests.every((r) => r.signatureValid)).toBe(true);
    await em.close();
  });

  it("reads the principal's compartment and the namespace", async () => {
    expect(rt.compartmentId).toBe(em.seedIds.compartments["apps"]);
    expect(await rt.objectStore(budget).getNamespace()).toBe("intns");
  });

  it("pages ListObjects and ListObjectVersions with hostile names and prefixes, encoding every query value", async () => {
    const store = rt.objectStore(budget);
    const names: string[] = [];
    let start: string | undefined;
    do {
      const page = await store.listObjects("intns", "b", { prefix: "q/a", start, limit: 2 });
      names.push(...page.items.map((o) => o.name));
      start = page.next;
    } while (start);
    expect(names).toEqual(HOSTILE.filter((n) => n.startsWith("q/a")).sort());
    const plus = await store.listObjects("intns", "b", { prefix: "q/a+", limit: 10 });
    expect(plus.items.map((o) => o.name)).toEqual(["q/a+b"]);
    const versions: string[] = [];
    let page: string | undefined;
    do {
      const r = await store.listObjectVersions("intns", "b", { prefix: "q/a", page, limit: 3 });
      versions.push(...r.items.map((v) => `${v.name}@${v.versionId}`));
      page = r.next;
    } while (page);
    expect(versions).toHaveLength(12);
    expect(new Set(versions).size).toBe(12);
  });

  it("re-encrypts a version whose id has + / =", async () => {
    const v = em.state.objectVersions("b", "q/a&b=c")[1];
    expect(v?.versionId).toMatch(/[+/].*=$/);
    await rt.objectStore(budget).reencryptObject({ namespace: "intns", bucket: "b", object: "q/a&b=c", versionId: v?.versionId, details: {} });
    expect(em.state.objectVersions("b", "q/a&b=c").map((x) => x.reencryptCount)).toEqual([0, 1]);
  });

  it("keeps working after a run of failures: the SDK circuit breaker is off", async () => {
    const store = rt.objectStore({ notAfter: () => Date.now() + 50, limiter: createRateLimiter(undefined) });
    const fault = em.faults.add({ operation: "GetBucket", status: 500, code: "InternalServerError", times: 12 });
    for (let i = 0; i < 12; i++) await expect(store.getBucket("intns", "b")).rejects.toBeInstanceOf(OciCallError);
    expect(fault.hits).toBe(12);
    expect((await store.getBucket("intns", "b")).kmsKeyId).toBe(em.seedIds.keys["k"]);
  });

  it("retries a 429 and a 409 IncorrectState, but not a 409 Conflict or a 404", async () => {
    const store = rt.objectStore(budget);
    em.faults.add({ operation: "GetBucket", status: 429, code: "TooManyRequests", times: 1 });
    em.faults.add({ operation: "GetBucket", status: 409, code: "IncorrectState", times: 1 });
    expect((await store.getBucket("intns", "b")).name).toBe("b");
    const conflict = em.faults.add({ operation: "GetBucket", status: 409, code: "Conflict", times: 1 });
    await expect(store.getBucket("intns", "b")).rejects.toMatchObject({ failure: { status: 409, code: "Conflict" } });
    expect(conflict.hits).toBe(1);
    await expect(store.getBucket("intns", "nope")).rejects.toMatchObject({ failure: { status: 404 } });
  });

  it("slows the whole store down on a 429, retried or not, and lists names in a range", async () => {
    const limiter = createRateLimiter(1000);
    const store = rt.objectStore({ notAfter: () => Date.now() + 20_000, limiter });
    em.faults.add({ operation: "ReencryptObject", status: 429, code: "TooManyRequests", times: 4 });
    await store.reencryptObject({ namespace: "intns", bucket: "b", object: "q/z000001", details: {} });
    // Throttled four times before it went through: the rate every later call of this store
    // (not only the retried one) waits on is halved.
    expect(limiter.rate()).toBe(500);
    const page = await store.listObjects("intns", "b", { prefix: "q/", start: "q/a b", end: "q/z000003", limit: 1000 });
    expect(page.items.map((o) => o.name)).toEqual(["q/a b", "q/a#b", "q/a%b", "q/a&b=c", "q/a+b", "q/a?b", "q/z000000", "q/z000001", "q/z000002"]);
  });

  it("puts with if-none-match once, and replaces only the ETag it read (if-match)", async () => {
    const store = rt.objectStore(budget);
    // (The SDK drops a body that is exactly "{}": our markers and reports never are.)
    const first = await store.putObject("intns", "other", "m/x.json", '{"a":1}', { ifNoneMatch: true });
    expect(first?.etag).toBeTruthy();
    expect(await store.putObject("intns", "other", "m/x.json", '{"a":2}', { ifNoneMatch: true })).toBeUndefined();
    expect(em.state.findVersion("other", "m/x.json")?.content.toString("utf8")).toBe('{"a":1}');
    const read = await store.getObject("intns", "other", "m/x.json");
    expect(read).toEqual({ body: Buffer.from('{"a":1}'), etag: first?.etag });
    const second = await store.putObject("intns", "other", "m/x.json", '{"a":3}', { ifMatch: read?.etag });
    expect(second?.etag).not.toBe(first?.etag);
    // A writer still holding the first ETag lost the race: nothing is written.
    expect(await store.putObject("intns", "other", "m/x.json", '{"a":4}', { ifMatch: first?.etag })).toBeUndefined();
    expect(em.state.findVersion("other", "m/x.json")?.content.toString("utf8")).toBe('{"a":3}');
    expect(await store.getObject("intns", "other", "m/none.json")).toBeUndefined();
  });

  it("writes a large report intact, multi-byte characters included", async () => {
    const line = JSON.stringify({ namespace: "intns", bucket: "b", object: "ünï/cødé ☃", outcome: "reencrypted" });
    const body = Array.from({ length: 30_000 }, () => line).join("\n") + "\n";
    await rt.objectStore(budget).putObject("intns", "other", "reports/big.jsonl", body);
    const stored = em.state.findVersion("other", "reports/big.jsonl")?.content;
    expect(stored?.length).toBe(Buffer.byteLength(body));
    expect(stored?.toString("utf8")).toBe(body);
  });

  it("reads a secret bundle, finds a key through its vault, lists buckets", async () => {
    const content = await rt.secrets(budget).readSecret(em.seedIds.secrets["s"] as string);
    expect(content.toString("base64")).toBe(em.seedIds.sseCKeys["s"]);
    const kms = rt.keyManagement(budget);
    const vaults = await kms.listVaults(em.seedIds.compartments["apps"] as string);
    expect(vaults.map((v) => v.id)).toEqual([em.seedIds.vaults["v"]]);
    const key = await kms.getKey(vaults[0]?.managementEndpoint as string, em.seedIds.keys["k"] as string);
    expect(key).toMatchObject({ lifecycleState: "ENABLED", currentKeyVersion: em.state.key(em.seedIds.keys["k"] as string)?.currentKeyVersion });
    expect(await kms.getKey(vaults[0]?.managementEndpoint as string, "ocid1.key.oc1.iad.missing")).toBeUndefined();
    const buckets = await rt.objectStore(budget).listBuckets("intns", em.seedIds.compartments["apps"] as string);
    expect(buckets.items.sort()).toEqual(["b", "other"]);
  });

  it("invokes itself detached through InvokeFunction", async () => {
    const seen: string[] = [];
    em.functions.setInvoker(em.seedIds.functions["fn"] as string, async (req) => {
      seen.push(`${req.invokeType}:${req.body.toString("utf8")}`);
      return { status: 200, headers: {}, body: Buffer.from("{}") };
    });
    await rt.selfInvoker(budget)?.invokeDetached('{"resume":"r1.x"}');
    await em.functions.idle();
    expect(seen).toEqual(['detached:{"resume":"r1.x"}']);
  });
});
