import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startEmulator, type Emulator } from "../../src/local/emulator/index.js";
import { startHttpGateway, type HttpGateway } from "../../src/local/fn/http-gateway.js";
import { startLocalStack, type LocalStack } from "../../src/local/local-stack.js";
import { expectAllSigned, mutations } from "./helpers.js";

// The local API Gateway of `npm start` in front of the real bundle, as a user reaches it with curl:
// the two routes of the deployment (POST /reencrypt, GET /reencrypt/jobs/{jobId}), what the function
// answers for other paths and methods, and answers that must not mislead (issue 11, item 4).

describe("the local gateway (npm start) in front of the function", () => {
  let em: Emulator;
  let stack: LocalStack;
  let gw: HttpGateway;

  beforeAll(async () => {
    em = await startEmulator({
      seed: {
        namespace: "gwns",
        compartments: ["apps"],
        buckets: [
          { name: "data", compartment: "apps", objects: [{ prefix: "a/", count: 1200 }, { name: "one.txt" }] },
          { name: "state", compartment: "apps" },
        ],
      },
    });
    stack = await startLocalStack({
      emulator: em,
      compartmentId: em.seedIds.compartments["apps"] as string,
      timeoutSeconds: 30,
      config: { REENCRYPT_STATE_BUCKET: "state", REENCRYPT_CONCURRENCY: "4" },
    });
    gw = await startHttpGateway({ port: 0, deadlineSeconds: 3, invoke: (r) => stack.fn.invoke(r) });
  });
  afterAll(async () => {
    expectAllSigned(em);
    await gw?.close();
    await stack?.stop();
    await em?.close();
  });

  const call = async (path: string, init: { method?: string; body?: unknown } = {}) => {
    const res = await fetch(`http://127.0.0.1:${gw.port}${path}`, {
      method: init.method ?? (init.body === undefined ? "GET" : "POST"),
      ...(init.body === undefined ? {} : { headers: { "Content-Type": "application/json" }, body: typeof init.body === "string" ? init.body : JSON.stringify(init.body) }),
    });
    return { status: res.status, allow: res.headers.get("allow"), data: (await res.json()) as Record<string, any> };
  };

  it("forwards GET /reencrypt/jobs/{jobId}: a job waiting for its caller, resumed over POST until its status says succeeded", async () => {
    em.faults.setBaseLatency(5);
    try {
      // Each call has the gateway's 3 s (the function's timeout in OCI): 1,200 objects at 4 in flight do not fit.
      const first = await call("/reencrypt", { body: { targets: [{ bucket: "data", prefix: "a/" }] } });
      expect(first.status).toBe(202);
      expect(first.data).toMatchObject({ status: "incomplete", resume: expect.stringMatching(/^j1\./) });
      const jobId = first.data.jobId as string;

      const waiting = await call(`/reencrypt/jobs/${jobId}`);
      expect(waiting.status).toBe(200);
      expect(waiting.data).toMatchObject({ jobId, origin: "request", status: "incomplete", counts: { reencrypted: first.data.counts.reencrypted } });

      let answer = first;
      for (let i = 0; answer.data.status === "incomplete" && i < 20; i++) answer = await call("/reencrypt", { body: { resume: answer.data.resume } });
      expect(answer.status).toBe(200);
      expect(answer.data).toMatchObject({ jobId, status: "succeeded", counts: { reencrypted: 1200, failed: 0 } });
      const done = await call(`/reencrypt/jobs/${jobId}`);
      expect(done.data).toMatchObject({ status: "succeeded", counts: { reencrypted: 1200 }, summary: `/n/gwns/b/state/o/reports/${jobId}.summary.json` });
    } finally {
      em.faults.setBaseLatency(0);
    }
  });

  it("lets the function answer other paths (404) and methods (405) under the route; outside it nothing is deployed", async () => {
    const unknown = await call(`/reencrypt/jobs/${randomUUID()}`);
    expect(unknown.status).toBe(404);
    expect(unknown.data.error.code).toBe("JobNotFound");
    const del = await call(`/reencrypt/jobs/${randomUUID()}`, { method: "DELETE" });
    expect(del.status).toBe(405);
    expect(del.data.error).toMatchObject({ code: "MethodNotAllowed", message: expect.stringContaining("GET /reencrypt/jobs/{jobId}") });
    const postJob = await call(`/reencrypt/jobs/${randomUUID()}`, { body: {} });
    expect(postJob.status).toBe(405);
    const other = await call("/reencrypt/other");
    expect(other.status).toBe(404);
    expect(other.data.error.message).toMatch(/no such route: POST \/reencrypt or GET \/reencrypt\/jobs\/\{jobId\}/);
    const get = await call("/reencrypt");
    expect(get.status).toBe(405);
    expect(get.allow).toBe("POST");
    const outside = await call("/elsewhere");
    expect(outside.status).toBe(404);
    expect(outside.data.error.message).toMatch(/try POST \/reencrypt or GET \/reencrypt\/jobs\/\{jobId\}/);
  });

  it("refuses what only direct invocations may send, with nothing done", async () => {
    const before = mutations(em);
    for (const body of [{ diagnose: true }, { sweep: true }, { cloudEventsVersion: "0.1", eventType: "com.oraclecloud.objectstorage.createobject", data: {} }]) {
      const r = await call("/reencrypt", { body });
      expect(r.status, JSON.stringify(body)).toBe(403);
      expect(r.data.error.code).toBe("EntranceNotAllowed");
    }
    expect(mutations(em)).toBe(before);
  });

  it("answers dry runs as the real run would: 207 when some targets fail, the failures' status when all do", async () => {
    const some = await call("/reencrypt", { body: { targets: [{ bucket: "data", object: "one.txt" }, { bucket: "data", object: "missing.txt" }], dryRun: true } });
    expect(some.status).toBe(207);
    expect(some.data).toMatchObject({ status: "dry-run", counts: { matched: 1, failed: 1 } });
    expect(some.data.failures[0]).toMatchObject({ object: "missing.txt", status: 404, hint: expect.stringMatching(/does not exist, was just deleted, or this function may not read it/) });
    const all = await call("/reencrypt", { body: { targets: [{ bucket: "data", object: "missing.txt" }], dryRun: true } });
    expect(all.status).toBe(404);
    expect(all.data.status).toBe("dry-run");
    const ok = await call("/reencrypt", { body: { targets: [{ bucket: "data", object: "one.txt" }], dryRun: true } });
    expect(ok.status).toBe(200);
  });

  it("names a missing bucket as such, with its hint", async () => {
    const r = await call("/reencrypt", { body: { targets: [{ bucket: "no-such-bucket" }] } });
    expect(r.status).toBe(404);
    expect(r.data.status).toBe("failed");
    expect(r.data.failures[0]).toMatchObject({
      bucket: "no-such-bucket",
      status: 404,
      code: "BucketNotFound",
      hint: expect.stringMatching(/^The bucket does not exist in this namespace, or this function may not read it/),
    });
  });

  it("caps a 400's issues at 20 and says how many more there were", async () => {
    // One unknown field in each of 25 targets: 25 issues.
    const r = await call("/reencrypt", { body: { targets: Array.from({ length: 25 }, () => ({ bucket: "data", bukcet: "typo" })) } });
    expect(r.status).toBe(400);
    expect(r.data.error.code).toBe("InvalidPayload");
    expect(r.data.error.issues).toHaveLength(20);
    expect(r.data.error.moreIssues).toBe(5);
    expect(r.data.error.issues[0].path).toMatch(/^targets\.0/);
    expect(r.data.error.issues[19].path).toMatch(/^targets\.19/);
  });
});
