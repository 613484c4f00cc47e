import { createHash } from "node:crypto";
import { inspect } from "node:util";
import { deflateRawSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { classify } from "../../src/invocation/classify.js";
import { httpStatusFor } from "../../src/contract/response.js";
import { decodeResumeToken, encodePortableToken, newNonce, referenceToken, type PortableJob } from "../../src/contract/resume-token.js";
import { findRule } from "../../src/contract/rules.js";
import { parseResourceId } from "../../src/contract/resource-id.js";
import { deadlinesFor } from "../../src/runtime/deadline.js";
import { ReencryptError, toErrorBody } from "../../src/errors.js";
import { matchesBucketGlob } from "../../src/glob.js";
import { zeroCounts, type Unit } from "../../src/model/job.js";
import { sseCKeyFromSecretContent } from "../../src/keys/sse-c-key.js";
import { createLogger } from "../../src/log.js";
import { createRateLimiter } from "../../src/oci/rate-limiter.js";
import { isRetryable, toOciFailure } from "../../src/oci/oci-failure.js";
import { withRetry } from "../../src/oci/retry.js";
import { SecretValue } from "../../src/secret-value.js";

const KEY = "ocid1.key.oc1.iad.examplekey";

describe("SSE-C keys", () => {
  const raw = Buffer.alloc(32, 3);
  const sha = createHash("sha256").update(raw).digest("base64");
  it("accepts raw bytes and base64 text, hashing the raw bytes", () => {
    expect(sseCKeyFromSecretContent(raw)?.keySha256).toBe(sha);
    expect(sseCKeyFromSecretContent(Buffer.from(raw.toString("base64") + "\n"))?.keySha256).toBe(sha);
    expect(sseCKeyFromSecretContent(Buffer.from("short"))).toBeUndefined();
    expect(sseCKeyFromSecretContent(Buffer.alloc(31))).toBeUndefined();
  });
  it("cannot be printed", () => {
    const k = sseCKeyFromSecretContent(raw);
    const text = raw.toString("base64");
    expect(JSON.stringify(k)).not.toContain(text);
    expect(`${k?.key}`).toBe("[redacted]");
    expect(inspect(k)).not.toContain(text);
    const lines: string[] = [];
    createLogger("debug", {}, (l) => lines.push(l)).info("x", { key: new SecretValue(text), k });
    expect(lines.join()).not.toContain(text);
  });
});

describe("resume tokens", () => {
  const job: PortableJob = {
    spec: {
      id: "0d2f7a4e-1111-2222-3333-444455556666",
      origin: "request",
      units: [{ namespace: "ns", bucket: "b", scope: { kind: "prefix", prefix: "a+b&c#d=", allVersions: true }, key: { type: "sse-c", keySha256: Buffer.alloc(32).toString("base64") } }],
      dryRun: false,
    },
    work: { id: 0, units: [0, 1], cursor: { unit: 0, after: { name: "a+b&c#d=/x", versionId: "v+/=" }, redo: [{ unit: 0, name: "q", versionId: "w" }] } },
    totals: { ...zeroCounts(), reencrypted: 5 },
    seq: 2,
  };
  const units = (n: number, origin: "request" | "rotation" = "request") => ({ ...job, spec: { ...job.spec, origin, units: Array.from({ length: n }, () => job.spec.units[0] as Unit) }, work: { ...job.work, units: [0, n] as [number, number] } });
  it("round-trips a portable job exactly", () => {
    expect(decodeResumeToken(encodePortableToken(job))).toEqual({ kind: "portable", job, authenticated: false });
  });
  it("round-trips a reference, with and without a shard", () => {
    const nonce = newNonce();
    expect(decodeResumeToken(referenceToken({ jobId: job.spec.id, nonce }))).toEqual({ kind: "reference", ref: { jobId: job.spec.id, nonce } });
    expect(decodeResumeToken(referenceToken({ jobId: job.spec.id, nonce, shard: 12 }))).toEqual({ kind: "reference", ref: { jobId: job.spec.id, nonce, shard: 12 } });
    expect(Buffer.from(nonce, "base64url").length).toBeGreaterThanOrEqual(16);
  });
  it.each([
    ["garbage", "garbage"],
    ["a v1 token", "r1.AAAA"],
    ["a cursor past the shard", encodePortableToken({ ...job, work: { ...job.work, cursor: { unit: 3, redo: [] } } })],
    ["a request with 1,001 units", encodePortableToken(units(1001))],
    ["a name with a lone surrogate", encodePortableToken({ ...job, work: { ...job.work, cursor: { unit: 0, after: { name: "a\ud800" }, redo: [] } } })],
    ["a 513-entry redo", encodePortableToken({ ...job, work: { ...job.work, cursor: { unit: 0, redo: Array.from({ length: 513 }, (_, i) => ({ unit: 0, name: `n${i}` })) } } })],
    ["a job id with a slash", encodePortableToken({ ...job, spec: { ...job.spec, id: "../../reports/x" } })],
    ["a zip bomb", `r2.${deflateRawSync(Buffer.alloc(6 * 1024 * 1024, 32)).toString("base64url")}`],
    ["a reference with a short nonce", "j1.0d2f7a4e-1111-2222-3333-444455556666.abc"],
    ["a reference with a bad shard", `j1.0d2f7a4e-1111-2222-3333-444455556666.01.${"A".repeat(22)}`],
  ])("rejects %s", (_l, t) => {
    expect(() => decodeResumeToken(t)).toThrow(ReencryptError);
  });
  it("lets a rotation's token carry more units than a request's", () => {
    expect(decodeResumeToken(encodePortableToken(units(1500, "rotation"))).kind).toBe("portable");
  });
});

describe("globs, rules, resource ids", () => {
  it.each([
    ["logs-*", "ns", "logs-2024", true],
    ["logs-*", "ns", "logs", false],
    ["ns/logs-?", "ns", "logs-a", true],
    ["other/*", "ns", "logs-a", false],
    ["*", "ns", "anything", true],
    ["a.b", "ns", "axb", false],
  ])("%s vs %s/%s → %s", (g, ns, b, want) => expect(matchesBucketGlob(g, ns, b)).toBe(want));
  it("first matching rule wins, by bucket and prefix", () => {
    const rules = [
      { bucket: "data-*", prefix: "secret/", kmsKeyId: KEY + "1" },
      { bucket: "data-*", prefix: "", kmsKeyId: KEY + "2" },
    ];
    expect(findRule(rules, "ns", "data-x", "secret/a")?.kmsKeyId).toBe(KEY + "1");
    expect(findRule(rules, "ns", "data-x", "public/a")?.kmsKeyId).toBe(KEY + "2");
    expect(findRule(rules, "ns", "logs", "a")).toBeUndefined();
  });
  it("decodes resource ids as URL paths", () => {
    expect(parseResourceId("/n/ns/b/bk/o/a/b%20c%25d%2B")).toEqual({ namespace: "ns", bucket: "bk", object: "a/b c%d+" });
    expect(parseResourceId("/n/ns/b/bk/o/%E0%A4%A")).toBeUndefined();
  });
});

describe("statuses and errors", () => {
  const f = (status: number) => ({ namespace: "n", bucket: "b", object: "o", status, code: "c", message: "m", hint: "h" });
  it.each([
    ["succeeded", [], 200],
    ["dry-run", [], 200],
    ["incomplete", [], 202],
    ["continuing", [], 202],
    ["partial", [f(404)], 207],
    ["failed", [f(404), f(404)], 404],
    ["failed", [f(404), f(400)], 502],
    ["failed", [f(0)], 502],
  ] as const)("%s with %j → %i", (status, failures, want) => expect(httpStatusFor({ status, failures: [...failures], counts: zeroCounts() })).toBe(want));
  it.each([
    ["all confirmed", { matched: 3, failed: 0 }, [], 200],
    ["some missing", { matched: 2, failed: 1 }, [f(404)], 207],
    ["all missing", { matched: 0, failed: 2 }, [f(404), f(404)], 404],
  ] as const)("a dry run with %s answers as the real run would", (_l, c, failures, want) =>
    expect(httpStatusFor({ status: "dry-run", failures: [...failures], counts: { ...zeroCounts(), ...c } })).toBe(want),
  );
  it("hides internal errors and shows client errors", () => {
    expect(toErrorBody(new Error("secret detail"), "call-1")).toEqual({ status: 500, body: { error: { code: "InternalError", message: expect.any(String), callId: "call-1" } } });
    expect(JSON.stringify(toErrorBody(new Error("secret detail"), null))).not.toContain("secret detail");
    expect(toErrorBody(new ReencryptError("TargetNotAllowed", 403, "no"), null).status).toBe(403);
  });
  it("classifies entrances by body", () => {
    expect(classify('{"eventType":"x","cloudEventsVersion":"0.1"}').kind).toBe("event");
    expect(classify('{"specversion":"1.0","type":"x"}').kind).toBe("event");
    expect(classify('{"resume":"r1.x"}').kind).toBe("resume");
    expect(classify('{"diagnose":true}').kind).toBe("diagnose");
    expect(classify('{"targets":[]}').kind).toBe("request");
    expect(() => classify("not json")).toThrow(/JSON object/);
    expect(() => classify("[1]")).toThrow(/JSON object/);
    expect(() => classify(" ".repeat(3 * 1024 * 1024))).toThrow(/larger/);
  });
});

describe("deadlines, retries, rate limit", () => {
  it("keeps a margin proportional to the budget", () => {
    expect(deadlinesFor(new Date(100_000), 0)).toEqual({ deadline: 100_000, stopAt: 85_000, hardStopAt: 92_500 });
    expect(deadlinesFor(new Date(3_000), 0)).toEqual({ deadline: 3_000, stopAt: 1_500, hardStopAt: 2_250 });
    expect(deadlinesFor(new Date(30_000), 0)).toEqual({ deadline: 30_000, stopAt: 22_500, hardStopAt: 26_250 });
    expect(deadlinesFor(null, 0).deadline).toBe(30_000);
  });
  it("retries what the SDK would, and never sleeps past the deadline", async () => {
    expect(isRetryable(toOciFailure({ statusCode: 429, serviceCode: "TooManyRequests" }))).toBe(true);
    expect(isRetryable(toOciFailure({ statusCode: 409, serviceCode: "IncorrectState" }))).toBe(true);
    expect(isRetryable(toOciFailure({ statusCode: 409, serviceCode: "Conflict" }))).toBe(false);
    expect(isRetryable(toOciFailure({ statusCode: 404, serviceCode: "ObjectNotFound" }))).toBe(false);
    expect(isRetryable(toOciFailure({ code: undefined, message: "fetch failed" }))).toBe(true);
    expect(isRetryable(toOciFailure({ code: "ECONNRESET", message: "read ECONNRESET" }))).toBe(true);
    // A bug of ours, thrown before anything was sent, is not a network failure to retry.
    const bug = toOciFailure(new TypeError("report.backlog is not a function"));
    expect(bug).toMatchObject({ status: 0, code: "ClientError" });
    expect(isRetryable(bug)).toBe(false);
    let n = 0;
    const ok = await withRetry("Op", async () => (++n < 3 ? Promise.reject({ statusCode: 503, serviceCode: "x" }) : "done"), {
      policy: { maxAttempts: 5, baseDelayMs: 1, maxDelayMs: 2 },
    });
    expect([ok, n]).toEqual(["done", 3]);
    n = 0;
    const started = Date.now();
    await expect(withRetry("Op", async () => (n++, Promise.reject({ statusCode: 500, serviceCode: "x" })), { notAfter: Date.now() + 50, policy: { maxAttempts: 50, baseDelayMs: 200, maxDelayMs: 200 } })).rejects.toThrow(/500/);
    expect(n).toBe(1);
    expect(Date.now() - started).toBeLessThan(150);
  });
  it("spaces calls at the configured rate", async () => {
    let t = 0;
    const lim = createRateLimiter(10, () => t);
    const waits: boolean[] = [];
    for (let i = 0; i < 3; i++) {
      const p = lim.take();
      let done = false;
      void p.then(() => (done = true));
      await Promise.resolve();
      waits.push(!done);
    }
    expect(waits).toEqual([false, true, true]);
  });
});
