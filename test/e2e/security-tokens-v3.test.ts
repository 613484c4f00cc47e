// Issue 16 item 2, as the probe ran it: without a state bucket, resume tokens were unsigned JSON a
// caller could write. 1,000 copies of one unit (one object re-encrypted 576 times), a bucket-method
// unit on a prefix (a ReencryptBucket that moved every object outside it), forged totals and a
// chosen job id. Now: a gateway caller cannot send an unsigned token at all; a signed one must carry
// this function's MAC; and whatever a token (or a job record) says is checked as a request is, on
// every resume. The legitimate resumes beside each attack still work.

import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { encodePortableToken } from "../../src/contract/resume-token.js";
import { startEmulator, type Emulator, type Seed } from "../../src/local/emulator/index.js";
import { startLocalStack, type LocalStack } from "../../src/local/local-stack.js";
import { changes, changesSince, nonJsonLines } from "../helpers/fuzz-probes.js";
import { expectAllSigned, gateway } from "./helpers.js";

const seed: Seed = {
  namespace: "tokv3",
  buckets: [
    { name: "data", objects: [{ prefix: "mine/", count: 5 }, { prefix: "other/", count: 15 }] },
    { name: "big", objects: [{ prefix: "p/", count: 600 }] },
    { name: "state" },
  ],
  secrets: [
    { name: "token-secret", randomSseCKey: true },
    { name: "short-secret", content: "sixteen bytes!!!", encoding: "utf8" },
  ],
};

type Answer = Awaited<ReturnType<LocalStack["invoke"]>>;

const unit = (o: Record<string, unknown> = {}) => ({ namespace: "tokv3", bucket: "data", scope: { kind: "prefix", prefix: "mine/", allVersions: false }, key: { type: "bucket" }, ...o });
const job = (o: { units?: unknown[]; totals?: Record<string, number>; id?: string; work?: Record<string, unknown> } = {}) => {
  const units = o.units ?? [unit()];
  return {
    spec: { id: o.id ?? randomUUID(), origin: "request", units, dryRun: false },
    work: { id: 0, units: [0, units.length], cursor: { unit: 0, redo: [] }, ...o.work },
    totals: { matched: 0, reencrypted: 0, failed: 0, skipped: 0, ...o.totals },
    seq: 1,
  };
};
const THOUSAND = Array.from({ length: 1000 }, () => unit());
const BUCKET_ON_PREFIX = [unit({ method: "bucket", scope: { kind: "prefix", prefix: "mine/", allVersions: true } })];

