import { afterEach, describe, expect, it } from "vitest";
import type { Seed } from "../../src/local/emulator/index.js";
import { startLocalStack, type LocalStack } from "../../src/local/local-stack.js";
import { expectAllSigned, expectNoKeyMaterial, gateway, mutations } from "./helpers.js";

const INLINE = Buffer.alloc(32, 0x33).toString("base64");
const seed = (count: number): Seed => ({
  namespace: "cfgns",
  vaults: [{ name: "v", keys: [{ name: "k" }] }],
  buckets: [
    { name: "big", kmsKey: "k", versioning: "Enabled", objects: [{ prefix: "o/", count, versions: 2 }] },
    { name: "state" },
    { name: "secret-bucket", objects: [{ name: "s" }] },
  ],
});

describe("HTTP entrance: configuration-dependent behaviour", () => {
  let stack: LocalStack | undefined;
  afterEach(async () => {
    if (stack) {
      expectAllSigned(stack.emulator);
      expectNoKeyMaterial(stack, [INLINE], []);
    }
    await stack?.stop();
    stack = undefined;
  });

  it("cuts a job at its deadline and resumes it to completion, nothing skipped, nothing done twice", async () => {
    // A state bucket: without one (and without REENCRYPT_TOKEN_SECRET_ID) a gateway caller gets no token (issue 16).
    stack = await startLocalStack({ seed: seed(600), config: { REENCRYPT_CONCURRENCY: "8", REENCRYPT_ALLOW_INLINE_KEYS: "true", REENCRYPT_STATE_BUCKET: "state" } });
    // Slow enough that 1,200 versions never fit in one 2-second invocation, on any machine.
    stack.emulator.faults.setBaseLatency(25);
    const em = stack.emulator;
    const keyId = em.seedIds.keys["k"] as string;
    const newVersion = em.state.rotateKey(keyId).id;
    const deadline = () => new Date(Date.now() + 2_000);
    let r = await stack.invoke({ targets: [{ bucket: "big", prefix: "o/", allVersions: true }], key: { type: "sse-c", base64Key: INLINE } }, { deadline: deadline(), gateway });
    const rounds: number[] = [];
    while (r.data.status === "incomplete") {
      expect(r.httpStatus).toBe(202);
      expect(typeof r.data.resume).toBe("string");
      expect(r.data.resume).not.toContain(INLINE);
      rounds.push(r.data.counts.reencrypted);
      // Resuming an inline-key job without the key is refused, and changes nothing.
      const before = mutations(em);
      const refused = await stack.invoke({ resume: r.data.resume }, { gateway });
      expect(refused.httpStatus).toBe(400);
      // ...and so is one with a different key, or a key of another type.
      const other = await stack.invoke({ resume: r.data.resume, key: { type: "sse-c", base64Key: Buffer.alloc(32, 1).toString("base64") } }, { gateway });
      expect(other.data.error.issues[0].path).toBe("key");
      const kms = await stack.invoke({ resume: r.data.resume, key: { type: "kms", kmsKeyId: keyId } }, { gateway });
      expect(kms.httpStatus).toBe(400);
      expect(mutations(em)).toBe(before);
      r = await stack.invoke({ resume: r.data.resume, key: { type: "sse-c", base64Key: INLINE } }, { deadline: deadline(), gateway });
      expect(rounds.length).toBeLessThan(60);
    }
    expect(rounds.length).toBeGreaterThanOrEqual(2);
    expect(r.data).toMatchObject({ status: "succeeded", counts: { matched: 1200, reencrypted: 1200, failed: 0 } });
    const versions = em.state.objectVersions("big");
    expect(versions).toHaveLength(1200);
    expect(versions.filter((v) => v.reencryptCount === 0)).toEqual([]);
    // Only calls whose outcome was unknown at a cut may run twice.
    expect(versions.filter((v) => v.reencryptCount > 1).length).toBeLessThanOrEqual(8 * rounds.length);
    expect(versions.every((v) => v.wrapping.kind === "sse-c")).toBe(true);
    expect(newVersion).toBeTruthy();
  });

  it("refuses a target outside REENCRYPT_ALLOWED_BUCKETS with 403, doing nothing at all", async () => {
    stack = await startLocalStack({ seed: seed(3), config: { REENCRYPT_ALLOWED_BUCKETS: "big,cfgns/stat*" } });
    const before = mutations(stack.emulator);
    const r = await stack.invoke({ targets: [{ bucket: "big" }, { bucket: "secret-bucket", object: "s" }] }, { gateway });
    expect(r.httpStatus).toBe(403);
    expect(r.data.error.code).toBe("TargetNotAllowed");
    expect(r.data.error.message).toContain("secret-bucket");
    expect(mutations(stack.emulator)).toBe(before);
    const ok = await stack.invoke({ targets: [{ bucket: "big", object: "o/000001" }] }, { gateway });
    expect(ok.httpStatus).toBe(200);
  });

  it("writes the per-object report to the state bucket and names it", async () => {
    stack = await startLocalStack({ seed: seed(3), config: { REENCRYPT_STATE_BUCKET: "state" } });
    const r = await stack.invoke({ targets: [{ bucket: "big", allVersions: true }, { bucket: "secret-bucket", object: "missing" }] }, { gateway });
    expect(r.httpStatus).toBe(207);
    expect(r.data.report).toBe(`/n/cfgns/b/state/o/reports/${r.data.jobId}.jsonl`);
    const obj = stack.emulator.state.findVersion("state", `reports/${r.data.jobId}.jsonl`);
    const lines = (obj?.content.toString("utf8") ?? "").trim().split("\n").map((l) => JSON.parse(l));
    expect(lines).toHaveLength(7);
    expect(lines.filter((l) => l.outcome === "reencrypted")).toHaveLength(6);
    expect(lines.find((l) => l.outcome === "failed")).toMatchObject({ bucket: "secret-bucket", object: "missing", status: 404, code: "ObjectNotFound" });
    expect(lines.every((l) => l.namespace === "cfgns")).toBe(true);
    // A second job: the state bucket's namespace is looked up once per container, not per report.
    const again = await stack.invoke({ targets: [{ bucket: "big", object: "o/000001" }] }, { gateway });
    expect(again.data.report).toBe(`/n/cfgns/b/state/o/reports/${again.data.jobId}.jsonl`);
    expect(stack.emulator.requests.filter((q) => q.operation === "GetNamespace")).toHaveLength(1);
  });

  it("keeps Object Storage calls under REENCRYPT_MAX_RPS", async () => {
    stack = await startLocalStack({ seed: seed(8), config: { REENCRYPT_MAX_RPS: "20" } });
    const r = await stack.invoke({ targets: [{ bucket: "big", allVersions: true }] }, { gateway });
    expect(r.data.counts.reencrypted).toBe(16);
    const at = stack.emulator.requests.filter((q) => q.operation === "ReencryptObject").map((q) => q.at);
    // 16 calls at 20/s cannot span less than 15 intervals of 50 ms.
    expect(Math.max(...at) - Math.min(...at)).toBeGreaterThanOrEqual(15 * 50 - 20);
  });

  it("names a bad configuration key on every invocation, without a stack trace", async () => {
    stack = await startLocalStack({ seed: seed(1), config: { REENCRYPT_CONCURRENCY: "lots" } });
    const r = await stack.invoke({ targets: [{ bucket: "big" }] }, { gateway });
    expect(r.status).toBe(200);
    expect(r.httpStatus).toBe(500);
    expect(r.data.error).toMatchObject({ code: "ConfigurationError", message: expect.stringContaining("REENCRYPT_CONCURRENCY") });
    const again = await stack.invoke({ diagnose: true });
    expect(again.data.error.code).toBe("ConfigurationError");
    expect(stack.fn.stdout() + stack.fn.stderr()).not.toMatch(/\n\s+at /);
    expect(mutations(stack.emulator)).toBe(0);
  });

  it("answers a 503 storm that outlives the retries with 503 and the hint", async () => {
    stack = await startLocalStack({ seed: seed(1) });
    stack.emulator.faults.add({ operation: "ReencryptObject", status: 503, code: "ServiceUnavailable" });
    // Long enough for the retries (about 4-8 s) and the version's second chance at the end of the shard.
    const r = await stack.invoke({ targets: [{ bucket: "big", object: "o/000000" }] }, { gateway, deadline: new Date(Date.now() + 60_000) });
    expect(r.httpStatus).toBe(503);
    expect(r.data.failures[0].hint).toMatch(/outlived the retries/);
    // Six attempts, then six more for the second chance.
    expect(stack.emulator.requests.filter((q) => q.operation === "ReencryptObject").length).toBe(12);
  });
});
