import { afterEach, describe, expect, it } from "vitest";
import { startEmulator } from "../../src/local/emulator/index.js";
import { startLocalStack, type LocalStack } from "../../src/local/local-stack.js";
import { expectAllSigned, gateway } from "./helpers.js";

// A listing that fails transiently after its retries leaves its scope to be listed again when the
// job resumes: the job answers incomplete, never finished, and no version is lost.

describe("a listing outage keeps the job resumable, end to end", () => {
  let stack: LocalStack | undefined;
  afterEach(async () => {
    if (stack) expectAllSigned(stack.emulator);
    await stack?.stop();
    await stack?.emulator.close();
    stack = undefined;
  });

  for (const state of [true, false]) {
    it(`answers incomplete with a token while ListObjects answers 503, then finishes every object on resume (${state ? "with" : "without"} a state bucket)`, async () => {
      const em = await startEmulator({ seed: { namespace: "outns", buckets: [{ name: "b", objects: [{ prefix: "o/", count: 40 }] }, { name: "state" }] } });
      stack = await startLocalStack({ emulator: em, config: state ? { REENCRYPT_STATE_BUCKET: "state" } : {} });
      const outage = em.faults.add({ operation: "ListObjects", when: (q) => q.path.includes("/b/b/"), status: 503, code: "ServiceUnavailable" });
      // Without a state bucket (and no token secret) only a direct invocation gets a token (issue 16: gateway callers get none they could forge).
      const via = state ? { gateway } : {};
      const first = await stack.invoke({ targets: [{ bucket: "b", prefix: "o/" }] }, { ...via, deadline: new Date(Date.now() + 12_000) });
      expect(first.httpStatus).toBe(202);
      expect(first.data.status).toBe("incomplete");
      expect(first.data.counts.failed).toBe(0);
      expect(typeof first.data.resume).toBe("string");
      expect(outage.hits).toBeGreaterThan(1);
      outage.remove();
      const done = await stack.invoke({ resume: first.data.resume }, via);
      expect(done.data).toMatchObject({ status: "succeeded", counts: { reencrypted: 40, failed: 0 } });
      expect(em.state.objectVersions("b").every((v) => v.reencryptCount === 1)).toBe(true);
    });
  }
});
