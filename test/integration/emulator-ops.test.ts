// Notifications and Monitoring (contract §13): the emulator speaks what the real oci-ons and
// oci-monitoring SDK clients send, and the product's own small clients (src/oci/notifications.ts,
// monitoring.ts, which keep those SDKs out of the bundle) send the same requests: same method,
// path, body and headers, signed the same way.

import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import * as common from "oci-common";
import { MonitoringClient, models as monitoringModels } from "oci-monitoring";
import { NotificationControlPlaneClient, NotificationDataPlaneClient } from "oci-ons";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startEmulator, type Emulator } from "../../src/local/emulator/index.js";
import { NodeHttpClient } from "../../src/oci/http/node-http-client.js";
import { createMonitoring, type MetricData } from "../../src/oci/monitoring.js";
import { createNotifications } from "../../src/oci/notifications.js";
import { OciCallError } from "../../src/oci/oci-failure.js";
import { ociFailure, providerFromEnv } from "../helpers/emulator-sdk-clients.js";

let em: Emulator;
let provider: common.ResourcePrincipalAuthenticationDetailsProvider;
let dataPlane: NotificationDataPlaneClient;
let controlPlane: NotificationControlPlaneClient;
let monitoring: MonitoringClient;
let compartmentId: string;

const config: common.ClientConfiguration = { retryConfiguration: common.NoRetryConfigurationDetails };
const ours = () => new NodeHttpClient(provider);

const metric = (o: Partial<MetricData> = {}): MetricData => ({
  namespace: "reencrypt",
  compartmentId,
  name: "VersionsReencrypted",
  dimensions: { origin: "rotation" },
  metadata: { unit: "count" },
  datapoints: [{ timestamp: new Date().toISOString(), value: 7 }],
  ...o,
});

/** The SDK's own model shape (Date timestamps) of the same data. */
const sdkMetric = (m: MetricData): monitoringModels.MetricDataDetails => ({ ...m, datapoints: m.datapoints.map((d) => ({ ...d, timestamp: new Date(d.timestamp) })) });

beforeAll(async () => {
  common.CircuitBreaker.EnableGlobalCircuitBreaker = false;
  em = await startEmulator();
  compartmentId = em.state.defaultCompartmentId;
  const issued = await em.issueResourcePrincipal({ compartmentId });
  provider = providerFromEnv(issued.env);
  const params = { authenticationDetailsProvider: provider };
  dataPlane = new NotificationDataPlaneClient(params, config);
  dataPlane.endpoint = em.endpoints.notifications;
  controlPlane = new NotificationControlPlaneClient(params, config);
  controlPlane.endpoint = em.endpoints.notifications;
  monitoring = new MonitoringClient(params, config);
  monitoring.endpoint = em.endpoints.monitoring;
});
afterAll(async () => {
  expect(em.requests.filter((r) => !r.signatureValid).map((r) => r.path)).toEqual([]);
  await em.close();
});

describe("Notifications, with the real oci-ons clients", () => {
  it("PublishMessage keeps the message verbatim; 404 for an unknown topic, 409 for one being deleted", async () => {
    const topic = em.notifications.createTopic({ name: "ops" });
    const r = await dataPlane.publishMessage({ topicId: topic.id, messageDetails: { title: "t ✓", body: '{"a":1}' } });
    expect(r.publishResult.messageId).toBeTruthy();
    expect(em.notifications.messagesFor(topic.id)).toMatchObject([{ title: "t ✓", body: '{"a":1}', messageId: r.publishResult.messageId, principal: compartmentId }]);
    expect(em.requests.at(-1)).toMatchObject({ operation: "PublishMessage", method: "POST", path: `/20181201/topics/${topic.id}/messages`, status: 200 });

    expect((await ociFailure(dataPlane.publishMessage({ topicId: "ocid1.onstopic.oc1.iad.nope", messageDetails: { body: "x" } }))).statusCode).toBe(404);
    const going = em.notifications.createTopic({ lifecycleState: "DELETING" });
    expect((await ociFailure(dataPlane.publishMessage({ topicId: going.id, messageDetails: { body: "x" } }))).statusCode).toBe(409);
  });

  it("refuses a message over the 64 KB limit", async () => {
    const topic = em.notifications.createTopic();
    const f = await ociFailure(dataPlane.publishMessage({ topicId: topic.id, messageDetails: { body: "x".repeat(64 * 1024) } }));
    expect(f.statusCode).toBe(400);
    expect(em.notifications.messagesFor(topic.id)).toEqual([]);
  });

  it("GetTopic (control plane) answers the topic's state and endpoint; 404 for an unknown one", async () => {
    const topic = em.notifications.createTopic({ name: "named", description: "d" });
    const t = (await controlPlane.getTopic({ topicId: topic.id })).notificationTopic;
    expect(t).toMatchObject({ topicId: topic.id, name: "named", compartmentId, lifecycleState: "ACTIVE", apiEndpoint: em.url, description: "d" });
    expect((await ociFailure(controlPlane.getTopic({ topicId: "ocid1.onstopic.oc1.iad.nope" }))).statusCode).toBe(404);
  });
});

