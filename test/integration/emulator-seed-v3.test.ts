import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { READ_ONLY_BUCKET, startEmulator, wrappingLabel, type Emulator, type Seed } from "../../src/local/emulator/index.js";
import { emulatorSdkClients, ociFailure, type EmulatorSdkClients } from "../helpers/emulator-sdk-clients.js";

const seed: Seed = {
  vaults: [
    {
      name: "main",
      keys: [
        { name: "k1", versions: 3, pendingDeletionVersions: [1] },
        { name: "k2" },
        { name: "off", state: "DISABLED" },
        { name: "doomed", state: "PENDING_DELETION", timeOfDeletion: "2031-01-01T00:00:00Z" },
      ],
    },
  ],
  buckets: [
    {
      name: "src",
      kmsKey: "k1",
      isBucketKeyEnabled: true,
      objects: [
        { name: "old.txt", keyVersion: 1, lastModified: "2020-01-01T00:00:00Z" },
        { name: "recent.txt" },
        { name: "ia.bin", storageTier: "InfrequentAccess" },
        { prefix: "cold/", count: 3, storageTier: "Archive", archivalState: "Restoring" },
      ],
      retentionRules: [{ name: "year", duration: { timeAmount: 1, timeUnit: "YEARS" } }, { name: "locked", duration: { timeAmount: 1, timeUnit: "DAYS" }, timeRuleLocked: "2021-01-01T00:00:00Z" }],
    },
    { name: "dst", kmsKey: "k2", objects: [{ name: "seeded-in-dst.txt" }] },
    { name: "archive", storageTier: "Archive", objects: [{ name: "a.bin" }, { name: "b.bin", archivalState: "Restored" }] },
    { name: "on-off", kmsKey: "off", objects: [{ name: "under-disabled.txt" }] },
    { name: "copy-src", objects: [{ name: "x" }] },
    { name: "copy-dst", kmsKey: "k2" },
  ],
  replication: [
    { source: "src", destination: "dst" },
    { source: "copy-src", destination: "copy-dst", copyExisting: true },
  ],
};

let em: Emulator;
let os: EmulatorSdkClients["objectStorage"];

beforeAll(async () => {
  em = await startEmulator({ seed });
  os = (await emulatorSdkClients(em)).objectStorage;
});
afterAll(() => em.close());

describe("seed v3", () => {
  it("applies key states and pending version deletions after writing the objects they wrap", () => {
    const k1 = em.state.key(em.seedIds.keys["k1"] as string);
    expect(k1?.versions.map((v) => v.lifecycleState)).toEqual(["PENDING_DELETION", "ENABLED", "ENABLED"]);
    expect(em.state.key(em.seedIds.keys["off"] as string)?.lifecycleState).toBe("DISABLED");
    expect(em.state.key(em.seedIds.keys["doomed"] as string)).toMatchObject({ lifecycleState: "PENDING_DELETION", timeOfDeletion: "2031-01-01T00:00:00.000Z" });
    expect(wrappingLabel(em.state.findVersion("on-off", "under-disabled.txt")?.wrapping ?? { kind: "oracle" })).toBe(
      `kms:${em.state.key(em.seedIds.keys["off"] as string)?.currentKeyVersion}`,
    );
    expect(em.state.findVersion("src", "old.txt")?.wrapping).toMatchObject({ keyVersionId: em.seedIds.keyVersions["k1"]?.[0] });
  });

  it("sets bucket tiers and flags, object tiers, archival states and Last-Modified", async () => {
    expect(em.state.bucket("src")).toMatchObject({ isBucketKeyEnabled: true, replicationEnabled: true, storageTier: "Standard" });
    expect(em.state.bucket("archive")).toMatchObject({ storageTier: "Archive" });
    const tiers = em.state.objectVersions("src").map((v) => [v.name, v.storageTier, v.archivalState]);
    expect(tiers).toEqual([
      ["cold/000000", "Archive", "Restoring"],
      ["cold/000001", "Archive", "Restoring"],
      ["cold/000002", "Archive", "Restoring"],
      ["ia.bin", "InfrequentAccess", undefined],
      ["old.txt", "Standard", undefined],
      ["recent.txt", "Standard", undefined],
    ]);
    expect(em.state.objectVersions("archive").map((v) => [v.name, v.archivalState])).toEqual([
      ["a.bin", "Archived"],
      ["b.bin", "Restored"],
    ]);
    expect(em.state.findVersion("src", "old.txt")?.timeModified).toBe("2020-01-01T00:00:00.000Z");
    const listed = await os.listObjects({ namespaceName: "testns", bucketName: "src", prefix: "old", fields: "timeModified" });
    expect(Date.parse(String(listed.listObjects.objects[0]?.timeModified))).toBe(Date.parse("2020-01-01T00:00:00Z"));
  });

  it("creates retention rules that count from each object's Last-Modified, locked ones included", async () => {
    const rules = em.state.retentionRules.list("src");
    expect(rules.map((r) => r.id).sort()).toEqual([...(em.seedIds.retentionRules["src"] ?? [])].sort());
    expect(rules.find((r) => r.displayName === "locked")?.timeRuleLocked).toBe("2021-01-01T00:00:00.000Z");
    expect(em.state.activeRetentionRule("src", "recent.txt")?.displayName).toBe("year");
    expect(em.state.activeRetentionRule("src", "old.txt")).toBeUndefined();
  });

  it("links replication pairs after the objects: only copyExisting copies what was there, and later writes replicate", async () => {
    expect(em.state.bucket("dst")).toMatchObject({ isReadOnly: true });
    expect(em.state.objectVersions("dst").map((v) => v.name)).toEqual(["seeded-in-dst.txt"]);
    expect(em.state.objectVersions("copy-dst").map((v) => `${v.name}=${wrappingLabel(v.wrapping)}`)).toEqual([
      `x=kms:${em.state.key(em.seedIds.keys["k2"] as string)?.currentKeyVersion}`,
    ]);
    await os.putObject({ namespaceName: "testns", bucketName: "src", objectName: "later.txt", putObjectBody: "l" });
    expect(em.state.findVersion("dst", "later.txt")?.wrapping).toMatchObject({ kmsKeyId: em.seedIds.keys["k2"] });
    expect((await ociFailure(os.deleteObject({ namespaceName: "testns", bucketName: "dst", objectName: "seeded-in-dst.txt" }))).serviceCode).toBe(READ_ONLY_BUCKET.code);
  });

  it("rejects a seed that schedules a key's current version for deletion or replicates an unknown bucket", async () => {
    await expect(startEmulator({ seed: { vaults: [{ name: "v", keys: [{ name: "k", versions: 2, pendingDeletionVersions: [2] }] }] } })).rejects.toThrow(/current version/);
    await expect(startEmulator({ seed: { buckets: [{ name: "a" }], replication: [{ source: "a", destination: "nope" }] } })).rejects.toThrow(/unknown bucket nope/);
    await expect(startEmulator({ seed: { buckets: [{ name: "a", storageTier: "Cold" as never }] } })).rejects.toThrow(/storageTier/);
  });
});
