import { describe, expect, it } from "vitest";
import type { Emulator, Seed } from "../../src/local/emulator/index.js";
import type { LocalStack } from "../../src/local/local-stack.js";
import { MUTATING } from "./helpers.js";
import { rotateSeedKey, worldPerTest } from "./world.js";

// What a real tenancy has that the engine used to walk into blind (contract §11): replication
// destinations, storage tiers, retention rules, SSE-C objects met by a rotation; each failure's
// hint says what it met, and diagnose reports what rotations skip.

const SSE_C = Buffer.alloc(32, 7).toString("base64");

const seed = (): Seed => ({
  namespace: "tens",
  compartments: ["apps"],
  vaults: [{ name: "v", compartment: "apps", keys: [{ name: "K" }] }],
  buckets: [
    { name: "src", compartment: "apps", kmsKey: "K", objects: [{ prefix: "s/", count: 12 }] },
    { name: "replica", compartment: "apps", kmsKey: "K" },
    {
      name: "tiers",
      compartment: "apps",
      kmsKey: "K",
      objects: [
        { prefix: "std/", count: 3 },
        { prefix: "ia/", count: 2, storageTier: "InfrequentAccess" },
        { prefix: "cold/", count: 2, storageTier: "Archive", archivalState: "Archived" },
        { name: "warm/restored", storageTier: "Archive", archivalState: "Restored" },
      ],
    },
    { name: "held", compartment: "apps", kmsKey: "K", objects: [{ prefix: "h/", count: 3 }], retentionRules: [{ name: "legal-hold" }] },
    { name: "mixed", compartment: "apps", kmsKey: "K", objects: [{ prefix: "m/", count: 3 }, { name: "m/customer.bin", sseCustomerKey: SSE_C }] },
    { name: "state", compartment: "apps" },
  ],
  replication: [{ source: "src", destination: "replica", copyExisting: true }],
});

const reportLines = (em: Emulator, path: string): Record<string, unknown>[] => {
  const name = decodeURIComponent(path.split("/o/")[1] ?? "");
  return (em.state.findVersion("state", name)?.content.toString("utf8") ?? "")
    .split("\n")
    .filter((l) => l.length > 0)
    .map((l) => JSON.parse(l) as Record<string, unknown>);
};

