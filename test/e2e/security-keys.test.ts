// Issue 7, items 1 and 8: which target keys a request (or a resume) may name, and what a secret
// must hold to be a key. Every attack is run as a caller would run it, through the real FDK socket,
// and must fail with nothing changed in the emulator; the legitimate use next to it still works.

import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { encodePortableToken } from "../../src/contract/resume-token.js";
import { startEmulator, type Emulator, type Seed } from "../../src/local/emulator/index.js";
import { startLocalStack, type LocalStack } from "../../src/local/local-stack.js";
import { changes, changesSince, nonJsonLines } from "../helpers/fuzz-probes.js";
import { expectAllSigned, expectNoKeyMaterial, gateway, sha, wrapOf } from "./helpers.js";

const INLINE_TARGET = randomBytes(32).toString("base64");
const INLINE_SOURCE = randomBytes(32).toString("base64");
const GOOD = randomBytes(32).toString("base64");
const GARBAGE = `${GOOD}!!garbage`;

const seed: Seed = {
  namespace: "keyns",
  vaults: [{ name: "v", keys: [{ name: "allowed" }, { name: "other" }, { name: "ruled" }] }],
  secrets: [
    { name: "s-allowed", randomSseCKey: true },
    { name: "s-other", randomSseCKey: true },
    { name: "garbage-utf8", content: GARBAGE, encoding: "utf8" },
    { name: "garbage-b64", content: Buffer.from(GARBAGE).toString("base64"), encoding: "base64" },
    { name: "two-newlines", content: `${GOOD}\n\n`, encoding: "utf8" },
    { name: "exact-raw", randomSseCKey: true },
    { name: "exact-b64", content: GOOD, encoding: "utf8" },
    { name: "b64-newline", content: `${GOOD}\n`, encoding: "utf8" },
    // Both stacks sign their self-contained tokens with it, so a token of one is valid at the other.
    { name: "token-secret", randomSseCKey: true },
  ],
  buckets: [
    { name: "data", objects: [{ prefix: "o/", count: 30 }, { prefix: "r/", count: 3 }] },
    { name: "ssec", objects: [{ name: "c1", sseCustomerKey: INLINE_SOURCE }, { name: "c2", sseCustomerKey: INLINE_SOURCE }] },
    { name: "big", objects: [{ prefix: "p/", count: 1500 }] },
    // On key "other": a bulk request re-encrypts only what its key governs (contract §11).
    { name: "big-other", kmsKey: "other", objects: [{ prefix: "p/", count: 1500 }] },
  ],
};

type Answer = Awaited<ReturnType<LocalStack["invoke"]>>;

