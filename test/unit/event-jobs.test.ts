import { describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config.js";
import { normalizeEvent } from "../../src/contract/events.js";
import { jobFromKeyRotation, rotationTarget } from "../../src/jobs/from-key-rotation.js";
import { jobFromObjectEvent } from "../../src/jobs/from-object-event.js";
import { createLogger } from "../../src/log.js";
import type { KeyInfo, KeyManagement } from "../../src/oci/key-management.js";
import { MEMORY_BUCKET, MemoryStore } from "../helpers/memory-store.js";

const K = "ocid1.key.oc1.iad.kkkk";
const K2 = "ocid1.key.oc1.iad.other";
const quiet = createLogger("error", {}, () => {});

describe("event payloads", () => {
  it("normalizes CloudEvents 0.1 and 1.0", () => {
    expect(normalizeEvent({ cloudEventsVersion: "0.1", eventType: "t", eventID: "1", data: { a: 1 } })).toEqual({ eventType: "t", eventId: "1", data: { a: 1 } });
    expect(normalizeEvent({ specversion: "1.0", type: "t", id: "2" })).toEqual({ eventType: "t", eventId: "2", data: {} });
  });
  it.each([
    [{ resourceId: K }, { keyId: K, keyVersionId: undefined, vaultId: undefined }],
    [{ resourceId: K, additionalDetails: { vaultId: "ocid1.vault.oc1.iad.v", keyVersionId: "ocid1.keyversion.oc1.iad.n" } }, { keyId: K, keyVersionId: "ocid1.keyversion.oc1.iad.n", vaultId: "ocid1.vault.oc1.iad.v" }],
    [{ resourceId: "ocid1.keyversion.oc1.iad.n", additionalDetails: { keyId: K } }, { keyId: K, keyVersionId: "ocid1.keyversion.oc1.iad.n", vaultId: undefined }],
    [{ resourceId: "ocid1.keyversion.oc1.iad.n" }, { keyId: undefined, keyVersionId: "ocid1.keyversion.oc1.iad.n", vaultId: undefined }],
  ])("reads the key from %j", (data, want) => expect(rotationTarget(data)).toEqual(want));
});

describe("object-created jobs", () => {
  const config = loadConfig({
    REENCRYPT_RULES: JSON.stringify([{ bucket: "up-*", prefix: "in/", kmsKeyId: K }]),
    REENCRYPT_STATE_BUCKET: "state",
  });
  const data = (bucket: string, name: string) => ({ resourceName: name, additionalDetails: { namespace: "ns", bucketName: bucket } });
  it("applies the first matching rule with kmsKeyId", () => {
    const d = jobFromObjectEvent(data("up-1", "in/a b"), config);
    expect("spec" in d && d.spec.units).toEqual([{ namespace: "ns", bucket: "up-1", scope: { kind: "object", object: "in/a b" }, key: { type: "kms", kmsKeyId: K } }]);
  });
  it("leaves buckets outside REENCRYPT_ALLOWED_BUCKETS alone", () => {
    const limited = { ...config, allowedBuckets: ["up-2"] };
    expect(jobFromObjectEvent(data("up-1", "in/a"), limited)).toEqual({ skip: "bucket ns/up-1 is outside REENCRYPT_ALLOWED_BUCKETS" });
    expect("spec" in jobFromObjectEvent(data("up-2", "in/a"), limited)).toBe(true);
  });
  it.each([
    ["up-1", "out/x"],
    ["down", "in/x"],
    ["state", "in/x"],
  ])("skips %s/%s", (b, n) => expect("skip" in jobFromObjectEvent(data(b, n), config)).toBe(true));
  it.each([
    ["a bucket with a path in it", "up-1/../../other", "in/x"],
    ["an object with a lone surrogate", "up-1", "in/\ud800"],
    ["an object over 1024 bytes", "up-1", `in/${"é".repeat(520)}`],
  ])("ignores %s, naming nothing", (_l, b, n) => expect("ignore" in jobFromObjectEvent(data(b, n), config)).toBe(true));
});

describe("rotation jobs", () => {
  const key: KeyInfo = { id: K, vaultId: "v", compartmentId: "c", currentKeyVersion: "ocid1.keyversion.oc1.iad.kv2", lifecycleState: "ENABLED", lastRotationStatus: undefined };
  const kms = (k: Partial<KeyInfo> = {}): KeyManagement => ({
    getVault: async () => ({ id: "v", compartmentId: "c", managementEndpoint: "m", lifecycleState: "ACTIVE" }),
    listVaults: async () => [{ id: "v", compartmentId: "c", managementEndpoint: "m", lifecycleState: "ACTIVE" }],
    getKey: async () => ({ ...key, ...k }),
    listKeyVersions: async () => [],
  });
  const store = new MemoryStore();
  const kmsOf: Record<string, string | undefined> = { a: K, b: K2, c: undefined, d: undefined, state: K };
  store.listBuckets = async () => ({ items: Object.keys(kmsOf), next: undefined });
  store.getBucket = async (ns, name) => ({ ...MEMORY_BUCKET, namespace: ns, name, kmsKeyId: kmsOf[name], objectEventsEnabled: true });
  const ctx = (rules: unknown[], k?: Partial<KeyInfo>, extra: Record<string, string> = {}) => ({
    config: loadConfig({ REENCRYPT_RULES: JSON.stringify(rules), REENCRYPT_STATE_BUCKET: "state", ...extra }),
    store,
    kms: kms(k),
    namespace: "ns",
    compartmentIds: ["ocid1.compartment.oc1..c"],
    log: quiet,
    waitUntil: Date.now() + 50,
    pollMs: 10,
  });

  it("covers buckets on the key and rule scopes, honouring first match, never the state bucket", async () => {
    const d = await jobFromKeyRotation("com.oraclecloud.keymanagementservice.createkeyversion.end", { resourceId: K }, ctx([
      { bucket: "c", prefix: "x/secret/", kmsKeyId: K2 },
      { bucket: "c", prefix: "x/", kmsKeyId: K },
      { bucket: "d", prefix: "", kmsKeyId: K },
      { bucket: "a", prefix: "", kmsKeyId: K },
      { bucket: "d", prefix: "y/", kmsKeyId: K },
    ]));
    expect("spec" in d).toBe(true);
    if (!("spec" in d)) return;
    // One unit per bucket, listing only the ranges the key governs: bucket c's x/ minus the
    // earlier rule's x/secret/ (K2), every other name of c is the bucket's (Oracle-managed).
    expect(d.spec.units.map((u) => [u.bucket, u.scope, u.key, u.bucketKey])).toEqual([
      ["a", { kind: "prefix", prefix: "", allVersions: true }, { type: "bucket" }, K],
      ["c", { kind: "prefix", prefix: "", allVersions: true, ranges: [{ start: "x/", end: "x/secret/" }, { start: "x/secret0", end: "x0" }] }, { type: "kms", kmsKeyId: K }, null],
      ["d", { kind: "prefix", prefix: "", allVersions: true }, { type: "kms", kmsKeyId: K }, null],
    ]);
    expect(d.spec.leftAlone).toEqual([
      { namespace: "ns", bucket: "c", prefix: "x/secret/", governedBy: { rule: 0, bucketGlob: "c", rulePrefix: "x/secret/", kmsKeyId: K2 } },
      { namespace: "ns", bucket: "c", prefix: "", governedBy: { bucketKey: null } },
    ]);
  });

  it("leaves buckets outside the allow-list alone", async () => {
    const d = await jobFromKeyRotation("x", { resourceId: K }, ctx([{ bucket: "d", prefix: "", kmsKeyId: K }], {}, { REENCRYPT_ALLOWED_BUCKETS: "d" }));
    expect("spec" in d && d.spec.units.map((u) => u.bucket)).toEqual(["d"]);
  });

  it.each([
    ["a disabled key", { lifecycleState: "DISABLED" }, "autokeyrotate", "skip"],
    ["a failed auto-rotation", { lastRotationStatus: "FAILED" }, "autokeyrotate", "skip"],
    ["a key version that never becomes current", { currentKeyVersion: "ocid1.keyversion.oc1.iad.kv1" }, "createkeyversion", "fail"],
  ])("does nothing for %s", async (_l, k, type, outcome) => {
    const d = await jobFromKeyRotation(`com.oraclecloud.keymanagementservice.${type}.end`, { resourceId: K, additionalDetails: { keyVersionId: "ocid1.keyversion.oc1.iad.kv2" } }, ctx([], k));
    expect(outcome in d).toBe(true);
  });
});
