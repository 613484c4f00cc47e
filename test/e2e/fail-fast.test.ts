import { describe, expect, it } from "vitest";
import type { Seed } from "../../src/local/emulator/index.js";
import { rotateSeedKey, worldPerTest } from "./world.js";

// Contract §11: a scope whose calls all fail the same way stops calling after
// REENCRYPT_STOP_AFTER_IDENTICAL_FAILURES of them, and counts the rest failed without a call.

const seed = (): Seed => ({
  namespace: "ffns",
  compartments: ["apps"],
  vaults: [{ name: "v", compartment: "apps", keys: [{ name: "K" }] }],
  buckets: [
    { name: "denied", compartment: "apps", kmsKey: "K", versioning: "Enabled", objects: [{ prefix: "d/", count: 10_000, versions: 2, size: 0 }] },
    { name: "fine", compartment: "apps", kmsKey: "K", objects: [{ prefix: "f/", count: 300, size: 0 }] },
    { name: "state", compartment: "apps" },
  ],
});

describe("a scope that fails the same way every time stops calling (contract §11), end to end", () => {
  const world = worldPerTest(seed);

  it("a rotation over a 20,000-version bucket that answers 403 to every call beside one that works: at most N + concurrency calls to it, the other finishes", async () => {
    const stack = await world.start({ timeoutSeconds: 60, config: { REENCRYPT_STATE_BUCKET: "state", REENCRYPT_CHECKPOINT_SECONDS: "1" } });
    const em = stack.emulator;
    // Each 403 takes 50 ms, so the scout that lists ahead cuts the bucket's second half off (after
    // 10,000 versions) while its first shard is still calling; every invocation starts 2.5 s
    // after it is sent (InvokeFunction), so the new shard starts after the first one stopped: it
    // must adopt that stop and make no call. (Shards of one scope failing at the same moment each
    // hear of the other's stop at their next checkpoint, or within N/8 failures: docs/keys.md.)
    const denied = em.faults.add({ operation: "ReencryptObject", when: (r) => r.path.includes("/b/denied/"), latencyMs: 50, status: 403, code: "NotAuthorizedOrNotFound", message: "Authorization failed or requested resource not found" });
    em.faults.add({ operation: "InvokeFunction", latencyMs: 2_500 });
    const { event, fresh } = rotateSeedKey(em, "K");
    const r = await stack.deliverEvent(event);
    expect(r.data.status).toBe("continuing");
    const job = (await stack.invoke({ job: r.data.jobId })).data;

    // The denied bucket was cut into name ranges run by more than one shard: the stop held across them.
    expect(job.shards.total).toBeGreaterThanOrEqual(3);
    // Default N = 200, default concurrency 16.
    expect(denied.hits).toBeGreaterThanOrEqual(200);
    expect(denied.hits).toBeLessThanOrEqual(200 + 16);
    expect(em.state.objectVersions("fine").every((v) => v.wrapping.kind === "kms" && v.wrapping.keyVersionId === fresh)).toBe(true);
    expect(job.status).toBe("partial");
    expect(job.counts).toMatchObject({ reencrypted: 300, failed: 20_000 });
    const stop = job.failures[0];
    expect(stop).toMatchObject({ bucket: "denied", status: 403, code: "NotAuthorizedOrNotFound", notAttempted: 20_000 - denied.hits });
    expect(stop.message).toMatch(/stopped calling after 200 identical failures/);
    expect(stop.hint).toMatch(/dynamic group's policy/);
    expect(job.failures.filter((f: { notAttempted?: number }) => f.notAttempted !== undefined)).toHaveLength(1);
  }, 240_000);
});
