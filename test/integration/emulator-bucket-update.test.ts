import { models } from "oci-objectstorage";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  KEY_NOT_USABLE,
  NO_BUCKET_KMS_KEY,
  startEmulator,
  wrappingLabel,
  type Emulator,
  type Key,
} from "../../src/local/emulator/index.js";
import { emulatorSdkClients, ociFailure, type EmulatorSdkClients } from "../helpers/emulator-sdk-clients.js";

const ns = "testns";
let em: Emulator;
let os: EmulatorSdkClients["objectStorage"];
let k1: Key;
let k2: Key;
let vaultId: string;

const label = (bucket: string, name: string): string => {
  const v = em.state.findVersion(bucket, name);
  if (!v) throw new Error(`no ${bucket}/${name}`);
  return wrappingLabel(v.wrapping);
};

beforeAll(async () => {
  em = await startEmulator();
  vaultId = em.state.createVault({}).id;
  k1 = em.state.createKey({ vaultId });
  k2 = em.state.createKey({ vaultId });
  os = (await emulatorSdkClients(em)).objectStorage;
});
afterAll(() => em.close());

describe("GetBucket", () => {
  it("reports storageTier, isBucketKeyEnabled, replicationEnabled and isReadOnly from the model", async () => {
    em.state.createBucket({ name: "cold", storageTier: "Archive", isBucketKeyEnabled: true, kmsKeyId: k1.id });
    em.state.createBucket({ name: "src" });
    em.state.createBucket({ name: "dst" });
    em.state.setReplication("src", "dst");
    const cold = (await os.getBucket({ namespaceName: ns, bucketName: "cold" })).bucket;
    expect(cold).toMatchObject({ storageTier: "Archive", isBucketKeyEnabled: true, replicationEnabled: false, isReadOnly: false, kmsKeyId: k1.id });
    const src = (await os.getBucket({ namespaceName: ns, bucketName: "src" })).bucket;
    expect(src).toMatchObject({ storageTier: "Standard", isBucketKeyEnabled: false, replicationEnabled: true, isReadOnly: false });
    const dst = (await os.getBucket({ namespaceName: ns, bucketName: "dst" })).bucket;
    expect(dst).toMatchObject({ replicationEnabled: false, isReadOnly: true });
  });
});

