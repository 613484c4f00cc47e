import { randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import { afterEach, describe, expect, it } from "vitest";
import { randomOcid, startEmulator, type Emulator, type Seed } from "../../src/local/emulator/index.js";
import { startLocalStack, type LocalStack } from "../../src/local/local-stack.js";
import { expectAllSigned, MUTATING } from "./helpers.js";

// `{"diagnose": true}` as a deployment checklist (issue 11): each finding a user would otherwise
// meet in production, provoked against the emulator, with the fix it names. Diagnose never writes.

const fixture = (name: string) => JSON.parse(readFileSync(new URL(`../fixtures/events/${name}.json`, import.meta.url), "utf8"));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const RETIREMENT_TYPES = ["disablekey", "schedulekeydeletion", "schedulekeyversiondeletion"].flatMap((t) => [`com.oraclecloud.keymanagementservice.${t}.begin`, `com.oraclecloud.keymanagementservice.${t}.end`]);
const ROTATION_TYPES = ["com.oraclecloud.keymanagementservice.createkeyversion.end", "com.oraclecloud.keymanagementservice.autokeyrotate.end"];

const seed = (o: { vaultCompartment?: string; objects?: number } = {}): Seed => ({
  namespace: "diagns",
  compartments: ["apps", "security"],
  vaults: [{ name: "v", compartment: o.vaultCompartment ?? "apps", keys: [{ name: "kA" }, { name: "kB" }, { name: "kOff", state: "DISABLED" }] }],
  secrets: [
    { name: "good", compartment: "apps", randomSseCKey: true },
    { name: "bad", compartment: "apps", content: "not a key" },
  ],
  buckets: [
    { name: "b1", compartment: "apps", kmsKey: "kA", objectEventsEnabled: true, versioning: "Enabled", objects: [{ prefix: "x/", count: o.objects ?? 20, versions: 2 }] },
    { name: "state", compartment: "apps" },
  ],
});

interface Started {
  stack: LocalStack;
  em: Emulator;
  id: (kind: "keys" | "secrets" | "compartments" | "vaults", name: string) => string;
}

interface Item {
  check: string;
  status: string;
  detail: string;
  fix?: string;
}

/** Writes that took effect (a refused conditional write changes nothing). */
const effectiveWrites = (em: Emulator) => em.requests.filter((r) => MUTATING.has(r.operation) && r.status >= 200 && r.status < 300).length;

describe("diagnose: the deployment checklist, against the emulator", () => {
  let current: Started | undefined;
  afterEach(async () => {
    if (current) expectAllSigned(current.em);
    await current?.stack.stop();
    await current?.em.close();
    current = undefined;
  });

  const start = async (config: (s: Omit<Started, "stack">) => Record<string, string>, o: { vaultCompartment?: string; objects?: number; timeoutSeconds?: number } = {}): Promise<Started> => {
    const em = await startEmulator({ seed: seed(o) });
    const id: Started["id"] = (kind, name) => {
      const v = em.seedIds[kind][name];
      if (!v) throw new Error(`no ${kind} ${name}`);
      return v;
    };
    const stack = await startLocalStack({
      emulator: em,
      compartmentId: id("compartments", "apps"),
      timeoutSeconds: o.timeoutSeconds ?? 300,
      config: { REENCRYPT_STATE_BUCKET: "state", REENCRYPT_CHECKPOINT_SECONDS: "1", ...config({ em, id }) },
    });
    current = { stack, em, id };
    return current;
  };

  /** What the Terraform module creates: createobject for the rules' buckets, rotation filtered by the keys in use. */
  const terraformRules = (s: Started, o: { rotationKeys: string[]; compartment?: string }) => {
    const compartmentId = o.compartment ?? s.id("compartments", "apps");
    s.em.state.createRule({
      compartmentId: s.id("compartments", "apps"),
      displayName: "reencrypt-object-created",
      isEnabled: true,
      condition: JSON.stringify({ eventType: ["com.oraclecloud.objectstorage.createobject"], data: { additionalDetails: { bucketName: ["b1"] } } }),
      actions: [{ actionType: "FAAS", functionId: s.stack.functionId, isEnabled: true }],
    });
    s.em.state.createRule({
      compartmentId,
      displayName: "reencrypt-key-rotated",
      isEnabled: true,
      condition: JSON.stringify({ eventType: ROTATION_TYPES, data: { resourceId: o.rotationKeys } }),
      actions: [{ actionType: "FAAS", functionId: s.stack.functionId, isEnabled: true }],
    });
    // Contract §12: bucket updates (with a state bucket) and the key retirement events, as terraform/events.tf makes them.
    s.em.state.createRule({
      compartmentId: s.id("compartments", "apps"),
      displayName: "reencrypt-bucket-updated",
      isEnabled: true,
      condition: JSON.stringify({ eventType: ["com.oraclecloud.objectstorage.updatebucket"] }),
      actions: [{ actionType: "FAAS", functionId: s.stack.functionId, isEnabled: true }],
    });
    s.em.state.createRule({
      compartmentId,
      displayName: "reencrypt-key-retirement",
      isEnabled: true,
      condition: JSON.stringify({ eventType: RETIREMENT_TYPES }),
      actions: [{ actionType: "FAAS", functionId: s.stack.functionId, isEnabled: true }],
    });
  };

  const diagnose = async (s: Started) => {
    const r = await s.stack.invoke({ diagnose: true });
    expect(r.httpStatus, r.body).toBe(200);
    const d = r.data.diagnose as { ok: boolean; problems: string[]; warnings: string[]; unconfirmed: string[]; checklist: Item[] };
    // Every problem line is a checklist item with a fix.
    for (const i of d.checklist.filter((x) => x.status === "problem")) expect(i.fix, i.check).toBeTruthy();
    expect(d.checklist.filter((x) => x.status === "problem")).toHaveLength(d.problems.length);
    return { ...d, item: (check: string) => d.checklist.find((x) => x.check === check) };
  };

  it("passes a deployment as the Terraform module makes it, writing nothing", async () => {
    const s = await start(({ id }) => ({
      REENCRYPT_RULES: JSON.stringify([{ bucket: "b1", prefix: "x/", kmsKeyId: id("keys", "kA") }]),
      REENCRYPT_ALLOWED_KEYS: `${id("keys", "kB")},${id("secrets", "good")}`,
    }));
    terraformRules(s, { rotationKeys: [s.id("keys", "kA"), s.id("keys", "kB")] });
    const bucketKey = (on: boolean) => ((s.em.state.bucket("b1") as { isBucketKeyEnabled?: boolean }).isBucketKeyEnabled = on);
    bucketKey(true);
    const stateBefore = s.em.state.objectVersions("state").length;
    const writesBefore = effectiveWrites(s.em);

    const d = await diagnose(s);
    expect(d.problems).toEqual([]);
    expect(d.warnings).toEqual([]);
    expect(d.ok).toBe(true);
    expect(d.item("state-bucket.exists")?.status).toBe("ok");
    expect(d.item("state-bucket.write")).toMatchObject({ status: "ok", detail: expect.stringContaining("412") });
    expect(d.item("state-bucket.read")?.status).toBe("ok");
    expect(d.item(`secret.${s.id("secrets", "good")}`)?.status).toBe("ok");
    expect(d.item(`key.${s.id("keys", "kA")}`)).toMatchObject({ status: "ok", detail: expect.stringContaining("ENABLED") });
    expect(d.item(`rotation-events.${s.id("keys", "kA")}`)?.status).toBe("ok");
    expect(d.item(`rotation-events.${s.id("keys", "kB")}`)?.status).toBe("ok");
    expect(d.item("bucket.b1")?.status).toBe("ok");
    // What only a real tenancy settles is said as such, never as a problem.
    expect(d.item("continuation")?.status).toBe("unconfirmed");
    expect(d.item("sweep-schedule")?.status).toBe("unconfirmed");
    expect(d.unconfirmed.join("\n")).toMatch(/authorises a PutObject before it evaluates If-Match is UNCONFIRMED/);
    expect(d.unconfirmed.join("\n")).toMatch(/use key-delegate/);

    // The write probe was refused by its precondition: nothing in the state bucket changed.
    expect(s.em.requests.filter((r) => r.operation === "PutObject").map((r) => r.status)).toEqual([412]);
    expect(effectiveWrites(s.em)).toBe(writesBefore);
    expect(s.em.state.objectVersions("state")).toHaveLength(stateBefore);
    expect(d.item("bucket-key")?.status).toBe("ok");

    // SSE-KMS Bucket Key off on a Vault-keyed bucket: a warning naming it, and that existing objects need one re-encryption.
    bucketKey(false);
    const off = await diagnose(s);
    expect(off.ok).toBe(true);
    expect(off.warnings).toEqual([expect.stringMatching(/^bucket b1 .*SSE-KMS Bucket Key off.*--is-bucket-key-enabled true; .*existing objects need one re-encryption/)]);
    expect(off.item("bucket-key.b1")?.status).toBe("warning");
  });

  it("reports a missing state bucket, with the fix", async () => {
    const s = await start(() => ({ REENCRYPT_STATE_BUCKET: "no-such-state" }));
    const d = await diagnose(s);
    expect(d.ok).toBe(false);
    expect(d.item("state-bucket.exists")).toMatchObject({
      status: "problem",
      detail: expect.stringMatching(/state bucket diagns\/no-such-state .* does not exist, or this function may not read it \(GetBucket: 404 BucketNotFound\)/),
      fix: expect.stringContaining("create_state_bucket = true"),
    });
    expect(d.problems.join("\n")).toMatch(/no-such-state/);
    expect(effectiveWrites(s.em)).toBe(0);
  });

  it("reports a state bucket this function may not write to, with the policy to add", async () => {
    const s = await start(() => ({}));
    s.em.faults.add({ operation: "PutObject", status: 404, code: "NotAuthorizedOrNotFound" });
    const d = await diagnose(s);
    expect(d.ok).toBe(false);
    expect(d.item("state-bucket.write")).toMatchObject({
      status: "problem",
      detail: expect.stringMatching(/may not write to state bucket diagns\/state .*404 NotAuthorizedOrNotFound/),
      fix: expect.stringMatching(/manage objects .*target\.bucket\.name = 'state'.*OBJECT_CREATE.*OBJECT_OVERWRITE/),
    });
  });

  it("reports allowed keys and secrets that cannot be used; a key it cannot find is 'could not confirm', not a problem", async () => {
    const ghostSecret = randomOcid("vaultsecret");
    const ghostKey = randomOcid("key");
    const s = await start(({ id }) => ({
      REENCRYPT_ALLOWED_KEYS: [id("secrets", "good"), id("secrets", "bad"), ghostSecret, id("keys", "kOff"), ghostKey].join(","),
    }));
    terraformRules(s, { rotationKeys: ["*"] });
    const d = await diagnose(s);
    expect(d.ok).toBe(false);
    expect(d.item(`secret.${s.id("secrets", "good")}`)?.status).toBe("ok");
    expect(d.item(`secret.${s.id("secrets", "bad")}`)).toMatchObject({ status: "problem", detail: expect.stringContaining("does not hold an SSE-C key") });
    expect(d.item(`secret.${ghostSecret}`)).toMatchObject({
      status: "problem",
      detail: expect.stringContaining("cannot be read (GetSecretBundle: 404 NotAuthorizedOrNotFound)"),
      fix: expect.stringContaining(`read secret-bundles in compartment id <vault c> where target.secret.id = '${ghostSecret}'`),
    });
    expect(d.item(`key.${s.id("keys", "kOff")}`)).toMatchObject({ status: "problem", detail: expect.stringContaining("is DISABLED"), fix: expect.stringContaining("enable the key") });
    expect(d.item(`key.${ghostKey}`)).toMatchObject({ status: "unconfirmed", detail: expect.stringContaining("could not find key") });
    expect(d.problems.join("\n")).not.toContain(ghostKey);
    // The key material read to check the secret appears nowhere.
    expect(JSON.stringify(d)).not.toMatch(/[A-Za-z0-9+/]{43}=/);
  });

  it("reports a rule's key whose rotation reaches no rule; an events-free deployment only gets warnings", async () => {
    const s = await start(({ id }) => ({
      REENCRYPT_RULES: JSON.stringify([{ bucket: "b1", kmsKeyId: id("keys", "kA") }]),
      REENCRYPT_ALLOWED_KEYS: id("keys", "kB"),
    }));
    // The rotation rule admits kB only (as when kA was added to the rules after the last apply).
    terraformRules(s, { rotationKeys: [s.id("keys", "kB")] });
    const d = await diagnose(s);
    expect(d.item(`rotation-events.${s.id("keys", "kA")}`)).toMatchObject({
      status: "problem",
      detail: expect.stringContaining("objects the rules put under it stay on the old key version"),
      fix: expect.stringContaining("rotation_rule_filter_by_key"),
    });
    expect(d.item(`rotation-events.${s.id("keys", "kB")}`)?.status).toBe("ok");

    // HTTP only: no rules, no keys, no event rules. Nothing is broken.
    await s.stack.stop();
    await s.em.close();
    current = undefined;
    const http = await start(() => ({}));
    const h = await diagnose(http);
    expect(h.problems).toEqual([]);
    expect(h.ok).toBe(true);
    expect(h.item("event-type.com.oraclecloud.objectstorage.createobject")?.status).toBe("skipped");
    for (const t of ROTATION_TYPES) expect(h.item(`event-type.${t}`)).toMatchObject({ status: "warning", fix: expect.stringContaining("kms_key_ids") });
  });

  it("looks for rotation rules in the keys' vault compartment, and says 'could not confirm' when it cannot see it", async () => {
    // Keys in "security", buckets and function in "apps"; REENCRYPT_COMPARTMENT_IDS names both.
    const s = await start(
      ({ id }) => ({
        REENCRYPT_RULES: JSON.stringify([{ bucket: "b1", kmsKeyId: id("keys", "kA") }]),
        REENCRYPT_COMPARTMENT_IDS: `${id("compartments", "apps")},${id("compartments", "security")}`,
      }),
      { vaultCompartment: "security" },
    );
    terraformRules(s, { rotationKeys: [s.id("keys", "kA")], compartment: s.id("compartments", "security") });
    const d = await diagnose(s);
    expect(d.problems).toEqual([]);
    expect(d.item(`rotation-events.${s.id("keys", "kA")}`)?.status).toBe("ok");

    // The same with the vault's compartment out of sight: no false problem.
    await s.stack.stop();
    await s.em.close();
    current = undefined;
    const blind = await start(({ id }) => ({ REENCRYPT_RULES: JSON.stringify([{ bucket: "b1", kmsKeyId: id("keys", "kA") }]) }), { vaultCompartment: "security" });
    terraformRules(blind, { rotationKeys: [blind.id("keys", "kA")], compartment: blind.id("compartments", "security") });
    const b = await diagnose(blind);
    expect(b.problems).toEqual([]);
    expect(b.item(`key.${blind.id("keys", "kA")}`)?.status).toBe("unconfirmed");
    expect(b.item(`rotation-events.${blind.id("keys", "kA")}`)?.status).toBe("unconfirmed");
    for (const t of ROTATION_TYPES) expect(b.item(`event-type.${t}`)?.status).toBe("unconfirmed");
  });

  it("answers with the policy to add when it may not list event rules or buckets, instead of failing", async () => {
    const s = await start(({ id }) => ({ REENCRYPT_RULES: JSON.stringify([{ bucket: "b*", kmsKeyId: id("keys", "kA") }]) }));
    s.em.faults.add({ operation: "ListRules", status: 404, code: "NotAuthorizedOrNotFound" });
    s.em.faults.add({ operation: "ListBuckets", status: 404, code: "NotAuthorizedOrNotFound" });
    const d = await diagnose(s);
    const apps = s.id("compartments", "apps");
    expect(d.item(`event-rules.${apps}`)).toMatchObject({ status: "problem", fix: expect.stringContaining("read cloudevents-rules") });
    expect(d.item(`buckets.${apps}`)).toMatchObject({ status: "problem", fix: expect.stringContaining("inspect buckets") });
  });

  it("reports a job whose shards could not start (continuation refused), and one no sweep resumed for half an hour", async () => {
    const s = await start(() => ({}), { objects: 300, timeoutSeconds: 3 });
    const keyId = s.id("keys", "kA");
    // InvokeFunction refused, as without `use fn-invocation`: the rotation's shards cannot start.
    s.em.faults.add({ operation: "InvokeFunction", status: 404, code: "NotAuthorizedOrNotFound" });
    const version = s.em.state.rotateKey(keyId);
    const e = fixture("createkeyversion-end");
    e.eventID = randomUUID();
    e.data.compartmentId = s.id("compartments", "apps");
    e.data.resourceId = keyId;
    e.data.additionalDetails = { keyId, vaultId: s.id("vaults", "v"), keyVersionId: version.id };
    const r = await s.stack.deliverEvent(e);
    const jobId = r.data.jobId as string;
    expect((await s.stack.invoke({ job: jobId })).data.status).toBe("stalled");
    s.em.faults.clear();

    const recent = await diagnose(s);
    expect(recent.item(`job.${jobId}`)).toMatchObject({
      status: "warning",
      detail: expect.stringMatching(/stalled .* could not start: InvokeFunction was refused or throttled/),
      fix: expect.stringContaining("use fn-invocation"),
    });
    expect(recent.item("sweep-schedule")?.status).toBe("unconfirmed");

    // Half an hour later, still stalled: no sweep came. (The record's clock is moved back.)
    const name = `jobs/${jobId}.json`;
    const stored = s.em.state.findVersion("state", name);
    const record = JSON.parse(String(stored?.content));
    record.updatedAt = new Date(Date.now() - 45 * 60_000).toISOString();
    s.em.state.putObject("state", name, { content: JSON.stringify(record) });
    await sleep(10);
    const late = await diagnose(s);
    expect(late.ok).toBe(false);
    expect(late.item(`job.${jobId}`)).toMatchObject({
      status: "problem",
      detail: expect.stringContaining("no sweep has resumed it"),
      fix: expect.stringMatching(/sweep schedule .*enable_sweep.*use fn-invocation.*\{"sweep": true\}/),
    });
    expect(late.item("sweep-schedule")).toBeUndefined();
  });
});
