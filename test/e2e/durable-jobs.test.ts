import { randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import { afterEach, describe, expect, it } from "vitest";
import { startEmulator, type Emulator, type Seed } from "../../src/local/emulator/index.js";
import { startLocalStack, type LocalStack } from "../../src/local/local-stack.js";
import { expectAllSigned, gateway, MUTATING, mutations } from "./helpers.js";

const fixture = (name: string) => JSON.parse(readFileSync(new URL(`../fixtures/events/${name}.json`, import.meta.url), "utf8"));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** `buckets` buckets under key kA, `perBucket` objects of `versions` versions each, and a state bucket. */
const seed = (buckets: number[], versions = 2): Seed => ({
  namespace: "durns",
  compartments: ["apps"],
  vaults: [{ name: "v", compartment: "apps", keys: [{ name: "kA" }] }],
  buckets: [
    ...buckets.map((count, i) => ({ name: `data-${i}`, compartment: "apps", kmsKey: "kA", versioning: "Enabled" as const, objects: [{ prefix: "x/", count, versions }] })),
    { name: "plain", compartment: "apps", objects: [{ prefix: "p/", count: 3000 }] },
    { name: "state", compartment: "apps" },
  ],
});

interface Started {
  stack: LocalStack;
  em: Emulator;
}

const start = async (buckets: number[], config: Record<string, string>, o: { timeoutSeconds?: number; detachedTimeoutSeconds?: number } = {}): Promise<Started> => {
  const em = await startEmulator({ seed: seed(buckets) });
  const stack = await startLocalStack({
    emulator: em,
    compartmentId: em.seedIds.compartments["apps"] as string,
    timeoutSeconds: o.timeoutSeconds ?? 30,
    detachedTimeoutSeconds: o.detachedTimeoutSeconds ?? o.timeoutSeconds ?? 30,
    config: { REENCRYPT_STATE_BUCKET: "state", REENCRYPT_CHECKPOINT_SECONDS: "1", ...config },
  });
  return { stack, em };
};

const rotationEvent = (em: Emulator) => {
  const keyId = em.seedIds.keys["kA"] as string;
  const version = em.state.rotateKey(keyId);
  const e = fixture("createkeyversion-end");
  e.eventID = randomUUID();
  e.data.compartmentId = em.seedIds.compartments["apps"];
  e.data.resourceId = keyId;
  e.data.additionalDetails = { keyId, vaultId: em.seedIds.vaults["v"], keyVersionId: version.id };
  return { event: e, keyId, versionId: version.id };
};

const status = async (s: LocalStack, jobId: string) => (await s.invoke({ job: jobId })).data;

/** Versions of the rotated buckets still on another key version than `versionId`. */
const leftBehind = (em: Emulator, buckets: number, versionId: string) =>
  Array.from({ length: buckets }, (_, i) => em.state.objectVersions(`data-${i}`))
    .flat()
    .filter((v) => !v.isDeleteMarker && (v.wrapping.kind !== "kms" || v.wrapping.keyVersionId !== versionId));

describe("durable jobs (contract §8), end to end", () => {
  let current: Started | undefined;
  afterEach(async () => {
    if (current) expectAllSigned(current.em);
    await current?.stack.stop();
    await current?.em.close();
    current = undefined;
  });

  it(
    "finishes an 8,000-version rotation whose containers are SIGKILLed at random, through sweeps and a redelivery: none left behind, counts exact",
    async () => {
      // 4,000 versions at 300 a second: about 13 s of calls, over which 7 kills land.
      current = await start([500, 500, 500, 500], { REENCRYPT_CONCURRENCY: "16", REENCRYPT_MAX_RPS: "300" }, { timeoutSeconds: 30, detachedTimeoutSeconds: 4 });
      const { stack, em } = current;
      const { event, versionId } = rotationEvent(em);
      const first = await stack.invoke(event, { intent: "cloudevent" });
      expect(first.httpStatus).toBe(202);
      const jobId = first.data.jobId as string;

      // Kill busy containers at random moments: the first ones while shards run their first
      // invocation, later ones in continuations (detached invocations last at most 4 s here).
      const kills: number[] = [];
      const killer = (async () => {
        for (let i = 0; i < 7; i++) {
          await sleep(i === 0 ? 400 : 900 + Math.random() * 900);
          // Shards only: the test's own direct calls (status, sweeps, the redelivery) are spared.
          const pid = await stack.killRandomBusy((c) => c.source === "detached");
          if (pid !== undefined) kills.push(Date.now());
        }
      })();
      let sweeps = 0;
      let redelivered = false;
      let job: any;
      const deadline = Date.now() + 150_000;
      for (;;) {
        await sleep(1_500);
        job = await status(stack, jobId);
        if (job.status !== "running" && job.status !== "stalled") break;
        if (job.status === "stalled") {
          if (!redelivered) {
            // OCI Events redelivers: the marker points at the stalled job, which resumes.
            redelivered = true;
            const again = await stack.invoke({ ...event, eventID: randomUUID() }, { intent: "cloudevent" });
            expect(["continuing", "skipped"]).toContain(again.data.status);
          } else {
            sweeps++;
            await stack.invoke({ sweep: true });
          }
        }
        expect(Date.now()).toBeLessThan(deadline);
      }
      await killer;
      await em.functions.idle();
      job = await status(stack, jobId);

      expect(kills.length).toBeGreaterThanOrEqual(5);
      expect(job.status).toBe("succeeded");
      // Ground truth: nothing left on the old key version, every version re-encrypted at least once.
      expect(leftBehind(em, 4, versionId)).toEqual([]);
      const all = Array.from({ length: 4 }, (_, i) => em.state.objectVersions(`data-${i}`)).flat();
      expect(all).toHaveLength(4_000);
      // The record counts each version once, however often a kill made it run again.
      expect(job.counts).toMatchObject({ matched: 4_000, reencrypted: 4_000, failed: 0 });
      // Redone after a kill: what was in flight, and what settled since the last checkpoint (at
      // most one interval at this job's rate: 300 rps over its shards), per kill.
      const duplicates = all.reduce((n, v) => n + Math.max(0, v.reencryptCount - 1), 0);
      const perKill = 16 + 300 * 1.5;
      expect(duplicates).toBeLessThanOrEqual(perKill * kills.length);
      expect(job.invocations).toBeGreaterThan(4);
      expect(redelivered || sweeps > 0).toBe(true);
      // The report has each version exactly once too: parts are cut with every checkpoint, so
      // what a kill loses is redone, and written, once.
      const summary = JSON.parse(em.state.findVersion("state", `reports/${jobId}.summary.json`)?.content.toString("utf8") ?? "{}");
      const lines = (summary.parts as string[]).flatMap((p) =>
        (em.state.findVersion("state", p.replace("/n/durns/b/state/o/", ""))?.content.toString("utf8") ?? "").trim().split("\n").filter(Boolean),
      );
      const reencrypted = lines.map((l) => JSON.parse(l)).filter((l) => l.outcome === "reencrypted");
      expect(reencrypted).toHaveLength(4_000);
      expect(new Set(reencrypted.map((l) => `${l.bucket}/${l.object}@${l.versionId}`)).size).toBe(4_000);
    },
    200_000,
  );

  it("shows a running job's progress, then its end; 404 for an unknown job, through the function and the gateway route", async () => {
    current = await start([1500], { REENCRYPT_MAX_RPS: "500" });
    const { stack, em } = current;
    const { event } = rotationEvent(em);
    const first = await stack.invoke(event, { intent: "cloudevent" });
    const jobId = first.data.jobId as string;
    await sleep(1_500);
    const query = () => stack.invoke(null, { gateway: { method: "GET", url: `/reencrypt/jobs/${jobId}` } });
    let running = await query();
    // The rate needs two of the shard's checkpoints (1 s apart): on an idle machine 1.5 s may be too early for the second.
    for (let i = 0; i < 15 && running.data.status === "running" && !(running.data.rate > 0); i++) {
      await sleep(200);
      running = await query();
    }
    expect(running.httpStatus).toBe(200);
    expect(running.data).toMatchObject({ jobId, origin: "rotation", status: "running", shards: { total: 1, running: 1 } });
    expect(running.data.counts.reencrypted).toBeGreaterThan(0);
    expect(running.data.counts.reencrypted).toBeLessThan(3000);
    expect(running.data.rate).toBeGreaterThan(0);
    // The status never shows what would let a reader act on the job.
    expect(JSON.stringify(running.data)).not.toMatch(/nonce|dispatch:|inv:/);
    await em.functions.idle();
    const done = await status(stack, jobId);
    expect(done).toMatchObject({ status: "succeeded", counts: { reencrypted: 3000 }, summary: `/n/durns/b/state/o/reports/${jobId}.summary.json` });
    expect(done.finishedAt).toBeTruthy();
    const missing = await stack.invoke(null, { gateway: { method: "GET", url: `/reencrypt/jobs/${randomUUID()}` } });
    expect(missing.httpStatus).toBe(404);
    expect(missing.data.error.code).toBe("JobNotFound");
    const bad = await stack.invoke({ job: "../x" });
    expect(bad.httpStatus).toBe(400);
  });

  it("marks a job stalled when its runner dies; two sweeps racing start each shard once; a sweep with nothing to do does nothing", async () => {
    current = await start([2000], { REENCRYPT_MAX_RPS: "400" });
    const { stack, em } = current;
    const { event, versionId } = rotationEvent(em);
    const jobId = (await stack.invoke(event, { intent: "cloudevent" })).data.jobId as string;
    await sleep(1_200);
    expect(await stack.killRandomBusy((c) => c.source === "detached")).toBeDefined();
    // Lease: 3 × 1 s.
    await sleep(3_500);
    expect((await status(stack, jobId)).status).toBe("stalled");
    const invokesBefore = em.requests.filter((q) => q.operation === "InvokeFunction").length;
    const [a, b] = await Promise.all([stack.invoke({ sweep: true }), stack.invoke({ sweep: true })]);
    const resumed = [...a.data.resumed, ...b.data.resumed];
    expect(resumed).toEqual([jobId]);
    expect(em.requests.filter((q) => q.operation === "InvokeFunction").length - invokesBefore).toBe(1);
    await em.functions.idle();
    expect((await status(stack, jobId)).status).toBe("succeeded");
    expect(leftBehind(em, 1, versionId)).toEqual([]);
    // Nothing changes but the bucket inventory's pass marker (contract §12: every sweep compares the buckets' keys).
    const jobWrites = () => em.requests.filter((q) => MUTATING.has(q.operation) && q.status !== 412 && !q.path.includes("/o/inventory%2F") && !q.path.includes("/o/inventory/")).length;
    const before = jobWrites();
    const idle = await stack.invoke({ sweep: true });
    expect(idle.data).toEqual({ resumed: [], running: 0, keyChanges: [], needCaller: [] });
    expect(jobWrites()).toBe(before);
  });

  it("a redelivery while the job runs starts no second runner", async () => {
    current = await start([1500], { REENCRYPT_MAX_RPS: "500" });
    const { stack, em } = current;
    const { event } = rotationEvent(em);
    const jobId = (await stack.invoke(event, { intent: "cloudevent" })).data.jobId as string;
    await sleep(800);
    const again = await stack.invoke({ ...event, eventID: randomUUID(), eventType: "com.oraclecloud.keymanagementservice.autokeyrotate.end" }, { intent: "cloudevent" });
    expect(again.data).toMatchObject({ status: "skipped", jobId });
    expect(again.data.message).toMatch(/is running/);
    await em.functions.idle();
    const job = await status(stack, jobId);
    expect(job).toMatchObject({ status: "succeeded", counts: { reencrypted: 3000 } });
    // One shard, one chain of invocations: nobody else ran it.
    expect(em.state.objectVersions("data-0").every((v) => v.reencryptCount === 1)).toBe(true);
  });

  it("resumes a request job with its reference token; the token then stops working (409), a forged one too", async () => {
    current = await start([1], { REENCRYPT_CONCURRENCY: "8" });
    const { stack, em } = current;
    em.faults.setBaseLatency(3);
    let r = await stack.invoke({ targets: [{ bucket: "plain", prefix: "p/" }] }, { gateway, deadline: new Date(Date.now() + 2_000) });
    expect(r.data.status).toBe("incomplete");
    const token = r.data.resume as string;
    expect(token).toMatch(/^j1\.[0-9a-f-]+\.[A-Za-z0-9_-]{22,}$/);
    // The job is recorded, waiting for its caller.
    expect((await status(stack, r.data.jobId)).status).toBe("incomplete");
    const forged = token.replace(/\.[^.]+$/, `.${"A".repeat(22)}`);
    const before = mutations(em);
    expect((await stack.invoke({ resume: forged }, { gateway })).httpStatus).toBe(409);
    expect((await stack.invoke({ resume: `j1.${randomUUID()}.${"B".repeat(22)}` }, { gateway })).httpStatus).toBe(400);
    expect(mutations(em)).toBe(before);
    r = await stack.invoke({ resume: token }, { gateway, deadline: new Date(Date.now() + 2_000) });
    expect(["incomplete", "succeeded"]).toContain(r.data.status);
    const replay = await stack.invoke({ resume: token }, { gateway });
    expect(replay.httpStatus).toBe(409);
    expect(replay.data.error.code).toBe("JobAdvanced");
    while (r.data.status === "incomplete") r = await stack.invoke({ resume: r.data.resume }, { gateway, deadline: new Date(Date.now() + 2_000) });
    expect(r.data).toMatchObject({ status: "succeeded", counts: { reencrypted: 3000 } });
    expect(em.state.objectVersions("plain").filter((v) => v.reencryptCount === 0)).toEqual([]);
    expect((await status(stack, r.data.jobId)).status).toBe("succeeded");
  });

  it("without a state bucket keeps v1 behaviour for direct callers: self-contained tokens, no job records, and diagnose warns", async () => {
    const em = await startEmulator({ seed: seed([1]) });
    const stack = await startLocalStack({ emulator: em, compartmentId: em.seedIds.compartments["apps"] as string, config: { REENCRYPT_CONCURRENCY: "8" } });
    current = { stack, em };
    em.faults.setBaseLatency(3);
    const r = await stack.invoke({ targets: [{ bucket: "plain", prefix: "p/" }] }, { deadline: new Date(Date.now() + 2_000) });
    expect(r.data.status).toBe("incomplete");
    expect(r.data.resume).toMatch(/^r2\./);
    expect((await stack.invoke({ job: r.data.jobId })).httpStatus).toBe(404);
    // A gateway caller gets no unsigned token (issue 16: security-tokens-v3.test.ts).
    const g = await stack.invoke({ targets: [{ bucket: "plain", prefix: "p/" }] }, { gateway, deadline: new Date(Date.now() + 2_000) });
    expect(g.data).toMatchObject({ status: "incomplete", message: expect.stringContaining("REENCRYPT_TOKEN_SECRET_ID") });
    expect(g.data.resume).toBeUndefined();
    const d = await stack.invoke({ diagnose: true });
    expect(d.data.diagnose.warnings.join(" ")).toMatch(/REENCRYPT_STATE_BUCKET is not set, so this deployment has no durable jobs/);
    expect(em.state.objectVersions("state")).toEqual([]);
  });
});
