import { describe, expect, it } from "vitest";
import type { Emulator, ObjectVersionView, Seed } from "../../src/local/emulator/index.js";
import type { LocalStack } from "../../src/local/local-stack.js";
import { compareNames } from "../../src/oci/name-order.js";
import { mutations } from "./helpers.js";
import { rotateSeedKey, worldPerTest } from "./world.js";

// Contract §11: the first matching rule, else the bucket's key, governs a version; a bulk job
// touches only what its key governs, and never lists what it leaves alone.

const seed = (): Seed => ({
  namespace: "kpns",
  compartments: ["apps"],
  vaults: [{ name: "v", compartment: "apps", keys: [{ name: "K1" }, { name: "K2" }, { name: "K3" }] }],
  buckets: [
    {
      name: "invoices",
      compartment: "apps",
      kmsKey: "K1",
      versioning: "Enabled",
      objects: [
        { prefix: "2024/", count: 30, versions: 2 },
        { prefix: "pii/", count: 40, versions: 2, kmsKey: "K2" },
        { prefix: "pub/", count: 10 },
      ],
    },
    // A rule gives the whole bucket to K2, though the bucket is on K1.
    { name: "whole", compartment: "apps", kmsKey: "K1", objects: [{ prefix: "a/", count: 20, kmsKey: "K2" }] },
    // Overlapping rules: a/ (K2) is first, so a/b/ (K3) never applies.
    { name: "overlap", compartment: "apps", kmsKey: "K1", objects: [{ prefix: "a/b/", count: 10, kmsKey: "K2" }, { prefix: "a/c", count: 5, kmsKey: "K2" }, { prefix: "z/", count: 5 }] },
    { name: "state", compartment: "apps" },
  ],
});

const wraps = (em: Emulator, bucket: string, prefix = ""): ObjectVersionView[] => em.state.objectVersions(bucket, prefix).filter((v) => !v.isDeleteMarker);
const keyVersionOf = (v: ObjectVersionView): string => (v.wrapping.kind === "kms" ? v.wrapping.keyVersionId : v.wrapping.kind);

