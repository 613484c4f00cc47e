import { models } from "oci-objectstorage";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  RETENTION_RULE_ACTIVE,
  RETENTION_RULE_LOCKED,
  startEmulator,
  wrappingLabel,
  type Emulator,
  type Key,
} from "../../src/local/emulator/index.js";
import { emulatorSdkClients, ociFailure, type EmulatorSdkClients } from "../helpers/emulator-sdk-clients.js";

const ns = "testns";
const DAY = 86_400_000;
let em: Emulator;
let os: EmulatorSdkClients["objectStorage"];
let key: Key;

const days = (n: number): models.Duration => ({ timeAmount: n, timeUnit: models.Duration.TimeUnit.Days });
const label = (bucket: string, name: string): string => wrappingLabel(em.state.findVersion(bucket, name)?.wrapping ?? { kind: "oracle" });

beforeAll(async () => {
  em = await startEmulator();
  key = em.state.createKey({ vaultId: em.state.createVault({}).id });
  os = (await emulatorSdkClients(em)).objectStorage;
});
afterAll(() => em.close());

describe("retention rules: the API", () => {
  it("creates, lists (newest first), gets, updates and deletes rules at the SDK's paths", async () => {
    em.state.createBucket({ name: "crud" });
    const timed = (await os.createRetentionRule({ namespaceName: ns, bucketName: "crud", createRetentionRuleDetails: { displayName: "month", duration: days(30) } }))
      .retentionRule;
    expect(em.requests.at(-1)).toMatchObject({ operation: "CreateRetentionRule", method: "POST", path: "/n/testns/b/crud/retentionRules", status: 200 });
    const hold = (await os.createRetentionRule({ namespaceName: ns, bucketName: "crud", createRetentionRuleDetails: {} })).retentionRule;
    expect(timed).toMatchObject({ displayName: "month", duration: { timeAmount: 30, timeUnit: "DAYS" }, timeRuleLocked: null });
    // An indefinite rule: OCI sends "duration": null, which the SDK hands back as undefined.
    expect(hold.duration ?? null).toBeNull();
    expect(hold.displayName).toMatch(/^retention-rule-\d{8}-\d{4}$/);

    const listed = (await os.listRetentionRules({ namespaceName: ns, bucketName: "crud" })).retentionRuleCollection.items.map((r) => r.id);
    expect(listed).toEqual([hold.id, timed.id]);
    const got = await os.getRetentionRule({ namespaceName: ns, bucketName: "crud", retentionRuleId: timed.id });
    expect(got.retentionRule.id).toBe(timed.id);
    expect(got.etag).toBe(timed.etag);

    const longer = await os.updateRetentionRule({
      namespaceName: ns,
      bucketName: "crud",
      retentionRuleId: timed.id,
      ifMatch: timed.etag,
      updateRetentionRuleDetails: { duration: days(60) },
    });
    expect(longer.retentionRule).toMatchObject({ displayName: "month", duration: { timeAmount: 60 } });
    expect(longer.etag).not.toBe(timed.etag);

    const stale = await ociFailure(os.deleteRetentionRule({ namespaceName: ns, bucketName: "crud", retentionRuleId: timed.id, ifMatch: timed.etag }));
    expect(stale).toMatchObject({ statusCode: 412, serviceCode: "IfMatchFailed" });
    await os.deleteRetentionRule({ namespaceName: ns, bucketName: "crud", retentionRuleId: timed.id, ifMatch: longer.etag });
    expect(em.state.retentionRules.list("crud").map((r) => r.id)).toEqual([hold.id]);
    expect((await ociFailure(os.getRetentionRule({ namespaceName: ns, bucketName: "crud", retentionRuleId: timed.id }))).statusCode).toBe(404);
  });

  it("validates details as OCI does: a lock needs a duration and must be 14 days ahead", async () => {
    em.state.createBucket({ name: "strict" });
    const soon = new Date(Date.now() + DAY);
    const noDuration = await ociFailure(os.createRetentionRule({ namespaceName: ns, bucketName: "strict", createRetentionRuleDetails: { timeRuleLocked: new Date(Date.now() + 20 * DAY) } }));
    expect(noDuration).toMatchObject({ statusCode: 400, serviceCode: "InvalidRetentionRuleDetails", message: expect.stringMatching(/unless a duration is present/) });
    const tooSoon = await ociFailure(os.createRetentionRule({ namespaceName: ns, bucketName: "strict", createRetentionRuleDetails: { duration: days(1), timeRuleLocked: soon } }));
    expect(tooSoon).toMatchObject({ statusCode: 400, serviceCode: "InvalidRetentionRuleDetails", message: expect.stringMatching(/14 days/) });
    expect(em.state.retentionRules.list("strict")).toEqual([]);
    const locked = await os.createRetentionRule({
      namespaceName: ns,
      bucketName: "strict",
      createRetentionRuleDetails: { duration: days(1), timeRuleLocked: new Date(Date.now() + 15 * DAY) },
    });
    expect(Date.parse(String(locked.retentionRule.timeRuleLocked))).toBeGreaterThan(Date.now() + 14 * DAY);
  });

  it("refuses to delete a locked rule, and lets a locked rule only grow", async () => {
    em.state.createBucket({ name: "vault" });
    const rule = em.state.createRetentionRule("vault", { displayName: "sec17a4", duration: { timeAmount: 7, timeUnit: "DAYS" }, timeRuleLocked: new Date(Date.now() - DAY).toISOString() }, { validate: false });
    expect(await ociFailure(os.deleteRetentionRule({ namespaceName: ns, bucketName: "vault", retentionRuleId: rule.id }))).toMatchObject({
      statusCode: RETENTION_RULE_LOCKED.status,
      serviceCode: RETENTION_RULE_LOCKED.code,
    });
    const shorter = await ociFailure(os.updateRetentionRule({ namespaceName: ns, bucketName: "vault", retentionRuleId: rule.id, updateRetentionRuleDetails: { duration: days(1) } }));
    expect(shorter.serviceCode).toBe("InvalidRetentionRuleDetails");
    await os.updateRetentionRule({ namespaceName: ns, bucketName: "vault", retentionRuleId: rule.id, updateRetentionRuleDetails: { duration: days(10) } });
    expect(em.state.retentionRules.list("vault")).toMatchObject([{ id: rule.id, duration: { timeAmount: 10 } }]);
  });
});

