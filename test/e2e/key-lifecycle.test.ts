import { randomUUID } from "node:crypto";
import { describe, expect, it } from "vitest";
import type { Emulator, ObjectVersionView, Seed } from "../../src/local/emulator/index.js";
import { rotateSeedKey, worldPerTest } from "./world.js";

// Contract §12: a bucket's key changes and is followed; a key about to stop working is checked
// against what still depends on it; "may I delete key version V?" from the function's records.

const seed = (): Seed => ({
  namespace: "lcns",
  compartments: ["apps"],
  vaults: [{ name: "v", compartment: "apps", keys: [{ name: "K1" }, { name: "K2" }, { name: "K3" }, { name: "K4" }] }],
  buckets: [
    {
      name: "archive",
      compartment: "apps",
      kmsKey: "K1",
      versioning: "Enabled",
      objects: [
        { prefix: "a/", count: 40, versions: 2 },
        { prefix: "pii/", count: 10, kmsKey: "K3" },
      ],
    },
    { name: "spare", compartment: "apps", kmsKey: "K1", objects: [{ prefix: "s/", count: 20 }] },
    { name: "never", compartment: "apps", kmsKey: "K2", objects: [{ prefix: "n/", count: 5 }] },
    { name: "state", compartment: "apps" },
  ],
});

const live = (em: Emulator, bucket: string, prefix = ""): ObjectVersionView[] => em.state.objectVersions(bucket, prefix).filter((v) => !v.isDeleteMarker);
const onVersion = (em: Emulator, bucket: string, versionId: string, prefix = ""): boolean => live(em, bucket, prefix).every((v) => v.wrapping.kind === "kms" && v.wrapping.keyVersionId === versionId);

