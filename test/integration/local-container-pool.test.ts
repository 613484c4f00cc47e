import { existsSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { requests } from "oci-functions";
import { afterEach, describe, expect, it } from "vitest";
import { startEmulator, type Emulator } from "../../src/local/emulator/index.js";
import { ContainerPool, InvocationFailedError } from "../../src/local/fn/container-pool.js";
import { startLocalStack, type LocalStack, type LocalStackOptions } from "../../src/local/local-stack.js";
import { bodyText, emulatorSdkClients, ociFailure, type EmulatorSdkClients } from "../helpers/emulator-sdk-clients.js";

const poolFunc = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../fixtures/fn/pool-func.cjs");

interface Echo {
  pid: number;
  body: string;
  callId: string;
  deadline: string;
  fnId: string;
  appId: string;
  probe: string | null;
  rpst: string | null;
  calls: number;
  concurrent: number;
  startedAt: number;
  endedAt: number;
}

const { Detached } = requests.InvokeFunctionRequest.FnInvokeType;

let em: Emulator | undefined;
let stack: LocalStack | undefined;
let sdk: EmulatorSdkClients;

afterEach(async () => {
  await stack?.stop();
  await em?.close();
  stack = undefined;
  em = undefined;
});

async function start(o: Partial<LocalStackOptions> = {}): Promise<LocalStack> {
  em = await startEmulator();
  stack = await startLocalStack({ emulator: em, bundlePath: poolFunc, config: { POOL_PROBE: "same-everywhere" }, ...o });
  sdk = await emulatorSdkClients(em);
  return stack;
}

const echo = (r: { data: unknown }): Echo => r.data as Echo;

const invokeFn = (s: LocalStack, body: string, detached = false) =>
  sdk.invoke.invokeFunction({ functionId: s.functionId, invokeFunctionBody: body, ...(detached ? { fnInvokeType: Detached } : {}) });

describe("container pool behind startLocalStack", () => {
  it("runs concurrent invocations in containers of their own, reusing warm ones, all with the same configuration", async () => {
    const s = await start({ hotPollMs: 0 });
    expect(s.containers()).toHaveLength(1); // one started ahead
    const warmPid = s.containers()[0]?.pid;
    const four = (await Promise.all([1, 2, 3, 4].map(() => s.invoke("sleep:800")))).map(echo);
    expect(new Set(four.map((e) => e.pid)).size).toBe(4);
    expect(four.map((e) => e.pid)).toContain(warmPid);
    expect(four.every((e) => e.concurrent === 1)).toBe(true);
    expect(new Set(four.map((e) => e.probe))).toEqual(new Set(["same-everywhere"]));
    expect(new Set(four.map((e) => e.rpst)).size).toBe(1);
    expect(four[0]?.rpst).toBe(s.principal.env["OCI_RESOURCE_PRINCIPAL_RPST"]);
    expect(new Set(four.map((e) => e.fnId))).toEqual(new Set([s.functionId]));
    expect(four[0]?.appId).toBe(s.emulator.state.functionRecords.get(s.functionId)?.applicationId);
    expect(s.stats()).toMatchObject({ invocations: 4, coldStarts: 4, kills: 0, timeouts: 0 });
    // Busy spans enclose the function's own [startedAt, endedAt]: at least their largest overlap.
    const overlap = Math.max(...four.map((e) => four.filter((x) => x.startedAt <= e.startedAt && x.endedAt >= e.startedAt).length));
    expect(s.stats().maxBusy).toBeGreaterThanOrEqual(Math.max(overlap, 2));
    expect(s.stats().maxBusy).toBeLessThanOrEqual(4);

    // Sequential calls reuse warm containers: no new cold start.
    const next = echo(await s.invoke("again"));
    expect(four.map((e) => e.pid)).toContain(next.pid);
    expect(s.stats().coldStarts).toBe(4);
    expect(s.containers().every((c) => !c.busy)).toBe(true);

    // Output of every container, each container's lines in order; listeners see pids.
    const seen = new Set<number>();
    const off = s.onOutput((_stream, _chunk, pid) => seen.add(pid));
    await Promise.all([s.invoke("sleep:100"), s.invoke("sleep:100")]);
    off();
    await expect.poll(() => seen.size).toBe(2);
    for (const e of four) {
      expect(s.fn.stdout()).toContain(`pool-func ${e.pid} handled ${e.callId}`);
      expect(s.fn.stderr()).toContain(`pool-func ${e.pid} stderr ${e.callId}`);
    }
    expect(s.fn.pid).toBe(warmPid);
  });

  it("gives sync invocations the function's timeout and detached ones its detached timeout as Fn-Deadline", async () => {
    const s = await start({ timeoutSeconds: 40, detachedTimeoutSeconds: 900 });
    let t = Date.now();
    const direct = echo(await s.invoke("x"));
    expect(Date.parse(direct.deadline) - t).toBeGreaterThan(39_000);
    expect(Date.parse(direct.deadline) - t).toBeLessThan(41_000);

    t = Date.now();
    const sync = JSON.parse(await bodyText((await invokeFn(s, "sync")).value)) as Echo;
    expect(Date.parse(sync.deadline) - t).toBeGreaterThan(39_000);
    expect(Date.parse(sync.deadline) - t).toBeLessThan(41_000);

    t = Date.now();
    await invokeFn(s, "detached", true);
    await s.emulator.functions.idle();
    const outcome = s.emulator.functions.detached.at(-1);
    const detached = JSON.parse(outcome?.result?.body.toString("utf8") ?? "{}") as Echo;
    expect(detached.body).toBe("detached");
    expect(Date.parse(detached.deadline) - t).toBeGreaterThan(899_000);
    expect(Date.parse(detached.deadline) - t).toBeLessThan(901_000);
  });

  it("SIGKILLs a container still busy 1 s after its deadline: direct invoke rejects, InvokeFunction answers 502", async () => {
    const s = await start({ timeoutSeconds: 1 });
    const t = Date.now();
    const error = await s.invoke("sleep:10000").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvocationFailedError);
    expect(error).toMatchObject({ reason: "timeout", message: expect.stringMatching(/still busy 1000 ms after the deadline/) });
    expect(Date.now() - t).toBeGreaterThanOrEqual(1_900);
    expect(Date.now() - t).toBeLessThan(5_000);
    expect(s.stats()).toMatchObject({ timeouts: 1, kills: 0 });
    expect(s.containers().map((c) => c.pid)).not.toContain((error as InvocationFailedError).pid);

    const f = await ociFailure(invokeFn(s, "sleep:10000"));
    expect(f).toMatchObject({ statusCode: 502, serviceCode: "FunctionInvokeExecutionFailed" });
    expect(f.message).toMatch(/timed out/);
    expect(s.stats().timeouts).toBe(2);
    // The pool serves on.
    expect(echo(await s.invoke("after")).body).toBe("after");
  });

  it("at the container limit answers InvokeFunction with 429 TooManyRequests at once, while direct invokes wait their turn", async () => {
    const s = await start({ maxContainers: 2, hotPollMs: 0 });
    const busy = [s.invoke("sleep:1500"), s.invoke("sleep:1500")];
    await expect.poll(() => s.containers().filter((c) => c.busy).length).toBe(2);

    let t = Date.now();
    const sync = await ociFailure(invokeFn(s, "no room"));
    expect(sync).toMatchObject({ statusCode: 429, serviceCode: "TooManyRequests" });
    const detached = await ociFailure(invokeFn(s, "no room either", true));
    expect(detached).toMatchObject({ statusCode: 429, serviceCode: "TooManyRequests" });
    expect(Date.now() - t).toBeLessThan(1_000);

    t = Date.now();
    const waited = echo(await s.invoke("waited"));
    const first = (await Promise.all(busy)).map(echo);
    expect(first.map((e) => e.pid)).toContain(waited.pid);
    expect(waited.startedAt).toBeGreaterThanOrEqual(Math.min(...first.map((e) => e.endedAt)));
    expect(s.stats()).toMatchObject({ coldStarts: 2, maxBusy: 2, invocations: 3 });
    expect(s.emulator.functions.detached).toHaveLength(0);
  });

  it("kills a busy container on request: the direct invocation rejects, the detached one is recorded failed, the pool replaces it", async () => {
    const s = await start();
    const direct = s.invoke("sleep:5000");
    await expect.poll(() => s.containers().filter((c) => c.busy).length).toBe(1);
    const pid = await s.killRandomBusy();
    expect(pid).toBeGreaterThan(0);
    const error = await direct.catch((e: unknown) => e);
    expect(error).toMatchObject({ name: "InvocationFailedError", reason: "killed", pid });
    expect(s.containers().map((c) => c.pid)).not.toContain(pid);

    await invokeFn(s, "sleep:5000", true);
    await expect.poll(() => s.containers().filter((c) => c.busy).length).toBe(1);
    const busyPid = s.containers().find((c) => c.busy)?.pid as number;
    expect(await s.kill(busyPid)).toBe(true);
    await s.emulator.functions.idle();
    const outcome = s.emulator.functions.detached.at(-1);
    expect(outcome?.result).toBeUndefined();
    expect(outcome?.error).toMatchObject({ reason: "killed", pid: busyPid });
    expect(await s.kill(busyPid)).toBe(false);
    expect(await s.killRandomBusy()).toBeUndefined();

    expect(s.stats()).toMatchObject({ kills: 2, timeouts: 0 });
    expect(echo(await s.invoke("still serving")).body).toBe("still serving");
  });

  it("tells where each busy container's invocation came from, and kills only those a filter picks", async () => {
    const s = await start({ hotPollMs: 0 });
    const direct = s.invoke("sleep:1500");
    await invokeFn(s, "sleep:1500", true);
    await expect.poll(() => s.containers().filter((c) => c.busy).length).toBe(2);
    expect(s.containers().map((c) => c.source).sort()).toEqual(["detached", "direct"]);
    const pid = await s.killRandomBusy((c) => c.source === "detached");
    expect(pid).toBeDefined();
    expect(echo(await direct).body).toBe("sleep:1500");
    await s.emulator.functions.idle();
    expect(s.emulator.functions.detached.at(-1)?.error).toMatchObject({ reason: "killed", pid });
    expect(await s.killRandomBusy((c) => c.source === "sync")).toBeUndefined();
  });

  it("waits in emulator.functions.idle() for detached invocations started while it waits", async () => {
    const s = await start();
    await invokeFn(s, "sleep:300", true);
    const idle = s.emulator.functions.idle().then(() => Date.now());
    await new Promise((r) => setTimeout(r, 150));
    await invokeFn(s, "sleep:400", true);
    const t = Date.now();
    expect(await idle).toBeGreaterThanOrEqual(t + 350);
    expect(s.emulator.functions.detached.map((d) => (JSON.parse(d.result?.body.toString("utf8") ?? "{}") as Echo).body)).toEqual(["sleep:300", "sleep:400"]);
  });
});