describe("replicas, tiers, retention and SSE-C objects (contract §11), end to end", () => {
  const world = worldPerTest(seed);
  const start = (config: Record<string, string> = {}) => world.start({ config: { REENCRYPT_STATE_BUCKET: "state", ...config } });

  const rotate = async (s: LocalStack) => {
    const { event, fresh } = rotateSeedKey(s.emulator, "K");
    return { r: await s.deliverEvent(event), fresh };
  };

  it("a rotation re-encrypts a replication source, never calls its read-only destination, and names it in its answer, record and summary", async () => {
    const s = await start();
    const em = s.emulator;
    expect(em.state.objectVersions("replica").length).toBe(12);
    const replicaBefore = em.state.objectVersions("replica").map((v) => JSON.stringify(v.wrapping));
    const { r, fresh } = await rotate(s);
    expect(r.data.status).toBe("continuing");
    expect(r.data.skippedBuckets).toEqual([{ namespace: "tens", bucket: "replica", reason: "read-only" }]);
    const job = (await s.invoke({ job: r.data.jobId })).data;
    expect(job.spec.skippedBuckets).toEqual(r.data.skippedBuckets);
    expect(em.state.objectVersions("src").every((v) => v.wrapping.kind === "kms" && v.wrapping.keyVersionId === fresh)).toBe(true);
    expect(em.state.objectVersions("replica").map((v) => JSON.stringify(v.wrapping))).toEqual(replicaBefore);
    // Only GetBucket (to learn it is read-only) ever reached the replica.
    expect(em.requests.filter((q) => q.path.includes("/b/replica/") || q.path.endsWith("/b/replica")).map((q) => q.operation)).toEqual(["GetBucket"]);
    const summary = JSON.parse(em.state.findVersion("state", `reports/${r.data.jobId}.summary.json`)?.content.toString("utf8") ?? "{}");
    expect(summary.skippedBuckets).toEqual(r.data.skippedBuckets);
  });

  it("a request into a read-only bucket is a BucketReadOnly failure with a hint, and nothing is called on it", async () => {
    const s = await start();
    const em = s.emulator;
    const r = await s.invoke({ targets: [{ bucket: "replica", prefix: "s/" }, { bucket: "replica", object: "other/x" }] });
    expect(r.httpStatus).toBe(409);
    expect(r.data.status).toBe("failed");
    expect(r.data.failures).toHaveLength(2);
    for (const f of r.data.failures) {
      expect(f).toMatchObject({ bucket: "replica", code: "BucketReadOnly" });
      expect(f.hint).toMatch(/replication destination .* Re-encrypt the source bucket/);
    }
    // Nothing changed anywhere but the job's report in the state bucket, and nothing but GetBucket reached the replica.
    expect(em.requests.filter((q) => MUTATING.has(q.operation) && !q.path.includes("/b/state/"))).toEqual([]);
    expect(em.requests.filter((q) => q.path.includes("/b/replica/")).map((q) => q.operation)).toEqual([]);
  });

  it("names the tier in the hint of a failure on an archived or Infrequent Access object, and in the report lines", async () => {
    const s = await start();
    const em = s.emulator;
    em.faults.add({ operation: "ReencryptObject", when: (q) => q.objectName === "ia/000000", status: 400, code: "InvalidParameter", message: "not in this tier" });
    const r = await s.invoke({ targets: [{ bucket: "tiers" }] });
    expect(r.data.status).toBe("partial");
    expect(r.data.counts).toMatchObject({ reencrypted: 3 + 1 + 1, failed: 3 });
    const byName = new Map<string, { hint: string; storageTier?: string; archivalState?: string }>(r.data.failures.map((f: { object: string }) => [f.object, f]));
    for (const name of ["cold/000000", "cold/000001"]) {
      expect(byName.get(name)).toMatchObject({ storageTier: "Archive", archivalState: "Archived" });
      expect(byName.get(name)?.hint).toMatch(/Archive tier \(Archived\): restore it first/);
    }
    expect(byName.get("ia/000000")?.hint).toMatch(/Infrequent Access tier/);
    const lines = reportLines(em, r.data.report);
    expect(lines.find((l) => l["object"] === "cold/000000")).toMatchObject({ outcome: "failed", storageTier: "Archive", archivalState: "Archived" });
    expect(lines.find((l) => l["object"] === "warm/restored")).toMatchObject({ outcome: "reencrypted", storageTier: "Archive", archivalState: "Restored" });
    expect(lines.find((l) => l["object"] === "std/000000")).not.toHaveProperty("storageTier");
  });

  it("names a bucket's retention rules in the hint of a 4xx on it", async () => {
    const s = await start();
    const r = await s.invoke({ targets: [{ bucket: "held" }] });
    expect(r.data.status).toBe("failed");
    expect(r.data.failures).toHaveLength(3);
    expect(r.data.failures[0].hint).toMatch(/retention rules \("legal-hold" \(indefinite\)\)/);
    // Asked once for the bucket, not once per failure.
    expect(s.emulator.requests.filter((q) => q.operation === "ListRetentionRules")).toHaveLength(1);
  });

  it("tells a rotation that meets an SSE-C object how to re-key it or keep it out, and re-encrypts the rest", async () => {
    const s = await start();
    const em = s.emulator;
    const { r, fresh } = await rotate(s);
    const job = (await s.invoke({ job: r.data.jobId })).data;
    expect(job.status).toBe("partial");
    const f = job.failures.find((x: { object: string }) => x.object === "m/customer.bin");
    expect(f.hint).toMatch(/no key rotation can re-encrypt it .* re-key it once with a request naming its key as source/);
    expect(em.state.objectVersions("mixed", "m/0").every((v) => v.wrapping.kind === "kms" && v.wrapping.keyVersionId === fresh)).toBe(true);
  });

  it("diagnose reports the read-only bucket rotations skip, and a rule an earlier rule shadows", async () => {
    const s = await world.start({
      configFor: (em) => {
        const k = em.seedIds.keys["K"] as string;
        const rules = [
          { bucket: "tiers", prefix: "cold/", kmsKeyId: k },
          { bucket: "tiers", prefix: "cold/x/", kmsKeyId: k },
        ];
        return { REENCRYPT_STATE_BUCKET: "state", REENCRYPT_RULES: JSON.stringify(rules) };
      },
    });
    const d = (await s.invoke({ diagnose: true })).data.diagnose;
    const item = (id: string) => d.checklist.find((c: { check: string }) => c.check === id);
    expect(item("bucket.read-only.replica")).toMatchObject({ status: "warning" });
    expect(item("bucket.read-only.replica").detail).toMatch(/replication destination .* rotations skip it/);
    expect(item("rules.shadowed.1")).toMatchObject({ status: "warning" });
    expect(item("rules.shadowed.1").detail).toMatch(/rule 1 .* never applies in tiers: rule 0 .* comes first/);
    expect(item("bucket.read-only.src")).toBeUndefined();
  });
});
