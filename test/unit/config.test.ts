import { describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config.js";
import { ReencryptError } from "../../src/errors.js";

const KEY = "ocid1.key.oc1.iad.examplekey";

describe("loadConfig", () => {
  it("applies the contract's defaults", () => {
    const c = loadConfig({});
    expect(c).toMatchObject({ rules: [], allowedBuckets: undefined, compartmentIds: undefined, stateBucket: undefined, concurrency: 16, maxRps: undefined, logLevel: "info" });
  });

  it("reads every key", () => {
    const c = loadConfig({
      REENCRYPT_RULES: JSON.stringify([{ bucket: "logs-*", prefix: "a/", kmsKeyId: KEY }, { bucket: "ns/x", kmsKeyId: KEY }]),
      REENCRYPT_ALLOWED_BUCKETS: "logs-*, ns/data ",
      REENCRYPT_COMPARTMENT_IDS: "ocid1.compartment.oc1..aaa,ocid1.tenancy.oc1..bbb",
      REENCRYPT_STATE_BUCKET: "ns/state",
      REENCRYPT_CONCURRENCY: "4",
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
    expect(c).toMatchObject({ concurrency: 4, maxRps: 2.5, logLevel: "debug" });
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
    ["REENCRYPT_LOG_LEVEL", "loud"],
    ["REENCRYPT_SECRETS_ENDPOINT", "ftp://x"],
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