describe("retention rules: what they protect", () => {
  it("refuses ReencryptObject and DeleteObject on a protected version, allows them once the rule no longer covers it", async () => {
    em.state.createBucket({ name: "kept", kmsKeyId: key.id });
    em.state.putObject("kept", "recent.txt", { content: "r" });
    em.state.putObject("kept", "old.txt", { content: "o" });
    em.state.setLastModified("kept", "old.txt", new Date(Date.now() - 40 * DAY));
    const rule = (await os.createRetentionRule({ namespaceName: ns, bucketName: "kept", createRetentionRuleDetails: { displayName: "month", duration: days(30) } }))
      .retentionRule;
    em.state.rotateKey(key.id);
    const before = label("kept", "recent.txt");

    const reencrypt = await ociFailure(os.reencryptObject({ namespaceName: ns, bucketName: "kept", objectName: "recent.txt", reencryptObjectDetails: {} }));
    expect(reencrypt).toMatchObject({ statusCode: RETENTION_RULE_ACTIVE.status, serviceCode: RETENTION_RULE_ACTIVE.code, message: expect.stringMatching(/'month'/) });
    expect(await ociFailure(os.deleteObject({ namespaceName: ns, bucketName: "kept", objectName: "recent.txt" }))).toMatchObject({
      serviceCode: RETENTION_RULE_ACTIVE.code,
    });
    const overwrite = await ociFailure(os.putObject({ namespaceName: ns, bucketName: "kept", objectName: "recent.txt", putObjectBody: "new" }));
    expect(overwrite.serviceCode).toBe(RETENTION_RULE_ACTIVE.code);
    expect(label("kept", "recent.txt")).toBe(before);
    expect(em.state.findVersion("kept", "recent.txt")?.content.toString()).toBe("r");
    expect(em.state.activeRetentionRule("kept", "recent.txt")?.id).toBe(rule.id);

    // Last modified 40 days ago: a 30-day rule no longer covers it.
    expect(em.state.activeRetentionRule("kept", "old.txt")).toBeUndefined();
    await os.reencryptObject({ namespaceName: ns, bucketName: "kept", objectName: "old.txt", reencryptObjectDetails: {} });
    expect(label("kept", "old.txt")).toBe(`kms:${em.state.key(key.id)?.currentKeyVersion}`);

    await os.deleteRetentionRule({ namespaceName: ns, bucketName: "kept", retentionRuleId: rule.id });
    await os.reencryptObject({ namespaceName: ns, bucketName: "kept", objectName: "recent.txt", reencryptObjectDetails: {} });
    expect(label("kept", "recent.txt")).toBe(`kms:${em.state.key(key.id)?.currentKeyVersion}`);
  });

  it("an indefinite rule protects every version however old; ReencryptBucket leaves protected versions and counts them", async () => {
    em.state.createBucket({ name: "legal", kmsKeyId: key.id });
    em.state.putObject("legal", "ancient.txt");
    em.state.setLastModified("legal", "ancient.txt", "2001-01-01T00:00:00Z");
    em.state.putObject("legal", "new.txt");
    em.state.createRetentionRule("legal", { displayName: "hold" });
    expect(em.state.activeRetentionRule("legal", "ancient.txt")?.displayName).toBe("hold");
    em.state.rotateKey(key.id);
    em.state.setWorkRequestRate(Infinity);
    const id = (await os.reencryptBucket({ namespaceName: ns, bucketName: "legal" })).opcWorkRequestId;
    await em.state.workRequests.idle();
    expect(em.state.workRequests.records.get(id)).toMatchObject({ status: "COMPLETED", rewrapped: 0, skipped: { retained: 2 } });
    expect(em.state.objectVersions("legal").every((v) => v.reencryptCount === 0)).toBe(true);
  });
});
