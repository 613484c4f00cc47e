import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  CURRENT_KEY_VERSION,
  KEY_INCORRECT_STATE,
  KEY_NOT_USABLE,
  startEmulator,
  wrappingLabel,
  type Emulator,
  type Key,
  type Vault,
} from "../../src/local/emulator/index.js";
import { emulatorSdkClients, ociFailure, type EmulatorSdkClients } from "../helpers/emulator-sdk-clients.js";

const ns = "testns";
const DAY = 86_400_000;
let em: Emulator;
let sdk: EmulatorSdkClients;
let vault: Vault;
let mgmt: ReturnType<EmulatorSdkClients["kmsManagement"]>;

const newKey = (versions = 1): Key => {
  const key = em.state.createKey({ vaultId: vault.id });
  for (let i = 1; i < versions; i++) em.state.rotateKey(key.id);
  return key;
};
const state = (keyId: string): string | undefined => em.state.key(keyId)?.lifecycleState;

beforeAll(async () => {
  em = await startEmulator();
  vault = em.state.createVault({});
  sdk = await emulatorSdkClients(em);
  mgmt = sdk.kmsManagement((await sdk.kmsVault.getVault({ vaultId: vault.id })).vault.managementEndpoint);
});
afterAll(() => em.close());

describe("key lifecycle through KmsManagementClient", () => {
  it("disables and enables a key; the same action twice is 409 IncorrectState", async () => {
    const key = newKey();
    expect((await mgmt.disableKey({ keyId: key.id })).key.lifecycleState).toBe("DISABLED");
    expect(em.requests.at(-1)).toMatchObject({ operation: "DisableKey", path: `/kms/${vault.shortId}-management/20180608/keys/${key.id}/actions/disable` });
    expect(state(key.id)).toBe("DISABLED");
    expect(await ociFailure(mgmt.disableKey({ keyId: key.id }))).toMatchObject({ statusCode: KEY_INCORRECT_STATE.status, serviceCode: KEY_INCORRECT_STATE.code });
    expect((await mgmt.enableKey({ keyId: key.id })).key.lifecycleState).toBe("ENABLED");
    expect(await ociFailure(mgmt.enableKey({ keyId: key.id }))).toMatchObject({ serviceCode: KEY_INCORRECT_STATE.code });
    expect(state(key.id)).toBe("ENABLED");
  });

  it("schedules a key's deletion 7-30 days ahead (30 by default) and cancels it back to the state before", async () => {
    const key = newKey();
    em.state.disableKey(key.id);
    const at = new Date(Date.now() + 10 * DAY);
    const scheduled = (await mgmt.scheduleKeyDeletion({ keyId: key.id, scheduleKeyDeletionDetails: { timeOfDeletion: at } })).key;
    expect(scheduled.lifecycleState).toBe("PENDING_DELETION");
    expect(Date.parse(String(scheduled.timeOfDeletion))).toBe(at.getTime());
    expect((await mgmt.getKey({ keyId: key.id })).key).toMatchObject({ lifecycleState: "PENDING_DELETION", timeOfDeletion: at.toISOString() });

    const cancelled = (await mgmt.cancelKeyDeletion({ keyId: key.id })).key;
    expect(cancelled.lifecycleState).toBe("DISABLED");
    expect(em.state.key(key.id)?.timeOfDeletion).toBeUndefined();
    expect(await ociFailure(mgmt.cancelKeyDeletion({ keyId: key.id }))).toMatchObject({ serviceCode: KEY_INCORRECT_STATE.code });

    for (const days of [3, 31]) {
      const out = await ociFailure(mgmt.scheduleKeyDeletion({ keyId: key.id, scheduleKeyDeletionDetails: { timeOfDeletion: new Date(Date.now() + days * DAY) } }));
      expect(out).toMatchObject({ statusCode: 400, serviceCode: "InvalidParameter", message: expect.stringMatching(/7 and 30 days/) });
    }
    expect(state(key.id)).toBe("DISABLED");
    const byDefault = (await mgmt.scheduleKeyDeletion({ keyId: key.id, scheduleKeyDeletionDetails: {} })).key;
    expect(Math.abs(Date.parse(String(byDefault.timeOfDeletion)) - (Date.now() + 30 * DAY))).toBeLessThan(60_000);
  });

  it("schedules and cancels a key version's deletion, lists versions with their state, and refuses the current version", async () => {
    const key = newKey(3);
    const [v1, v2, v3] = key.versions.map((v) => v.id) as [string, string, string];
    const at = new Date(Date.now() + 8 * DAY);
    const kv = (await mgmt.scheduleKeyVersionDeletion({ keyId: key.id, keyVersionId: v1, scheduleKeyVersionDeletionDetails: { timeOfDeletion: at } })).keyVersion;
    expect(kv).toMatchObject({ id: v1, lifecycleState: "PENDING_DELETION" });
    expect(em.requests.at(-1)?.path).toBe(`/kms/${vault.shortId}-management/20180608/keys/${key.id}/keyVersions/${v1}/actions/scheduleDeletion`);

    const listed = (await mgmt.listKeyVersions({ keyId: key.id })).items;
    expect(listed.map((v) => [v.id, v.lifecycleState, v.timeOfDeletion === undefined ? undefined : Date.parse(String(v.timeOfDeletion))])).toEqual([
      [v3, "ENABLED", undefined],
      [v2, "ENABLED", undefined],
      [v1, "PENDING_DELETION", at.getTime()],
    ]);
    expect(listed.every((v) => Date.parse(String(v.timeCreated)) > 0)).toBe(true);
    expect((await mgmt.getKeyVersion({ keyId: key.id, keyVersionId: v1 })).keyVersion.lifecycleState).toBe("PENDING_DELETION");

    const current = await ociFailure(mgmt.scheduleKeyVersionDeletion({ keyId: key.id, keyVersionId: v3, scheduleKeyVersionDeletionDetails: {} }));
    expect(current).toMatchObject({ statusCode: CURRENT_KEY_VERSION.status, serviceCode: CURRENT_KEY_VERSION.code, message: expect.stringMatching(/current version/) });
    expect(em.state.key(key.id)?.versions[2]?.lifecycleState).toBe("ENABLED");

    expect((await mgmt.cancelKeyVersionDeletion({ keyId: key.id, keyVersionId: v1 })).keyVersion).toMatchObject({ lifecycleState: "ENABLED" });
    expect(em.state.key(key.id)?.versions[0]?.timeOfDeletion).toBeUndefined();
  });

  it("shows the transitional states for the delay a test sets, then the final one", async () => {
    const key = newKey();
    // Long enough that the next request still sees the transition on a loaded machine.
    em.state.setKeyTransitionDelay(1500);
    try {
      expect((await mgmt.disableKey({ keyId: key.id })).key.lifecycleState).toBe("DISABLING");
      expect((await mgmt.getKey({ keyId: key.id })).key.lifecycleState).toBe("DISABLING");
      expect((await ociFailure(mgmt.enableKey({ keyId: key.id }))).serviceCode).toBe(KEY_INCORRECT_STATE.code);
      await expect.poll(() => state(key.id), { timeout: 10_000, interval: 25 }).toBe("DISABLED");
      expect((await mgmt.scheduleKeyDeletion({ keyId: key.id, scheduleKeyDeletionDetails: {} })).key.lifecycleState).toBe("SCHEDULING_DELETION");
      await expect.poll(() => state(key.id), { timeout: 10_000, interval: 25 }).toBe("PENDING_DELETION");
      expect((await mgmt.cancelKeyDeletion({ keyId: key.id })).key.lifecycleState).toBe("CANCELLING_DELETION");
      await expect.poll(() => state(key.id), { timeout: 10_000, interval: 25 }).toBe("DISABLED");
    } finally {
      em.state.setKeyTransitionDelay(0);
    }
  });

  it("deletes a key and its versions when its timeOfDeletion comes (state helpers accept any time)", async () => {
    const key = newKey(2);
    em.state.scheduleKeyDeletion(key.id, { timeOfDeletion: new Date(Date.now() + 150) });
    expect(state(key.id)).toBe("PENDING_DELETION");
    await expect.poll(() => state(key.id), { timeout: 10_000, interval: 25 }).toBe("DELETED");
    expect(em.state.key(key.id)?.versions.map((v) => v.lifecycleState)).toEqual(["DELETED", "DELETED"]);

    const other = newKey(2);
    const old = other.versions[0]?.id as string;
    em.state.scheduleKeyVersionDeletion(other.id, old, { timeOfDeletion: new Date(Date.now() - 1) });
    expect(em.state.key(other.id)?.versions.map((v) => v.lifecycleState)).toEqual(["DELETED", "ENABLED"]);
    const cancelled = em.state.scheduleKeyDeletion(other.id, { timeOfDeletion: new Date(Date.now() + 150) });
    em.state.cancelKeyDeletion(cancelled.id);
    await sleep(300);
    expect(state(other.id)).toBe("ENABLED");
  });
});

