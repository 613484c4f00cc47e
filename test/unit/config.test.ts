import { describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config.js";
import { ReencryptError } from "../../src/errors.js";

const KEY = "ocid1.key.oc1.iad.examplekey";

describe("loadConfig", () => {
  it("operations (contract §13): no topic, metrics on in namespace reencrypt by default; empty namespace turns them off", () => {
    expect(loadConfig({})).toMatchObject({ notifyTopicId: undefined, metrics: { namespace: "reencrypt", compartmentId: undefined }, endpoints: { notifications: undefined, monitoring: undefined } });
    expect(loadConfig({ REENCRYPT_METRICS_NAMESPACE: "" }).metrics).toBeUndefined();
    expect(loadConfig({ REENCRYPT_METRICS_NAMESPACE: "  " }).metrics).toBeUndefined();
    const c = loadConfig({
      REENCRYPT_NOTIFY_TOPIC: "ocid1.onstopic.oc1.iad.aaaa",
      REENCRYPT_METRICS_NAMESPACE: "team_reencrypt2",
      REENCRYPT_METRICS_COMPARTMENT_ID: "ocid1.compartment.oc1..ops",
      REENCRYPT_NOTIFICATIONS_ENDPOINT: "https://notification.example/",
      REENCRYPT_MONITORING_ENDPOINT: "https://telemetry-ingestion.example",
    });
    expect(c).toMatchObject({
      notifyTopicId: "ocid1.onstopic.oc1.iad.aaaa",
      metrics: { namespace: "team_reencrypt2", compartmentId: "ocid1.compartment.oc1..ops" },
      endpoints: { notifications: "https://notification.example", monitoring: "https://telemetry-ingestion.example" },
    });
  });

  it("applies the contract's defaults", () => {
    const c = loadConfig({});
    expect(c).toMatchObject({ rules: [], allowedBuckets: undefined, compartmentIds: undefined, stateBucket: undefined, concurrency: 16, maxRps: undefined, logLevel: "info", splitVersions: 10_000 });
  });

  it("reads every key", () => {
    const c = loadConfig({
      REENCRYPT_RULES: JSON.stringify([{ bucket: "logs-*", prefix: "a/", kmsKeyId: KEY }, { bucket: "ns/x", kmsKeyId: KEY }]),
      REENCRYPT_ALLOWED_BUCKETS: "logs-*, ns/data ",
      REENCRYPT_COMPARTMENT_IDS: "ocid1.compartment.oc1..aaa,ocid1.tenancy.oc1..bbb",
      REENCRYPT_STATE_BUCKET: "ns/state",
      REENCRYPT_CONCURRENCY: "4",
      REENCRYPT_SPLIT_VERSIONS: "250",
      REENCRYPT_MAX_RPS: "2.5",
      REENCRYPT_LOG_LEVEL: "DEBUG",
      REENCRYPT_OBJECTSTORAGE_ENDPOINT: "http://127.0.0.1:9/",
    });
    expect(c.rules).toEqual([
      { bucket: "logs-*", prefix: "a/", kmsKeyId: KEY },
      { bucket: "ns/x", prefix: "", kmsKeyId: KEY },
    ]);
    expect(c.allowedBuckets).toEqual(["logs-*", "ns/data"]);
    expect(c.compartmentIds).toHaveLength(2);
    expect(c.stateBucket).toEqual({ namespace: "ns", bucket: "state" });
    expect(c).toMatchObject({ concurrency: 4, splitVersions: 250, maxRps: 2.5, logLevel: "debug" });
    expect(c.endpoints.objectStorage).toBe("http://127.0.0.1:9");
  });

  it.each([
    ["REENCRYPT_RULES", "[{"],
    ["REENCRYPT_RULES", JSON.stringify([{ bucket: "b", kmsKeyId: "nope" }])],
    ["REENCRYPT_RULES", JSON.stringify([{ bucket: "b", kmsKeyId: KEY, extra: 1 }])],
    ["REENCRYPT_ALLOWED_BUCKETS", "a b"],
    ["REENCRYPT_COMPARTMENT_IDS", "ocid1.key.oc1..x"],
    ["REENCRYPT_STATE_BUCKET", "a/b/c"],
    ["REENCRYPT_CONCURRENCY", "0"],
    ["REENCRYPT_CONCURRENCY", "many"],
    ["REENCRYPT_MAX_RPS", "-1"],
    ["REENCRYPT_SPLIT_VERSIONS", "99"],
    ["REENCRYPT_SPLIT_VERSIONS", "1e9"],
    ["REENCRYPT_LOG_LEVEL", "loud"],
    ["REENCRYPT_SECRETS_ENDPOINT", "ftp://x"],
    ["REENCRYPT_NOTIFY_TOPIC", "ocid1.key.oc1.iad.notatopic"],
    ["REENCRYPT_METRICS_NAMESPACE", "oci_reencrypt"],
    ["REENCRYPT_METRICS_NAMESPACE", "Oracle_x"],
    ["REENCRYPT_METRICS_NAMESPACE", "9lives"],
    ["REENCRYPT_METRICS_NAMESPACE", "has-dash"],
    ["REENCRYPT_METRICS_COMPARTMENT_ID", "ocid1.vault.oc1..x"],
    ["REENCRYPT_MONITORING_ENDPOINT", "telemetry-ingestion"],
  ])("names %s when it is %s", (key, value) => {
    let err: unknown;
    try {
      loadConfig({ [key]: value });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ReencryptError);
    const e = err as ReencryptError;
    expect(e.code).toBe("ConfigurationError");
    expect(e.message.startsWith(`${key}:`)).toBe(true);
    expect(e.expose).toBe(true);
  });
});