describe("Monitoring PostMetricData, with the real oci-monitoring client", () => {
  it("stores valid streams; lists invalid ones in a 200 (NON_ATOMIC); 400 when all are invalid, or any with ATOMIC", async () => {
    const before = em.metrics.posts.length;
    const ok = await monitoring.postMetricData({ postMetricDataDetails: { metricData: [sdkMetric(metric())] } });
    expect(ok.postMetricDataResponseDetails.failedMetricsCount).toBe(0);
    expect(em.requests.at(-1)).toMatchObject({ operation: "PostMetricData", path: "/20180401/metrics", status: 200 });
    expect(em.metrics.points({ name: "VersionsReencrypted" }).at(-1)).toMatchObject({ namespace: "reencrypt", value: 7, dimensions: { origin: "rotation" } });

    const old = new Date(Date.now() - 3 * 3_600_000).toISOString();
    const bad = [metric({ namespace: "oci_reserved" }), metric({ namespace: "9lives" }), metric({ dimensions: {} }), metric({ datapoints: [{ timestamp: old, value: 1 }] }), metric({ name: "has space" })];
    const mixed = await monitoring.postMetricData({ postMetricDataDetails: { metricData: [sdkMetric(metric({ name: "Good" })), ...bad.map(sdkMetric)] } });
    expect(mixed.postMetricDataResponseDetails.failedMetricsCount).toBe(bad.length);
    expect(em.metrics.points({ name: "Good" })).toHaveLength(1);
    expect((await ociFailure(monitoring.postMetricData({ postMetricDataDetails: { metricData: bad.map(sdkMetric) } }))).statusCode).toBe(400);
    const atomic = monitoring.postMetricData({ postMetricDataDetails: { metricData: [sdkMetric(metric({ name: "Atomic" })), sdkMetric(bad[0] as MetricData)], batchAtomicity: monitoringModels.PostMetricDataDetails.BatchAtomicity.Atomic } });
    expect((await ociFailure(atomic)).statusCode).toBe(400);
    expect(em.metrics.points({ name: "Atomic" })).toEqual([]);
    expect(em.metrics.posts.length - before).toBe(4);
  });

  it("refuses more than 50 streams in one call, and more than 50 calls in one second (429)", async () => {
    const many = Array.from({ length: 51 }, (_, i) => sdkMetric(metric({ name: `M${i}` })));
    expect((await ociFailure(monitoring.postMetricData({ postMetricDataDetails: { metricData: many } }))).statusCode).toBe(400);
    em.metrics.callsPerSecondLimit = 3;
    try {
      const codes = await Promise.all(Array.from({ length: 6 }, () => monitoring.postMetricData({ postMetricDataDetails: { metricData: [sdkMetric(metric())] } }).then(() => 200, (e: { statusCode?: number }) => e.statusCode)));
      expect(codes.filter((c) => c === 429).length).toBeGreaterThanOrEqual(1);
    } finally {
      em.metrics.callsPerSecondLimit = 50;
    }
  });
});