describe("what Object Storage does with keys that are not ENABLED", () => {
  it("refuses writes and re-encryptions under a key that is not ENABLED, and ReencryptBucket of a bucket on one", async () => {
    const os = sdk.objectStorage;
    const good = newKey();
    const bad = newKey();
    em.state.createBucket({ name: "on-bad", kmsKeyId: bad.id });
    em.state.putObject("on-bad", "doc.txt", { content: "d" });
    em.state.createBucket({ name: "on-good", kmsKeyId: good.id });
    em.state.putObject("on-good", "doc.txt", { content: "d" });
    const refusal = { statusCode: KEY_NOT_USABLE.status, serviceCode: KEY_NOT_USABLE.code };

    for (const lifecycle of ["disable", "schedule"] as const) {
      if (lifecycle === "disable") em.state.disableKey(bad.id);
      else {
        em.state.enableKey(bad.id);
        em.state.scheduleKeyDeletion(bad.id);
      }
      const expected = lifecycle === "disable" ? /DISABLED/ : /PENDING_DELETION/;
      expect(await ociFailure(os.putObject({ namespaceName: ns, bucketName: "on-bad", objectName: "new.txt", putObjectBody: "n" }))).toMatchObject({
        ...refusal,
        message: expect.stringMatching(expected),
      });
      expect(await ociFailure(os.reencryptObject({ namespaceName: ns, bucketName: "on-good", objectName: "doc.txt", reencryptObjectDetails: { kmsKeyId: bad.id } }))).toMatchObject(
        refusal,
      );
      // The version is wrapped by the key: nothing can unwrap its data key to re-wrap it, nor read it.
      expect(await ociFailure(os.reencryptObject({ namespaceName: ns, bucketName: "on-bad", objectName: "doc.txt", reencryptObjectDetails: { kmsKeyId: good.id } }))).toMatchObject(
        refusal,
      );
      expect(await ociFailure(os.getObject({ namespaceName: ns, bucketName: "on-bad", objectName: "doc.txt" }))).toMatchObject(refusal);
      expect(await ociFailure(os.reencryptBucket({ namespaceName: ns, bucketName: "on-bad" }))).toMatchObject(refusal);
    }
    expect(em.state.findVersion("on-bad", "new.txt")).toBeUndefined();
    expect(wrappingLabel(em.state.findVersion("on-good", "doc.txt")?.wrapping ?? { kind: "oracle" })).toBe(`kms:${good.currentKeyVersion}`);
    expect(wrappingLabel(em.state.findVersion("on-bad", "doc.txt")?.wrapping ?? { kind: "oracle" })).toBe(`kms:${bad.currentKeyVersion}`);
    expect(em.state.objectVersions("on-bad").every((v) => v.reencryptCount === 0)).toBe(true);
  });

  it("refuses to re-encrypt a version wrapped by a key version pending deletion; ReencryptBucket leaves it and counts it", async () => {
    const os = sdk.objectStorage;
    const key = newKey();
    em.state.createBucket({ name: "old-versions", kmsKeyId: key.id });
    em.state.putObject("old-versions", "stale.txt");
    em.state.putObject("old-versions", "other.txt");
    const old = key.currentKeyVersion;
    em.state.rotateKey(key.id);
    em.state.scheduleKeyVersionDeletion(key.id, old);
    const out = await ociFailure(os.reencryptObject({ namespaceName: ns, bucketName: "old-versions", objectName: "stale.txt", reencryptObjectDetails: {} }));
    expect(out).toMatchObject({ statusCode: KEY_NOT_USABLE.status, serviceCode: KEY_NOT_USABLE.code, message: expect.stringMatching(/PENDING_DELETION/) });
    expect(em.state.findVersion("old-versions", "stale.txt")?.wrapping).toMatchObject({ keyVersionId: old });

    em.state.setWorkRequestRate(Infinity);
    const id = (await os.reencryptBucket({ namespaceName: ns, bucketName: "old-versions" })).opcWorkRequestId;
    await em.state.workRequests.idle();
    expect(em.state.workRequests.records.get(id)).toMatchObject({ status: "COMPLETED", rewrapped: 0, skipped: { keyUnusable: 2 } });

    em.state.cancelKeyVersionDeletion(key.id, old);
    await os.reencryptObject({ namespaceName: ns, bucketName: "old-versions", objectName: "stale.txt", reencryptObjectDetails: {} });
    expect(em.state.findVersion("old-versions", "stale.txt")?.wrapping).toMatchObject({ keyVersionId: em.state.key(key.id)?.currentKeyVersion });
  });
});
