// Issue 7, item 3: resume tokens are input like any other. Without a state bucket a token carries
// its job (compressed JSON) and can express nothing a request cannot; with one it is a reference
// whose nonce must still be the job record's. Hand-made, bombed, replayed and forged tokens fail
// with nothing called, and the process stays up with bounded memory. (Issue 16: without a token
// secret, unsigned tokens come only from direct invocations, which is where the decoder's bounds
// are exercised; a gateway caller cannot send one at all, and with a token secret nothing
// unsigned is read past its missing MAC: security-tokens-v3.test.ts.)

import { randomBytes, randomUUID } from "node:crypto";
import { deflateRawSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startEmulator, type Emulator, type Seed } from "../../src/local/emulator/index.js";
import { startLocalStack, type LocalStack } from "../../src/local/local-stack.js";
import { changes, changesSince, isAlive, nonJsonLines, onlyContainer, procMemory } from "../helpers/fuzz-probes.js";
import { expectAllSigned, gateway } from "./helpers.js";

const seed: Seed = {
  namespace: "tokns",
  buckets: [
    { name: "data", objects: [{ prefix: "d/", count: 10 }] },
    { name: "big", objects: [{ prefix: "p/", count: 1500 }] },
    { name: "state" },
  ],
  secrets: [{ name: "token-secret", randomSseCKey: true }],
};

type Answer = Awaited<ReturnType<LocalStack["invoke"]>>;

/** A self-contained token around any JSON text, as the function encodes its own. */
const selfContained = (json: string | Buffer): string => `r2.${deflateRawSync(typeof json === "string" ? Buffer.from(json) : json, { level: 9 }).toString("base64url")}`;

const unit = (o: Record<string, unknown> = {}) => ({ namespace: "tokns", bucket: "data", scope: { kind: "prefix", prefix: "d/", allVersions: false }, key: { type: "bucket" }, ...o });
const job = (o: { spec?: Record<string, unknown>; work?: Record<string, unknown>; [k: string]: unknown } = {}) => {
  const { spec, work, ...rest } = o;
  return {
    spec: { id: randomUUID(), origin: "request", units: [unit()], dryRun: false, ...spec },
    work: { id: 0, units: [0, 1], cursor: { unit: 0, redo: [] }, ...work },
    totals: { matched: 0, reencrypted: 0, failed: 0, skipped: 0 },
    seq: 1,
    ...rest,
  };
};
const token = (j: unknown): string => selfContained(JSON.stringify(j));

/** 100 MiB of spaces, deflated to ~100 KiB: what inflates past any sane bound. */
const bomb = (): string => selfContained(Buffer.alloc(100 * 1024 * 1024, 0x20));

