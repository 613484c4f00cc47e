// The container pool with the real bundle (dist/func.cjs, built by `npm test` / `npm run build`):
// concurrent jobs in containers of their own, a resource principal rotated mid-job, and a
// container killed mid-job, each checked against the emulator's ground truth.

import { afterEach, describe, expect, it } from "vitest";
import type { Seed } from "../../src/local/emulator/index.js";
import { InvocationFailedError } from "../../src/local/fn/container-pool.js";
import { startLocalStack, type LocalStack } from "../../src/local/local-stack.js";

const gateway = { method: "POST", url: "/reencrypt", headers: { "Content-Type": "application/json" } };

const seed = (buckets: string[], count: number): Seed => ({
  namespace: "poolns",
  vaults: [{ name: "v", keys: [{ name: "k" }] }],
  buckets: buckets.map((name) => ({ name, kmsKey: "k", objects: [{ prefix: "o/", count }] })),
});

let stack: LocalStack | undefined;
afterEach(async () => {
  await stack?.stop();
  stack = undefined;
});

/** Rotates the seed's key; returns the new key version. */
function rotate(s: LocalStack): string {
  return s.emulator.state.rotateKey(s.emulator.seedIds.keys["k"] as string).id;
}

const onVersion = (s: LocalStack, bucket: string, keyVersionId: string): number =>
  s.emulator.state.objectVersions(bucket).filter((v) => v.wrapping.kind === "kms" && v.wrapping.keyVersionId === keyVersionId).length;

describe("startLocalStack with the real bundle", () => {
  it("runs concurrent jobs in separate containers while the resource principal rotates under them; every request verifies", async () => {
    const buckets = ["a", "b", "c"];
    // Every container reads the token files; the SDK re-reads them once its cached token expires.
    stack = await startLocalStack({ seed: seed(buckets, 320), hotPollMs: 0, principalTtlSeconds: 8 });
    const s = stack;
    const newVersion = rotate(s);
    // 320 objects at 16 in flight and +400 ms per ReencryptObject: each job outlives the first token.
    s.emulator.faults.add({ operation: "ReencryptObject", latencyMs: 400 });
    const jobs = buckets.map((bucket) => s.invoke({ targets: [{ bucket }] }, { gateway }));
    await expect.poll(() => s.containers().filter((c) => c.busy).length, { timeout: 10_000, interval: 20 }).toBe(3);
    const firstToken = s.principal.claims.jti;
    // Rotated mid-job, while the first token is still valid (the platform renews before expiry).
    expect(Date.now()).toBeLessThan(s.principal.claims.exp * 1000 - 1_000);
    const rotated = await s.principal.rotate({ ttlSeconds: 3600 });

    const results = await Promise.all(jobs);
    for (const r of results) {
      expect(r.httpStatus).toBe(200);
      expect(r.data).toMatchObject({ status: "succeeded", counts: { reencrypted: 320, failed: 0 } });
    }
    for (const b of buckets) expect(onVersion(s, b, newVersion)).toBe(320);
    expect(s.stats()).toMatchObject({ invocations: 3, coldStarts: 3, maxBusy: 3, kills: 0, timeouts: 0 });
    expect(s.emulator.stats.maxInFlight("ReencryptObject")).toBeGreaterThan(16);

    const bad = s.emulator.requests.filter((q) => !q.signatureValid);
    expect(bad.map((q) => `${q.operation}: ${q.signatureError ?? ""}`)).toEqual([]);
    // Both tokens signed ReencryptObject calls: the switch happened mid-job.
    const tokens = new Set(s.emulator.requests.filter((q) => q.operation === "ReencryptObject").map((q) => q.tokenId));
    expect(tokens).toEqual(new Set([firstToken, rotated.claims.jti]));
    expect(s.emulator.requests.every((q) => q.principalType === "resource")).toBe(true);
  });

  it("kills a container mid-job: the invocation fails, nothing is lost, and the job run again finishes every object", async () => {
    stack = await startLocalStack({ seed: seed(["big"], 400) });
    const s = stack;
    const newVersion = rotate(s);
    s.emulator.faults.setBaseLatency(100);
    const job = s.invoke({ targets: [{ bucket: "big" }] }, { gateway });
    await expect.poll(() => onVersion(s, "big", newVersion), { timeout: 10_000, interval: 20 }).toBeGreaterThan(30);
    const pid = await s.killRandomBusy();
    const error = await job.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvocationFailedError);
    expect(error).toMatchObject({ reason: "killed", pid });
    const partly = onVersion(s, "big", newVersion);
    expect(partly).toBeGreaterThan(30);
    expect(partly).toBeLessThan(400);

    s.emulator.faults.setBaseLatency(0);
    const again = await s.invoke({ targets: [{ bucket: "big" }] }, { gateway });
    expect(again.data).toMatchObject({ status: "succeeded", counts: { reencrypted: 400, failed: 0 } });
    expect(onVersion(s, "big", newVersion)).toBe(400);
    expect(s.emulator.state.objectVersions("big").every((v) => v.reencryptCount >= 1 && v.reencryptCount <= 2)).toBe(true);
    expect(s.stats()).toMatchObject({ kills: 1, coldStarts: 2 });
    expect(s.fn.stdout().length).toBeGreaterThan(0);
  });
});
