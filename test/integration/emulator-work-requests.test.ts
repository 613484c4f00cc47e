import { models } from "oci-objectstorage";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { sseCKeyDetails, startEmulator, type Emulator } from "../../src/local/emulator/index.js";
import { emulatorSdkClients, ociFailure, type EmulatorSdkClients } from "../helpers/emulator-sdk-clients.js";

let em: Emulator;
let os: EmulatorSdkClients["objectStorage"];
const ns = "testns";
let vaultId: string;

beforeAll(async () => {
  em = await startEmulator();
  vaultId = em.state.createVault({}).id;
  os = (await emulatorSdkClients(em)).objectStorage;
});
afterAll(() => em.close());
afterEach(() => {
  em.state.setWorkRequestRate(2000);
  em.state.setReencryptBucketOtherKeyPolicy("leave");
});

let n = 0;
/** A versioned bucket under a fresh key, `count` objects with two versions each, then a key rotation. */
function rotatedBucket(count: number) {
  const key = em.state.createKey({ vaultId });
  const other = em.state.createKey({ vaultId });
  const name = `wr-${++n}`;
  em.state.createBucket({ name, kmsKeyId: key.id, versioning: "Enabled" });
  for (let i = 0; i < count; i++) {
    em.state.putObject(name, `o/${i}`);
    em.state.putObject(name, `o/${i}`);
  }
  const oldVersion = key.currentKeyVersion;
  const newVersion = em.state.rotateKey(key.id).id;
  return { name, key, other, oldVersion, newVersion };
}

/** The SDK types times as Date but hands back the JSON strings: either way, milliseconds. */
const ms = (d: unknown): number => Date.parse(String(d instanceof Date ? d.toISOString() : d));

