import { models } from "oci-objectstorage";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  ARCHIVED_NOT_RESTORED,
  NOT_ARCHIVED,
  startEmulator,
  wrappingLabel,
  type Emulator,
  type Key,
} from "../../src/local/emulator/index.js";
import { bodyText, emulatorSdkClients, ociFailure, type EmulatorSdkClients } from "../helpers/emulator-sdk-clients.js";

const ns = "testns";
let em: Emulator;
let os: EmulatorSdkClients["objectStorage"];
let key: Key;

const version = (bucket: string, name: string) => {
  const v = em.state.findVersion(bucket, name);
  if (!v) throw new Error(`no ${bucket}/${name}`);
  return v;
};

beforeAll(async () => {
  em = await startEmulator();
  key = em.state.createKey({ vaultId: em.state.createVault({}).id });
  em.state.createBucket({ name: "std", kmsKeyId: key.id, versioning: "Enabled" });
  em.state.createBucket({ name: "arch", kmsKeyId: key.id, storageTier: "Archive" });
  os = (await emulatorSdkClients(em)).objectStorage;
});
afterAll(() => em.close());

describe("storage tiers", () => {
  it("stores PutObject's storage-tier, and makes every object in an Archive bucket Archive", async () => {
    await os.putObject({ namespaceName: ns, bucketName: "std", objectName: "ia.bin", putObjectBody: "ia", storageTier: models.StorageTier.InfrequentAccess });
    expect(em.requests.at(-1)?.operation).toBe("PutObject");
    await os.putObject({ namespaceName: ns, bucketName: "std", objectName: "plain.bin", putObjectBody: "p" });
    await os.putObject({ namespaceName: ns, bucketName: "arch", objectName: "cold.bin", putObjectBody: "c", storageTier: models.StorageTier.Standard });
    expect(version("std", "ia.bin").storageTier).toBe("InfrequentAccess");
    expect(version("std", "plain.bin").storageTier).toBe("Standard");
    expect(em.state.objectVersions("arch")).toMatchObject([{ name: "cold.bin", storageTier: "Archive", archivalState: "Archived" }]);

    const bad = await ociFailure(
      os.putObject({ namespaceName: ns, bucketName: "std", objectName: "x", putObjectBody: "x", storageTier: "Glacier" as unknown as models.StorageTier }),
    );
    expect(bad).toMatchObject({ statusCode: 400, serviceCode: "InvalidParameter", message: expect.stringMatching(/storage-tier/) });
    expect(em.state.findVersion("std", "x")).toBeUndefined();
  });

  it("lists storageTier and archivalState only when fields asks for them, archivalState only for Archive objects", async () => {
    em.state.putObject("arch", "restored.bin", { archivalState: "Restored" });
    const bare = await os.listObjects({ namespaceName: ns, bucketName: "arch" });
    expect(bare.listObjects.objects[0]).toEqual({ name: "cold.bin" });

    const withTier = await os.listObjects({ namespaceName: ns, bucketName: "arch", fields: "name,storageTier,archivalState" });
    expect(withTier.listObjects.objects).toEqual([
      { name: "cold.bin", storageTier: "Archive", archivalState: "Archived" },
      { name: "restored.bin", storageTier: "Archive", archivalState: "Restored" },
    ]);
    const tierOnly = await os.listObjectVersions({ namespaceName: ns, bucketName: "std", fields: "name,storageTier" });
    expect(tierOnly.objectVersionCollection.items.map((i) => [i.name, i.storageTier, i.archivalState])).toEqual([
      ["ia.bin", "InfrequentAccess", undefined],
      ["plain.bin", "Standard", undefined],
    ]);
    const versions = await os.listObjectVersions({ namespaceName: ns, bucketName: "arch", fields: "archivalState" });
    expect(versions.objectVersionCollection.items.map((i) => i.archivalState)).toEqual(["Archived", "Restored"]);

    const head = await os.headObject({ namespaceName: ns, bucketName: "arch", objectName: "cold.bin" });
    expect(head).toMatchObject({ storageTier: "Archive", archivalState: "Archived" });
    expect((await os.headObject({ namespaceName: ns, bucketName: "std", objectName: "ia.bin" })).archivalState).toBeUndefined();
  });

  it("refuses GetObject and ReencryptObject on an Archived object, re-encrypts an Infrequent Access one", async () => {
    em.state.rotateKey(key.id);
    const cold = version("arch", "cold.bin");
    const wrappedBefore = wrappingLabel(cold.wrapping);
    const refused = await ociFailure(os.reencryptObject({ namespaceName: ns, bucketName: "arch", objectName: "cold.bin", reencryptObjectDetails: {} }));
    expect(refused).toMatchObject({ statusCode: ARCHIVED_NOT_RESTORED.status, serviceCode: ARCHIVED_NOT_RESTORED.code, message: expect.stringMatching(/Archive tier and Archived/) });
    expect(wrappingLabel(cold.wrapping)).toBe(wrappedBefore);
    expect(cold.reencryptCount).toBe(0);
    expect(await ociFailure(os.getObject({ namespaceName: ns, bucketName: "arch", objectName: "cold.bin" }))).toMatchObject({
      statusCode: ARCHIVED_NOT_RESTORED.status,
      serviceCode: ARCHIVED_NOT_RESTORED.code,
    });

    await os.reencryptObject({ namespaceName: ns, bucketName: "std", objectName: "ia.bin", reencryptObjectDetails: {} });
    expect(wrappingLabel(version("std", "ia.bin").wrapping)).toBe(`kms:${em.state.key(key.id)?.currentKeyVersion}`);
    expect(version("std", "ia.bin").storageTier).toBe("InfrequentAccess");
  });

  it("restores an Archived object: Restoring for the set delay, then Restored, then readable and re-encryptable", async () => {
    em.state.setRestoreDelay(400);
    const started = await os.restoreObjects({ namespaceName: ns, bucketName: "arch", restoreObjectsDetails: { objectName: "cold.bin", hours: 2 } });
    expect(started.opcRequestId).toBeTruthy();
    expect(em.requests.at(-1)).toMatchObject({ operation: "RestoreObjects", status: 202 });
    expect(em.state.objectVersions("arch")[0]?.archivalState).toBe("Restoring");
    expect((await os.headObject({ namespaceName: ns, bucketName: "arch", objectName: "cold.bin" })).archivalState).toBe("Restoring");
    expect((await ociFailure(os.reencryptObject({ namespaceName: ns, bucketName: "arch", objectName: "cold.bin", reencryptObjectDetails: {} }))).serviceCode).toBe(
      ARCHIVED_NOT_RESTORED.code,
    );

    await expect.poll(() => em.state.objectVersions("arch")[0]?.archivalState, { timeout: 10_000, interval: 50 }).toBe("Restored");
    const cold = version("arch", "cold.bin");
    // Restored for the hours asked, counted from when it became ready.
    expect((cold.restore?.until ?? 0) - (cold.restore?.readyAt ?? 0)).toBe(2 * 3_600_000);
    expect(await bodyText((await os.getObject({ namespaceName: ns, bucketName: "arch", objectName: "cold.bin" })).value)).toBe("c");
    await os.reencryptObject({ namespaceName: ns, bucketName: "arch", objectName: "cold.bin", reencryptObjectDetails: {} });
    expect(wrappingLabel(cold.wrapping)).toBe(`kms:${em.state.key(key.id)?.currentKeyVersion}`);

    // A second restore of a Restored object extends it (200); a Standard object cannot be restored.
    await os.restoreObjects({ namespaceName: ns, bucketName: "arch", restoreObjectsDetails: { objectName: "cold.bin" } });
    expect(em.requests.at(-1)).toMatchObject({ operation: "RestoreObjects", status: 200 });
    expect(await ociFailure(os.restoreObjects({ namespaceName: ns, bucketName: "std", restoreObjectsDetails: { objectName: "plain.bin" } }))).toMatchObject({
      statusCode: NOT_ARCHIVED.status,
      serviceCode: NOT_ARCHIVED.code,
    });
    em.state.setRestoreDelay(0);
    em.state.putObject("arch", "now.bin");
    await os.restoreObjects({ namespaceName: ns, bucketName: "arch", restoreObjectsDetails: { objectName: "now.bin" } });
    expect(em.state.objectVersions("arch").find((v) => v.name === "now.bin")?.archivalState).toBe("Restored");
  });

  it("changes an object's tier with UpdateObjectStorageTier; leaving Archive needs a restored object", async () => {
    await os.updateObjectStorageTier({
      namespaceName: ns,
      bucketName: "std",
      updateObjectStorageTierDetails: { objectName: "plain.bin", storageTier: models.StorageTier.Archive },
    });
    expect(em.state.objectVersions("std").find((v) => v.name === "plain.bin")).toMatchObject({ storageTier: "Archive", archivalState: "Archived" });
    const back = () =>
      os.updateObjectStorageTier({
        namespaceName: ns,
        bucketName: "std",
        updateObjectStorageTierDetails: { objectName: "plain.bin", storageTier: models.StorageTier.Standard },
      });
    expect((await ociFailure(back())).serviceCode).toBe(ARCHIVED_NOT_RESTORED.code);
    em.state.setArchivalState("std", "plain.bin", "Restored");
    await back();
    expect(em.state.objectVersions("std").find((v) => v.name === "plain.bin")).toMatchObject({ storageTier: "Standard" });
    expect(version("std", "plain.bin").restore).toBeUndefined();
  });

  it("ReencryptBucket leaves Archive objects that are not restored, and counts them", async () => {
    em.state.createBucket({ name: "mixed", kmsKeyId: key.id });
    em.state.putObject("mixed", "hot");
    em.state.putObject("mixed", "frozen", { storageTier: "Archive" });
    em.state.putObject("mixed", "thawing", { storageTier: "Archive", archivalState: "Restoring" });
    em.state.putObject("mixed", "thawed", { storageTier: "Archive", archivalState: "Restored" });
    em.state.rotateKey(key.id);
    em.state.setWorkRequestRate(Infinity);
    const id = (await os.reencryptBucket({ namespaceName: ns, bucketName: "mixed" })).opcWorkRequestId;
    await em.state.workRequests.idle();
    expect(em.state.workRequests.records.get(id)).toMatchObject({ status: "COMPLETED", rewrapped: 2, skipped: { archived: 2 } });
    const current = `kms:${em.state.key(key.id)?.currentKeyVersion}`;
    const labels = Object.fromEntries(em.state.objectVersions("mixed").map((v) => [v.name, wrappingLabel(v.wrapping) === current]));
    expect(labels).toEqual({ frozen: false, hot: true, thawed: true, thawing: false });
  });
});
