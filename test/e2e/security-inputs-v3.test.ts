// Issue 16, items 1, 3, 5 and 10, each as the probe ran it through the real FDK socket: a source
// secret the caller was never given, globs that made the old regex backtrack for a minute, the
// state bucket named with its namespace in capitals, and a body of 150,000 unknown keys. Each
// attack fails with nothing changed in the emulator; the legitimate use beside it still works.

import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startEmulator, type Emulator, type Seed } from "../../src/local/emulator/index.js";
import { startLocalStack, type LocalStack } from "../../src/local/local-stack.js";
import { changes, changesSince, nonJsonLines } from "../helpers/fuzz-probes.js";
import { expectAllSigned, expectNoKeyMaterial, gateway, sha, wrapOf } from "./helpers.js";

const HYPHENS = `${"-".repeat(250)}000000`;
const S2_KEY = randomBytes(32).toString("base64");

const seed: Seed = {
  namespace: "acmens",
  vaults: [{ name: "v", keys: [{ name: "k1" }] }],
  secrets: [
    { name: "s1", randomSseCKey: true },
    { name: "s2", content: S2_KEY, encoding: "utf8" },
  ],
  buckets: [
    {
      name: "data",
      objects: [
        { name: "ssec.bin", sseCustomerKey: { secret: "s2" } },
        { name: "ssec-inline.bin", sseCustomerKey: { secret: "s2" } },
        { name: "s1.bin", sseCustomerKey: { secret: "s1" } },
        { prefix: "o/", count: 5 },
      ],
    },
    { name: "a-b-c-d-e-prod", objects: [{ prefix: "n/", count: 2 }] },
    { name: "reencrypt-state" },
  ],
};

type Answer = Awaited<ReturnType<LocalStack["invoke"]>>;

