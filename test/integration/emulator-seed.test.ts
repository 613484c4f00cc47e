import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sseCKeyDetails, sseCKeySha256, startEmulator, type Emulator, type Seed } from "../../src/local/emulator/index.js";
import { emulatorSdkClients } from "../helpers/emulator-sdk-clients.js";

const seed: Seed = {
  namespace: "demo",
  compartments: ["apps", "security"],
  vaults: [
    {
      name: "main",
      compartment: "security",
      keys: [{ name: "data-key", versions: 3 }, { name: "old-key", state: "DISABLED" }],
    },
  ],
  secrets: [{ name: "customer-key", randomSseCKey: true }, { name: "note", content: "hello" }],
  buckets: [
    {
      name: "data",
      compartment: "apps",
      kmsKey: "data-key",
      versioning: "Enabled",
      objectEventsEnabled: true,
      objects: [
        { name: "dir/a b+c.txt", content: "hello", keyVersion: 1 },
        { name: "private.bin", sseCustomerKey: { secret: "customer-key" } },
        { name: "gone.txt", deleted: true },
        { prefix: "logs/", count: 25, versions: 2 },
      ],
    },
    { name: "plain", compartment: "apps" },
  ],
  functions: [{ name: "reencrypt", compartment: "apps", timeoutInSeconds: 120 }],
  rules: [
    {
      name: "on-create",
      compartment: "apps",
      function: "reencrypt",
      condition: { eventType: ["com.oraclecloud.objectstorage.createobject"] },
    },
  ],
};

let em: Emulator;
beforeAll(async () => {
  em = await startEmulator({ seed });
});
afterAll(() => em.close());

describe("seed", () => {
  it("creates the described world and returns OCIDs by name", async () => {
    const ids = em.seedIds;
    expect(em.state.namespace).toBe("demo");
    expect(ids.compartments["apps"]).toMatch(/^ocid1\.compartment\.oc1\.\.[a-z0-9]{60}$/);
    expect(ids.keys["data-key"]).toMatch(/^ocid1\.key\.oc1\.iad\.[a-z0-9]{60}$/);
    expect(ids.keyVersions["data-key"]).toHaveLength(3);
    expect(em.state.key(ids.keys["old-key"] ?? "")?.lifecycleState).toBe("DISABLED");

    const [v1, , v3] = ids.keyVersions["data-key"] ?? [];
    const counts = em.state.wrappingCounts("data");
    expect(counts[`kms:${v1}`]).toBe(1);
    expect(counts[`kms:${v3}`]).toBe(50 + 1); // 25 objects x 2 versions, plus gone.txt
    expect(counts[`sse-c:${sseCKeySha256(ids.sseCKeys["customer-key"] ?? "")}`]).toBe(1);
    expect(ids.sseCKeys["note"]).toBeUndefined();

    expect(em.state.findVersion("data", "gone.txt")?.isDeleteMarker).toBe(true);
    expect(em.state.objectVersions("data", "logs/")).toHaveLength(50);

    const fn = em.state.functionRecords.get(ids.functions["reencrypt"] ?? "");
    expect(fn).toMatchObject({ compartmentId: ids.compartments["apps"], timeoutInSeconds: 120 });
    const rule = em.state.rules.get(ids.rules["on-create"] ?? "");
    expect(rule?.actions[0]?.functionId).toBe(fn?.id);
    expect(JSON.parse(rule?.condition ?? "")).toEqual({ eventType: ["com.oraclecloud.objectstorage.createobject"] });

    // The seeded world is what the SDK sees.
    const sdk = await emulatorSdkClients(em, { compartmentId: ids.compartments["apps"] ?? "" });
    const buckets = await sdk.objectStorage.listBuckets({ namespaceName: "demo", compartmentId: ids.compartments["apps"] ?? "" });
    expect(buckets.items.map((b) => b.name)).toEqual(["data", "plain"]);
    const secret = await sdk.secrets.getSecretBundle({ secretId: ids.secrets["customer-key"] ?? "" });
    const content = (secret.secretBundle.secretBundleContent as { content?: string }).content ?? "";
    expect(sseCKeyDetails(content).keySha256).toBe(sseCKeySha256(ids.sseCKeys["customer-key"] ?? ""));

    expect(JSON.parse(JSON.stringify(em.state))).toMatchObject({ namespace: "demo", buckets: [{ name: "data" }, { name: "plain" }] });
  });

  it("rejects a seed that names something unknown", async () => {
    await expect(startEmulator({ seed: { buckets: [{ name: "x", kmsKey: "missing" }] } })).rejects.toThrow(/unknown key 'missing'/);
    await expect(startEmulator({ seed: { buckets: [{ name: "x", typo: true } as never] } })).rejects.toThrow();
  });
});

describe("state semantics", () => {
  it("replaces the only version in an unversioned bucket and adds delete markers in a versioned one", () => {
    const s = em.state;
    const a = s.putObject("plain", "x");
    const b = s.putObject("plain", "x");
    expect(s.versionsOf("plain", "x").map((v) => v.versionId)).toEqual([b.versionId]);
    expect(a.versionId).not.toBe(b.versionId);
    expect(s.deleteObject("plain", "x")).toBe(true);
    expect(s.versionsOf("plain", "x")).toHaveLength(0);

    s.putObject("data", "y");
    s.deleteObject("data", "y");
    expect(s.objectVersions("data", "y").map((v) => v.isDeleteMarker)).toEqual([true, false]);
  });

  it("generates version ids that need query encoding", () => {
    for (let i = 0; i < 200; i++) {
      const { versionId } = em.state.putObject("plain", `v${i}`);
      expect(versionId).toMatch(/^v[A-Za-z0-9+/]{15}=$/);
      expect(versionId).toContain("+");
      expect(versionId).toContain("/");
    }
  });
});