describe("security: target keys and secrets (issue 7 items 1 and 8)", () => {
  let em: Emulator;
  /** REENCRYPT_ALLOWED_KEYS lists some keys and secrets, a rule names another key, no inline target keys. */
  let strict: LocalStack;
  /** Inline target keys allowed, and the keys `strict` refuses: it issues the tokens replayed against `strict`. */
  let lenient: LocalStack;
  const responses: string[] = [];
  let ids: Emulator["seedIds"];
  const key = (n: string) => ids.keys[n] as string;
  const secret = (n: string) => ids.secrets[n] as string;

  const call = async (s: LocalStack, body: unknown, o: { direct?: boolean; deadline?: Date } = {}): Promise<Answer> => {
    const r = await s.invoke(body, { ...(o.direct ? {} : { gateway }), ...(o.deadline ? { deadline: o.deadline } : {}) });
    responses.push(r.body);
    expect(r.status).toBe(200);
    return r;
  };

  /** The attack fails with `status`/`code` and the emulator saw no state-changing call. */
  const refused = async (s: LocalStack, body: unknown, status: number, code: string, o: { direct?: boolean } = {}): Promise<Answer> => {
    const from = em.requests.length;
    const before = changes(em);
    const r = await call(s, body, o);
    expect(r.httpStatus, r.body).toBe(status);
    expect(r.data.error.code).toBe(code);
    expect(changesSince(em, from)).toEqual([]);
    expect(changes(em)).toBe(before);
    return r;
  };

  beforeAll(async () => {
    em = await startEmulator({ seed });
    ids = em.seedIds;
    const allowed = [key("allowed"), ...["s-allowed", "garbage-utf8", "garbage-b64", "two-newlines", "exact-raw", "exact-b64", "b64-newline"].map(secret)];
    const rules = JSON.stringify([{ bucket: "data", prefix: "r/", kmsKeyId: key("ruled") }]);
    const tokens = { REENCRYPT_TOKEN_SECRET_ID: secret("token-secret") };
    strict = await startLocalStack({ emulator: em, config: { REENCRYPT_ALLOWED_KEYS: allowed.join(","), REENCRYPT_RULES: rules, ...tokens } });
    lenient = await startLocalStack({
      emulator: em,
      config: { REENCRYPT_ALLOW_INLINE_KEYS: "true", REENCRYPT_ALLOWED_KEYS: [key("allowed"), key("other"), secret("s-allowed"), secret("s-other")].join(","), REENCRYPT_CONCURRENCY: "2", ...tokens },
    });
  });

  afterAll(async () => {
    expectAllSigned(em);
    for (const s of [strict, lenient]) {
      expectNoKeyMaterial(s, [INLINE_TARGET, INLINE_SOURCE, GOOD, ...Object.values(ids.sseCKeys)], responses);
      expect(nonJsonLines(s.fn.stdout() + s.fn.stderr())).toEqual([]);
    }
    await strict.stop();
    await lenient.stop();
    await em.close();
  });

  describe("item 1: a caller cannot lock a tenancy out by re-wrapping under a key only they hold", () => {
    it.each([false, true])("refuses an inline SSE-C target key without REENCRYPT_ALLOW_INLINE_KEYS=true (direct: %s), naming the setting", async (direct) => {
      for (const body of [
        { targets: [{ bucket: "data" }], key: { type: "sse-c", base64Key: INLINE_TARGET } },
        { targets: [{ bucket: "data", object: "o/000001" }], key: { type: "sse-c", base64Key: INLINE_TARGET }, dryRun: true },
        { bucketName: "data", objectName: "o/000001", sseCustomerKey: { base64Key: INLINE_TARGET } },
      ]) {
        const r = await refused(strict, body, 403, "KeyNotAllowed", { direct });
        expect(r.data.error.message).toContain("REENCRYPT_ALLOW_INLINE_KEYS");
      }
      expect(em.state.objectVersions("data").filter((v) => v.reencryptCount > 0)).toEqual([]);
    });

    it.each([false, true])("refuses a Vault key or a secret outside REENCRYPT_ALLOWED_KEYS (direct: %s), naming the key and the setting", async (direct) => {
      const cases: Array<[unknown, string]> = [
        [{ targets: [{ bucket: "data" }], key: { type: "kms", kmsKeyId: key("other") } }, key("other")],
        [{ targets: [{ bucket: "data", prefix: "o/" }], key: { type: "kms", kmsKeyId: key("other") }, dryRun: true }, key("other")],
        [{ bucketName: "data", objectName: "o/000002", kmsKeyId: key("other") }, key("other")],
        [{ targets: [{ bucket: "data" }], key: { type: "sse-c", secretId: secret("s-other") } }, secret("s-other")],
        [{ bucketName: "data", objectName: "o/000002", sseCustomerKey: { secretId: secret("s-other") } }, secret("s-other")],
        // A rule's key is allowed, but not another key next to it.
        [{ targets: [{ bucket: "data", prefix: "r/" }], key: { type: "kms", kmsKeyId: key("other") } }, key("other")],
      ];
      for (const [body, named] of cases) {
        const r = await refused(strict, body, 403, "KeyNotAllowed", { direct });
        expect(r.data.error.message).toContain(named);
        expect(r.data.error.message).toContain("REENCRYPT_ALLOWED_KEYS");
      }
      expect(em.state.objectVersions("data").filter((v) => v.reencryptCount > 0)).toEqual([]);
    });

    it("still re-encrypts under an allowed Vault key, a rule's key (on any target), an allowed secret, and with an inline source key", async () => {
      const allowed = await call(strict, { targets: [{ bucket: "data", object: "o/000003" }], key: { type: "kms", kmsKeyId: key("allowed") } });
      expect(allowed.httpStatus).toBe(200);
      expect(wrapOf(em, "data", "o/000003").wrapping).toMatchObject({ kind: "kms", kmsKeyId: key("allowed") });
      const ruled = await call(strict, { targets: [{ bucket: "data", prefix: "r/" }, { bucket: "data", object: "o/000004" }], key: { type: "kms", kmsKeyId: key("ruled") } });
      expect(ruled.data).toMatchObject({ status: "succeeded", counts: { reencrypted: 4 } });
      expect(wrapOf(em, "data", "o/000004").wrapping).toMatchObject({ kind: "kms", kmsKeyId: key("ruled") });
      const bySecret = await call(strict, { bucketName: "data", objectName: "o/000005", sseCustomerKey: { secretId: secret("s-allowed") } }, { direct: true });
      expect(bySecret.httpStatus).toBe(200);
      expect(wrapOf(em, "data", "o/000005").wrapping).toEqual({ kind: "sse-c", keySha256: sha(ids.sseCKeys["s-allowed"] as string) });
      // An inline source key only unlocks: always accepted.
      const unlocked = await call(strict, { targets: [{ bucket: "ssec", object: "c1" }], key: { type: "kms", kmsKeyId: key("allowed") }, sourceKey: { base64Key: INLINE_SOURCE } });
      expect(unlocked.data.status).toBe("succeeded");
      expect(wrapOf(em, "ssec", "c1").wrapping).toMatchObject({ kind: "kms", kmsKeyId: key("allowed") });
      const shorthand = await call(strict, { bucketName: "ssec", objectName: "c2", sourceSseCustomerKey: { base64Key: INLINE_SOURCE } });
      expect(shorthand.data.status).toBe("succeeded");
      expect(wrapOf(em, "ssec", "c2").wrapping).toEqual({ kind: "oracle" });
      // With REENCRYPT_ALLOW_INLINE_KEYS=true the inline target key works.
      const inline = await call(lenient, { targets: [{ bucket: "data", object: "o/000006" }], key: { type: "sse-c", base64Key: INLINE_TARGET } });
      expect(inline.data.status).toBe("succeeded");
      expect(wrapOf(em, "data", "o/000006").wrapping).toEqual({ kind: "sse-c", keySha256: sha(INLINE_TARGET) });
    });

    it("applies the same checks again on resume: tokens issued where the key was allowed are refused where it is not", async () => {
      em.faults.setBaseLatency(3);
      const soon = () => new Date(Date.now() + 2_000);
      let inlineJob: Answer;
      let otherJob: Answer;
      try {
        inlineJob = await call(lenient, { targets: [{ bucket: "big", prefix: "p/" }], key: { type: "sse-c", base64Key: INLINE_TARGET } }, { deadline: soon() });
        otherJob = await call(lenient, { targets: [{ bucket: "big-other", prefix: "p/" }], key: { type: "kms", kmsKeyId: key("other") } }, { deadline: soon() });
      } finally {
        em.faults.setBaseLatency(0);
      }
      expect(inlineJob.data.status).toBe("incomplete");
      expect(otherJob.data.status).toBe("incomplete");
      const progress = () => [...em.state.objectVersions("big"), ...em.state.objectVersions("big-other")].map((v) => v.reencryptCount);
      const before = progress();
      for (const direct of [false, true]) {
        const a = await refused(strict, { resume: inlineJob.data.resume, key: { type: "sse-c", base64Key: INLINE_TARGET } }, 403, "KeyNotAllowed", { direct });
        expect(a.data.error.message).toContain("REENCRYPT_ALLOW_INLINE_KEYS");
        const b = await refused(strict, { resume: otherJob.data.resume }, 403, "KeyNotAllowed", { direct });
        expect(b.data.error.message).toContain(key("other"));
        expect(b.data.error.message).toContain("REENCRYPT_ALLOWED_KEYS");
      }
      // Tokens naming a key the function does not allow, signed with the function's own token secret
      // (as if it had leaked): the MAC proves who wrote a token, never what it may do.
      const handMade = (k: Record<string, string>) =>
        encodePortableToken({
          spec: { id: "0f6e1c1e-6f7d-4c8e-9a55-6c0e1d2f3a4b", origin: "request", units: [{ namespace: "keyns", bucket: "data", scope: { kind: "prefix", prefix: "", allVersions: true }, key: k as never }], dryRun: false },
          work: { id: 0, units: [0, 1], cursor: { unit: 0, redo: [] } },
          totals: { matched: 0, reencrypted: 0, failed: 0, skipped: 0 },
          seq: 1,
        }, Buffer.from(ids.sseCKeys["token-secret"] as string, "base64"));
      await refused(strict, { resume: handMade({ type: "kms", kmsKeyId: key("other") }) }, 403, "KeyNotAllowed");
      await refused(strict, { resume: handMade({ type: "sse-c", secretId: secret("s-other") }) }, 403, "KeyNotAllowed");
      await refused(strict, { resume: handMade({ type: "sse-c", keySha256: sha(INLINE_TARGET) }), key: { type: "sse-c", base64Key: INLINE_TARGET } }, 403, "KeyNotAllowed");
      expect(progress()).toEqual(before);
      // Where the keys are allowed, the same tokens carry on.
      const resumed = await call(lenient, { resume: inlineJob.data.resume, key: { type: "sse-c", base64Key: INLINE_TARGET } });
      expect(resumed.data.status).toBe("succeeded");
      expect(resumed.data.counts.reencrypted).toBe(1500);
      expect(em.state.objectVersions("big").every((v) => v.reencryptCount >= 1 && v.wrapping.kind === "sse-c")).toBe(true);
    });
  });

  describe("item 8: a secret holds exactly a key, or it is not one", () => {
    it.each([
      ["the base64 of a key followed by !!garbage (stored as text)", "garbage-utf8"],
      ["the base64 of a key followed by !!garbage (stored as base64)", "garbage-b64"],
      ["the base64 of a key and two newlines", "two-newlines"],
    ])("refuses a secret holding %s with 400 naming the key field, re-encrypting nothing", async (_label, name) => {
      for (const direct of [false, true]) {
        const r = await refused(strict, { targets: [{ bucket: "data", object: "o/000010" }], key: { type: "sse-c", secretId: secret(name) } }, 400, "InvalidPayload", { direct });
        expect(r.data.error.issues.map((i: { path: string }) => i.path)).toEqual(["key"]);
        expect(r.data.error.message).toMatch(/^key: /);
        const s = await refused(strict, { targets: [{ bucket: "ssec", object: "c1" }], sourceKey: { secretId: secret(name) } }, 400, "InvalidPayload", { direct });
        expect(s.data.error.issues.map((i: { path: string }) => i.path)).toEqual(["sourceKey"]);
      }
      expect(wrapOf(em, "data", "o/000010").reencryptCount).toBe(0);
    });

    it.each([
      ["exactly 32 raw bytes", "exact-raw", "o/000011"],
      ["exactly their base64 text", "exact-b64", "o/000012"],
      ["their base64 text and one trailing newline", "b64-newline", "o/000013"],
    ])("re-encrypts with a secret holding %s", async (_label, name, object) => {
      const r = await call(strict, { targets: [{ bucket: "data", object }], key: { type: "sse-c", secretId: secret(name) } });
      expect(r.data.status).toBe("succeeded");
      const expected = name === "exact-raw" ? (ids.sseCKeys["exact-raw"] as string) : GOOD;
      expect(wrapOf(em, "data", object).wrapping).toEqual({ kind: "sse-c", keySha256: sha(expected) });
      expect(wrapOf(em, "data", object).reencryptCount).toBe(1);
    });
  });
});
