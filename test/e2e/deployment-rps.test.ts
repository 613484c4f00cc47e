// Issue 16 item 8: REENCRYPT_MAX_RPS was a ceiling per job: two concurrent jobs at 50 ran at 99
// requests/s together. Now every running shard registers in the state bucket and takes its share
// of the deployment's ceiling, re-counted at each checkpoint. Measured from the emulator's own
// request log: the two jobs' Object Storage requests on their buckets, per second, together.

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startEmulator, type Emulator, type Seed } from "../../src/local/emulator/index.js";
import { startLocalStack, type LocalStack } from "../../src/local/local-stack.js";
import { expectAllSigned } from "./helpers.js";

const COUNT = 200;
const seed: Seed = {
  namespace: "rpsns",
  buckets: [{ name: "one", objects: [{ prefix: "o/", count: COUNT }] }, { name: "two", objects: [{ prefix: "o/", count: COUNT }] }, { name: "state" }],
};

describe("REENCRYPT_MAX_RPS across the deployment (issue 16 item 8)", () => {
  let em: Emulator;
  let stack: LocalStack;

  beforeAll(async () => {
    em = await startEmulator({ seed });
    stack = await startLocalStack({
      emulator: em,
      maxContainers: 2,
      timeoutSeconds: 60,
      config: { REENCRYPT_STATE_BUCKET: "state", REENCRYPT_MAX_RPS: "50", REENCRYPT_CHECKPOINT_SECONDS: "1", REENCRYPT_CONCURRENCY: "8", REENCRYPT_MAX_PARALLEL: "1" },
    });
  });

  afterAll(async () => {
    expectAllSigned(em);
    await stack.stop();
    await em.close();
  });

  it("keeps two concurrent jobs at 50 requests/s together, past one checkpoint interval, and leaves no runner behind", async () => {
    // Two warm containers, so the two jobs start together.
    await Promise.all([stack.invoke({ targets: [{ bucket: "one", object: "o/000000" }], dryRun: true }), stack.invoke({ targets: [{ bucket: "two", object: "o/000000" }], dryRun: true })]);
    const from = em.requests.length;
    const [a, b] = await Promise.all([stack.invoke({ targets: [{ bucket: "one", prefix: "o/" }] }), stack.invoke({ targets: [{ bucket: "two", prefix: "o/" }] })]);
    for (const r of [a, b]) expect(r.data, r.body.slice(0, 300)).toMatchObject({ status: "succeeded", counts: { reencrypted: COUNT, failed: 0 } });

    const onData = em.requests.slice(from).filter((q) => /\/b\/(one|two)\//.test(q.path) || /\/b\/(one|two)(\?|$)/.test(q.path));
    const of = (bucket: string) => onData.filter((q) => q.path.includes(`/b/${bucket}/`) || q.path.endsWith(`/b/${bucket}`)).map((q) => q.at);
    const [oneAt, twoAt] = [of("one"), of("two")];
    // Both jobs running: from the later start, plus one checkpoint interval for the first to learn of
    // the second, to the earlier end.
    const overlapFrom = Math.max(Math.min(...oneAt), Math.min(...twoAt)) + 1_000;
    const overlapTo = Math.min(Math.max(...oneAt), Math.max(...twoAt));
    expect(overlapTo - overlapFrom, "the two jobs did not overlap long enough to measure").toBeGreaterThan(1_500);
    const inOverlap = onData.filter((q) => q.at >= overlapFrom && q.at < overlapTo).length;
    const rate = (inOverlap * 1000) / (overlapTo - overlapFrom);
    // Before: ~99 requests/s. A loaded machine only slows the jobs down.
    expect(rate, `${rate.toFixed(1)} requests/s together`).toBeLessThan(55);
    // Each had a share, not the whole ceiling each.
    expect(rate).toBeGreaterThan(10);

    const stamps = onData.map((q) => q.at).filter((t) => t >= overlapFrom && t < overlapTo).sort((x, y) => x - y);
    let worst = 0;
    for (let i = 0, j = 0; i < stamps.length; i++) {
      while ((stamps[i] as number) - (stamps[j] as number) >= 1000) j++;
      worst = Math.max(worst, i - j + 1);
    }
    expect(worst, `worst 1-second window: ${worst} requests`).toBeLessThanOrEqual(60);

    // Each shard registered and removed itself.
    const runnerWrites = em.requests.slice(from).filter((q) => q.operation === "PutObject" && q.path.includes("/o/runner-"));
    expect(runnerWrites.length).toBeGreaterThanOrEqual(2);
    expect(em.state.objectVersions("state").filter((v) => v.name.startsWith("runner-") && !v.isDeleteMarker)).toEqual([]);
  });
});