describe("security: resume tokens (issue 7 item 3)", () => {
  let em: Emulator;
  let portable: LocalStack;
  /** No state bucket either, but a token secret: its self-contained tokens are signed. */
  let signed: LocalStack;
  let durable: LocalStack;

  beforeAll(async () => {
    em = await startEmulator({ seed });
    // One container each, so the pid sampled is the one that handled every attack.
    portable = await startLocalStack({ emulator: em, maxContainers: 1, config: { REENCRYPT_CONCURRENCY: "2", REENCRYPT_ALLOWED_BUCKETS: "data,big" } });
    signed = await startLocalStack({ emulator: em, maxContainers: 1, config: { REENCRYPT_CONCURRENCY: "2", REENCRYPT_ALLOWED_BUCKETS: "data,big", REENCRYPT_TOKEN_SECRET_ID: em.seedIds.secrets["token-secret"] as string } });
    durable = await startLocalStack({ emulator: em, maxContainers: 2, config: { REENCRYPT_STATE_BUCKET: "state", REENCRYPT_CONCURRENCY: "2" } });
    // The signing container reads its token secret once, on its first token; from then on a bad token calls nothing.
    expect((await signed.invoke({ resume: "r3.x.y" })).httpStatus).toBe(400);
    expect(em.requests.filter((r) => r.operation === "GetSecretBundle")).toHaveLength(1);
  });

  afterAll(async () => {
    expectAllSigned(em);
    // Read once per container, however many tokens it signed and checked.
    expect(em.requests.filter((r) => r.operation === "GetSecretBundle")).toHaveLength(1);
    for (const s of [portable, signed, durable]) expect(nonJsonLines(s.fn.stdout() + s.fn.stderr())).toEqual([]);
    await portable.stop();
    await signed.stop();
    await durable.stop();
    await em.close();
  });

  const refused = async (s: LocalStack, body: unknown, status: number, code: string, o: { direct?: boolean; nothingCalled?: boolean } = {}): Promise<Answer> => {
    const from = em.requests.length;
    const before = changes(em);
    const started = Date.now();
    const r = await s.invoke(body, o.direct ? {} : { gateway });
    expect(r.status).toBe(200);
    expect(r.httpStatus, r.body.slice(0, 500)).toBe(status);
    expect(r.data.error.code).toBe(code);
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(changesSince(em, from)).toEqual([]);
    expect(changes(em)).toBe(before);
    if (o.nothingCalled !== false) expect(em.requests.slice(from).map((q) => q.operation)).toEqual([]);
    return r;
  };

  describe("without a state bucket: self-contained tokens", () => {
    it("refuses hand-made, bombed and malformed tokens with 400 naming resume (403 from a gateway caller), calls nothing, and stays up with bounded memory", async () => {
      const pid = onlyContainer(portable);
      const lone = "d/a\ud800b";
      const attacks: Array<[string, string]> = [
        ["78,000 units", token(job({ spec: { units: Array.from({ length: 78_000 }, () => unit()) }, work: { units: [0, 78_000] } }))],
        ["78,000 units, compact", token(job({ spec: { units: Array.from({ length: 78_000 }, () => 0) }, work: { units: [0, 78_000] } }))],
        ["40,000 small units (inflates under the cap)", token(job({ spec: { origin: "rotation", units: Array.from({ length: 40_000 }, () => ({ namespace: "n", bucket: "b", scope: { kind: "object", object: "o" }, key: { type: "bucket" } })) }, work: { units: [0, 40_000] } }))],
        ["1,001 units of a request", token(job({ spec: { units: Array.from({ length: 1001 }, () => unit()) }, work: { units: [0, 1001] } }))],
        ["a deflate bomb", bomb()],
        ["a cursor past the shard", token(job({ work: { cursor: { unit: 5, redo: [] } } }))],
        ["a shard past the job", token(job({ work: { units: [0, 7], cursor: { unit: 0, redo: [] } } }))],
        ["a redo outside the shard", token(job({ work: { cursor: { unit: 0, redo: [{ unit: 3, name: "d/000001" }] } } }))],
        ["a lone surrogate in an object name", token(job({ spec: { units: [unit({ scope: { kind: "object", object: lone } })] } }))],
        ["a lone surrogate in a prefix", token(job({ spec: { units: [unit({ scope: { kind: "prefix", prefix: "\udfff", allVersions: true } })] } }))],
        ["a lone surrogate in the cursor", token(job({ work: { cursor: { unit: 0, after: { name: lone }, redo: [] } } }))],
        ["a lone surrogate in a range", token(job({ work: { range: { start: lone } } }))],
        ["a lone surrogate in a version id", token(job({ spec: { units: [unit({ scope: { kind: "object", object: "d/000001", versionId: "v\ud83d" } })] } }))],
        ["a name over 1024 bytes", token(job({ spec: { units: [unit({ scope: { kind: "object", object: "é".repeat(513) } })] } }))],
        ["a job id like ../../x", token(job({ spec: { id: "../../x" } }))],
        ["a bucket like ../x", token(job({ spec: { units: [unit({ bucket: "../x" })] } }))],
        ["an unknown origin", token(job({ spec: { origin: "admin" } }))],
        ["an extra field", token({ ...job(), extra: true })],
        ["a __proto__ field", selfContained(JSON.stringify(job()).replace(/^\{/, '{"__proto__":{"polluted":true},'))],
        ["a negative count", token({ ...job(), totals: { matched: -1, reencrypted: 0, failed: 0, skipped: 0 } })],
        ["an empty token", "r2."],
        ["garbage after the prefix", `r2.${randomBytes(300).toString("base64url")}`],
        ["a truncated token", token(job()).slice(0, 40)],
        ["an unknown version", `r1.${token(job()).slice(3)}`],
        ["JSON that is not an object", selfContained("[1,2,3]")],
      ];
      let maxRss = 0;
      for (const [label, t] of attacks) {
        const r = await refused(portable, { resume: t }, 400, "InvalidPayload", { direct: true });
        expect(r.data.error.issues?.[0]?.path, `${label}: ${r.body.slice(0, 300)}`).toMatch(/^resume(\.|$)/);
        expect(r.data.error.message, label).toMatch(/resume/);
        const mem = procMemory(pid);
        expect(mem, "the container is gone").toBeDefined();
        maxRss = Math.max(maxRss, mem?.rssKb ?? 0);
        // A gateway caller may not send a self-contained token here at all (nothing could authenticate it).
        if (t.startsWith("r2.")) {
          const g = await refused(portable, { resume: t }, 403, "EntranceNotAllowed");
          expect(g.data.error.message, label).toContain("REENCRYPT_TOKEN_SECRET_ID");
        } else {
          await refused(portable, { resume: t }, 400, "InvalidPayload");
        }
        // With a token secret, none of them gets past its missing MAC.
        for (const direct of [false, true]) {
          const s = await refused(signed, { resume: t }, 400, "InvalidPayload", { direct });
          expect(s.data.error.issues?.[0]?.path, label).toBe("resume");
        }
      }
      // The same process answered everything, and never needed more than the function's 256 MB.
      expect(onlyContainer(portable)).toBe(pid);
      expect(isAlive(pid)).toBe(true);
      const peak = procMemory(pid)?.peakKb ?? Infinity;
      expect(peak / 1024, `peak RSS ${Math.round(peak / 1024)} MiB`).toBeLessThan(256);
      expect(maxRss).toBeGreaterThan(0);
      // A reference token means nothing here (no state bucket keeps jobs).
      await refused(portable, { resume: `j1.${randomUUID()}.${randomBytes(16).toString("base64url")}` }, 400, "InvalidPayload");
    });

    it("refuses a token of a rotation or object-event job from a caller (403), and runs it when sent directly (an unsigned token, under a job id of its own)", async () => {
      for (const origin of ["rotation", "object-event"]) {
        const t = token(job({ spec: { origin } }));
        await refused(portable, { resume: t }, 403, "EntranceNotAllowed");
        if (origin === "rotation") {
          const direct = await portable.invoke({ resume: t });
          expect(direct.httpStatus).toBe(200);
          expect(direct.data).toMatchObject({ status: "succeeded", counts: { reencrypted: 10 } });
          expect(direct.data.jobId).not.toBe(job().spec.id);
        }
      }
      expect(em.state.objectVersions("data").every((v) => v.reencryptCount === 1)).toBe(true);
    });

    it("applies REENCRYPT_ALLOWED_BUCKETS to what a token names (403, nothing called)", async () => {
      for (const bucket of ["state", "elsewhere"]) {
        const r = await refused(portable, { resume: token(job({ spec: { units: [unit({ bucket })] } })) }, 403, "TargetNotAllowed", { direct: true });
        expect(r.data.error.message).toContain(bucket);
      }
    });

    it("resumes a real token to the end", async () => {
      let r = await signed.invoke({ targets: [{ bucket: "big", prefix: "p/" }] }, { gateway, deadline: new Date(Date.now() + 1_500) });
      expect(r.httpStatus).toBe(202);
      expect(r.data.resume).toMatch(/^r3\./);
      for (let i = 0; r.data.status === "incomplete" && i < 20; i++) r = await signed.invoke({ resume: r.data.resume }, { gateway });
      expect(r.data).toMatchObject({ status: "succeeded", counts: { matched: 1500, failed: 0 } });
      expect(em.state.objectVersions("big").filter((v) => v.reencryptCount === 0)).toEqual([]);
    });
  });

  describe("with a state bucket: reference tokens", () => {
    it("refuses unknown, forged, replayed and self-contained tokens, changing nothing; the current token carries on", async () => {
      const first = await durable.invoke({ targets: [{ bucket: "big", prefix: "p/", allVersions: true }] }, { gateway, deadline: new Date(Date.now() + 1_500) });
      expect(first.httpStatus).toBe(202);
      const t1 = first.data.resume as string;
      const m = /^j1\.([A-Za-z0-9-]+)\.([A-Za-z0-9_-]+)$/.exec(t1);
      expect(m, t1).not.toBeNull();
      const [, jobId, nonce] = m as unknown as [string, string, string];
      expect(jobId).toBe(first.data.jobId);
      expect(Buffer.from(nonce, "base64url").length * 8).toBeGreaterThanOrEqual(128);
      const recordName = `jobs/${jobId}.json`;
      const record = () => em.state.findVersion("state", recordName)?.etag;
      const etag = record();
      expect(etag).toBeDefined();

      // Unknown job, malformed references, a self-contained token: 400 naming resume.
      for (const bad of [`j1.${randomUUID()}.${nonce}`, `j1.../../x.${nonce}`, `j1.${jobId}.${nonce.slice(0, 8)}`, `j1.${jobId}`, `j1.${jobId}.${nonce}.x`, token(job())]) {
        const r = await refused(durable, { resume: bad }, 400, "InvalidPayload", { nothingCalled: false });
        expect(r.data.error.issues[0].path).toBe("resume");
      }
      // A forged nonce for the real job: 409, the record untouched.
      for (const forged of [randomBytes(16).toString("base64url"), `${nonce.slice(0, -1)}${nonce.endsWith("A") ? "B" : "A"}`]) {
        await refused(durable, { resume: `j1.${jobId}.${forged}` }, 409, "JobAdvanced", { nothingCalled: false });
      }
      expect(record()).toBe(etag);

      // The real token works once; replayed, it is 409.
      const second = await durable.invoke({ resume: t1 }, { gateway, deadline: new Date(Date.now() + 1_500) });
      expect(second.httpStatus).toBe(202);
      expect(second.data.resume).not.toBe(t1);
      const etag2 = record();
      for (const direct of [false, true]) await refused(durable, { resume: t1 }, 409, "JobAdvanced", { direct, nothingCalled: false });
      expect(record()).toBe(etag2);

      // Two invocations racing on the current token: one runs, the other is told the job moved on.
      const raced = await Promise.all([durable.invoke({ resume: second.data.resume }, { gateway }), durable.invoke({ resume: second.data.resume }, { gateway })]);
      const statuses = raced.map((r) => r.httpStatus).sort();
      expect(statuses).toEqual([200, 409]);
      const done = raced.find((r) => r.httpStatus === 200) as Answer;
      expect(done.data).toMatchObject({ status: "succeeded", counts: { matched: 1500, failed: 0 } });
      const versions = em.state.objectVersions("big");
      expect(versions.filter((v) => v.reencryptCount === 0)).toEqual([]);
    });
  });
});
