import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { FaultInjector, startEmulator, type Emulator } from "../../src/local/emulator/index.js";
import { emulatorSdkClients, type EmulatorSdkClients } from "../helpers/emulator-sdk-clients.js";

let em: Emulator;
let os: EmulatorSdkClients["objectStorage"];
const ns = "testns";

beforeAll(async () => {
  em = await startEmulator();
  em.state.createBucket({ name: "b" });
  for (let i = 0; i < 20; i++) em.state.putObject("b", `o${i}`);
  os = (await emulatorSdkClients(em)).objectStorage;
});
afterAll(() => em.close());
afterEach(() => {
  em.faults.clear();
  em.faults.setBaseLatency(0);
  em.stats.reset();
});

/** Outcome of one SDK call: "ok", the HTTP status, or "reset" for a transport error. */
async function outcome(p: Promise<unknown>): Promise<"ok" | "reset" | number> {
  try {
    await p;
    return "ok";
  } catch (error) {
    const status = (error as { statusCode?: number }).statusCode;
    return typeof status === "number" && status > 0 ? status : "reset";
  }
}

describe("in-flight statistics", () => {
  it("sees 16 calls kept in flight against added latency as 16, and 0 once they are done", async () => {
    em.faults.setBaseLatency(200);
    const calls = Array.from({ length: 16 }, (_, i) => os.headObject({ namespaceName: ns, bucketName: "b", objectName: `o${i}` }));
    await expect.poll(() => em.stats.inFlight("HeadObject"), { timeout: 2_000, interval: 5 }).toBe(16);
    await Promise.all(calls);
    expect(em.stats.maxInFlight("HeadObject")).toBe(16);
    expect(em.stats.total("HeadObject")).toBe(16);
    // The response has ended before the client resolves; "close" may trail by a tick.
    await expect.poll(() => em.stats.inFlight("HeadObject")).toBe(0);
    expect(em.stats.maxInFlight("GetObject")).toBe(0);
  });

  it("counts a request held by a latency fault, and one whose connection a fault reset", async () => {
    em.faults.add({ operation: "ReencryptObject", latencyMs: 300, times: 1 });
    const slow = os.reencryptObject({ namespaceName: ns, bucketName: "b", objectName: "o0", reencryptObjectDetails: {} });
    await expect.poll(() => em.stats.inFlight("ReencryptObject"), { interval: 5 }).toBe(1);
    await slow;
    await expect.poll(() => em.stats.inFlight("ReencryptObject")).toBe(0);

    em.faults.add({ operation: "ReencryptObject", reset: true, latencyMs: 100, times: 1 });
    expect(await outcome(os.reencryptObject({ namespaceName: ns, bucketName: "b", objectName: "o0", reencryptObjectDetails: {} }))).toBe("reset");
    await expect.poll(() => em.stats.inFlight("ReencryptObject")).toBe(0);
    expect(em.stats.maxInFlight("ReencryptObject")).toBe(1);
  });

  it("reset() restarts the maxima from what is in flight now", async () => {
    await os.getNamespace({});
    expect(em.stats.maxInFlight("GetNamespace")).toBe(1);
    em.stats.reset();
    expect(em.stats.maxInFlight("GetNamespace")).toBe(0);
    expect(em.stats.total("GetNamespace")).toBe(0);
  });
});

describe("random faults", () => {
  const head = (i: number) => os.headObject({ namespaceName: ns, bucketName: "b", objectName: `o${i % 20}` });

  it("applies a status fault to about `probability` of the matching requests, counting only those in hits and times", async () => {
    em.faults.setSeed(42);
    const fault = em.faults.add({ operation: "HeadObject", probability: 0.3, status: 429 });
    const results: (string | number)[] = [];
    for (let i = 0; i < 200; i++) results.push(await outcome(head(i)));
    const throttled = results.filter((r) => r === 429).length;
    expect(throttled).toBe(fault.hits);
    expect(throttled).toBeGreaterThan(35);
    expect(throttled).toBeLessThan(85);
    expect(results.filter((r) => r !== 429 && r !== "ok")).toEqual([]);
    // Other operations are not drawn against.
    await os.getNamespace({});

    fault.remove();
    const limited = em.faults.add({ operation: "HeadObject", probability: 0.5, status: 503, times: 3 });
    for (let i = 0; i < 40; i++) await outcome(head(i));
    expect(limited.hits).toBe(3);
  });

  it("is deterministic for a seed: the same requests draw the same faults", async () => {
    const run = async (): Promise<(string | number)[]> => {
      em.faults.clear();
      em.faults.setSeed(7);
      em.faults.add({ operation: "HeadObject", probability: 0.2, status: 503 });
      em.faults.add({ operation: "HeadObject", probability: 0.1, reset: true });
      const out: (string | number)[] = [];
      for (let i = 0; i < 60; i++) out.push(await outcome(head(i)));
      return out;
    };
    const a = await run();
    const b = await run();
    expect(a).toEqual(b);
    expect(a).toContain(503);
    expect(a).toContain("reset");
    expect(a).toContain("ok");

    const injector = new FaultInjector({ seed: 7 });
    const twin = new FaultInjector();
    twin.setSeed(7);
    const draws = async (f: FaultInjector) => {
      f.add({ probability: 0.5, status: 500 });
      const out: boolean[] = [];
      for (let i = 0; i < 30; i++) out.push((await f.apply({ method: "GET", path: "/", query: new URLSearchParams(), operation: "X" })) !== undefined);
      return out;
    };
    expect(await draws(injector)).toEqual(await draws(twin));
  });

  it("lets a latency spike proceed, and never changes state when it answers with a status or resets", async () => {
    em.faults.setSeed(3);
    em.faults.add({ operation: "ReencryptObject", probability: 0.25, status: 503 });
    em.faults.add({ operation: "ReencryptObject", probability: 0.15, reset: true });
    const spike = em.faults.add({ operation: "ReencryptObject", probability: 0.2, latencyMs: 30 });
    const before = em.state.findVersion("b", "o1")?.reencryptCount ?? 0;
    let ok = 0;
    for (let i = 0; i < 80; i++) {
      const r = await outcome(os.reencryptObject({ namespaceName: ns, bucketName: "b", objectName: "o1", reencryptObjectDetails: {} }));
      if (r === "ok") ok++;
    }
    expect(ok).toBeGreaterThan(20);
    expect(ok).toBeLessThan(80);
    expect(spike.hits).toBeGreaterThan(0);
    expect(em.state.findVersion("b", "o1")?.reencryptCount).toBe(before + ok);
    const answered = em.requests.filter((r) => r.operation === "ReencryptObject").slice(-80);
    expect(answered.filter((r) => r.status === 200)).toHaveLength(ok);
  });

  it("refuses a probability outside 0..1", () => {
    expect(() => em.faults.add({ probability: 1.5, status: 500 })).toThrow(/within 0\.\.1/);
    expect(() => em.faults.add({ probability: -0.1, status: 500 })).toThrow(/within 0\.\.1/);
  });
});