describe("the product's own clients against the same routes", () => {
  it("publish, getTopic and postMetricData answer as the SDK clients' calls do", async () => {
    const topic = em.notifications.createTopic();
    const ons = createNotifications(ours(), em.endpoints.notifications);
    const id = await ons.publish(topic.id, { title: "title", body: "body" }, { timeoutMs: 5_000 });
    expect(em.notifications.messagesFor(topic.id)).toMatchObject([{ messageId: id, title: "title", body: "body" }]);
    expect(await ons.getTopic(topic.id, { timeoutMs: 5_000 })).toEqual({ id: topic.id, name: topic.name, compartmentId, lifecycleState: "ACTIVE", apiEndpoint: em.url });
    expect(await ons.getTopic("ocid1.onstopic.oc1.iad.nope", { timeoutMs: 5_000 })).toBeUndefined();
    const missing = await ons.publish("ocid1.onstopic.oc1.iad.nope", { title: "t", body: "b" }, { timeoutMs: 5_000 }).catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(OciCallError);
    expect((missing as OciCallError).failure).toMatchObject({ status: 404, code: "NotAuthorizedOrNotFound" });

    const mon = createMonitoring(ours(), em.endpoints.monitoring);
    expect(await mon.postMetricData([metric({ name: "Ours" })], { timeoutMs: 5_000 })).toEqual({ failedMetricsCount: 0, failed: [] });
    expect(em.metrics.points({ name: "Ours" })).toHaveLength(1);
    const partly = await mon.postMetricData([metric({ name: "Ours" }), metric({ namespace: "oracle_x" })], { timeoutMs: 5_000 });
    expect(partly.failedMetricsCount).toBe(1);
    expect(partly.failed[0]?.message).toMatch(/reserved/);
    await expect(mon.postMetricData(Array.from({ length: 51 }, () => metric()), { timeoutMs: 5_000 })).rejects.toThrow(RangeError);
  });

  it("a call gives up at its timeout, or when its caller aborts it, with status 0 and the reason as code", async () => {
    const topic = em.notifications.createTopic();
    const ons = createNotifications(ours(), em.endpoints.notifications);
    const hang = em.faults.add({ operation: "PublishMessage", latencyMs: 10_000 });
    try {
      const t = Date.now();
      const timedOut = await ons.publish(topic.id, { title: "t", body: "b" }, { timeoutMs: 200 }).catch((e: unknown) => e);
      expect((timedOut as OciCallError).failure).toMatchObject({ status: 0, code: "Timeout" });
      const controller = new AbortController();
      setTimeout(() => controller.abort(), 100);
      const abandoned = await ons.publish(topic.id, { title: "t", body: "b" }, { timeoutMs: 5_000, signal: controller.signal }).catch((e: unknown) => e);
      expect((abandoned as OciCallError).failure).toMatchObject({ status: 0, code: "Abandoned" });
      expect(Date.now() - t).toBeLessThan(3_000);
    } finally {
      hang.remove();
    }
    const refused = em.faults.add({ operation: "PostMetricData", status: 429, times: 1 });
    const r = await createMonitoring(ours(), em.endpoints.monitoring).postMetricData([metric()], { timeoutMs: 5_000 }).catch((e: unknown) => e);
    expect((r as OciCallError).failure).toMatchObject({ status: 429, code: "TooManyRequests" });
    expect(refused.hits).toBe(1);
  });
});

describe("the product's clients send what the SDK clients send", () => {
  interface Seen {
    method: string;
    url: string;
    headers: IncomingHttpHeaders;
    body: string;
  }
  let server: Server;
  let base: string;
  const seen: Seen[] = [];

  beforeAll(async () => {
    server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => {
        seen.push({ method: req.method ?? "", url: req.url ?? "", headers: req.headers, body: Buffer.concat(chunks).toString("utf8") });
        res.writeHead(200, { "content-type": "application/json" });
        res.end(req.url?.endsWith("/metrics") ? '{"failedMetricsCount":0}' : '{"messageId":"m","topicId":"t","name":"n","compartmentId":"c","lifecycleState":"ACTIVE","timeCreated":"2026-01-01T00:00:00Z","apiEndpoint":"x"}');
      });
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  /** The parts of a request that must agree: method, path, body, and the headers that are signed or describe the body. */
  const shape = (s: Seen) => ({
    method: s.method,
    url: s.url,
    body: s.body.length > 0 ? JSON.parse(s.body) : undefined,
    contentType: s.headers["content-type"],
    signedHeaders: /headers="([^"]+)"/.exec(String(s.headers["authorization"]))?.[1],
    hasRequestId: typeof s.headers["opc-request-id"] === "string",
    hasSha: s.headers["x-content-sha256"] !== undefined,
  });

  it("PublishMessage, GetTopic and PostMetricData: same method, path, JSON body, content type and signed headers", async () => {
    const params = { authenticationDetailsProvider: provider };
    const sdkData = new NotificationDataPlaneClient(params, config);
    sdkData.endpoint = base;
    const sdkControl = new NotificationControlPlaneClient(params, config);
    sdkControl.endpoint = base;
    const sdkMon = new MonitoringClient(params, config);
    sdkMon.endpoint = base;
    const topicId = "ocid1.onstopic.oc1.iad.example";
    const m = metric();

    seen.length = 0;
    await sdkData.publishMessage({ topicId, messageDetails: { title: "T", body: "B" } });
    await createNotifications(ours(), base).publish(topicId, { title: "T", body: "B" }, { timeoutMs: 5_000 });
    await sdkControl.getTopic({ topicId });
    await createNotifications(ours(), base).getTopic(topicId, { timeoutMs: 5_000 });
    await sdkMon.postMetricData({ postMetricDataDetails: { metricData: [sdkMetric(m)], batchAtomicity: monitoringModels.PostMetricDataDetails.BatchAtomicity.NonAtomic } });
    await createMonitoring(ours(), base).postMetricData([m], { timeoutMs: 5_000 });

    expect(seen).toHaveLength(6);
    for (let i = 0; i < 6; i += 2) expect(shape(seen[i + 1] as Seen)).toEqual(shape(seen[i] as Seen));
    expect(shape(seen[0] as Seen)).toMatchObject({ method: "POST", url: `/20181201/topics/${topicId}/messages`, contentType: "application/json", hasSha: true });
    expect(shape(seen[4] as Seen)).toMatchObject({ url: "/20180401/metrics", body: { metricData: [m], batchAtomicity: "NON_ATOMIC" } });
  });
});