describe("UpdateBucket", () => {
  it("moves a bucket to another key: old versions keep their wrapping, new writes and empty re-encryptions get the new key", async () => {
    em.state.createBucket({ name: "docs", kmsKeyId: k1.id, versioning: "Enabled" });
    em.state.putObject("docs", "a.txt", { content: "a" });
    em.state.putObject("docs", "b.txt", { content: "b" });
    const before = em.state.bucket("docs")?.etag;

    const r = await os.updateBucket({ namespaceName: ns, bucketName: "docs", updateBucketDetails: { kmsKeyId: k2.id } });
    expect(r.bucket.kmsKeyId).toBe(k2.id);
    expect(r.eTag).toBe(em.state.bucket("docs")?.etag);
    expect(r.eTag).not.toBe(before);
    expect(em.requests.at(-1)).toMatchObject({ operation: "UpdateBucket", method: "POST", path: "/n/testns/b/docs", status: 200 });
    expect(em.state.bucket("docs")?.kmsKeyId).toBe(k2.id);

    // Ground truth: nothing already written moved.
    expect(label("docs", "a.txt")).toBe(`kms:${k1.currentKeyVersion}`);
    expect(label("docs", "b.txt")).toBe(`kms:${k1.currentKeyVersion}`);
    await os.putObject({ namespaceName: ns, bucketName: "docs", objectName: "c.txt", putObjectBody: "c" });
    expect(label("docs", "c.txt")).toBe(`kms:${k2.currentKeyVersion}`);
    await os.reencryptObject({ namespaceName: ns, bucketName: "docs", objectName: "a.txt", reencryptObjectDetails: {} });
    expect(label("docs", "a.txt")).toBe(`kms:${k2.currentKeyVersion}`);
    expect(label("docs", "b.txt")).toBe(`kms:${k1.currentKeyVersion}`);
  });

  it("leaves the key alone when kmsKeyId is absent, and returns the bucket to an Oracle-managed key when it is empty", async () => {
    em.state.createBucket({ name: "back", kmsKeyId: k1.id });
    em.state.putObject("back", "x", { content: "x" });
    const same = await os.updateBucket({ namespaceName: ns, bucketName: "back", updateBucketDetails: { objectEventsEnabled: true } });
    expect(same.bucket).toMatchObject({ kmsKeyId: k1.id, objectEventsEnabled: true });
    expect(em.state.bucket("back")?.kmsKeyId).toBe(k1.id);

    const oracle = await os.updateBucket({ namespaceName: ns, bucketName: "back", updateBucketDetails: { kmsKeyId: "" } });
    expect(oracle.bucket.kmsKeyId).toBeNull();
    expect(em.state.bucket("back")?.kmsKeyId).toBeUndefined();
    expect(label("back", "x")).toBe(`kms:${k1.currentKeyVersion}`);
    await os.reencryptObject({ namespaceName: ns, bucketName: "back", objectName: "x", reencryptObjectDetails: {} });
    expect(label("back", "x")).toBe("oracle");

    // ReencryptBucket cannot serve a bucket without a Vault key (the fact sheet's "the call will fail").
    expect(await ociFailure(os.reencryptBucket({ namespaceName: ns, bucketName: "back" }))).toMatchObject({
      statusCode: NO_BUCKET_KMS_KEY.status,
      serviceCode: NO_BUCKET_KMS_KEY.code,
      message: expect.stringMatching(/no kmsKeyId/),
    });
  });

  it("sets isBucketKeyEnabled and versioning, refuses to disable versioning, and checks if-match against the bucket's ETag", async () => {
    em.state.createBucket({ name: "flags", kmsKeyId: k1.id });
    const etag = em.state.bucket("flags")?.etag as string;
    const stale = await ociFailure(
      os.updateBucket({ namespaceName: ns, bucketName: "flags", ifMatch: "not-the-etag", updateBucketDetails: { isBucketKeyEnabled: true } }),
    );
    expect(stale).toMatchObject({ statusCode: 412, serviceCode: "IfMatchFailed" });
    expect(em.state.bucket("flags")).toMatchObject({ isBucketKeyEnabled: false, etag });

    const r = await os.updateBucket({
      namespaceName: ns,
      bucketName: "flags",
      ifMatch: etag,
      updateBucketDetails: { isBucketKeyEnabled: true, versioning: models.UpdateBucketDetails.Versioning.Enabled },
    });
    expect(r.bucket).toMatchObject({ isBucketKeyEnabled: true, versioning: "Enabled" });
    expect(em.state.bucket("flags")).toMatchObject({ isBucketKeyEnabled: true, versioning: "Enabled" });
    const suspended = await os.updateBucket({ namespaceName: ns, bucketName: "flags", updateBucketDetails: { versioning: models.UpdateBucketDetails.Versioning.Suspended } });
    expect(suspended.bucket.versioning).toBe("Suspended");

    // Not in the SDK's enum: the API has no way back to Disabled.
    const disabled = "Disabled" as unknown as models.UpdateBucketDetails.Versioning;
    const disable = await ociFailure(os.updateBucket({ namespaceName: ns, bucketName: "flags", updateBucketDetails: { versioning: disabled } }));
    expect(disable).toMatchObject({ statusCode: 400, serviceCode: "InvalidParameter", message: expect.stringMatching(/versioning/) });
    expect(em.state.bucket("flags")?.versioning).toBe("Suspended");
  });

  it("refuses a key Object Storage cannot use, and unassigning a key that is pending deletion, changing nothing", async () => {
    em.state.createBucket({ name: "guarded", kmsKeyId: k1.id });
    const off = em.state.createKey({ vaultId });
    em.state.disableKey(off.id);
    for (const kmsKeyId of [off.id, "ocid1.key.oc1.iad.nosuchkey"]) {
      expect(await ociFailure(os.updateBucket({ namespaceName: ns, bucketName: "guarded", updateBucketDetails: { kmsKeyId } }))).toMatchObject({
        statusCode: KEY_NOT_USABLE.status,
        serviceCode: KEY_NOT_USABLE.code,
      });
    }
    const doomed = em.state.createKey({ vaultId });
    em.state.createBucket({ name: "on-doomed", kmsKeyId: doomed.id });
    em.state.scheduleKeyDeletion(doomed.id);
    const unassign = await ociFailure(os.updateBucket({ namespaceName: ns, bucketName: "on-doomed", updateBucketDetails: { kmsKeyId: k2.id } }));
    expect(unassign).toMatchObject({ statusCode: KEY_NOT_USABLE.status, message: expect.stringMatching(/PENDING_DELETION/) });
    expect(em.state.bucket("guarded")?.kmsKeyId).toBe(k1.id);
    expect(em.state.bucket("on-doomed")?.kmsKeyId).toBe(doomed.id);
  });

  it("state.updateBucket changes the same fields for tests, without the API's checks", () => {
    em.state.createBucket({ name: "helper", kmsKeyId: k1.id });
    em.state.updateBucket("helper", { kmsKeyId: k2.id, isBucketKeyEnabled: true });
    expect(em.state.bucket("helper")).toMatchObject({ kmsKeyId: k2.id, isBucketKeyEnabled: true });
    em.state.updateBucket("helper", { kmsKeyId: null });
    expect(em.state.bucket("helper")?.kmsKeyId).toBeUndefined();
  });
});