async function waitFinished(id: string): Promise<models.WorkRequest> {
  for (;;) {
    const wr = (await os.getWorkRequest({ workRequestId: id })).workRequest;
    if (wr.status !== models.WorkRequest.Status.Accepted && wr.status !== models.WorkRequest.Status.InProgress) return wr;
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe("ReencryptBucket", () => {
  it("re-wraps every version under the key's newest version in a work request, updating ground truth as ReencryptObject does", async () => {
    const { name, key, newVersion, oldVersion } = rotatedBucket(50);
    // 100 versions over 2 s: the first GetWorkRequest sees it unfinished even on a loaded machine
    // (at the default 2,000 per second it was done in 50 ms, before a slow first read).
    em.state.setWorkRequestRate(50);
    em.requests.length = 0;
    const res = await os.reencryptBucket({ namespaceName: ns, bucketName: name });
    expect(res.opcWorkRequestId).toMatch(/^ocid1\.objectstorageworkrequest\./);
    expect(em.requests.at(-1)).toMatchObject({ operation: "ReencryptBucket", status: 202, signatureValid: true });

    const first = (await os.getWorkRequest({ workRequestId: res.opcWorkRequestId })).workRequest;
    expect(first).toMatchObject({ id: res.opcWorkRequestId, operationType: "REENCRYPT", compartmentId: em.state.bucket(name)?.compartmentId });
    expect(["ACCEPTED", "IN_PROGRESS"]).toContain(first.status);
    expect(ms(first.timeAccepted)).toBeGreaterThan(Date.now() - 60_000);
    expect(first.resources?.[0]).toMatchObject({
      entityType: "bucket",
      actionType: "IN_PROGRESS",
      identifier: em.state.bucket(name)?.id,
      entityUri: `/n/${ns}/b/${name}`,
    });

    const done = await waitFinished(res.opcWorkRequestId);
    expect(done).toMatchObject({ status: "COMPLETED", percentComplete: 100 });
    expect(done.resources?.[0]?.actionType).toBe("RELATED");
    expect(ms(done.timeStarted)).toBeGreaterThanOrEqual(ms(done.timeAccepted));
    expect(ms(done.timeFinished)).toBeGreaterThanOrEqual(ms(done.timeStarted));

    const versions = em.state.objectVersions(name);
    expect(versions).toHaveLength(100);
    for (const v of versions) {
      expect(v.wrapping).toEqual({ kind: "kms", kmsKeyId: key.id, keyVersionId: newVersion });
      expect(v.history).toEqual([{ kind: "kms", kmsKeyId: key.id, keyVersionId: oldVersion }]);
      expect(v.reencryptCount).toBe(1);
    }
    const record = em.state.workRequests.records.get(res.opcWorkRequestId);
    expect(record).toMatchObject({ total: 100, processed: 100, rewrapped: 100, skipped: { sseC: 0, otherKey: 0, gone: 0 } });
    const ops = em.requests.map((r) => r.operation);
    expect(ops.filter((o) => o === "ReencryptBucket")).toHaveLength(1);
    expect(ops.filter((o) => o === "ReencryptObject")).toHaveLength(0);
  });

  it("progresses at the configured rate, and only over versions that existed at the call", async () => {
    const { name, key, newVersion } = rotatedBucket(30);
    em.state.setWorkRequestRate(200);
    const id = (await os.reencryptBucket({ namespaceName: ns, bucketName: name })).opcWorkRequestId;
    const late = em.state.putObject(name, "late", { keyVersionId: key.versions[0]?.id });
    em.state.deleteObject(name, "o/0", em.state.versionsOf(name, "o/0")[1]?.versionId);

    let sawPartial = false;
    let wr: models.WorkRequest;
    for (;;) {
      wr = (await os.getWorkRequest({ workRequestId: id })).workRequest;
      if (wr.status === "IN_PROGRESS" && (wr.percentComplete ?? 0) > 0 && (wr.percentComplete ?? 0) < 100) sawPartial = true;
      if (wr.status === "COMPLETED") break;
      await new Promise((r) => setTimeout(r, 25));
    }
    expect(sawPartial).toBe(true);
    const record = em.state.workRequests.records.get(id);
    expect(record).toMatchObject({ total: 60, rewrapped: 59, skipped: { gone: 1 } });
    // Written after the call: left on its old key version.
    expect(em.state.findVersion(name, "late", late.versionId)?.reencryptCount).toBe(0);
    const moved = em.state.objectVersions(name).filter((v) => v.name !== "late");
    expect(moved.every((v) => v.wrapping.kind === "kms" && v.wrapping.keyVersionId === newVersion)).toBe(true);
  });

  it("leaves SSE-C versions and versions under another Vault key or Oracle-managed unchanged (emulator choice), or re-wraps the latter on request", async () => {
    const { name, other, newVersion, key } = rotatedBucket(3);
    const sseC = sseCKeyDetails(Buffer.alloc(32, 7).toString("base64"));
    em.state.putObject(name, "customer", { sseCustomerKey: sseC.key });
    em.state.putObject(name, "elsewhere", { kmsKeyId: other.id });
    em.state.updateBucket(name, { kmsKeyId: null });
    em.state.putObject(name, "oracle");
    em.state.updateBucket(name, { kmsKeyId: key.id });

    const id = (await os.reencryptBucket({ namespaceName: ns, bucketName: name })).opcWorkRequestId;
    expect((await waitFinished(id)).status).toBe("COMPLETED");
    expect(em.state.workRequests.records.get(id)).toMatchObject({ total: 9, rewrapped: 6, skipped: { sseC: 1, otherKey: 2 } });
    expect(em.state.objectVersions(name, "customer")[0]).toMatchObject({ wrapping: { kind: "sse-c" }, reencryptCount: 0 });
    expect(em.state.objectVersions(name, "elsewhere")[0]).toMatchObject({ wrapping: { kind: "kms", kmsKeyId: other.id }, reencryptCount: 0 });
    expect(em.state.objectVersions(name, "oracle")[0]).toMatchObject({ wrapping: { kind: "oracle" }, reencryptCount: 0 });

    em.state.setReencryptBucketOtherKeyPolicy("rewrap");
    const again = (await os.reencryptBucket({ namespaceName: ns, bucketName: name })).opcWorkRequestId;
    expect((await waitFinished(again)).status).toBe("COMPLETED");
    expect(em.state.workRequests.records.get(again)).toMatchObject({ rewrapped: 8, skipped: { sseC: 1, otherKey: 0 } });
    expect(em.state.objectVersions(name, "elsewhere")[0]?.wrapping).toEqual({ kind: "kms", kmsKeyId: key.id, keyVersionId: newVersion });
    expect(em.state.objectVersions(name, "customer")[0]?.reencryptCount).toBe(0);
  });

  it("fails at once for a bucket without a kmsKeyId, a disabled key, or an unknown bucket, creating no work request", async () => {
    const before = em.state.workRequests.records.size;
    em.state.createBucket({ name: "plain" });
    expect(await ociFailure(os.reencryptBucket({ namespaceName: ns, bucketName: "plain" }))).toMatchObject({
      statusCode: 400,
      serviceCode: "InvalidParameter",
      message: expect.stringMatching(/no kmsKeyId/),
    });
    const { name, key } = rotatedBucket(1);
    em.state.setKeyState(key.id, "DISABLED");
    expect(await ociFailure(os.reencryptBucket({ namespaceName: ns, bucketName: name }))).toMatchObject({ statusCode: 400, serviceCode: "InvalidParameter" });
    em.state.setKeyState(key.id, "ENABLED");
    expect((await ociFailure(os.reencryptBucket({ namespaceName: ns, bucketName: "nope" }))).statusCode).toBe(404);
    expect((await ociFailure(os.reencryptBucket({ namespaceName: "otherns", bucketName: name }))).serviceCode).toBe("NamespaceNotFound");
    expect(em.state.workRequests.records.size).toBe(before);
  });

  it("FAILS the work request when the key is disabled while it runs, with the reason in ListWorkRequestErrors", async () => {
    const { name, key } = rotatedBucket(40);
    em.state.setWorkRequestRate(100);
    const id = (await os.reencryptBucket({ namespaceName: ns, bucketName: name })).opcWorkRequestId;
    await expect.poll(() => em.state.workRequests.records.get(id)?.processed ?? 0, { interval: 10 }).toBeGreaterThan(5);
    em.state.setKeyState(key.id, "DISABLED");
    const wr = await waitFinished(id);
    expect(wr.status).toBe("FAILED");
    expect(wr.percentComplete).toBeLessThan(100);
    expect(ms(wr.timeFinished)).toBeGreaterThan(0);
    const errors = (await os.listWorkRequestErrors({ workRequestId: id })).items;
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ code: "InvalidParameter", message: expect.stringMatching(/DISABLED/) });
    expect(ms(errors[0]?.timestamp)).toBeGreaterThan(0);
    const record = em.state.workRequests.records.get(id);
    const rewrapped = em.state.objectVersions(name).filter((v) => v.reencryptCount === 1).length;
    expect(rewrapped).toBe(record?.rewrapped);
    expect(rewrapped).toBeGreaterThan(0);
    expect(rewrapped).toBeLessThan(80);
    const logs = (await os.listWorkRequestLogs({ workRequestId: id })).items;
    expect(logs.length).toBeGreaterThanOrEqual(2);
  });

  it("lists work requests by compartment, pages them, and cancels a running one", async () => {
    const { name } = rotatedBucket(20);
    em.state.setWorkRequestRate(0);
    const id = (await os.reencryptBucket({ namespaceName: ns, bucketName: name })).opcWorkRequestId;
    await expect.poll(async () => (await os.getWorkRequest({ workRequestId: id })).workRequest.status).toBe("IN_PROGRESS");

    const compartmentId = em.state.bucket(name)?.compartmentId as string;
    const all = (await os.listWorkRequests({ compartmentId })).items;
    expect(all[0]).toMatchObject({ id, operationType: "REENCRYPT", status: "IN_PROGRESS", percentComplete: 0 });
    const page1 = await os.listWorkRequests({ compartmentId, limit: 2 });
    expect(page1.items).toHaveLength(2);
    expect(page1.opcNextPage).toBeTruthy();
    const page2 = await os.listWorkRequests({ compartmentId, limit: 2, page: page1.opcNextPage });
    expect(page2.items[0]?.id).not.toBe(page1.items[0]?.id);
    expect((await os.listWorkRequests({ compartmentId: "ocid1.compartment.oc1..none" })).items).toEqual([]);

    await os.cancelWorkRequest({ workRequestId: id });
    expect(em.requests.at(-1)).toMatchObject({ operation: "CancelWorkRequest", status: 202 });
    const canceled = (await os.getWorkRequest({ workRequestId: id })).workRequest;
    expect(canceled).toMatchObject({ status: "CANCELED" });
    expect(ms(canceled.timeFinished)).toBeGreaterThan(0);
    expect(em.state.objectVersions(name).every((v) => v.reencryptCount === 0)).toBe(true);
    expect((await ociFailure(os.cancelWorkRequest({ workRequestId: id }))).statusCode).toBe(409);
    expect((await ociFailure(os.getWorkRequest({ workRequestId: "ocid1.objectstorageworkrequest.oc1.iad.nope" }))).statusCode).toBe(404);
  });

  it("with isReencryptBucketKeyOnly re-wraps no object version (the emulator has no bucket keys)", async () => {
    const { name } = rotatedBucket(2);
    const id = (await os.reencryptBucket({ namespaceName: ns, bucketName: name, isReencryptBucketKeyOnly: true })).opcWorkRequestId;
    expect((await waitFinished(id)).status).toBe("COMPLETED");
    expect(em.state.objectVersions(name).every((v) => v.reencryptCount === 0)).toBe(true);
    await em.state.workRequests.idle();
  });
});