describe("key lifecycle (contract §12), end to end", () => {
  const world = worldPerTest(seed);
  const start = async (config: Record<string, string> = {}) => {
    let topic: { id: string } | undefined;
    const s = await world.start({
      configFor: (em) => {
        topic = em.notifications.createTopic({ compartmentId: em.seedIds.compartments["apps"] as string });
        return {
          REENCRYPT_STATE_BUCKET: "state",
          REENCRYPT_RULES: JSON.stringify([{ bucket: "archive", prefix: "pii/", kmsKeyId: em.seedIds.keys["K3"] }]),
          REENCRYPT_NOTIFY_TOPIC: topic.id,
        };
      },
      config,
    });
    return { s, em: s.emulator, k: s.emulator.seedIds.keys, topic: topic as { id: string } };
  };

  const bucketEvent = (em: Emulator, bucket: string, eventID = randomUUID()) => ({
    cloudEventsVersion: "0.1",
    eventType: "com.oraclecloud.objectstorage.updatebucket",
    eventTypeVersion: "2.0",
    source: "ObjectStorage",
    eventID,
    eventTime: new Date().toISOString(),
    contentType: "application/json",
    data: { compartmentId: em.seedIds.compartments["apps"], resourceName: bucket, resourceId: `/n/lcns/b/${bucket}`, additionalDetails: { bucketName: bucket, namespace: "lcns" } },
  });

  const keyEvent = (em: Emulator, type: string, resourceId: string, extra: Record<string, string> = {}) => ({
    cloudEventsVersion: "0.1",
    eventType: `com.oraclecloud.keymanagementservice.${type}`,
    source: "KeyManagementService",
    eventID: randomUUID(),
    data: { compartmentId: em.seedIds.compartments["apps"], resourceId, additionalDetails: { vaultId: em.seedIds.vaults["v"], ...extra } },
  });

  const currentOf = (em: Emulator, keyName: string): string => em.state.key(em.seedIds.keys[keyName] as string)?.currentKeyVersion as string;

  it("follows a bucket moved from K1 to K2 by its updatebucket event: every version on K2, the rule's K3 scope left alone; a second event and a redelivery start nothing more", async () => {
    const { s, em, k } = await start();
    const first = await s.invoke({ sweep: true });
    expect(first.data.keyChanges).toEqual([]);
    const pii = live(em, "archive", "pii/").map((v) => JSON.stringify(v.wrapping));
    em.state.updateBucket("archive", { kmsKeyId: k["K2"] as string });
    const event = bucketEvent(em, "archive");
    const r = await s.deliverEvent(event);
    expect(r.data.status).toBe("continuing");
    const job = (await s.invoke({ job: r.data.jobId })).data;
    expect(job).toMatchObject({ origin: "key-change", status: "succeeded", counts: { reencrypted: 80, failed: 0 } });
    expect(onVersion(em, "archive", currentOf(em, "K2"), "a/")).toBe(true);
    expect(live(em, "archive", "pii/").map((v) => JSON.stringify(v.wrapping))).toEqual(pii);
    expect(job.spec.leftAlone).toEqual([expect.objectContaining({ bucket: "archive", prefix: "pii/", governedBy: expect.objectContaining({ kmsKeyId: k["K3"] }) })]);
    // The same event delivered again, and another event with no change: nothing more.
    const again = await s.deliverEvent(event);
    expect(again.data.status).toBe("skipped");
    const other = await s.deliverEvent(bucketEvent(em, "archive"));
    expect(other.data.status).toBe("skipped");
    expect(live(em, "archive", "a/").every((v) => v.reencryptCount === 1)).toBe(true);
    expect((await s.invoke({ sweep: true })).data.keyChanges).toEqual([]);
  });

  it("runs one job when the same change is announced twice at once", async () => {
    const { s, em, k } = await start();
    await s.invoke({ sweep: true });
    em.state.updateBucket("spare", { kmsKeyId: k["K2"] as string });
    const [a, b] = await Promise.all([s.deliverEvent(bucketEvent(em, "spare")), s.deliverEvent(bucketEvent(em, "spare"))]);
    const jobs = new Set([a.data.jobId, b.data.jobId].filter((_, i) => [a, b][i]?.data.status === "continuing"));
    expect(jobs.size).toBeLessThanOrEqual(1);
    expect(onVersion(em, "spare", currentOf(em, "K2"))).toBe(true);
    expect(live(em, "spare").every((v) => v.reencryptCount === 1)).toBe(true);
  });

  it("finds a key change no event announced at the next sweep, and follows a move back to an Oracle-managed key", async () => {
    const { s, em, k } = await start();
    await s.invoke({ sweep: true });
    em.state.updateBucket("spare", { kmsKeyId: k["K2"] as string });
    const sweep = await s.invoke({ sweep: true });
    expect(sweep.data.keyChanges).toHaveLength(1);
    await s.emulator.functions.idle();
    expect((await s.invoke({ job: sweep.data.keyChanges[0] })).data.status).toBe("succeeded");
    expect(onVersion(em, "spare", currentOf(em, "K2"))).toBe(true);
    em.state.updateBucket("spare", { kmsKeyId: "" });
    const back = await s.deliverEvent(bucketEvent(em, "spare"));
    expect(back.data.status).toBe("continuing");
    expect((await s.invoke({ job: back.data.jobId })).data.status).toBe("succeeded");
    expect(live(em, "spare").every((v) => v.wrapping.kind === "oracle")).toBe(true);
  });

  it("follows a second change made while the first key-change job runs: everything ends on the newest key", async () => {
    const { s, em, k } = await start({ REENCRYPT_CONCURRENCY: "2" });
    await s.invoke({ sweep: true });
    em.faults.setBaseLatency(15);
    em.state.updateBucket("archive", { kmsKeyId: k["K2"] as string });
    const first = s.deliverEvent(bucketEvent(em, "archive"));
    // The second change lands while the first job is still listing and calling.
    const k2v = currentOf(em, "K2");
    for (let i = 0; i < 100 && !live(em, "archive", "a/").some((v) => v.wrapping.kind === "kms" && v.wrapping.keyVersionId === k2v); i++) await new Promise((r) => setTimeout(r, 50));
    // The first job has started and not finished: some versions on K2, not all.
    const onK2 = live(em, "archive", "a/").filter((v) => v.wrapping.kind === "kms" && v.wrapping.keyVersionId === k2v).length;
    expect(onK2).toBeGreaterThan(0);
    expect(onK2).toBeLessThan(80);
    em.state.updateBucket("archive", { kmsKeyId: k["K4"] as string });
    const second = await s.deliverEvent(bucketEvent(em, "archive"));
    const one = await first;
    expect(second.data.status).toBe("continuing");
    expect(second.data.jobId).not.toBe(one.data.jobId);
    await em.functions.idle();
    em.faults.setBaseLatency(0);
    for (const id of [one.data.jobId, second.data.jobId]) expect((await s.invoke({ job: id })).data.status).toBe("succeeded");
    expect(onVersion(em, "archive", currentOf(em, "K4"), "a/")).toBe(true);
  });

  it("answers hazards for a key a bucket and a rule still use, publishes them, and clear for a key nothing uses", async () => {
    const { s, em, k, topic } = await start();
    const hazard = await s.deliverEvent(keyEvent(em, "schedulekeydeletion.begin", k["K1"] as string));
    expect(hazard.httpStatus).toBe(200);
    expect(hazard.data.status).toBe("hazard");
    expect(hazard.data.hazards.map((h: { kind: string; bucket?: string }) => `${h.kind}:${h.bucket ?? ""}`).sort()).toEqual(["bucket-on-key:archive", "bucket-on-key:spare"]);
    expect(hazard.data.hazards[0].fix).toMatch(/assign it another key .* cancel the deletion/);
    const rule = await s.deliverEvent(keyEvent(em, "disablekey.begin", k["K3"] as string));
    expect(rule.data.hazards).toEqual([expect.objectContaining({ kind: "rule-names-key", rule: 0 })]);
    expect(em.notifications.messagesFor(topic.id)).toHaveLength(2);
    const clear = await s.deliverEvent(keyEvent(em, "disablekey.begin", k["K4"] as string));
    expect(clear.data).toMatchObject({ status: "clear", hazards: [] });
    expect(em.notifications.messagesFor(topic.id)).toHaveLength(2);
    // It never changes a key.
    expect(em.requests.filter((q) => /ScheduleKey|DisableKey|EnableKey|Cancel/.test(q.operation))).toEqual([]);
  });

  it("answers coverage: none known after a complete rotation, possible after one that left failures (naming the bucket), possible for a bucket never covered", async () => {
    const { s, em, k } = await start();
    await s.invoke({ sweep: true });
    const rotate = async (keyName: string) => {
      const r = await s.deliverEvent(rotateSeedKey(em, keyName).event);
      return (await s.invoke({ job: r.data.jobId })).data;
    };
    const k1v1 = currentOf(em, "K1");
    // K1 rotated, one object of spare fails: archive is covered completely, spare is not.
    em.faults.add({ operation: "ReencryptObject", when: (q) => q.objectName === "s/000003", status: 403, code: "NotAuthorizedOrNotFound" });
    expect((await rotate("K1")).status).toBe("partial");
    let cov = (await s.invoke({ coverage: { keyId: k["K1"] } })).data.coverage;
    expect(cov.builtFrom).toMatch(/this function's own records only/);
    const v1 = cov.versions.find((v: { id: string }) => v.id === k1v1);
    expect(v1.verdict).toBe("possible");
    expect(v1.scopes).toEqual([expect.objectContaining({ bucket: "spare", why: expect.stringMatching(/left failures/) })]);
    expect(cov.scopes.find((x: { bucket: string }) => x.bucket === "archive").covered).toMatchObject({ origin: "rotation", keyVersion: currentOf(em, "K1") });
    // After a complete rotation, neither older version can wrap anything the function knows of.
    em.faults.clear();
    expect((await rotate("K1")).status).toBe("succeeded");
    cov = (await s.invoke({ coverage: { keyId: k["K1"] } })).data.coverage;
    const older = cov.versions.filter((v: { current?: boolean }) => !v.current);
    expect(older).toHaveLength(2);
    expect(older.every((v: { verdict: string }) => v.verdict === "none known")).toBe(true);
    // K2: bucket "never" was never covered by any job.
    em.state.rotateKey(k["K2"] as string);
    const k2 = (await s.invoke({ coverage: { keyId: k["K2"] } })).data.coverage;
    const old = k2.versions.find((v: { current?: boolean }) => !v.current);
    expect(old.verdict).toBe("possible");
    expect(old.scopes).toEqual([expect.objectContaining({ bucket: "never", why: expect.stringMatching(/no job of this function has covered it/) })]);
  });

  it("answers a key version's scheduled deletion with the scopes that may still use it", async () => {
    const { s, em, k } = await start();
    await s.invoke({ sweep: true });
    const v1 = currentOf(em, "K2");
    em.state.rotateKey(k["K2"] as string);
    const r = await s.deliverEvent(keyEvent(em, "schedulekeyversiondeletion.begin", v1, { keyId: k["K2"] as string }));
    expect(r.data.status).toBe("hazard");
    expect(r.data.hazards).toEqual([expect.objectContaining({ kind: "version-possibly-in-use", bucket: "never", keyVersionId: v1 })]);
  });

  it("diagnose reports hazards now present, a key change no job follows yet, and an inventory older than two sweep periods", async () => {
    const { s, em, k } = await start();
    await s.invoke({ sweep: true });
    const item = async (id: string) => ((await s.invoke({ diagnose: true })).data.diagnose.checklist as { check: string; status: string; detail: string; fix?: string }[]).find((c) => c.check === id);
    expect(await item("inventory")).toMatchObject({ status: "ok" });
    em.state.updateBucket("spare", { kmsKeyId: k["K2"] as string });
    expect(await item("key-change.spare")).toMatchObject({ status: "warning", detail: expect.stringMatching(/moved from .* no key-change job has started yet/) });
    em.state.disableKey(k["K1"] as string);
    em.state.scheduleKeyDeletion(k["K3"] as string);
    const d = (await s.invoke({ diagnose: true })).data.diagnose;
    const byId = new Map((d.checklist as { check: string; status: string; detail: string; fix?: string }[]).map((c) => [c.check, c]));
    expect(byId.get("hazard.bucket.archive")).toMatchObject({ status: "problem", detail: expect.stringMatching(/uses key .* which is DISABLED/) });
    expect(byId.get("hazard.rule.0")).toMatchObject({ status: "problem", detail: expect.stringMatching(/names key .* which is PENDING_DELETION/), fix: expect.stringMatching(/point the rule at another key/) });
    expect(byId.get("hazard.bucket.never")).toBeUndefined();
    em.state.putObject("state", "inventory/last-pass.json", { content: JSON.stringify({ at: new Date(Date.now() - 3_600_000).toISOString(), buckets: 3 }) });
    expect(await item("inventory")).toMatchObject({ status: "warning", detail: expect.stringMatching(/more than two sweep periods ago/) });
  });
});
