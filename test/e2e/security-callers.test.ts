// Issue 16 item 7: job status showed a job's content to anyone holding the read scope, and anyone
// holding the write scope could resume anyone's job given its token. The deployment now maps the
// caller's JWT `sub` into X-Reencrypt-Caller (overwriting what the client sent); the function
// records it in request jobs and answers only that caller through the gateway. Others get 404, as
// for a job that does not exist; direct invocations are unaffected.

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startEmulator, type Emulator, type Seed } from "../../src/local/emulator/index.js";
import { startLocalStack, type LocalStack } from "../../src/local/local-stack.js";
import { changes, changesSince, nonJsonLines } from "../helpers/fuzz-probes.js";
import { expectAllSigned } from "./helpers.js";

const seed: Seed = {
  namespace: "callns",
  buckets: [{ name: "big", objects: [{ prefix: "p/", count: 600 }] }, { name: "state" }],
  secrets: [{ name: "token-secret", randomSseCKey: true }],
};

type Answer = Awaited<ReturnType<LocalStack["invoke"]>>;
const as = (caller: string | undefined, method = "POST", url = "/v1/reencrypt") => ({
  gateway: { method, url, headers: { "Content-Type": "application/json", ...(caller === undefined ? {} : { "X-Reencrypt-Caller": caller }) } },
});
const soon = () => new Date(Date.now() + 1_500);

