// Contract §13 (issue 17), end to end through the real FDK socket and the emulator: a finished job
// publishes exactly one message to REENCRYPT_NOTIFY_TOPIC (its status, counts and failures; never
// key material), a sweep that finds stalled jobs publishes one, and the job's figures reach
// Monitoring as custom metrics in the configured namespace, within PostMetricData's limits. A topic
// (or Monitoring) that refuses or hangs changes nothing about how the job ends.

import { randomBytes, randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import { afterEach, describe, expect, it } from "vitest";
import { startEmulator, type Emulator, type PublishedMessage, type Seed } from "../../src/local/emulator/index.js";
import { startLocalStack, type LocalStack } from "../../src/local/local-stack.js";
import { expectAllSigned, expectNoKeyMaterial, gateway } from "./helpers.js";

const fixture = (name: string) => JSON.parse(readFileSync(new URL(`../fixtures/events/${name}.json`, import.meta.url), "utf8"));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const SOURCE = randomBytes(32).toString("base64");
const STRANGER = randomBytes(32).toString("base64");
const METRIC_NAMES = ["VersionsReencrypted", "VersionsFailed", "VersionsSkipped", "Throttled429", "JobsFinished", "JobDurationSeconds", "JobsStalled"];

const seed = (rotated: number[]): Seed => ({
  namespace: "opsns",
  compartments: ["apps"],
  vaults: [{ name: "v", compartment: "apps", keys: [{ name: "kA" }] }],
  secrets: [{ name: "target", randomSseCKey: true }],
  buckets: [
    ...rotated.map((count, i) => ({ name: `data-${i}`, compartment: "apps", kmsKey: "kA", versioning: "Enabled" as const, objects: [{ prefix: "x/", count }] })),
    {
      name: "ssec",
      compartment: "apps",
      objects: [
        ...Array.from({ length: 6 }, (_, i) => ({ name: `mine-${i}`, sseCustomerKey: SOURCE })),
        ...Array.from({ length: 3 }, (_, i) => ({ name: `theirs-${i}`, sseCustomerKey: STRANGER })),
      ],
    },
    { name: "plain", compartment: "apps", objects: [{ prefix: "p/", count: 40 }] },
    { name: "state", compartment: "apps" },
  ],
});

interface World {
  em: Emulator;
  stack: LocalStack;
  topicId: string;
  responses: string[];
}

const start = async (rotated: number[], config: Record<string, string>, o: { topic?: boolean; stateBucket?: boolean } = {}): Promise<World> => {
  const em = await startEmulator({ seed: seed(rotated) });
  const compartmentId = em.seedIds.compartments["apps"] as string;
  const topic = em.notifications.createTopic({ name: "reencrypt-ops", compartmentId });
  const stack = await startLocalStack({
    emulator: em,
    compartmentId,
    timeoutSeconds: 30,
    detachedTimeoutSeconds: 300,
    config: {
      ...(o.stateBucket === false ? {} : { REENCRYPT_STATE_BUCKET: "state" }),
      REENCRYPT_CHECKPOINT_SECONDS: "1",
      REENCRYPT_ALLOWED_KEYS: em.seedIds.secrets["target"] as string,
      ...(o.topic === false ? {} : { REENCRYPT_NOTIFY_TOPIC: topic.id }),
      ...config,
    },
  });
  return { em, stack, topicId: topic.id, responses: [] };
};

const bodyOf = (m: PublishedMessage) => JSON.parse(m.body) as Record<string, any>;
const jobMessages = (w: World, jobId: string) => w.em.notifications.messagesFor(w.topicId).filter((m) => m.title?.endsWith(` job ${jobId}`));
const keysOf = (w: World) => [SOURCE, STRANGER, ...Object.values(w.em.seedIds.sseCKeys)];

/** Every PostMetricData call: namespace, compartment, names and dimensions as documented, within the per-call limits. */
const expectMetricsWellFormed = (w: World) => {
  const posts = w.em.metrics.posts;
  expect(posts.length).toBeGreaterThan(0);
  for (const p of posts) {
    expect(p.status).toBe(200);
    expect(p.failed).toEqual([]);
    expect(p.streams).toBeLessThanOrEqual(50);
    for (const s of p.accepted) {
      expect(s.namespace).toBe("reencrypt");
      expect(s.compartmentId).toBe(w.stack.compartmentId);
      expect(METRIC_NAMES).toContain(s.name);
      const dims = Object.keys(s.dimensions).sort();
      expect(dims).toEqual(["JobsFinished", "JobDurationSeconds"].includes(s.name) ? ["origin", "status"] : ["origin"]);
      for (const d of s.datapoints) expect(Math.abs(Date.parse(d.timestamp) - Date.now())).toBeLessThan(2 * 3_600_000);
    }
  }
  // Well under Monitoring's 50 calls per second per tenancy.
  expect(w.em.metrics.maxCallsInOneSecond).toBeLessThanOrEqual(10);
};

const rotate = async (w: World) => {
  const keyId = w.em.seedIds.keys["kA"] as string;
  const version = w.em.state.rotateKey(keyId);
  const e = fixture("createkeyversion-end");
  e.eventID = randomUUID();
  e.data.compartmentId = w.em.seedIds.compartments["apps"];
  e.data.resourceId = keyId;
  e.data.additionalDetails = { keyId, vaultId: w.em.seedIds.vaults["v"], keyVersionId: version.id };
  const r = await w.stack.invoke(e, { intent: "cloudevent" });
  w.responses.push(r.body);
  expect(r.data.status).toBe("continuing");
  return r.data.jobId as string;
};

const status = async (w: World, jobId: string) => (await w.stack.invoke({ job: jobId })).data;

describe("operations (contract §13): messages and metrics, end to end", () => {
  let current: World | undefined;
  afterEach(async () => {
    if (current) {
      expectAllSigned(current.em);
      expectNoKeyMaterial(current.stack, keysOf(current), current.responses);
    }
    await current?.stack.stop();
    await current?.em.close();
    current = undefined;
  });

  it("a request job publishes one message with its status, counts, failures and report; its versions and its end reach Monitoring", async () => {
    current = await start([], {});
    const w = current;
    const secretId = w.em.seedIds.secrets["target"] as string;
    const r = await w.stack.invoke({ targets: [{ bucket: "ssec" }], key: { type: "sse-c", secretId }, sourceKey: { base64Key: SOURCE } }, { gateway });
    w.responses.push(r.body);
    expect(r.data).toMatchObject({ status: "partial", counts: { reencrypted: 6, failed: 3 } });
    const jobId = r.data.jobId as string;

    const messages = jobMessages(w, jobId);
    expect(messages).toHaveLength(1);
    const m = messages[0] as PublishedMessage;
    expect(m.title).toBe(`oci-reencrypt: partial request job ${jobId}`);
    const body = bodyOf(m);
    expect(body).toMatchObject({ event: "job-finished", jobId, origin: "request", status: "partial", counts: r.data.counts, failuresTotal: 3, failuresShown: 3, report: r.data.report });
    expect(body.failures.map((f: { object: string }) => f.object).sort()).toEqual(["theirs-0", "theirs-1", "theirs-2"]);
    for (const f of body.failures) expect(f.hint).toMatch(/sourceKey/);
    expect(body.durationSeconds).toBeGreaterThanOrEqual(0);
    // Signed by the function's resource principal.
    expect(m.principal).toBe(w.stack.compartmentId);

    expect(w.em.metrics.sum("VersionsReencrypted", { origin: "request" })).toBe(6);
    expect(w.em.metrics.sum("VersionsFailed", { origin: "request" })).toBe(3);
    expect(w.em.metrics.sum("JobsFinished", { origin: "request", status: "partial" })).toBe(1);
    expect(w.em.metrics.points({ name: "JobDurationSeconds", dimensions: { origin: "request", status: "partial" } })).toHaveLength(1);
    expectMetricsWellFormed(w);
  });

  it("a request job long enough for a record (checkpoints) publishes once, from the record; metrics count each version once", async () => {
    // 40 versions at 20 per second: two seconds, past the first checkpoint.
    current = await start([], { REENCRYPT_MAX_RPS: "20", REENCRYPT_CONCURRENCY: "4" });
    const w = current;
    const r = await w.stack.invoke({ targets: [{ bucket: "plain" }] }, { gateway, deadline: new Date(Date.now() + 60_000) });
    w.responses.push(r.body);
    expect(r.data).toMatchObject({ status: "succeeded", counts: { reencrypted: 40 } });
    const jobId = r.data.jobId as string;
    // It had a record: its status is readable.
    expect((await status(w, jobId)).status).toBe("succeeded");
    const messages = jobMessages(w, jobId);
    expect(messages.map((x) => x.title)).toEqual([`oci-reencrypt: succeeded request job ${jobId}`]);
    expect(bodyOf(messages[0] as PublishedMessage)).toMatchObject({ status: "succeeded", counts: { reencrypted: 40, failed: 0 }, failures: [], invocations: 1, shards: 1 });
    expect(w.em.metrics.sum("VersionsReencrypted", { origin: "request" })).toBe(40);
    expectMetricsWellFormed(w);
  });

  it(
    "a sharded rotation publishes exactly one message, from the shard that finished it; every version is counted once in Monitoring",
    async () => {
      current = await start([800, 800, 1400], { REENCRYPT_MAX_PARALLEL: "2", REENCRYPT_CHECKPOINT_SECONDS: "2" });
      const w = current;
      const jobId = await rotate(w);
      await w.em.functions.idle();
      const job = await status(w, jobId);
      expect(job.status).toBe("succeeded");
      expect(job.shards.total).toBeGreaterThanOrEqual(3);
      expect(job.counts).toMatchObject({ reencrypted: 3000, failed: 0 });

      const messages = jobMessages(w, jobId);
      expect(messages.map((x) => x.title)).toEqual([`oci-reencrypt: succeeded rotation job ${jobId}`]);
      const body = bodyOf(messages[0] as PublishedMessage);
      expect(body).toMatchObject({ origin: "rotation", status: "succeeded", counts: job.counts, shards: job.shards.total, invocations: job.invocations, report: job.summary });
      expect(w.em.notifications.messages).toHaveLength(1);

      expect(w.em.metrics.sum("VersionsReencrypted", { origin: "rotation" })).toBe(3000);
      expect(w.em.metrics.sum("JobsFinished", { origin: "rotation", status: "succeeded" })).toBe(1);
      const duration = w.em.metrics.points({ name: "JobDurationSeconds" });
      expect(duration).toHaveLength(1);
      expect(duration[0]?.value).toBeCloseTo(body.durationSeconds, 5);
      expectMetricsWellFormed(w);
    },
    180_000,
  );

  it(
    "a sweep that finds a stalled job publishes one message naming it; the job then ends with one message; a sweep with nothing stalled publishes none",
    async () => {
      current = await start([4000], { REENCRYPT_MAX_RPS: "800" });
      const w = current;
      const jobId = await rotate(w);
      await sleep(1_200);
      expect(await w.stack.killRandomBusy((c) => c.source === "detached")).toBeDefined();
      // Lease: 3 × 1 s.
      await sleep(3_500);
      expect((await status(w, jobId)).status).toBe("stalled");
      const sweep = await w.stack.invoke({ sweep: true });
      w.responses.push(sweep.body);
      expect(sweep.data.resumed).toEqual([jobId]);

      const stalled = w.em.notifications.messagesFor(w.topicId).filter((m) => m.title?.includes("stalled"));
      expect(stalled.map((m) => m.title)).toEqual(["oci-reencrypt: 1 stalled job found by the sweep"]);
      expect(bodyOf(stalled[0] as PublishedMessage)).toMatchObject({ event: "jobs-stalled", stalledTotal: 1, resumedTotal: 1, jobs: [{ jobId, origin: "rotation", resumed: true, needsCaller: false }] });
      expect(w.em.metrics.points({ name: "JobsStalled", dimensions: { origin: "rotation" } }).map((p) => p.value)).toEqual([1]);

      await w.em.functions.idle();
      expect((await status(w, jobId)).status).toBe("succeeded");
      expect(jobMessages(w, jobId).map((m) => m.title)).toEqual([`oci-reencrypt: succeeded rotation job ${jobId}`]);

      const idle = await w.stack.invoke({ sweep: true });
      expect(idle.data).toEqual({ resumed: [], running: 0, keyChanges: [], needCaller: [] });
      expect(w.em.notifications.messages).toHaveLength(2);
      // Each sweep posts JobsStalled for every origin, zeros included: an alarm sees the sweep run.
      expect(w.em.metrics.points({ name: "JobsStalled", dimensions: { origin: "rotation" } }).map((p) => p.value)).toEqual([1, 0]);
      expect(w.em.metrics.points({ name: "JobsStalled", dimensions: { origin: "request" } }).map((p) => p.value)).toEqual([0, 0]);
      expectMetricsWellFormed(w);
    },
    120_000,
  );

  it("diagnose: the topic exists and is active, publishing is UNCONFIRMED unless a test message is asked for; a missing topic is a problem", async () => {
    current = await start([], {});
    const w = current;
    type Item = { check: string; status: string; detail: string };
    const diagnose = async (s: LocalStack, body: Record<string, unknown>) => {
      const r = await s.invoke(body);
      w.responses.push(r.body);
      const d = r.data.diagnose as { checklist: Item[]; problems: string[] };
      return { ...d, item: (c: string) => d.checklist.find((x) => x.check === c) };
    };
    const d = await diagnose(w.stack, { diagnose: true });
    expect(d.item("notify-topic")).toMatchObject({ status: "ok", detail: expect.stringContaining("reencrypt-ops") });
    expect(d.item("notify-topic.publish")).toMatchObject({ status: "unconfirmed", detail: expect.stringContaining("sendTestMessage") });
    expect(d.item("metrics")).toMatchObject({ status: "ok", detail: expect.stringContaining("namespace reencrypt") });
    expect(d.item("metrics.post")?.status).toBe("unconfirmed");
    expect(w.em.notifications.messages).toEqual([]);

    const tested = await diagnose(w.stack, { diagnose: true, sendTestMessage: true });
    expect(tested.item("notify-topic.publish")?.status).toBe("ok");
    expect(w.em.notifications.messages.map((m) => m.title)).toEqual(["oci-reencrypt: diagnose test message"]);

    const lost = await startLocalStack({ emulator: w.em, compartmentId: w.stack.compartmentId, config: { REENCRYPT_NOTIFY_TOPIC: "ocid1.onstopic.oc1.iad.gone", REENCRYPT_METRICS_NAMESPACE: "" } });
    try {
      const g = await diagnose(lost, { diagnose: true });
      expect(g.item("notify-topic")).toMatchObject({ status: "problem", detail: expect.stringContaining("does not exist") });
      expect(g.item("metrics")?.status).toBe("skipped");
      expect(g.problems.join("\n")).toMatch(/REENCRYPT_NOTIFY_TOPIC/);
    } finally {
      await lost.stop();
    }
  });

  it("a topic that answers 404 or 429 or hangs, and a Monitoring that answers 429, leave the job's end as it is without notifications", async () => {
    current = await start([], { REENCRYPT_CONCURRENCY: "4" }, { stateBucket: false });
    const w = current;
    const run = async () => {
      const t = Date.now();
      const r = await w.stack.invoke({ targets: [{ bucket: "plain" }] }, { gateway });
      w.responses.push(r.body);
      return { data: r.data, ms: Date.now() - t };
    };
    const baseline = await run();
    expect(baseline.data).toMatchObject({ status: "succeeded", counts: { reencrypted: 40, failed: 0 } });
    expect(jobMessages(w, baseline.data.jobId)).toHaveLength(1);
    const same = (d: Record<string, any>) => expect({ status: d.status, counts: d.counts, failures: d.failures }).toEqual({ status: baseline.data.status, counts: baseline.data.counts, failures: baseline.data.failures });

    for (const fault of [
      { operation: "PublishMessage", status: 404 },
      { operation: "PublishMessage", status: 429 },
      { operation: "PostMetricData", status: 429 },
      { operation: "PublishMessage", latencyMs: 20_000 },
    ]) {
      const handle = w.em.faults.add({ ...fault, times: 1 });
      const before = w.em.notifications.messages.length;
      const r = await run();
      same(r.data);
      expect(handle.hits, JSON.stringify(fault)).toBe(1);
      if (fault.operation === "PublishMessage") expect(w.em.notifications.messages.length).toBe(before);
      if (fault.latencyMs) {
        // The answer did not wait for the topic: the publish was abandoned within its bound.
        expect(r.ms).toBeLessThan(10_000);
        expect(w.stack.fn.stdout()).toMatch(/"msg":"job message abandoned: the invocation answers now"[^\n]*"code":"Abandoned"/);
      }
    }
    const out = w.stack.fn.stdout();
    expect(out).toMatch(/"msg":"job message failed"[^\n]*"status":404,"code":"NotAuthorizedOrNotFound"/);
    expect(out).toMatch(/"msg":"job message failed"[^\n]*"status":429,"code":"TooManyRequests"/);
    expect(out).toMatch(/"msg":"metrics post failed"[^\n]*"status":429,"code":"TooManyRequests"/);
    // Notifications off: the same job, the same end, no message.
    await w.stack.stop();
    const off = await startLocalStack({ emulator: w.em, compartmentId: w.stack.compartmentId, config: { REENCRYPT_CONCURRENCY: "4" } });
    try {
      const before = w.em.notifications.messages.length;
      const r = await off.invoke({ targets: [{ bucket: "plain" }] }, { gateway });
      same(r.data);
      expect(w.em.notifications.messages.length).toBe(before);
    } finally {
      await off.stop();
    }
  });
});
