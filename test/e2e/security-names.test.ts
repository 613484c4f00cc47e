// Issue 7, items 4, 5 and 9: what a request may name. The state bucket is never a target; names
// are checked as OCI would before anything is called; dot segments reach OCI as the object's own
// name; duplicate targets are done once.

import { randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startEmulator, type Emulator, type Seed } from "../../src/local/emulator/index.js";
import { startLocalStack, type LocalStack } from "../../src/local/local-stack.js";
import { changes, changesSince, nonJsonLines } from "../helpers/fuzz-probes.js";
import { expectAllSigned, gateway } from "./helpers.js";

const fixture = (name: string) => JSON.parse(readFileSync(new URL(`../fixtures/events/${name}.json`, import.meta.url), "utf8"));

const DOTS = [".", "..", "a/../b", "../reencrypt", "./x", "a/./b", "..%2F", "a/.."];
const DECOYS = ["b", "x", "a/b", "a", "reencrypt"];

const seed: Seed = {
  namespace: "namns",
  vaults: [{ name: "v", keys: [{ name: "k" }] }],
  buckets: [
    { name: "state", objects: [{ name: "jobs/x.json" }, { prefix: "p/", count: 1200 }] },
    { name: "old-state" },
    { name: "data", objects: [{ prefix: "d/", count: 5 }] },
    { name: "dots", kmsKey: "k", versioning: "Enabled", objects: [...DOTS, ...DECOYS].map((name) => ({ name, versions: 2 })) },
    { name: "allowed-1", objectEventsEnabled: true, objects: [{ name: "in/x" }] },
    { name: "other", objects: [{ name: "in/x" }] },
    { name: "dup", objects: [{ prefix: "o/", count: 20 }] },
    { name: "dup2", versioning: "Enabled", objects: [{ prefix: "a/", count: 5, versions: 2 }, { prefix: "a/b/", count: 5, versions: 2 }, { prefix: "c/", count: 3 }] },
  ],
};

type Answer = Awaited<ReturnType<LocalStack["invoke"]>>;