describe("keys as the tenancy assigns them (contract §11), end to end", () => {
  const world = worldPerTest(seed);
  const start = (config: Record<string, string> = {}) =>
    world.start({
      configFor: (em) => {
        const k = em.seedIds.keys;
        const rules = [
          { bucket: "invoices", prefix: "pii/", kmsKeyId: k["K2"] },
          { bucket: "whole", prefix: "", kmsKeyId: k["K2"] },
          { bucket: "overlap", prefix: "a/", kmsKeyId: k["K2"] },
          { bucket: "overlap", prefix: "a/b/", kmsKeyId: k["K3"] },
        ];
        return { REENCRYPT_RULES: JSON.stringify(rules), REENCRYPT_STATE_BUCKET: "state", REENCRYPT_ALLOWED_KEYS: `${k["K2"]},${k["K3"]}` };
      },
      config,
    });

  const rotate = async (s: LocalStack, keyName: string) => {
    const { event, old, fresh } = rotateSeedKey(s.emulator, keyName);
    return { r: await s.deliverEvent(event), old, fresh };
  };

  /** Every ListObjects/ListObjectVersions call on a bucket stayed outside [from, to). */
  const listedOutside = (em: Emulator, bucket: string, from: string, to: string): boolean =>
    em.requests
      .filter((q) => (q.operation === "ListObjectVersions" || q.operation === "ListObjects") && q.path.includes(`/b/${bucket}/`))
      .every((q) => {
        const p = new URLSearchParams(q.query);
        const start = p.get("start") ?? "";
        const end = p.get("end");
        return (end !== null && compareNames(end, from) <= 0) || compareNames(start, to) >= 0;
      });

  for (const method of ["objects", "bucket"] as const) {
    it(`a K1 rotation (${method} method) re-encrypts what K1 governs and leaves the rules' K2 scopes on K2, without listing them`, async () => {
      const s = await start({ REENCRYPT_ROTATION_METHOD: method });
      const em = s.emulator;
      const pii = wraps(em, "invoices", "pii/").map(keyVersionOf);
      const wholeBefore = wraps(em, "whole").map(keyVersionOf);
      const { r, fresh } = await rotate(s, "K1");
      expect(r.data.status).toBe("continuing");
      const job = (await s.invoke({ job: r.data.jobId })).data;
      expect(job.status).toBe("succeeded");
      // invoices: everything but pii/ is on K1's new version; pii/ is exactly as it was (K2), untouched.
      const rest = wraps(em, "invoices").filter((v) => !v.name.startsWith("pii/"));
      expect(rest).toHaveLength(70);
      expect(rest.every((v) => keyVersionOf(v) === fresh)).toBe(true);
      expect(wraps(em, "invoices", "pii/").map(keyVersionOf)).toEqual(pii);
      expect(wraps(em, "invoices", "pii/").every((v) => v.reencryptCount === 0)).toBe(true);
      // whole: a rule gives all of it to K2: not one call, not one listing.
      expect(wraps(em, "whole").map(keyVersionOf)).toEqual(wholeBefore);
      expect(em.requests.filter((q) => q.path.includes("/b/whole/") && q.operation !== "GetBucket")).toEqual([]);
      // overlap: only z/ is K1's.
      expect(wraps(em, "overlap", "z/").every((v) => keyVersionOf(v) === fresh)).toBe(true);
      expect(wraps(em, "overlap", "a/").every((v) => v.reencryptCount === 0)).toBe(true);
      // The listing skipped pii/ with start/end; ReencryptBucket was never used on a bucket with other-key rules.
      expect(listedOutside(em, "invoices", "pii/", "pii0")).toBe(true);
      expect(em.requests.filter((q) => q.operation === "ReencryptBucket")).toEqual([]);
      expect(job.spec.leftAlone).toEqual(
        expect.arrayContaining([
          expect.objectContaining({ bucket: "invoices", prefix: "pii/", governedBy: expect.objectContaining({ rule: 0, kmsKeyId: em.seedIds.keys["K2"] }) }),
          expect.objectContaining({ bucket: "whole", prefix: "", governedBy: expect.objectContaining({ rule: 1 }) }),
        ]),
      );
    });
  }

  it("a K2 rotation re-encrypts the rules' K2 scopes, first match winning: overlap's a/b/ is K2's, not K3's", async () => {
    const s = await start();
    const em = s.emulator;
    const { r, fresh } = await rotate(s, "K2");
    expect((await s.invoke({ job: r.data.jobId })).data.status).toBe("succeeded");
    expect(wraps(em, "invoices", "pii/").every((v) => keyVersionOf(v) === fresh)).toBe(true);
    expect(wraps(em, "whole").every((v) => keyVersionOf(v) === fresh)).toBe(true);
    expect(wraps(em, "overlap", "a/").every((v) => keyVersionOf(v) === fresh)).toBe(true);
    // Nothing K1 governs moved.
    expect(wraps(em, "invoices").filter((v) => !v.name.startsWith("pii/")).every((v) => v.reencryptCount === 0)).toBe(true);
    expect(wraps(em, "overlap", "z/").every((v) => v.reencryptCount === 0)).toBe(true);
  });

  it("a K3 rotation touches nothing: the only rule naming K3 is shadowed by an earlier one", async () => {
    const s = await start();
    const before = mutations(s.emulator);
    const { r } = await rotate(s, "K3");
    expect(r.data.status).toBe("skipped");
    expect(s.emulator.requests.filter((q) => q.operation === "ReencryptObject")).toEqual([]);
    expect(mutations(s.emulator)).toBe(before);
  });

  it("a whole-bucket request with the bucket key leaves pii/ on K2, counts nothing there, and names the rule", async () => {
    const s = await start();
    const em = s.emulator;
    const pii = wraps(em, "invoices", "pii/").map(keyVersionOf);
    const dry = await s.invoke({ targets: [{ bucket: "invoices" }], allVersions: true, dryRun: true });
    expect(dry.httpStatus).toBe(200);
    expect(dry.data.counts).toMatchObject({ matched: 70, failed: 0 });
    expect(dry.data.leftAlone).toEqual([{ namespace: "kpns", bucket: "invoices", prefix: "pii/", governedBy: { rule: 0, bucketGlob: "invoices", rulePrefix: "pii/", kmsKeyId: em.seedIds.keys["K2"] } }]);
    expect(dry.data.objects.some((o: { object: string }) => o.object.startsWith("pii/"))).toBe(false);
    const real = await s.invoke({ targets: [{ bucket: "invoices" }], allVersions: true });
    expect(real.data).toMatchObject({ status: "succeeded", counts: { reencrypted: 70, failed: 0 } });
    expect(real.data.leftAlone).toHaveLength(1);
    expect(wraps(em, "invoices", "pii/").map(keyVersionOf)).toEqual(pii);
    expect(wraps(em, "invoices", "pii/").every((v) => v.reencryptCount === 0)).toBe(true);
    expect(listedOutside(em, "invoices", "pii/", "pii0")).toBe(true);
  });

  it("a prefix request inside a rule's scope with the bucket key does nothing and says which rule governs it", async () => {
    const s = await start();
    const before = mutations(s.emulator);
    const r = await s.invoke({ targets: [{ bucket: "invoices", prefix: "pii/00" }] });
    expect(r.httpStatus).toBe(200);
    expect(r.data.status).toBe("skipped");
    expect(r.data.leftAlone).toEqual([expect.objectContaining({ bucket: "invoices", prefix: "pii/00", governedBy: expect.objectContaining({ rule: 0 }) })]);
    expect(mutations(s.emulator)).toBe(before);
    // With the rule's own key, the same prefix is re-encrypted.
    const k2 = s.emulator.seedIds.keys["K2"] as string;
    const ok = await s.invoke({ targets: [{ bucket: "invoices", prefix: "pii/00" }], key: { type: "kms", kmsKeyId: k2 }, allVersions: true });
    expect(ok.data).toMatchObject({ status: "succeeded", counts: { reencrypted: 80 } });
    expect(wraps(s.emulator, "invoices", "pii/00").every((v) => v.reencryptCount === 1)).toBe(true);
  });

  it('refuses "method":"bucket" on a bucket where a rule gives a scope to another key: 409 RulesInBucket naming the rule, nothing done', async () => {
    const s = await start();
    const before = mutations(s.emulator);
    const r = await s.invoke({ targets: [{ bucket: "invoices" }], method: "bucket" });
    expect(r.httpStatus).toBe(409);
    expect(r.data.error.code).toBe("RulesInBucket");
    expect(r.data.error.message).toMatch(/rule 0 .*"prefix":"pii\/"/);
    expect(mutations(s.emulator)).toBe(before);
    expect(s.emulator.requests.filter((q) => q.operation === "ReencryptBucket")).toEqual([]);
  });

  it("a single-object target does what it names, even inside a rule's scope", async () => {
    const s = await start();
    const r = await s.invoke({ targets: [{ bucket: "invoices", object: "pii/000001" }] });
    expect(r.data).toMatchObject({ status: "succeeded", counts: { reencrypted: 1 } });
    const v = wraps(s.emulator, "invoices", "pii/000001")[0] as ObjectVersionView;
    expect(v.wrapping).toMatchObject({ kind: "kms", kmsKeyId: s.emulator.seedIds.keys["K1"] });
  });
});