describe("security: jobs belong to their gateway caller (issue 16 item 7)", () => {
  let em: Emulator;
  let durable: LocalStack;
  let signed: LocalStack;

  beforeAll(async () => {
    // 8 ms a call: 600 objects two at a time outlast the 1.5 s deadlines below on any machine, so
    // the first answers are incomplete (the engine alone is fast enough to finish them in time).
    em = await startEmulator({ seed, latencyMs: 8 });
    durable = await startLocalStack({ emulator: em, maxContainers: 1, config: { REENCRYPT_STATE_BUCKET: "state", REENCRYPT_CONCURRENCY: "2" } });
    signed = await startLocalStack({ emulator: em, maxContainers: 1, config: { REENCRYPT_CONCURRENCY: "2", REENCRYPT_TOKEN_SECRET_ID: em.seedIds.secrets["token-secret"] as string } });
    expect((await signed.invoke({ resume: "r3.x.y" })).httpStatus).toBe(400);
  });

  afterAll(async () => {
    expectAllSigned(em);
    for (const s of [durable, signed]) expect(nonJsonLines(s.fn.stdout() + s.fn.stderr())).toEqual([]);
    await durable.stop();
    await signed.stop();
    await em.close();
  });

  const notFound = async (s: LocalStack, body: unknown, o: ReturnType<typeof as>): Promise<Answer> => {
    const from = em.requests.length;
    const before = changes(em);
    const r = await s.invoke(body, o);
    expect(r.httpStatus, r.body.slice(0, 300)).toBe(404);
    expect(r.data.error.code).toBe("JobNotFound");
    expect(changesSince(em, from)).toEqual([]);
    expect(changes(em)).toBe(before);
    return r;
  };

  it("records the caller and shows the job's status to that caller only; direct status queries are unaffected", async () => {
    const first = await durable.invoke({ targets: [{ bucket: "big", prefix: "p/" }] }, { ...as("alice@example.com"), deadline: soon() });
    expect(first.httpStatus).toBe(202);
    const jobId = first.data.jobId as string;
    const record = JSON.parse(em.state.findVersion("state", `jobs/${jobId}.json`)?.content.toString("utf8") ?? "{}") as { caller?: string };
    expect(record.caller).toBe("alice@example.com");

    const mine = await durable.invoke("", as("alice@example.com", "GET", `/v1/reencrypt/jobs/${jobId}`));
    expect(mine.httpStatus).toBe(200);
    expect(mine.data).toMatchObject({ jobId, origin: "request", caller: "alice@example.com" });
    for (const other of ["bob@example.com", "ALICE@example.com", undefined]) {
      const r = await notFound(durable, "", as(other, "GET", `/v1/reencrypt/jobs/${jobId}`));
      // The same answer as for a job that does not exist: nothing about the job.
      expect(r.body).not.toContain("big");
      expect(r.body).not.toContain("alice");
    }
    const direct = await durable.invoke({ job: jobId });
    expect(direct.data).toMatchObject({ jobId, caller: "alice@example.com" });
  });

  it("lets only that caller resume the job; another caller's resume is 404 and changes nothing", async () => {
    const first = await durable.invoke({ targets: [{ bucket: "big", prefix: "p/" }] }, { ...as("alice@example.com"), deadline: soon() });
    const etag = () => em.state.findVersion("state", `jobs/${first.data.jobId}.json`)?.etag;
    const before = etag();
    await notFound(durable, { resume: first.data.resume }, as("bob@example.com"));
    await notFound(durable, { resume: first.data.resume }, as(undefined));
    expect(etag()).toBe(before);
    const mine = await durable.invoke({ resume: first.data.resume }, { ...as("alice@example.com"), deadline: soon() });
    expect([200, 202]).toContain(mine.httpStatus);
    expect(mine.data.jobId).toBe(first.data.jobId);
    expect(etag()).not.toBe(before);
  });

  it("binds signed self-contained tokens to their caller too", async () => {
    const first = await signed.invoke({ targets: [{ bucket: "big", prefix: "p/" }] }, { ...as("alice@example.com"), deadline: soon() });
    expect(first.data.resume).toMatch(/^r3\./);
    await notFound(signed, { resume: first.data.resume }, as("bob@example.com"));
    const mine = await signed.invoke({ resume: first.data.resume }, { ...as("alice@example.com"), deadline: soon() });
    expect([200, 202]).toContain(mine.httpStatus);
    expect(mine.data.jobId).toBe(first.data.jobId);
    // A direct invocation (IAM authorised) may carry it on as well.
    if (mine.data.resume) expect([200, 202]).toContain((await signed.invoke({ resume: mine.data.resume }, { deadline: soon() })).httpStatus);
  });

  it("lets only the job's caller retry its failures through the gateway; the retry belongs to the same caller", async () => {
    const fault = em.faults.add({ operation: "ReencryptObject", when: (q) => q.objectName === "p/000007", status: 403, code: "NotAuthorizedOrNotFound" });
    const failed = await durable.invoke({ targets: [{ bucket: "big", object: "p/000007" }] }, as("alice@example.com"));
    expect(failed.data.status).toBe("failed");
    fault.remove();
    await notFound(durable, { retry: failed.data.jobId }, as("bob@example.com"));
    await notFound(durable, { retry: failed.data.jobId }, as(undefined));
    const retried = await durable.invoke({ retry: failed.data.jobId }, as("alice@example.com"));
    expect(retried.data).toMatchObject({ status: "succeeded", counts: { reencrypted: 1 }, retryOf: failed.data.jobId });
    const status = await durable.invoke("", as("alice@example.com", "GET", `/v1/reencrypt/jobs/${retried.data.jobId}`));
    expect(status.data.caller).toBe("alice@example.com");
    await notFound(durable, "", as("bob@example.com", "GET", `/v1/reencrypt/jobs/${retried.data.jobId}`));
  });

  it("leaves jobs without a recorded caller as they were: a gateway that names no subject, or a direct start", async () => {
    // Slow enough that 600 objects cannot finish within the 1.5 s deadline on any machine.
    durable.emulator.faults.setBaseLatency(10);
    const anonymous = await durable.invoke({ targets: [{ bucket: "big", prefix: "p/" }] }, { ...as(undefined), deadline: soon() });
    durable.emulator.faults.setBaseLatency(0);
    expect(anonymous.httpStatus).toBe(202);
    const r = await durable.invoke("", as("carol@example.com", "GET", `/v1/reencrypt/jobs/${anonymous.data.jobId}`));
    expect(r.httpStatus).toBe(200);
    expect(r.data.caller).toBeUndefined();
  });
});
