import { models } from "oci-objectstorage";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  READ_ONLY_BUCKET,
  sseCKeyDetails,
  startEmulator,
  wrappingLabel,
  type Emulator,
  type Key,
} from "../../src/local/emulator/index.js";
import { emulatorSdkClients, ociFailure, type EmulatorSdkClients } from "../helpers/emulator-sdk-clients.js";

const ns = "testns";
let em: Emulator;
let os: EmulatorSdkClients["objectStorage"];
let kA: Key;
let kB: Key;

const labels = (bucket: string): string[] => em.state.objectVersions(bucket).map((v) => `${v.name}=${v.isDeleteMarker ? "marker" : wrappingLabel(v.wrapping)}`);

beforeAll(async () => {
  em = await startEmulator();
  const vaultId = em.state.createVault({}).id;
  kA = em.state.createKey({ vaultId });
  kB = em.state.createKey({ vaultId });
  os = (await emulatorSdkClients(em)).objectStorage;
});
afterAll(() => em.close());

describe("replication", () => {
  it("copies each write into the source into the destination, wrapped by the destination's key, and follows deletes", async () => {
    em.state.createBucket({ name: "a", kmsKeyId: kA.id });
    em.state.createBucket({ name: "b", kmsKeyId: kB.id });
    em.state.putObject("a", "before.txt", { content: "old" });
    em.state.setReplication("a", "b");
    expect(em.state.bucket("a")).toMatchObject({ replicationEnabled: true, isReadOnly: false });
    expect(em.state.bucket("b")).toMatchObject({ replicationEnabled: false, isReadOnly: true });

    const put = await os.putObject({ namespaceName: ns, bucketName: "a", objectName: "new.txt", putObjectBody: "fresh" });
    const source = em.state.findVersion("a", "new.txt");
    const replica = em.state.findVersion("b", "new.txt");
    expect(wrappingLabel(source?.wrapping ?? { kind: "oracle" })).toBe(`kms:${kA.currentKeyVersion}`);
    expect(replica?.wrapping).toEqual({ kind: "kms", kmsKeyId: kB.id, keyVersionId: kB.currentKeyVersion });
    // "A replicated object has the same name, metadata, ETag, and MD5 value as the object in the source bucket."
    expect(replica).toMatchObject({ etag: put.eTag, md5: source?.md5, content: Buffer.from("fresh") });
    expect(replica?.versionId).not.toBe(source?.versionId);
    // Objects uploaded before the policy are not replicated.
    expect(em.state.findVersion("b", "before.txt")).toBeUndefined();

    await os.deleteObject({ namespaceName: ns, bucketName: "a", objectName: "new.txt" });
    expect(em.state.findVersion("b", "new.txt")).toBeUndefined();
    expect(em.state.replication.stats.copied).toBe(1);
  });

  it("refuses every state-changing call on the destination and changes nothing in it", async () => {
    em.state.createBucket({ name: "src", kmsKeyId: kA.id });
    em.state.createBucket({ name: "dst", kmsKeyId: kB.id, storageTier: "Archive" });
    em.state.setReplication("src", "dst");
    em.state.putObject("src", "doc.txt", { content: "x" });
    const replica = em.state.findVersion("dst", "doc.txt");
    expect(replica).toMatchObject({ storageTier: "Archive" });
    const before = labels("dst");
    const requestsBefore = em.requests.length;

    const calls: [string, () => Promise<unknown>][] = [
      ["PutObject", () => os.putObject({ namespaceName: ns, bucketName: "dst", objectName: "doc.txt", putObjectBody: "y" })],
      ["DeleteObject", () => os.deleteObject({ namespaceName: ns, bucketName: "dst", objectName: "doc.txt" })],
      ["ReencryptObject", () => os.reencryptObject({ namespaceName: ns, bucketName: "dst", objectName: "doc.txt", reencryptObjectDetails: { kmsKeyId: kA.id } })],
      ["ReencryptBucket", () => os.reencryptBucket({ namespaceName: ns, bucketName: "dst" })],
      ["UpdateBucket", () => os.updateBucket({ namespaceName: ns, bucketName: "dst", updateBucketDetails: { kmsKeyId: kA.id } })],
      ["RestoreObjects", () => os.restoreObjects({ namespaceName: ns, bucketName: "dst", restoreObjectsDetails: { objectName: "doc.txt" } })],
      [
        "UpdateObjectStorageTier",
        () =>
          os.updateObjectStorageTier({
            namespaceName: ns,
            bucketName: "dst",
            updateObjectStorageTierDetails: { objectName: "doc.txt", storageTier: models.StorageTier.InfrequentAccess },
          }),
      ],
    ];
    for (const [operation, call] of calls) {
      const f = await ociFailure(call());
      expect(f, operation).toMatchObject({ statusCode: READ_ONLY_BUCKET.status, serviceCode: READ_ONLY_BUCKET.code, message: expect.stringMatching(/read-only|replication destination/) });
    }
    const answered = em.requests.slice(requestsBefore).map((r) => `${r.operation}:${r.status}:${r.code}`);
    expect(answered).toEqual(calls.map(([op]) => `${op}:${READ_ONLY_BUCKET.status}:${READ_ONLY_BUCKET.code}`));
    expect(labels("dst")).toEqual(before);
    expect(em.state.bucket("dst")?.kmsKeyId).toBe(kB.id);
    expect(em.state.workRequests.records.size).toBe(0);
    expect(em.state.objectVersions("dst")).toMatchObject([{ name: "doc.txt", storageTier: "Archive", archivalState: "Archived" }]);

    // Reads still work, and metadata-only updates are allowed.
    expect((await os.headObject({ namespaceName: ns, bucketName: "dst", objectName: "doc.txt" })).eTag).toBe(replica?.etag);
    expect((await os.updateBucket({ namespaceName: ns, bucketName: "dst", updateBucketDetails: { objectEventsEnabled: true } })).bucket.objectEventsEnabled).toBe(true);
  });

  it("does not replicate a re-encryption of the source, nor SSE-C writes; removing the policy makes the destination writable", async () => {
    em.state.createBucket({ name: "s2", kmsKeyId: kA.id });
    em.state.createBucket({ name: "d2" });
    em.state.setReplication("s2", "d2");
    em.state.putObject("s2", "plain.txt", { content: "p" });
    expect(em.state.findVersion("d2", "plain.txt")?.wrapping).toEqual({ kind: "oracle" });
    const ssec = sseCKeyDetails(Buffer.alloc(32, 7).toString("base64"));
    await os.putObject({
      namespaceName: ns,
      bucketName: "s2",
      objectName: "secret.bin",
      putObjectBody: "s",
      opcSseCustomerAlgorithm: "AES256",
      opcSseCustomerKey: ssec.key,
      opcSseCustomerKeySha256: ssec.keySha256,
    });
    expect(em.state.findVersion("d2", "secret.bin")).toBeUndefined();
    expect(em.state.replication.stats.skipped.sseC).toBe(1);

    const replicaBefore = labels("d2");
    em.state.rotateKey(kA.id);
    await os.reencryptObject({ namespaceName: ns, bucketName: "s2", objectName: "plain.txt", reencryptObjectDetails: {} });
    expect(wrappingLabel(em.state.findVersion("s2", "plain.txt")?.wrapping ?? { kind: "oracle" })).toBe(`kms:${em.state.key(kA.id)?.currentKeyVersion}`);
    expect(labels("d2")).toEqual(replicaBefore);

    em.state.removeReplication("s2");
    expect(em.state.bucket("d2")).toMatchObject({ isReadOnly: false });
    expect(em.state.bucket("s2")).toMatchObject({ replicationEnabled: false });
    await os.putObject({ namespaceName: ns, bucketName: "d2", objectName: "own.txt", putObjectBody: "mine" });
    expect(em.state.findVersion("d2", "own.txt")).toBeDefined();
  });

  it("copies the source's current objects with copyExisting, and refuses chains and self-replication", () => {
    em.state.createBucket({ name: "s3" });
    em.state.createBucket({ name: "d3", kmsKeyId: kB.id });
    em.state.putObject("s3", "one");
    em.state.putObject("s3", "two");
    em.state.setReplication("s3", "d3", { copyExisting: true });
    expect(labels("d3")).toEqual([`one=kms:${kB.currentKeyVersion}`, `two=kms:${kB.currentKeyVersion}`]);
    em.state.createBucket({ name: "d4" });
    expect(() => em.state.setReplication("d3", "d4")).toThrow(/destination and cannot be a source/);
    expect(() => em.state.setReplication("d4", "d4")).toThrow(/itself/);
    expect(() => em.state.setReplication("s3", "d4")).toThrow(/already replicates/);
  });
});