describe("security: inputs, round two (issue 16 items 1, 3, 5, 10)", () => {
  let em: Emulator;
  let stack: LocalStack;
  const responses: string[] = [];
  const secret = (n: string): string => em.seedIds.secrets[n] as string;

  const call = async (body: unknown, o: { direct?: boolean } = {}): Promise<Answer> => {
    const r = await stack.invoke(body, o.direct ? {} : { gateway });
    responses.push(r.body);
    expect(r.status).toBe(200);
    return r;
  };
  const refused = async (body: unknown, status: number, code: string, o: { direct?: boolean } = {}): Promise<Answer> => {
    const from = em.requests.length;
    const before = changes(em);
    const started = Date.now();
    const r = await call(body, o);
    expect(r.httpStatus, r.body.slice(0, 400)).toBe(status);
    expect(r.data.error.code).toBe(code);
    // A generous bound a loaded machine keeps: the regex took a minute here.
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(changesSince(em, from)).toEqual([]);
    expect(changes(em)).toBe(before);
    return r;
  };

  beforeAll(async () => {
    em = await startEmulator({ seed });
    stack = await startLocalStack({
      emulator: em,
      maxContainers: 1,
      config: {
        REENCRYPT_ALLOWED_KEYS: [em.seedIds.keys["k1"] as string, secret("s1")].join(","),
        REENCRYPT_ALLOWED_BUCKETS: "data,*-*-*-*-*-prod,ACMENS/reencrypt-*",
        REENCRYPT_RULES: JSON.stringify([{ bucket: "*-*-*-*-prod", kmsKeyId: em.seedIds.keys["k1"] }]),
        REENCRYPT_STATE_BUCKET: "reencrypt-state",
      },
    });
  });

  afterAll(async () => {
    expectAllSigned(em);
    expectNoKeyMaterial(stack, [S2_KEY, em.seedIds.sseCKeys["s1"] as string], responses);
    expect(nonJsonLines(stack.fn.stdout() + stack.fn.stderr())).toEqual([]);
    await stack.stop();
    await em.close();
  });

  describe("item 1: a source secret must be allowed like a target secret", () => {
    it("refuses sourceKey.secretId of a secret outside REENCRYPT_ALLOWED_KEYS (403 naming it and the setting), without reading it", async () => {
      for (const direct of [false, true]) {
        const from = em.requests.length;
        const r = await refused({ targets: [{ bucket: "data", object: "ssec.bin" }], sourceKey: { secretId: secret("s2") } }, 403, "KeyNotAllowed", { direct });
        expect(r.data.error.message).toContain(secret("s2"));
        expect(r.data.error.message).toContain("REENCRYPT_ALLOWED_KEYS");
        expect(em.requests.slice(from).map((q) => q.operation)).not.toContain("GetSecretBundle");
      }
      // The shorthand spells it sourceSseCustomerKey: the same check.
      await refused({ bucketName: "data", objectName: "ssec.bin", sourceSseCustomerKey: { secretId: secret("s2") } }, 403, "KeyNotAllowed");
      expect(wrapOf(em, "data", "ssec.bin")).toMatchObject({ reencryptCount: 0, wrapping: { kind: "sse-c", keySha256: sha(S2_KEY) } });
    });

    it("still re-encrypts with an allowed source secret, and with an inline source key the caller holds", async () => {
      const allowed = await call({ targets: [{ bucket: "data", object: "s1.bin" }], sourceKey: { secretId: secret("s1") } });
      expect(allowed.data).toMatchObject({ status: "succeeded", counts: { reencrypted: 1 } });
      expect(wrapOf(em, "data", "s1.bin")).toMatchObject({ reencryptCount: 1, wrapping: { kind: "oracle" } });
      const inline = await call({ targets: [{ bucket: "data", object: "ssec-inline.bin" }], sourceKey: { base64Key: S2_KEY } });
      expect(inline.data).toMatchObject({ status: "succeeded", counts: { reencrypted: 1 } });
      expect(wrapOf(em, "data", "ssec-inline.bin")).toMatchObject({ reencryptCount: 1, wrapping: { kind: "oracle" } });
    });
  });

  describe("item 3: globs cannot freeze the container", () => {
    it("refuses a bucket of 250 hyphens against *-*-*-*-*-prod at once, and a dry run sent meanwhile is answered", async () => {
      const attack = refused({ targets: [{ bucket: HYPHENS, object: "x" }] }, 403, "TargetNotAllowed");
      const dry = stack.invoke({ targets: [{ bucket: "data", prefix: "o/" }], dryRun: true }, { gateway });
      const [a, d] = await Promise.all([attack, dry]);
      expect(a.data.error.message).toContain("REENCRYPT_ALLOWED_BUCKETS");
      expect(d.data).toMatchObject({ status: "dry-run", counts: { matched: 5 } });
      // The a*a*a*a*b case: 256 × "a" matches neither glob.
      await refused({ targets: [{ bucket: "a".repeat(256), object: "x" }] }, 403, "TargetNotAllowed");
      // A bucket the glob does match is served (with the rule's key: the rule governs the whole bucket, contract §11).
      const ok = await call({ targets: [{ bucket: "a-b-c-d-e-prod", prefix: "n/" }], key: { type: "kms", kmsKeyId: em.seedIds.keys["k1"] }, dryRun: true });
      expect(ok.data).toMatchObject({ status: "dry-run", counts: { matched: 2 } });
    });

    it("skips a createobject event in that bucket (rule *-*-*-*-prod) at once, and acts on one the rule matches", async () => {
      const event = (bucket: string, object: string) => ({
        cloudEventsVersion: "0.1",
        eventID: randomBytes(8).toString("hex"),
        eventType: "com.oraclecloud.objectstorage.createobject",
        source: "objectstorage",
        eventTime: new Date().toISOString(),
        data: { resourceName: object, additionalDetails: { namespace: "acmens", bucketName: bucket } },
      });
      const from = em.requests.length;
      const started = Date.now();
      const skipped = await call(event(HYPHENS, "x"), { direct: true });
      expect(Date.now() - started).toBeLessThan(5_000);
      expect(skipped.data.status).toBe("skipped");
      expect(changesSince(em, from)).toEqual([]);
      const done = await call(event("a-b-c-d-e-prod", "n/000001"), { direct: true });
      expect(done.data).toMatchObject({ status: "succeeded", counts: { reencrypted: 1 } });
      expect(wrapOf(em, "a-b-c-d-e-prod", "n/000001")).toMatchObject({ reencryptCount: 1, wrapping: { kind: "kms", kmsKeyId: em.seedIds.keys["k1"] } });
    });
  });

  describe("item 5: namespaces compare without case", () => {
    it("refuses the state bucket named with its namespace in capitals, however it is named (403 TargetNotAllowed)", async () => {
      for (const body of [
        { targets: [{ bucket: "reencrypt-state", namespace: "ACMENS", object: "jobs/x.json" }] },
        { targets: [{ bucket: "reencrypt-state", namespace: "AcmeNS", prefix: "jobs/" }] },
        { targets: [{ resourceId: "/n/ACMENS/b/reencrypt-state/o/jobs/x.json" }] },
        { namespaceName: "ACMENS", bucketName: "reencrypt-state", objectName: "jobs/x.json" },
      ]) {
        const r = await refused(body, 403, "TargetNotAllowed");
        expect(r.data.error.message).toContain("state bucket");
      }
    });

    it("leaves an object event in the state bucket alone when its namespace comes in capitals", async () => {
      const from = em.requests.length;
      const r = await call(
        { cloudEventsVersion: "0.1", eventID: "e-state", eventType: "com.oraclecloud.objectstorage.createobject", source: "objectstorage", eventTime: new Date().toISOString(), data: { resourceName: "jobs/x.json", additionalDetails: { namespace: "ACMENS", bucketName: "reencrypt-state" } } },
        { direct: true },
      );
      expect(r.data.status).toBe("skipped");
      expect(r.data.message).toContain("state bucket");
      expect(changesSince(em, from)).toEqual([]);
    });

    it("processes one object named in two namespace spellings once", async () => {
      const r = await call({ targets: [{ bucket: "data", namespace: "acmens", object: "o/000001" }, { bucket: "data", namespace: "ACMENS", object: "o/000001" }] });
      expect(r.data).toMatchObject({ status: "succeeded", counts: { matched: 1, reencrypted: 1 } });
      expect(wrapOf(em, "data", "o/000001").reencryptCount).toBe(1);
    });
  });

  describe("item 10: cheap rejection", () => {
    it("answers a 1.6 MB body of 150,000 unknown keys with 20 issues and a count, calling nothing", async () => {
      const body: Record<string, unknown> = { targets: [{ bucket: "data", object: "o/000002" }] };
      for (let i = 0; i < 150_000; i++) body[`k${i}`] = 1;
      const text = JSON.stringify(body);
      expect(text.length).toBeGreaterThan(1_600_000);
      const r = await refused(text, 400, "InvalidPayload");
      expect(r.data.error.issues).toHaveLength(20);
      expect(r.data.error.issues[0]).toEqual({ path: "k0", message: "unknown field" });
      expect(r.data.error.moreIssues).toBe(149_980);
      expect(r.data.error.message).toContain("and 149999 more");
      // A typo still gets every problem named together.
      const typo = await refused({ targets: [{ bucket: "data", object: "o/000002" }], dryrun: true, key: { type: "kms" } }, 400, "InvalidPayload");
      expect(typo.data.error.issues.map((i: { path: string }) => i.path).sort()).toEqual(["dryrun", "key.kmsKeyId"].sort());
      expect(wrapOf(em, "data", "o/000002").reencryptCount).toBe(0);
    });
  });
});