describe("security: resume tokens without a state bucket (issue 16 item 2)", () => {
  let em: Emulator;
  /** No state bucket, no token secret: the module's old default. */
  let bare: LocalStack;
  /** No state bucket, a token secret. */
  let signed: LocalStack;
  /** A state bucket: tokens are references to job records. */
  let durable: LocalStack;
  let tokenKey: Buffer;

  beforeAll(async () => {
    // 8 ms a call: 600 objects two at a time outlast the 1.5 s deadlines below on any machine, so
    // the first answers are incomplete (the engine alone is fast enough to finish them in time).
    em = await startEmulator({ seed, latencyMs: 8 });
    tokenKey = Buffer.from(em.seedIds.sseCKeys["token-secret"] as string, "base64");
    bare = await startLocalStack({ emulator: em, maxContainers: 1, config: { REENCRYPT_CONCURRENCY: "2" } });
    signed = await startLocalStack({ emulator: em, maxContainers: 1, config: { REENCRYPT_CONCURRENCY: "2", REENCRYPT_TOKEN_SECRET_ID: em.seedIds.secrets["token-secret"] as string } });
    durable = await startLocalStack({ emulator: em, maxContainers: 1, config: { REENCRYPT_CONCURRENCY: "2", REENCRYPT_STATE_BUCKET: "state" } });
    // The signing container reads its secret on its first token: done here, so the attacks below call nothing.
    expect((await signed.invoke({ resume: "r3.x.y" })).httpStatus).toBe(400);
  });

  afterAll(async () => {
    expectAllSigned(em);
    for (const s of [bare, signed, durable]) expect(nonJsonLines(s.fn.stdout() + s.fn.stderr())).toEqual([]);
    await bare.stop();
    await signed.stop();
    await durable.stop();
    await em.close();
  });

  const refused = async (s: LocalStack, body: unknown, status: number, code: string, o: { direct?: boolean } = {}): Promise<Answer> => {
    const from = em.requests.length;
    const before = changes(em);
    const r = await s.invoke(body, o.direct ? {} : { gateway });
    expect(r.status).toBe(200);
    expect(r.httpStatus, r.body.slice(0, 400)).toBe(status);
    expect(r.data.error.code).toBe(code);
    expect(changesSince(em, from)).toEqual([]);
    expect(changes(em)).toBe(before);
    return r;
  };
  const reencrypted = (bucket: string) => em.state.objectVersions(bucket).reduce((n, v) => n + v.reencryptCount, 0);

  it("without a token secret, a gateway caller gets no token (incomplete, naming the two settings) and may not send one (403)", async () => {
    const r = await bare.invoke({ targets: [{ bucket: "big", prefix: "p/" }] }, { gateway, deadline: new Date(Date.now() + 1_500) });
    expect(r.httpStatus).toBe(202);
    expect(r.data.status).toBe("incomplete");
    expect(r.data.resume).toBeUndefined();
    expect(r.data.message).toContain("REENCRYPT_STATE_BUCKET");
    expect(r.data.message).toContain("REENCRYPT_TOKEN_SECRET_ID");
    for (const units of [THOUSAND, BUCKET_ON_PREFIX, [unit()]]) {
      const e = await refused(bare, { resume: encodePortableToken(job({ units }) as never) }, 403, "EntranceNotAllowed");
      expect(e.data.error.message).toContain("REENCRYPT_TOKEN_SECRET_ID");
    }
    // Sent directly (IAM authorised the sender), the same job's unsigned token runs.
    const direct = await bare.invoke({ targets: [{ bucket: "big", prefix: "p/" }] }, { deadline: new Date(Date.now() + 1_500) });
    expect(direct.data.resume).toMatch(/^r2\./);
  });

  it("refuses 1,000 copies of one unit and a bucket-method unit on a prefix, unsigned or signed, through the gateway or directly, calling nothing", async () => {
    const before = reencrypted("data");
    for (const [label, units] of [["1,000 copies", THOUSAND], ["bucket method on a prefix", BUCKET_ON_PREFIX]] as const) {
      const unsigned = encodePortableToken(job({ units: [...units] }) as never);
      // Direct, no token secret: the token is read, and its job is checked as a request would be.
      const d = await refused(bare, { resume: unsigned }, 400, "InvalidPayload", { direct: true });
      expect(d.data.error.issues[0].path, label).toBe("resume");
      expect(d.data.error.message, label).toMatch(/more than once|method "bucket"/);
      // With a token secret, an unsigned token is refused for its missing MAC.
      for (const direct of [false, true]) {
        const s = await refused(signed, { resume: unsigned }, 400, "InvalidPayload", { direct });
        expect(s.data.error.message, label).toContain("MAC");
      }
      // Even a token signed with the function's own secret (a leak, a bug) can do no more than a request.
      const leaked = encodePortableToken(job({ units: [...units] }) as never, tokenKey);
      for (const direct of [false, true]) {
        const l = await refused(signed, { resume: leaked }, 400, "InvalidPayload", { direct });
        expect(l.data.error.issues[0].path, label).toBe("resume");
      }
    }
    expect(reencrypted("data")).toBe(before);
    expect(em.requests.filter((q) => q.operation === "ReencryptBucket")).toEqual([]);
  });

  it("takes neither counts nor a job id from an unsigned token: the answer counts this invocation, under an id of its own", async () => {
    const chosen = "00000000-0000-0000-0000-000000000001";
    const before = reencrypted("data");
    const r = await bare.invoke({ resume: encodePortableToken(job({ id: chosen, totals: { reencrypted: 1e15, matched: 1e15 } }) as never) });
    expect(r.httpStatus).toBe(200);
    expect(r.data).toMatchObject({ status: "succeeded", counts: { matched: 5, reencrypted: 5, failed: 0 } });
    expect(r.data.jobId).not.toBe(chosen);
    expect(reencrypted("data") - before).toBe(5);
    expect(em.state.objectVersions("data", "other/").every((v) => v.reencryptCount === 0)).toBe(true);
  });

  it("keeps a signed token's counts and job id through the gateway, to the end", async () => {
    let r = await signed.invoke({ targets: [{ bucket: "big", prefix: "p/" }] }, { gateway, deadline: new Date(Date.now() + 1_500) });
    expect(r.data.resume).toMatch(/^r3\./);
    const jobId = r.data.jobId as string;
    const first = r.data.counts.matched as number;
    expect(first).toBeGreaterThan(0);
    for (let i = 0; r.data.status === "incomplete" && i < 20; i++) r = await signed.invoke({ resume: r.data.resume }, { gateway });
    expect(r.data).toMatchObject({ jobId, status: "succeeded", counts: { matched: 600, failed: 0 } });
  });

  it("diagnose says what is lost without a state bucket, and whether tokens are signed", async () => {
    const item = async (s: LocalStack, check: string) => {
      const d = (await s.invoke({ diagnose: true })).data.diagnose as { checklist: Array<{ check: string; status: string; detail: string }> };
      return d.checklist.find((c) => c.check === check);
    };
    const lost = await item(bare, "durability");
    expect(lost?.status).toBe("warning");
    for (const what of ["dies loses the rest of its job", "de-duplication", "no reports", "no job status", "carry the job itself", "REENCRYPT_MAX_RPS holds per invocation"]) expect(lost?.detail).toContain(what);
    expect(await item(bare, "resume-tokens")).toMatchObject({ status: "warning", detail: expect.stringContaining("unsigned") });
    expect(await item(signed, "resume-tokens")).toMatchObject({ status: "ok", detail: expect.stringContaining("signed") });
    expect(await item(durable, "resume-tokens")).toMatchObject({ status: "ok", detail: expect.stringContaining("references") });
    expect(await item(durable, "durability")).toBeUndefined();
    const short = await startLocalStack({ emulator: em, maxContainers: 1, config: { REENCRYPT_TOKEN_SECRET_ID: em.seedIds.secrets["short-secret"] as string } });
    try {
      expect(await item(short, "resume-tokens")).toMatchObject({ status: "problem", detail: expect.stringContaining("at least 32") });
      // And a request that would need a token is refused before anything changes, naming the setting.
      const before = changes(em);
      const r = await short.invoke({ targets: [{ bucket: "data", prefix: "mine/" }] });
      expect(r.httpStatus).toBe(500);
      expect(r.data.error).toMatchObject({ code: "ConfigurationError", message: expect.stringContaining("REENCRYPT_TOKEN_SECRET_ID") });
      expect(changes(em)).toBe(before);
    } finally {
      await short.stop();
    }
  });

  it("runs the request's checks on a job record too: a record rewritten in the state bucket is refused on resume, untouched", async () => {
    const first = await durable.invoke({ targets: [{ bucket: "big", prefix: "p/" }] }, { gateway, deadline: new Date(Date.now() + 1_500) });
    expect(first.httpStatus).toBe(202);
    const name = `jobs/${first.data.jobId}.json`;
    const original = em.state.findVersion("state", name)?.content.toString("utf8") as string;
    const record = JSON.parse(original) as { spec: { units: unknown[] }; shardCount: number };
    for (const units of [Array.from({ length: 1000 }, () => record.spec.units[0]), [{ ...(record.spec.units[0] as object), method: "bucket" }]]) {
      // The job record names the job's scopes; its shard's record only which of them the shard runs.
      const tampered = { ...record, spec: { ...record.spec, units } };
      em.state.putObject("state", name, { content: Buffer.from(JSON.stringify(tampered)) });
      const etag = em.state.findVersion("state", name)?.etag;
      const r = await refused(durable, { resume: first.data.resume }, 400, "InvalidPayload");
      expect(r.data.error.issues[0].path).toBe("resume");
      expect(em.state.findVersion("state", name)?.etag).toBe(etag);
    }
    // Put back as the function wrote it, the same token carries on.
    em.state.putObject("state", name, { content: Buffer.from(original) });
    const resumed = await durable.invoke({ resume: first.data.resume }, { gateway, deadline: new Date(Date.now() + 1_500) });
    expect([200, 202]).toContain(resumed.httpStatus);
    expect(resumed.data.jobId).toBe(first.data.jobId);
  });
});