describe("ContainerPool", () => {
  it("lets an invocation wait up to hotPollMs for a busy container before a cold start, as the Fn agent does", async () => {
    const hot = new ContainerPool({ bundlePath: poolFunc, env: {}, hotPollMs: 1_000 });
    const cold = new ContainerPool({ bundlePath: poolFunc, env: {}, hotPollMs: 0 });
    try {
      for (const pool of [hot, cold]) await pool.warm();
      const [a1, b1] = await Promise.all([hot.invoke({ body: "sleep:200" }), hot.invoke({ body: "b" })]);
      expect(JSON.parse(b1.body).pid).toBe(JSON.parse(a1.body).pid);
      expect(hot.stats()).toMatchObject({ coldStarts: 1, maxBusy: 1 });
      const [a2, b2] = await Promise.all([cold.invoke({ body: "sleep:200" }), cold.invoke({ body: "b" })]);
      expect(JSON.parse(b2.body).pid).not.toBe(JSON.parse(a2.body).pid);
      expect(cold.stats()).toMatchObject({ coldStarts: 2 });
    } finally {
      await Promise.all([hot.stop(), cold.stop()]);
    }
  });

  it("stops containers idle longer than idleSeconds and starts a new one when needed", async () => {
    const pool = new ContainerPool({ bundlePath: poolFunc, env: {}, idleSeconds: 0.3 });
    try {
      const a = JSON.parse((await pool.invoke({ body: "one" })).body) as Echo;
      expect(pool.containers()).toHaveLength(1);
      const dir = path.dirname(pool.first()?.socketPath ?? "");
      await expect.poll(() => pool.containers().length, { timeout: 3_000 }).toBe(0);
      await expect.poll(() => existsSync(dir)).toBe(false);
      const b = JSON.parse((await pool.invoke({ body: "two" })).body) as Echo;
      expect(b.pid).not.toBe(a.pid);
      expect(pool.stats()).toMatchObject({ coldStarts: 2, invocations: 2 });
      expect(pool.stdout()).toContain(`pool-func ${a.pid} handled`);
      expect(pool.stdout()).toContain(`pool-func ${b.pid} handled`);
    } finally {
      await pool.stop();
    }
  });

  it("fails an invocation whose container dies, with its stderr, and answers a throwing function with the FDK's 502", async () => {
    const pool = new ContainerPool({ bundlePath: poolFunc, env: {} });
    try {
      const thrown = await pool.invoke({ body: "throw" });
      expect(thrown.status).toBe(502);
      const error = await pool.invoke({ body: "exit" }).catch((e: unknown) => e);
      expect(error).toMatchObject({ reason: "crashed", message: expect.stringMatching(/exited with code 7/) });
      await expect.poll(() => pool.containers().length).toBe(0);
      expect(JSON.parse((await pool.invoke({ body: "ok" })).body)).toMatchObject({ body: "ok" });
    } finally {
      await pool.stop();
    }
    await expect(pool.invoke({ body: "late" })).rejects.toMatchObject({ reason: "stopped" });
  });

  it("rejects tryInvoke at the limit, and reports a container that cannot start", async () => {
    const pool = new ContainerPool({ bundlePath: poolFunc, env: {}, maxContainers: 1 });
    try {
      const busy = pool.invoke({ body: "sleep:300" });
      expect(pool.hasCapacity()).toBe(false);
      await expect(pool.tryInvoke({ body: "x" })).rejects.toMatchObject({ reason: "no-capacity" });
      await busy;
      expect(pool.hasCapacity()).toBe(true);
    } finally {
      await pool.stop();
    }
    const broken = new ContainerPool({ bundlePath: path.join(path.dirname(poolFunc), "exit-func.cjs"), env: {} });
    try {
      await expect(broken.invoke({ body: "x" })).rejects.toMatchObject({ reason: "start-failed", message: expect.stringMatching(/exited with code 3/) });
    } finally {
      await broken.stop();
    }
  });
});
