// src/ops (contract §13) without any network: the messages' shape and size, the metrics' names,
// dimensions and batching, and the rules that keep reporting off a job's path (a bounded wait,
// abandoned calls, at most one post per interval, one object-event message a minute).

import { randomBytes } from "node:crypto";
import * as common from "oci-common";
import { describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config.js";
import { createLogger } from "../../src/log.js";
import type { FailureRecord } from "../../src/model/failure.js";
import { regionalEndpoint } from "../../src/oci/json-call.js";
import { MONITORING_INGESTION_ENDPOINT_TEMPLATE, type MetricData, type Monitoring } from "../../src/oci/monitoring.js";
import { NOTIFICATIONS_ENDPOINT_TEMPLATE, type CallLimits, type Notifications } from "../../src/oci/notifications.js";
import { OciCallError } from "../../src/oci/oci-failure.js";
import { createRateLimiter } from "../../src/oci/rate-limiter.js";
import { settleCalls, startCall, waitBoundMs } from "../../src/ops/in-flight.js";
import { reportJobEnd, settleOps, startJobOps } from "../../src/ops/job-ops.js";
import { BODY_LIMIT_BYTES, hazardsMessage, jobFinishedMessage, jobsStalledMessage, looksLikeKeyMaterial, type FinishedJob } from "../../src/ops/messages.js";
import { batches, jobEndData, METRIC_NAMES, progressData, stalledData } from "../../src/ops/metrics.js";
import { addMetrics, flushMetrics, minPostIntervalMs } from "../../src/ops/metrics-outbox.js";
import { notifyHazards, reportSweep } from "../../src/ops/notify.js";
import type { Deadlines } from "../../src/runtime/deadline.js";
import type { Runtime } from "../../src/runtime/runtime.js";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const TOPIC = "ocid1.onstopic.oc1.iad.topic";
const COMPARTMENT = "ocid1.compartment.oc1..ops";
const target = { namespace: "reencrypt", compartmentId: COMPARTMENT };

const failure = (i: number, extra: Partial<FailureRecord> = {}): FailureRecord => ({
  namespace: "ns",
  bucket: "b",
  object: `obj-${i}`,
  status: 403,
  code: "Forbidden",
  message: "denied",
  hint: "check the policy",
  ...extra,
});

const job = (o: Partial<FinishedJob> = {}): FinishedJob => ({
  jobId: "0b7d6f0e-1111-4222-8333-444455556666",
  origin: "rotation",
  status: "partial",
  counts: { matched: 20, reencrypted: 8, failed: 12, skipped: 0 },
  failures: Array.from({ length: 12 }, (_, i) => failure(i)),
  createdAt: "2026-01-01T00:00:00.000Z",
  finishedAt: "2026-01-01T00:01:30.000Z",
  summary: "/n/ns/b/state/o/reports/x.summary.json",
  shards: [{}, {}],
  invocations: 3,
  ...o,
});

interface Fakes {
  rt: Runtime;
  published: { topicId: string; title: string; body: string; limits: CallLimits }[];
  posted: MetricData[][];
  lines: Record<string, unknown>[];
  publish: { impl: (limits: CallLimits) => Promise<void> };
  post: { impl: (limits: CallLimits) => Promise<void> };
}

function fakes(env: Record<string, string> = {}, o: { topic?: boolean; metrics?: boolean } = {}): Fakes {
  const published: Fakes["published"] = [];
  const posted: MetricData[][] = [];
  const lines: Record<string, unknown>[] = [];
  const publish = { impl: async (_l: CallLimits) => undefined as void };
  const post = { impl: async (_l: CallLimits) => undefined as void };
  const notifications: Notifications = {
    async publish(topicId, m, limits) {
      await publish.impl(limits);
      published.push({ topicId, title: m.title, body: m.body, limits });
      return `msg-${published.length}`;
    },
    getTopic: async () => undefined,
  };
  const monitoring: Monitoring = {
    async postMetricData(data, limits) {
      await post.impl(limits);
      posted.push(data);
      return { failedMetricsCount: 0, failed: [] };
    },
  };
  const rt = {
    config: loadConfig(env),
    notifications: o.topic === false ? undefined : { client: notifications, topicId: TOPIC },
    metrics: o.metrics === false ? undefined : { client: monitoring, ...target },
  } as unknown as Runtime;
  return { rt, published, posted, lines, publish, post };
}

const logTo = (lines: Record<string, unknown>[]) => createLogger("debug", {}, (l) => void lines.push(JSON.parse(l) as Record<string, unknown>));
const deadlines = (ms = 30_000): Deadlines => {
  const now = Date.now();
  return { deadline: now + ms, stopAt: now + ms * 0.75, hardStopAt: now + ms * 0.875 };
};
const streamsOf = (posted: MetricData[][]) => posted.flat().map((d) => `${d.name} ${JSON.stringify(d.dimensions)} ${d.datapoints.map((p) => p.value).join("+")}`);

describe("messages", () => {
  it("a finished job: the title the contract names, a JSON body with counts, duration, report and the first 10 failures with hints", () => {
    const m = jobFinishedMessage(job(), undefined);
    expect(m.title).toBe("oci-reencrypt: partial rotation job 0b7d6f0e-1111-4222-8333-444455556666");
    const b = JSON.parse(m.body);
    expect(b).toMatchObject({
      event: "job-finished",
      status: "partial",
      origin: "rotation",
      counts: { reencrypted: 8, failed: 12 },
      durationSeconds: 90,
      startedAt: "2026-01-01T00:00:00.000Z",
      finishedAt: "2026-01-01T00:01:30.000Z",
      report: "/n/ns/b/state/o/reports/x.summary.json",
      shards: 2,
      invocations: 3,
      failuresTotal: 12,
      failuresShown: 10,
    });
    expect(b.failures).toHaveLength(10);
    expect(b.failures[0]).toEqual({ bucket: "b", object: "obj-0", status: 403, code: "Forbidden", message: "denied", hint: "check the policy" });
    expect(b.whatToDo).toMatch(/hint/);
  });

  it("a job without a record takes its start from its run here; a job carried by tokens has no known duration", () => {
    const answer = job({ createdAt: undefined, finishedAt: undefined, summary: undefined, shards: undefined, invocations: undefined, report: "/n/ns/b/s/o/r.jsonl" });
    const b = JSON.parse(jobFinishedMessage(answer, Date.now() - 5_000).body);
    expect(b.durationSeconds).toBeGreaterThanOrEqual(5);
    expect(b.report).toBe("/n/ns/b/s/o/r.jsonl");
    expect(b).not.toHaveProperty("shards");
    expect(JSON.parse(jobFinishedMessage({ ...answer, continued: true }, Date.now() - 5_000).body)).toMatchObject({ durationSeconds: null, startedAt: null });
  });

  it("fits Notifications' 64 KB request limit by listing fewer failures", () => {
    const long = "n".repeat(1024);
    const big = job({ failures: Array.from({ length: 10 }, (_, i) => failure(i, { object: `${long}${i}`.repeat(8), message: "m".repeat(2000), hint: "h".repeat(2000) })) });
    const m = jobFinishedMessage(big, undefined);
    expect(Buffer.byteLength(m.body)).toBeLessThanOrEqual(BODY_LIMIT_BYTES);
    const b = JSON.parse(m.body);
    expect(b.failuresShown).toBe(b.failures.length);
    expect(b.failuresShown).toBeLessThan(10);
    expect(b.failuresTotal).toBe(12);
    // Long texts are clipped, object names never.
    expect(b.failures[0].message.length).toBeLessThanOrEqual(501);
    expect(b.failures[0].object).toBe(`${long}0`.repeat(8));
  });

  it("stalled jobs and hazards: one message each, listing them", () => {
    const s = jobsStalledMessage(
      [
        { jobId: "a", origin: "rotation", counts: { matched: 1, reencrypted: 1, failed: 0, skipped: 0 }, updatedAt: "t1" },
        { jobId: "b", origin: "request", counts: { matched: 2, reencrypted: 0, failed: 0, skipped: 0 }, updatedAt: "t2" },
      ],
      ["a"],
      ["b"],
    );
    expect(s.title).toBe("oci-reencrypt: 2 stalled jobs found by the sweep");
    expect(JSON.parse(s.body)).toMatchObject({ stalledTotal: 2, resumedTotal: 1, needCallerTotal: 1, jobs: [{ jobId: "a", resumed: true, needsCaller: false, lastProgressAt: "t1" }, { jobId: "b", resumed: false, needsCaller: true }] });
    const h = hazardsMessage([{ kind: "key-disabled", bucket: "b1", keyId: "ocid1.key.oc1.iad.k", fix: "enable the key or move the objects" }, { kind: "key-deletion-scheduled", rule: 2, jobId: "j", fix: "cancel the deletion" }]);
    expect(h.title).toBe("oci-reencrypt: 2 key-lifecycle hazards: key-disabled, key-deletion-scheduled");
    expect(JSON.parse(h.body).hazards).toEqual([
      { kind: "key-disabled", bucket: "b1", keyId: "ocid1.key.oc1.iad.k", fix: "enable the key or move the objects" },
      { kind: "key-deletion-scheduled", rule: 2, jobId: "j", fix: "cancel the deletion" },
    ]);
  });

  it("recognises a PEM private key as key material", () => {
    expect(looksLikeKeyMaterial("x -----BEGIN RSA PRIVATE KEY----- y")).toBe(true);
    expect(looksLikeKeyMaterial("-----BEGIN PRIVATE KEY-----")).toBe(true);
    expect(looksLikeKeyMaterial(jobFinishedMessage(job(), undefined).body)).toBe(false);
  });
});

describe("metrics", () => {
  it("version counts by origin only; job ends by origin and status; JobsStalled for every origin", () => {
    const at = new Date().toISOString();
    const p = progressData(target, "request", { reencrypted: 5, failed: 0, skipped: 2, throttled: 3 }, at);
    expect(p.map((d) => [d.name, d.dimensions, d.datapoints[0]?.value])).toEqual([
      ["VersionsReencrypted", { origin: "request" }, 5],
      ["VersionsSkipped", { origin: "request" }, 2],
      ["Throttled429", { origin: "request" }, 3],
    ]);
    expect(jobEndData(target, "rotation", "succeeded", 12.5, at).map((d) => [d.name, d.dimensions, d.datapoints[0]?.value, d.metadata?.["unit"]])).toEqual([
      ["JobsFinished", { origin: "rotation", status: "succeeded" }, 1, "count"],
      ["JobDurationSeconds", { origin: "rotation", status: "succeeded" }, 12.5, "seconds"],
    ]);
    expect(stalledData(target, [{ origin: "rotation" }, { origin: "rotation" }], at).map((d) => [d.dimensions["origin"], d.datapoints[0]?.value])).toEqual([
      ["request", 0],
      ["object-event", 0],
      ["rotation", 2],
    ]);
    for (const d of [...p, ...stalledData(target, [], at)]) expect(Object.values(METRIC_NAMES)).toContain(d.name);
  });

  it("splits streams into calls of at most 50", () => {
    const at = new Date().toISOString();
    const many = Array.from({ length: 120 }, () => progressData(target, "request", { reencrypted: 1, failed: 0, skipped: 0, throttled: 0 }, at)).flat();
    expect(batches(many).map((b) => b.length)).toEqual([50, 50, 20]);
  });

  it("a post is due at most every max(5 s, REENCRYPT_MAX_PARALLEL / 10 s); counters are summed while they wait", async () => {
    expect(minPostIntervalMs(8)).toBe(5_000);
    expect(minPostIntervalMs(256)).toBe(25_600);
    const f = fakes();
    const log = logTo(f.lines);
    const at = new Date().toISOString();
    addMetrics(f.rt, progressData(target, "rotation", { reencrypted: 3, failed: 0, skipped: 0, throttled: 0 }, at), { sum: true });
    flushMetrics(f.rt, deadlines(), log, false);
    await settleCalls(f.rt, deadlines(), 1_000);
    addMetrics(f.rt, progressData(target, "rotation", { reencrypted: 4, failed: 1, skipped: 0, throttled: 0 }, at), { sum: true });
    addMetrics(f.rt, progressData(target, "rotation", { reencrypted: 5, failed: 0, skipped: 0, throttled: 0 }, at), { sum: true });
    flushMetrics(f.rt, deadlines(), log, false);
    await settleCalls(f.rt, deadlines(), 1_000);
    expect(f.posted).toHaveLength(1);
    flushMetrics(f.rt, deadlines(), log, true);
    await settleCalls(f.rt, deadlines(), 1_000);
    expect(streamsOf(f.posted)).toEqual(['VersionsReencrypted {"origin":"rotation"} 3', 'VersionsReencrypted {"origin":"rotation"} 9', 'VersionsFailed {"origin":"rotation"} 1']);
  });

  it("a post refused with 429 keeps its data for the next one; a timed-out post drops it", async () => {
    const f = fakes();
    const log = logTo(f.lines);
    const at = new Date().toISOString();
    f.post.impl = async () => {
      throw new OciCallError({ status: 429, code: "TooManyRequests", message: "x", opcRequestId: undefined }, "PostMetricData");
    };
    addMetrics(f.rt, progressData(target, "request", { reencrypted: 2, failed: 0, skipped: 0, throttled: 0 }, at), { sum: true });
    flushMetrics(f.rt, deadlines(), log, true);
    await settleCalls(f.rt, deadlines(), 1_000);
    f.post.impl = async () => undefined;
    addMetrics(f.rt, progressData(target, "request", { reencrypted: 1, failed: 0, skipped: 0, throttled: 0 }, at), { sum: true });
    flushMetrics(f.rt, deadlines(), log, true);
    await settleCalls(f.rt, deadlines(), 1_000);
    expect(streamsOf(f.posted)).toEqual(['VersionsReencrypted {"origin":"request"} 3']);
    expect(f.lines.find((l) => l["msg"] === "metrics post failed")).toMatchObject({ status: 429, code: "TooManyRequests" });
  });
});

describe("off the job's path", () => {
  it("an answer a caller waits for waits 2 % of the run, 0.5 to 3 s; a detached one 3 s", () => {
    const now = 1_000_000;
    expect(waitBoundMs(true, now - 10_000, now)).toBe(500);
    expect(waitBoundMs(true, now - 60_000, now)).toBe(1_200);
    expect(waitBoundMs(true, now - 600_000, now)).toBe(3_000);
    expect(waitBoundMs(false, now - 1_000, now)).toBe(3_000);
  });

  it("settling abandons a call past its bound (its request is aborted), and never starts one without time left", async () => {
    const f = fakes();
    const log = logTo(f.lines);
    let aborted = false;
    f.publish.impl = (limits) =>
      new Promise((_resolve, reject) => {
        limits.signal?.addEventListener("abort", () => {
          aborted = true;
          reject(new OciCallError({ status: 0, code: "Abandoned", message: "x", opcRequestId: undefined }, "PublishMessage"));
        });
      });
    const sent = startCall(f.rt, deadlines(), log, "job message", (l) => f.rt.notifications!.client.publish(TOPIC, { title: "t", body: "b" }, l));
    const t = Date.now();
    await settleCalls(f.rt, deadlines(), 200);
    expect(Date.now() - t).toBeLessThan(1_000);
    expect(aborted).toBe(true);
    expect(await sent).toBe(false);
    expect(f.lines.find((l) => l["msg"] === "job message abandoned: the invocation answers now")).toMatchObject({ status: 0, code: "Abandoned" });
    // 400 ms to the deadline, 500 kept for the answer: nothing is started.
    expect(await startCall(f.rt, deadlines(400), log, "job message", async () => undefined)).toBe(false);
    expect(f.lines.at(-1)?.["msg"]).toMatch(/skipped: no time left/);
  });

  it("a job's shard run posts its deltas at most once per interval, the rest with its end; 429s come from the limiter", async () => {
    const f = fakes({ REENCRYPT_MAX_PARALLEL: "4" });
    const log = logTo(f.lines);
    const dl = deadlines();
    const limiter = createRateLimiter(undefined);
    const ops = startJobOps(f.rt, { id: "job-1", origin: "rotation" }, limiter, dl, log);
    ops.checkpoint({ matched: 10, reencrypted: 10, failed: 0, skipped: 0 });
    await sleep(10);
    limiter.throttled();
    ops.checkpoint({ matched: 30, reencrypted: 28, failed: 2, skipped: 0 });
    ops.stop({ matched: 50, reencrypted: 47, failed: 2, skipped: 1 });
    reportJobEnd(f.rt, dl, log, job({ jobId: "job-1", status: "partial", counts: { matched: 50, reencrypted: 47, failed: 2, skipped: 1 } }));
    await settleOps(f.rt, dl, log, { origin: "rotation", driver: "self", since: Date.now() });
    // One post at the first checkpoint, none at the second (within 5 s), one at the end.
    expect(f.posted).toHaveLength(2);
    expect(streamsOf(f.posted).sort()).toEqual(
      [
        'VersionsReencrypted {"origin":"rotation"} 10',
        'VersionsReencrypted {"origin":"rotation"} 37',
        'VersionsFailed {"origin":"rotation"} 2',
        'VersionsSkipped {"origin":"rotation"} 1',
        'Throttled429 {"origin":"rotation"} 1',
        'JobsFinished {"origin":"rotation","status":"partial"} 1',
        'JobDurationSeconds {"origin":"rotation","status":"partial"} 90',
      ].sort(),
    );
    expect(f.published.map((p) => p.title)).toEqual(["oci-reencrypt: partial rotation job job-1"]);
    expect(f.lines.find((l) => l["msg"] === "job message published")).toMatchObject({ jobId: "job-1", messageId: "msg-1" });
  });

  it("object-event jobs: no message when they succeed, at most one a minute per container otherwise; their metrics wait for a post that is due", async () => {
    const f = fakes();
    const log = logTo(f.lines);
    const dl = deadlines();
    const event = (status: string) => job({ origin: "object-event", status, jobId: randomBytes(8).toString("hex") });
    reportJobEnd(f.rt, dl, log, event("succeeded"));
    reportJobEnd(f.rt, dl, log, event("failed"));
    reportJobEnd(f.rt, dl, log, event("failed"));
    await settleOps(f.rt, dl, log, { origin: "object-event", driver: "self", since: Date.now() });
    expect(f.published.map((p) => p.title.split(" job ")[0])).toEqual(["oci-reencrypt: failed object-event"]);
    // The container's first post was due; the next event's end waits (5 s) and is summed into a later one.
    expect(streamsOf(f.posted).sort()).toEqual(['JobsFinished {"origin":"object-event","status":"failed"} 2', 'JobsFinished {"origin":"object-event","status":"succeeded"} 1']);
    reportJobEnd(f.rt, dl, log, event("succeeded"));
    await settleOps(f.rt, dl, log, { origin: "object-event", driver: "self", since: Date.now() });
    reportJobEnd(f.rt, dl, log, event("succeeded"));
    await settleOps(f.rt, dl, log, { origin: "object-event", driver: "self", since: Date.now() });
    expect(f.posted).toHaveLength(1);
    flushMetrics(f.rt, dl, log, true);
    await settleCalls(f.rt, dl, 1_000);
    expect(streamsOf(f.posted.slice(1))).toEqual(['JobsFinished {"origin":"object-event","status":"succeeded"} 2']);
  });

  it("statuses that are not an end publish nothing; without a topic or metrics nothing is sent", async () => {
    const f = fakes();
    const log = logTo(f.lines);
    const dl = deadlines();
    reportJobEnd(f.rt, dl, log, job({ status: "incomplete" }));
    reportJobEnd(f.rt, dl, log, job({ status: "continuing" }));
    await settleOps(f.rt, dl, log, { origin: "request", driver: "caller", since: Date.now() });
    expect(f.published).toEqual([]);
    const off = fakes({ REENCRYPT_METRICS_NAMESPACE: "" }, { topic: false, metrics: false });
    reportJobEnd(off.rt, dl, log, job());
    await reportSweep(off.rt, dl, log, { stalled: [], resumed: [], needCaller: [] });
    expect(await notifyHazards(off.rt, dl, log, [{ kind: "key-disabled", fix: "x" }])).toBe(false);
    await settleOps(off.rt, dl, log, { origin: "request", driver: "caller", since: Date.now() });
    expect([off.published, off.posted]).toEqual([[], []]);
  });

  it("a sweep posts JobsStalled (zeros too) and publishes only when it found stalled jobs; notifyHazards resolves true once published", async () => {
    const f = fakes();
    const log = logTo(f.lines);
    const dl = deadlines();
    await reportSweep(f.rt, dl, log, { stalled: [], resumed: [], needCaller: [] });
    expect(f.published).toEqual([]);
    expect(streamsOf(f.posted)).toEqual(['JobsStalled {"origin":"request"} 0', 'JobsStalled {"origin":"object-event"} 0', 'JobsStalled {"origin":"rotation"} 0']);
    await reportSweep(f.rt, dl, log, { stalled: [{ jobId: "j", origin: "request", counts: { matched: 0, reencrypted: 0, failed: 0, skipped: 0 }, updatedAt: "t" }], resumed: [], needCaller: ["j"] });
    expect(f.published.map((p) => p.title)).toEqual(["oci-reencrypt: 1 stalled job found by the sweep"]);
    expect(await notifyHazards(f.rt, dl, log, [{ kind: "key-disabled", fix: "enable it" }])).toBe(true);
    expect(await notifyHazards(f.rt, dl, log, [])).toBe(false);
    f.publish.impl = async () => {
      throw new OciCallError({ status: 404, code: "NotAuthorizedOrNotFound", message: "x", opcRequestId: undefined }, "PublishMessage");
    };
    expect(await notifyHazards(f.rt, dl, log, [{ kind: "key-disabled", fix: "enable it" }])).toBe(false);
    expect(f.lines.find((l) => l["msg"] === "hazard message failed")).toMatchObject({ status: 404, code: "NotAuthorizedOrNotFound" });
  });
});

describe("regional endpoints", () => {
  it("derives Notifications and the Monitoring ingestion endpoint from the signer's region, as the SDK clients do", () => {
    const provider = { getRegion: () => common.Region.US_ASHBURN_1 } as unknown as common.AuthenticationDetailsProvider;
    expect(regionalEndpoint(provider, NOTIFICATIONS_ENDPOINT_TEMPLATE)).toBe("https://notification.us-ashburn-1.oraclecloud.com");
    expect(regionalEndpoint(provider, MONITORING_INGESTION_ENDPOINT_TEMPLATE)).toBe("https://telemetry-ingestion.us-ashburn-1.oraclecloud.com");
    expect(regionalEndpoint({} as common.AuthenticationDetailsProvider, NOTIFICATIONS_ENDPOINT_TEMPLATE)).toBeUndefined();
  });
});
