import { randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import { afterEach, describe, expect, it } from "vitest";
import { startEmulator, type Seed } from "../../src/local/emulator/index.js";
import { startLocalStack, type LocalStack } from "../../src/local/local-stack.js";
import { expectAllSigned, mutations } from "./helpers.js";

const fixture = (name: string) => JSON.parse(readFileSync(new URL(`../fixtures/events/${name}.json`, import.meta.url), "utf8"));

const seed = (perBucket = 10): Seed => ({
  namespace: "evns",
  compartments: ["apps"],
  vaults: [{ name: "v", compartment: "apps", keys: [{ name: "kA" }, { name: "kB" }] }],
  buckets: [
    { name: "b1", compartment: "apps", kmsKey: "kA", versioning: "Enabled", objects: [{ prefix: "x/", count: perBucket, versions: 2 }, { name: "del", deleted: true }] },
    { name: "b2", compartment: "apps", kmsKey: "kA", objects: [{ prefix: "y/", count: perBucket }] },
    { name: "b3", compartment: "apps", objects: [{ prefix: "sec/", count: 5 }, { prefix: "sec/deep/", count: 3 }, { prefix: "pub/", count: 5 }] },
    { name: "b4", compartment: "apps", kmsKey: "kB", objects: [{ prefix: "z/", count: 5 }] },
    { name: "uploads-1", compartment: "apps", objectEventsEnabled: true, objects: [{ name: "in/new file+1.csv" }] },
    { name: "state", compartment: "apps", kmsKey: "kA" },
  ],
});

const jobStatus = async (s: LocalStack, jobId: string) => {
  const r = await s.invoke({ job: jobId });
  expect(r.httpStatus).toBe(200);
  return r.data;
};

const objectEvent = (type: string, bucket: string, name: string, source = "objectstorage") => {
  const e = fixture("createobject");
  e.eventType = type;
  e.source = source;
  e.eventID = randomUUID();
  e.data.resourceName = name;
  e.data.resourceId = `/n/evns/b/${bucket}/o/${encodeURIComponent(name)}`;
  e.data.additionalDetails.namespace = "evns";
  e.data.additionalDetails.bucketName = bucket;
  return e;
};

describe("events, end to end", () => {
  let stack: LocalStack | undefined;
  afterEach(async () => {
    if (stack) expectAllSigned(stack.emulator);
    await stack?.stop();
    stack = undefined;
  });

  const start = async (o: { perBucket?: number; timeoutSeconds?: number; config?: Record<string, string> } = {}) => {
    // The function runs in the seed's "apps" compartment: the emulator comes first.
    const em = await startEmulator({ seed: seed(o.perBucket) });
    const ids = em.seedIds;
    const rules = JSON.stringify([
      { bucket: "b3", prefix: "sec/deep/", kmsKeyId: ids.keys["kB"] },
      { bucket: "b3", prefix: "sec/", kmsKeyId: ids.keys["kA"] },
      { bucket: "uploads-*", prefix: "in/", kmsKeyId: ids.keys["kB"] },
    ]);
    stack = await startLocalStack({
      emulator: em,
      compartmentId: ids.compartments["apps"] as string,
      timeoutSeconds: o.timeoutSeconds ?? 30,
      config: { REENCRYPT_RULES: rules, REENCRYPT_STATE_BUCKET: "state", ...o.config },
    });
    const close = stack.stop;
    stack.stop = async () => {
      await close();
      await em.close();
    };
    return stack;
  };

  const rotation = (s: LocalStack, o: { auto?: boolean; withVault?: boolean; fail?: boolean } = {}) => {
    const ids = s.emulator.seedIds;
    const keyId = ids.keys["kA"] as string;
    const version = s.emulator.state.rotateKey(keyId, { autoRotation: o.auto === true, fail: o.fail === true });
    const e = fixture("createkeyversion-end");
    e.eventID = randomUUID();
    if (o.auto) e.eventType = "com.oraclecloud.keymanagementservice.autokeyrotate.end";
    e.data.compartmentId = ids.compartments["apps"];
    e.data.resourceId = keyId;
    e.data.additionalDetails = { keyId, ...(o.withVault === false ? {} : { vaultId: ids.vaults["v"] }), ...(o.fail ? {} : { keyVersionId: version.id }) };
    return { event: e, keyId, versionId: s.emulator.state.key(keyId)?.currentKeyVersion as string };
  };

  it("applies the first matching rule to a created object (PascalCase source too), and skips the rest", async () => {
    const s = await start();
    const em = s.emulator;
    const r = await s.deliverEvent(objectEvent("com.oraclecloud.objectstorage.createobject", "uploads-1", "in/new file+1.csv", "ObjectStorage"));
    expect(r.data).toMatchObject({ status: "succeeded", counts: { reencrypted: 1 } });
    expect(em.state.objectVersions("uploads-1")[0]?.wrapping).toMatchObject({ kind: "kms", kmsKeyId: em.seedIds.keys["kB"] });
    const before = mutations(em);
    const miss = await s.deliverEvent(objectEvent("com.oraclecloud.objectstorage.createobject", "b4", "z/000001"));
    expect(miss.data.status).toBe("skipped");
    expect(miss.httpStatus).toBe(200);
    const stateObj = await s.deliverEvent(objectEvent("com.oraclecloud.objectstorage.createobject", "state", "in/x"));
    expect(stateObj.data.status).toBe("skipped");
    expect(mutations(em)).toBe(before);
  });

  it.each(["updateobject", "deleteobject", "createbucket"])("ignores %s, calling nothing", async (t) => {
    const s = await start();
    const r = await s.deliverEvent(objectEvent(`com.oraclecloud.objectstorage.${t}`, "uploads-1", "in/new file+1.csv"));
    expect(r.data.status).toBe("ignored");
    expect(r.httpStatus).toBe(200);
    expect(s.emulator.requests).toHaveLength(0);
  });

  it("answers malformed events with 400 and stays up", async () => {
    const s = await start();
    const bad = await s.deliverEvent({ cloudEventsVersion: "0.1", eventType: "com.oraclecloud.objectstorage.createobject", data: { resourceName: "x" } });
    expect(bad.httpStatus).toBe(400);
    expect(bad.data.error.issues[0].path).toMatch(/additionalDetails/);
    const badKey = await s.deliverEvent({ cloudEventsVersion: "0.1", eventType: "com.oraclecloud.keymanagementservice.createkeyversion.end", data: { resourceId: "not-an-ocid" } });
    expect(badKey.httpStatus).toBe(400);
    const ok = await s.deliverEvent(objectEvent("com.oraclecloud.objectstorage.deleteobject", "b1", "x"));
    expect(ok.data.status).toBe("ignored");
  });

  it.each([true, false])("re-encrypts every version on a manual rotation (vault id in payload: %s), touching nothing else", async (withVault) => {
    const s = await start();
    const em = s.emulator;
    const { event, keyId, versionId } = rotation(s, { withVault });
    const untouched = ["b4", "state"].flatMap((b) => em.state.objectVersions(b));
    const r = await s.deliverEvent(event);
    // With a state bucket the rotation runs as shards (one per unit) in detached invocations.
    expect(r.httpStatus).toBe(202);
    expect(r.data.status).toBe("continuing");
    const job = await jobStatus(s, r.data.jobId);
    expect(job).toMatchObject({ status: "succeeded", origin: "rotation", counts: { reencrypted: 21 + 10 + 5, failed: 0, skipped: 1 }, shards: { total: 3, done: 3 } });
    const onNew = (b: string, p = "") => em.state.objectVersions(b, p).filter((v) => !v.isDeleteMarker);
    for (const v of [...onNew("b1"), ...onNew("b2"), ...onNew("b3", "sec/").filter((x) => !x.name.startsWith("sec/deep/"))]) {
      expect(v.wrapping).toEqual({ kind: "kms", kmsKeyId: keyId, keyVersionId: versionId });
      expect(v.reencryptCount).toBe(1);
    }
    // sec/deep/ belongs to an earlier rule (kB): first match wins.
    expect(onNew("b3", "sec/deep/").every((v) => v.reencryptCount === 0)).toBe(true);
    expect(onNew("b3", "pub/").every((v) => v.reencryptCount === 0)).toBe(true);
    expect([...onNew("b4"), ...untouched].every((v) => v.reencryptCount === 0)).toBe(true);
    expect(job.summary).toBe(`/n/evns/b/state/o/reports/${r.data.jobId}.summary.json`);
    const summary = JSON.parse(em.state.findVersion("state", `reports/${r.data.jobId}.summary.json`)?.content.toString("utf8") ?? "{}");
    expect(summary).toMatchObject({ status: "succeeded", counts: { reencrypted: 36 } });
    const lines = summary.parts.flatMap((p: string) => (em.state.findVersion("state", p.replace(/^\/n\/evns\/b\/state\/o\//, ""))?.content.toString("utf8") ?? "").trim().split("\n"));
    expect(lines.filter((l: string) => JSON.parse(l).outcome === "reencrypted")).toHaveLength(36);
  });

  it("does nothing for a failed automatic rotation", async () => {
    const s = await start();
    const { event } = rotation(s, { auto: true, fail: true });
    const r = await s.deliverEvent(event);
    expect(r.data.status).toBe("skipped");
    expect(r.data.message).toMatch(/FAILED/);
    expect(s.emulator.requests.filter((q) => q.operation === "ReencryptObject")).toHaveLength(0);
  });

  it("runs the same rotation once when it is announced twice (manual, then automatic)", async () => {
    const s = await start();
    const { event } = rotation(s);
    const first = await s.deliverEvent(event);
    expect(first.data.status).toBe("continuing");
    expect((await jobStatus(s, first.data.jobId)).status).toBe("succeeded");
    const again = { ...event, eventID: randomUUID(), eventType: "com.oraclecloud.keymanagementservice.autokeyrotate.end" };
    const second = await s.deliverEvent(again);
    expect(second.data.status).toBe("skipped");
    expect(second.data.jobId).toBe(first.data.jobId);
    expect(second.data.message).toMatch(/has ended: succeeded/);
    expect(s.emulator.state.objectVersions("b2").every((v) => v.reencryptCount === 1)).toBe(true);
  });

  it("finishes a rotation over ~5,000 versions through self-continuations, each version once", async () => {
    const s = await start({ perBucket: 1650, timeoutSeconds: 3 });
    const em = s.emulator;
    em.faults.setBaseLatency(1);
    const { event, versionId } = rotation(s);
    // The first continuation fails to start once: it is retried.
    const flaky = em.faults.add({ operation: "InvokeFunction", status: 500, code: "InternalServerError", times: 1 });
    const r = await s.deliverEvent(event);
    expect(r.httpStatus).toBe(202);
    expect(r.data.status).toBe("continuing");
    expect(r.data.resume).toBeUndefined();
    expect(flaky.hits).toBe(1);
    const outcomes = em.functions.detached;
    // Three shards, the big ones continued in further invocations.
    expect(outcomes.length).toBeGreaterThanOrEqual(5);
    const job = await jobStatus(s, r.data.jobId);
    expect(job.status).toBe("succeeded");
    expect(job.counts.reencrypted).toBe(3301 + 1650 + 5);
    expect(job.invocations).toBe(outcomes.length);
    const all = [...em.state.objectVersions("b1"), ...em.state.objectVersions("b2")].filter((v) => !v.isDeleteMarker);
    expect(all).toHaveLength(4951);
    expect(all.filter((v) => v.wrapping.kind !== "kms" || v.wrapping.keyVersionId !== versionId)).toEqual([]);
    const twice = all.filter((v) => v.reencryptCount > 1).length;
    expect(twice).toBeLessThanOrEqual(16 * outcomes.length);
  });

  it("keeps the job when no shard can start, and the next sweep resumes it to the end", async () => {
    const s = await start({ perBucket: 400, timeoutSeconds: 5, config: { REENCRYPT_CHECKPOINT_SECONDS: "1" } });
    const em = s.emulator;
    em.faults.setBaseLatency(2);
    em.faults.add({ operation: "InvokeFunction", status: 500, code: "InternalServerError" });
    const { event, versionId } = rotation(s);
    const r = await s.deliverEvent(event);
    expect(r.httpStatus).toBe(202);
    expect(r.data.status).toBe("incomplete");
    expect(r.data.message).toMatch(/next sweep resumes it/);
    expect(em.requests.filter((q) => q.operation === "InvokeFunction").length).toBeGreaterThan(1);
    expect((await jobStatus(s, r.data.jobId)).status).toBe("stalled");
    em.faults.clear();
    em.faults.setBaseLatency(0);
    const sweep = await s.invoke({ sweep: true });
    expect(sweep.data).toMatchObject({ resumed: [r.data.jobId] });
    await em.functions.idle();
    expect((await jobStatus(s, r.data.jobId)).status).toBe("succeeded");
    const all = [...em.state.objectVersions("b1"), ...em.state.objectVersions("b2")].filter((v) => !v.isDeleteMarker);
    expect(all.filter((v) => v.wrapping.kind !== "kms" || v.wrapping.keyVersionId !== versionId)).toEqual([]);
  });

  it("diagnoses a disabled rule, a missing event type and a bucket that emits no object events", async () => {
    const s = await start();
    const em = s.emulator;
    const apps = em.seedIds.compartments["apps"] as string;
    em.state.createRule({
      compartmentId: apps,
      displayName: "on-create",
      isEnabled: false,
      condition: JSON.stringify({ eventType: ["com.oraclecloud.objectstorage.createobject"], data: { additionalDetails: { bucketName: ["b3", "uploads-1"] } } }),
      actions: [{ actionType: "FAAS", functionId: s.functionId, isEnabled: true }],
    });
    em.state.createRule({
      compartmentId: apps,
      displayName: "on-rotate",
      isEnabled: true,
      condition: JSON.stringify({ eventType: ["com.oraclecloud.keymanagementservice.createkeyversion.end"] }),
      actions: [{ actionType: "FAAS", functionId: s.functionId, isEnabled: true }],
    });
    const before = mutations(em);
    const r = await s.invoke({ diagnose: true });
    expect(r.httpStatus).toBe(200);
    const d = r.data.diagnose;
    expect(d.ok).toBe(false);
    expect(d.problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/on-create.*disabled/),
        expect.stringMatching(/autokeyrotate\.end/),
        expect.stringMatching(/bucket b3 does not emit object events/),
      ]),
    );
    expect(d.problems.join("\n")).not.toMatch(/uploads-1 does not emit/);
    expect(mutations(em)).toBe(before);
  });
});
