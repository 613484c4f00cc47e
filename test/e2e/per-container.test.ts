import { readFileSync } from "node:fs";
import { afterEach, describe, expect, it } from "vitest";
import { startEmulator, type Emulator } from "../../src/local/emulator/index.js";
import { startLocalStack, type LocalStack } from "../../src/local/local-stack.js";
import { expectAllSigned, gateway } from "./helpers.js";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** Peak resident memory of a process (VmHWM), in MiB. */
const peakRssMiB = (pid: number): number => Number(/VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1] ?? 0) / 1024;

describe("more work per container (issue 8), end to end", () => {
  let stack: LocalStack | undefined;
  let em: Emulator | undefined;
  afterEach(async () => {
    if (em) expectAllSigned(em);
    await stack?.stop();
    await em?.close();
    stack = undefined;
    em = undefined;
  });

  it("keeps REENCRYPT_CONCURRENCY calls in flight across 200 single-object targets, as for one bucket target", async () => {
    em = await startEmulator({ seed: { namespace: "pc", buckets: [{ name: "b", objects: [{ prefix: "o/", count: 200 }] }] } });
    stack = await startLocalStack({ emulator: em, config: { REENCRYPT_CONCURRENCY: "16" } });
    em.faults.setBaseLatency(20);
    const targets = Array.from({ length: 200 }, (_, i) => ({ bucket: "b", object: `o/${String(i).padStart(6, "0")}` }));
    em.stats.reset();
    const r = await stack.invoke({ targets }, { gateway });
    expect(r.data).toMatchObject({ status: "succeeded", counts: { reencrypted: 200 } });
    const targetsMax = em.stats.maxInFlight("ReencryptObject");
    em.stats.reset();
    const whole = await stack.invoke({ targets: [{ bucket: "b" }] }, { gateway });
    expect(whole.data.counts.reencrypted).toBe(200);
    const bucketMax = em.stats.maxInFlight("ReencryptObject");
    // v1 ran one object target at a time: one call in flight.
    expect(targetsMax).toBeGreaterThan(8);
    expect(targetsMax).toBeLessThanOrEqual(16);
    expect(targetsMax).toBeGreaterThanOrEqual(bucketMax - 2);
    expect(em.state.objectVersions("b").every((v) => v.reencryptCount === 2)).toBe(true);
  });

  it("signs every request validly when the resource principal's key and token rotate mid-job", async () => {
    em = await startEmulator({ seed: { namespace: "pc", buckets: [{ name: "b", objects: [{ prefix: "o/", count: 1500 }] }] } });
    // Tokens live 4 s: the SDK re-reads the token and key files after each expiry.
    stack = await startLocalStack({ emulator: em, principalTtlSeconds: 4, config: { REENCRYPT_CONCURRENCY: "4", REENCRYPT_MAX_RPS: "250" } });
    let done = false;
    const job = stack.invoke({ targets: [{ bucket: "b" }] }, { gateway, deadline: new Date(Date.now() + 60_000) }).finally(() => (done = true));
    // As OCI Functions does, new credentials land in the files before the old token expires.
    let rotations = 0;
    while (!done) {
      await sleep(1_500);
      if (!done) {
        await (stack as LocalStack).principal.rotate();
        rotations++;
      }
    }
    const r = await job;
    expect(rotations).toBeGreaterThanOrEqual(2);
    expect(r.data).toMatchObject({ status: "succeeded", counts: { reencrypted: 1500 } });
    const tokens = [...new Set(em.requests.filter((q) => q.operation === "ReencryptObject").map((q) => q.tokenId))];
    // Calls were signed under the first token, then under the rotated one: every one verified.
    expect(tokens.length).toBeGreaterThanOrEqual(2);
    expect(em.requests.filter((q) => !q.signatureValid)).toEqual([]);
  });

  it("holds memory flat as versions grow: the report is written in parts, never held whole", async () => {
    em = await startEmulator({ seed: { namespace: "pc", buckets: [{ name: "large", objects: [{ prefix: "o/", count: 300_000, size: 0 }] }, { name: "state" }] } });
    const emulator = em;
    stack = await startLocalStack({ emulator, config: { REENCRYPT_STATE_BUCKET: "state" } });
    const pid = stack.containers()[0]?.pid as number;
    // A dry run writes one report line per version, as a real run does, without the calls: the
    // report is what grows with the number of versions. Peak RSS is sampled as the listing goes.
    let pages = 0;
    let atThird = 0;
    const sampler = setInterval(() => {
      pages += emulator.requests.filter((q) => q.operation === "ListObjects").length;
      emulator.requests.length = 0;
      if (pages >= 100 && atThird === 0) atThird = peakRssMiB(pid);
    }, 100);
    const r = await stack.invoke({ targets: [{ bucket: "large" }], dryRun: true }, { gateway, deadline: new Date(Date.now() + 300_000) });
    clearInterval(sampler);
    expect(r.data).toMatchObject({ status: "dry-run", counts: { matched: 300_000 } });
    const end = peakRssMiB(pid);
    // The next 200,000 versions add ~25 MB of report lines: held whole (and copied to upload, as
    // before) they cost 250+ MiB; written in parts, what grows is V8 finishing sizing its heap.
    expect(atThird).toBeGreaterThan(0);
    expect(end - atThird).toBeLessThan(40);
    expect(end).toBeLessThan(150);
    const parts = emulator.state.objectVersions("state").filter((v) => v.name.startsWith("reports/"));
    expect(parts.length).toBeGreaterThan(10);
  }, 120_000);
});