describe("security: what a request may name (issue 7 items 4, 5 and 9)", () => {
  let em: Emulator;
  let stack: LocalStack;
  const responses: string[] = [];

  beforeAll(async () => {
    em = await startEmulator({ seed });
    const rules = JSON.stringify([{ bucket: "allowed-*", prefix: "", kmsKeyId: em.seedIds.keys["k"] }]);
    stack = await startLocalStack({
      emulator: em,
      config: {
        REENCRYPT_STATE_BUCKET: "state",
        // The state bucket is listed on purpose: it is never a target, whatever this says.
        REENCRYPT_ALLOWED_BUCKETS: "allowed-*,data,dots,dup,dup2,state,namns/state,*/state",
        REENCRYPT_RULES: rules,
      },
    });
  });

  afterAll(async () => {
    expectAllSigned(em);
    expect(nonJsonLines(stack.fn.stdout() + stack.fn.stderr())).toEqual([]);
    await stack.stop();
    await em.close();
  });

  const call = async (s: LocalStack, body: unknown, direct = false): Promise<Answer> => {
    const r = await s.invoke(body, direct ? {} : { gateway });
    responses.push(r.body);
    expect(r.status).toBe(200);
    return r;
  };

  /** Refused at once with `status`/`code`; no state-changing call, and with `silent` no call at all. */
  const refused = async (body: unknown, status: number, code: string, o: { direct?: boolean; silent?: boolean } = {}): Promise<Answer> => {
    const from = em.requests.length;
    const before = changes(em);
    const started = Date.now();
    const r = await call(stack, body, o.direct);
    expect(r.httpStatus, r.body.slice(0, 400)).toBe(status);
    expect(r.data.error.code).toBe(code);
    // At once: no retries (the SDK would have spent ~6 s on a name it cannot encode).
    expect(Date.now() - started, "answered at once, without retries").toBeLessThan(3_000);
    expect(changesSince(em, from)).toEqual([]);
    expect(changes(em)).toBe(before);
    if (o.silent) expect(em.requests.slice(from).map((q) => q.operation)).toEqual([]);
    return r;
  };

  const untouched = (bucket: string) => em.state.objectVersions(bucket).filter((v) => v.reencryptCount > 0).map((v) => v.name);

  describe("item 4: the state bucket is never a target", () => {
    it.each([false, true])("refuses it directly, by prefix, by object, by resourceId, in a dry run and among other targets (direct: %s)", async (direct) => {
      const bodies = [
        { targets: [{ bucket: "state" }] },
        { targets: [{ bucket: "state", allVersions: true }], dryRun: true },
        { targets: [{ bucket: "state", prefix: "jobs/" }] },
        { targets: [{ bucket: "state", prefix: "" }], dryRun: true },
        { targets: [{ bucket: "state", object: "jobs/x.json" }] },
        { targets: [{ bucket: "state", object: "jobs/x.json", namespace: "namns" }] },
        { targets: [{ resourceId: "/n/namns/b/state/o/jobs%2Fx.json" }] },
        { targets: [{ resourceId: "/n/namns/b/%73tate/o/jobs/x.json" }], dryRun: true },
        { targets: [{ bucket: "state" }], method: "bucket" },
        { bucketName: "state", objectName: "jobs/x.json" },
        { namespaceName: "namns", bucketName: "state", objectName: "jobs/x.json", dryRun: true },
        { targets: [...Array.from({ length: 999 }, (_, i) => ({ bucket: "data", object: `d/${String(i % 5).padStart(6, "0")}` })), { bucket: "state", prefix: "p/" }] },
      ];
      for (const body of bodies) {
        const r = await refused(body, 403, "TargetNotAllowed", { direct });
        expect(r.data.error.message).toMatch(/state bucket/);
      }
      expect(untouched("state")).toEqual([]);
      expect(untouched("data")).toEqual([]);
    });

    it("refuses it in a resume token, whatever the job was allowed when it started", async () => {
      // The same function earlier kept its jobs in old-state; a waiting job targets today's state bucket.
      const prior = await startLocalStack({ emulator: em, config: { REENCRYPT_STATE_BUCKET: "old-state", REENCRYPT_CONCURRENCY: "2" } });
      let token: string;
      let jobId: string;
      try {
        const cut = await prior.invoke({ targets: [{ bucket: "state", prefix: "p/" }] }, { gateway, deadline: new Date(Date.now() + 1_500) });
        expect(cut.data.status).toBe("incomplete");
        token = cut.data.resume;
        jobId = cut.data.jobId;
      } finally {
        await prior.stop();
      }
      // The operator moves REENCRYPT_STATE_BUCKET to "state" and copies the job records over.
      const record = em.state.findVersion("old-state", `jobs/${jobId}.json`);
      expect(record).toBeDefined();
      em.state.putObject("state", `jobs/${jobId}.json`, { content: record?.content, contentType: "application/json" });
      const counts = () => em.state.objectVersions("state").map((v) => v.reencryptCount);
      const before = counts();
      for (const direct of [false, true]) {
        const r = await refused({ resume: token }, 403, "TargetNotAllowed", { direct });
        expect(r.data.error.message).toMatch(/state bucket/);
      }
      expect(counts()).toEqual(before);
    });

    it("still serves other buckets, and a bucket of the same name in another namespace is not the state bucket", async () => {
      const ok = await call(stack, { targets: [{ bucket: "data" }] });
      expect(ok.data).toMatchObject({ status: "succeeded", counts: { reencrypted: 5 } });
      const elsewhere = await call(stack, { targets: [{ bucket: "state", namespace: "otherns" }] });
      expect(elsewhere.data.error).toBeUndefined();
      expect(elsewhere.data.status).toBe("failed");
    });
  });

  describe("item 5: names", () => {
    it.each([false, true])("answers a lone surrogate in object, prefix or versionId 400 naming the field at once (direct: %s)", async (direct) => {
      const cases: Array<[unknown, string]> = [
        [{ targets: [{ bucket: "data", object: "d/\ud800" }] }, "targets.0.object"],
        [{ targets: [{ bucket: "data", object: "\udfffd/000001" }] }, "targets.0.object"],
        [{ targets: [{ bucket: "data" }, { bucket: "data", prefix: "d/\udc00" }] }, "targets.1.prefix"],
        [{ targets: [{ bucket: "data", object: "d/000001", versionId: "v\ud83d" }] }, "targets.0.versionId"],
        [{ targets: [{ resourceId: "/n/namns/b/data/o/d%2F%ED%A0%80" }] }, "targets.0.resourceId"],
        [{ targets: [{ resourceId: "/n/namns/b/data/o/d%2F000001", versionId: "\ud800" }] }, "targets.0.versionId"],
        [{ bucketName: "data", objectName: "d/\ud800" }, "objectName"],
        [{ bucketName: "data", name: "\ud800" }, "name"],
        [{ bucketName: "data", objectName: "d/000001", versionId: "\udbff" }, "versionId"],
      ];
      for (const [body, path] of cases) {
        const r = await refused(body, 400, "InvalidPayload", { direct, silent: true });
        expect(r.data.error.issues.map((i: { path: string }) => i.path)).toContain(path);
      }
    });

    it("answers names over 1024 bytes of UTF-8 400 naming the field, and takes 1024", async () => {
      const cases: Array<[unknown, string]> = [
        [{ targets: [{ bucket: "data", object: "é".repeat(513) }] }, "targets.0.object"],
        [{ targets: [{ bucket: "data", object: "😀".repeat(257) }] }, "targets.0.object"],
        [{ targets: [{ bucket: "data", prefix: "p".repeat(1025) }] }, "targets.0.prefix"],
        [{ targets: [{ bucket: "data", object: "d/000001", versionId: "v".repeat(1025) }] }, "targets.0.versionId"],
        [{ targets: [{ resourceId: `/n/namns/b/data/o/${"%C3%A9".repeat(513)}` }] }, "targets.0.resourceId"],
        [{ bucketName: "data", objectName: "a".repeat(1025) }, "objectName"],
      ];
      for (const [body, path] of cases) {
        const r = await refused(body, 400, "InvalidPayload", { silent: true });
        expect(r.data.error.issues.map((i: { path: string }) => i.path)).toContain(path);
      }
      const longest = await call(stack, { targets: [{ bucket: "data", object: "a".repeat(1024) }, { bucket: "data", object: "é".repeat(512) }] });
      expect(longest.httpStatus).toBe(404);
      expect(longest.data.failures.map((f: { code: string }) => f.code)).toEqual(["ObjectNotFound", "ObjectNotFound"]);
    });

    it("ignores events naming invalid buckets, namespaces, objects or versions, calling nothing", async () => {
      const event = (bucket: string, name: string, o: { namespace?: string; versionId?: string } = {}) => {
        const e = fixture("createobject");
        e.eventID = randomUUID();
        e.data.resourceName = name;
        e.data.resourceId = `/n/${o.namespace ?? "namns"}/b/${bucket}/o/${name.isWellFormed() ? encodeURIComponent(name) : name}`;
        e.data.additionalDetails.namespace = o.namespace ?? "namns";
        e.data.additionalDetails.bucketName = bucket;
        if (o.versionId !== undefined) e.data.additionalDetails.versionId = o.versionId;
        return e;
      };
      for (const e of [
        event("allowed-1/../../other", "in/x"),
        event("allowed-1/../other", "in/x"),
        event("allowed-1%2F..%2Fother", "in/x"),
        event("allowed-1 ", "in/x"),
        event("allowed-1", "in/x", { namespace: "namns/../other" }),
        event("allowed-1", "in/\ud800"),
        event("allowed-1", "i".repeat(1025)),
        event("allowed-1", "in/x", { versionId: "\udfff" }),
      ]) {
        const from = em.requests.length;
        const r = await stack.deliverEvent(e);
        expect(r.httpStatus).toBe(200);
        expect(r.data.status, JSON.stringify(e.data.additionalDetails)).toBe("ignored");
        expect(em.requests.slice(from).map((q) => q.operation)).toEqual([]);
      }
      expect(untouched("other")).toEqual([]);
      expect(untouched("allowed-1")).toEqual([]);
      const legit = await stack.deliverEvent(event("allowed-1", "in/x"));
      expect(legit.data).toMatchObject({ status: "succeeded", counts: { reencrypted: 1 } });
      expect(untouched("allowed-1")).toEqual(["in/x"]);
    });

    it("re-encrypts objects named with dot segments as themselves: exactly that version, encoded on the wire", async () => {
      const keyId = em.seedIds.keys["k"] as string;
      const newVersion = em.state.rotateKey(keyId).id;
      const from = em.requests.length;
      // One of the two versions of each dot name, by versionId.
      const picks = DOTS.map((name) => {
        const versions = em.state.objectVersions("dots").filter((v) => v.name === name);
        expect(versions).toHaveLength(2);
        return versions[1] as (typeof versions)[number];
      });
      const byVersion = await call(stack, { targets: picks.map((v) => ({ bucket: "dots", object: v.name, versionId: v.versionId })) });
      expect(byVersion.data).toMatchObject({ status: "succeeded", counts: { reencrypted: DOTS.length, failed: 0 } });
      const changed = em.state.objectVersions("dots").filter((v) => v.reencryptCount > 0);
      expect(changed.map((v) => `${v.name}@${v.versionId}`).sort()).toEqual(picks.map((v) => `${v.name}@${v.versionId}`).sort());
      for (const v of changed) expect(v.wrapping).toEqual({ kind: "kms", kmsKeyId: keyId, keyVersionId: newVersion });

      // The latest version of each, by name and by resourceId.
      const latest = await call(stack, {
        targets: [
          { bucket: "dots", object: ".." },
          { bucket: "dots", object: "../reencrypt" },
          { resourceId: "/n/namns/b/dots/o/%2E" },
          { resourceId: "/n/namns/b/dots/o/a/../b" },
        ],
      });
      expect(latest.data).toMatchObject({ status: "succeeded", counts: { reencrypted: 4 } });
      const counted = (name: string) => em.state.objectVersions("dots").filter((v) => v.name === name).map((v) => v.reencryptCount);
      for (const name of ["..", "../reencrypt", ".", "a/../b"]) expect(counted(name).sort(), name).toEqual([1, 1]);
      for (const name of ["./x", "a/./b", "..%2F", "a/.."]) expect(counted(name).sort(), name).toEqual([0, 1]);
      for (const name of DECOYS) expect(counted(name), name).toEqual([0, 0]);

      // On the wire: no path segment is "." or "..", and no ReencryptBucket was sent.
      const sent = em.requests.slice(from);
      expect(sent.filter((q) => q.operation === "ReencryptBucket")).toEqual([]);
      const reencrypts = sent.filter((q) => q.operation === "ReencryptObject");
      expect(reencrypts).toHaveLength(DOTS.length + 4);
      for (const q of reencrypts) expect(q.path.split("/").filter((s) => s === "." || s === ".."), q.path).toEqual([]);
    });
  });

  describe("item 9: duplicate targets", () => {

    it("re-encrypts each object once when one bucket is listed 1,000 times, in several spellings", async () => {
      const spellings = [{ bucket: "dup" }, { bucket: "dup", namespace: "namns" }, { bucket: "dup", prefix: "" }, { bucket: "dup", prefix: "", allVersions: false }];
      const r = await call(stack, { targets: Array.from({ length: 1000 }, (_, i) => spellings[i % spellings.length]) });
      expect(r.data).toMatchObject({ status: "succeeded", counts: { matched: 20, reencrypted: 20, failed: 0 } });
      expect(em.state.objectVersions("dup").map((v) => v.reencryptCount)).toEqual(Array.from({ length: 20 }, () => 1));
      const exact = await call(stack, { targets: Array.from({ length: 1000 }, () => ({ bucket: "dup" })) }, true);
      expect(exact.data.counts.reencrypted).toBe(20);
      expect(em.state.objectVersions("dup").every((v) => v.reencryptCount === 2)).toBe(true);
    });

    it("processes a prefix under another prefix of the same bucket once, whichever comes first", async () => {
      const r = await call(stack, { targets: [{ bucket: "dup2", prefix: "a/b/" }, { bucket: "dup2", prefix: "a/" }, { bucket: "dup2", prefix: "a/b/0000" }], allVersions: true });
      expect(r.data).toMatchObject({ status: "succeeded", counts: { reencrypted: 20 } });
      const a = em.state.objectVersions("dup2", "a/");
      expect(a).toHaveLength(20);
      expect(a.filter((v) => v.reencryptCount !== 1)).toEqual([]);
      // Every version under a prefix covers the latest versions under a longer one.
      const mixed = await call(stack, { targets: [{ bucket: "dup2", prefix: "a/", allVersions: true }, { bucket: "dup2", prefix: "a/b/", allVersions: false }] });
      expect(mixed.data.counts.reencrypted).toBe(20);
      expect(em.state.objectVersions("dup2", "a/").filter((v) => v.reencryptCount !== 2)).toEqual([]);
    });

    it("processes an object named twice (by name and by resourceId) once", async () => {
      const r = await call(stack, { targets: [{ bucket: "dup2", object: "c/000001" }, { resourceId: "/n/namns/b/dup2/o/c%2F000001" }, { bucket: "dup2", object: "c/000001", namespace: "namns" }] });
      expect(r.data).toMatchObject({ status: "succeeded", counts: { reencrypted: 1 } });
      expect(em.state.objectVersions("dup2", "c/000001")[0]?.reencryptCount).toBe(1);
    });
  });
});
