import { existsSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startHttpGateway, type HttpGateway } from "../../src/local/fn/http-gateway.js";
import { startFunction, type FunctionProcess } from "../../src/local/fn/start-function.js";

const fixtures = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../fixtures/fn");
const echoBundle = path.join(fixtures, "echo-func.cjs");

interface Echo {
  body: string;
  callId: string | null;
  deadline: string | null;
  httpMethod: string | null;
  url: string | null;
  header: string | null;
  contentType: string | null;
  fnId: string;
  memory: number;
  probe: string | null;
  leak: string | null;
  concurrent: number;
  startedAt: number;
  endedAt: number;
}

describe("startFunction", () => {
  let fn: FunctionProcess;

  beforeAll(async () => {
    process.env["FN_RUNNER_PARENT_ONLY"] = "must-not-leak";
    fn = await startFunction({ bundlePath: echoBundle, env: { ECHO_PROBE: "probe-1" }, fnId: "ocid1.fnfunc.test", memoryMb: 512 });
    delete process.env["FN_RUNNER_PARENT_ONLY"];
  });
  afterAll(async () => {
    await fn.stop();
  });

  it("is ready once the FDK has made its socket symlink", () => {
    expect(existsSync(fn.socketPath)).toBe(true);
    expect(Buffer.byteLength(fn.socketPath)).toBeLessThan(107);
    expect(fn.pid).toBeGreaterThan(0);
  });

  it("invokes directly, passing call id, deadline and a minimal env", async () => {
    const deadline = new Date(Date.now() + 12_345);
    const r = await fn.invoke({ body: "hello", callId: "call-1", deadline, contentType: "text/plain" });
    expect(r.status).toBe(200);
    expect(r.httpStatus).toBe(200);
    expect(r.headers["content-type"]).toMatch(/^application\/json/);
    const e = r.json() as Echo;
    expect(e).toMatchObject({
      body: "hello",
      callId: "call-1",
      deadline: deadline.toISOString(),
      httpMethod: null,
      url: null,
      contentType: "text/plain",
      fnId: "ocid1.fnfunc.test",
      memory: 512,
      probe: "probe-1",
      leak: null,
    });
    await expect.poll(() => fn.stdout()).toContain("echo-func handled call-1");
  });

  it("defaults the call id and deadline", async () => {
    const before = Date.now();
    const e = (await fn.invoke({ body: "x" })).json() as Echo;
    expect(e.callId).toMatch(/^[0-9a-f-]{36}$/);
    const ms = Date.parse(e.deadline ?? "") - before;
    expect(ms).toBeGreaterThan(29_000);
    expect(ms).toBeLessThan(31_000);
  });

  it("passes gateway calls as Fn-Http-* headers and reads Fn-Http-Status", async () => {
    const r = await fn.invoke({
      body: "207",
      gateway: { method: "PUT", url: "/reencrypt?dry=1", headers: { "X-Custom": "abc" } },
    });
    expect(r.status).toBe(200);
    expect(r.httpStatus).toBe(207);
    expect(r.headers["fn-http-status"]).toBe("207");
    expect(r.headers["fn-http-h-x-echo"]).toBe("yes");
    expect(r.json()).toMatchObject({ httpMethod: "PUT", url: "/reencrypt?dry=1", header: "abc" });
  });

  it("reports a thrown error as a container 502", async () => {
    const r = await fn.invoke({ body: "throw" });
    expect(r.status).toBe(502);
    expect(r.httpStatus).toBe(502);
    expect(r.json()).toMatchObject({ message: "Exception in function, consult logs for details" });
    // The pipe and the socket race, so the log line may land just after the response.
    await expect.poll(() => fn.stderr()).toContain("echo-func was asked to throw");
  });

  it("serialises concurrent invokes, in order", async () => {
    const results = await Promise.all([1, 2, 3, 4].map((i) => fn.invoke({ body: "sleep:40", callId: `c${i}` })));
    const echoes = results.map((r) => r.json() as Echo);
    expect(echoes.map((e) => e.callId)).toEqual(["c1", "c2", "c3", "c4"]);
    expect(echoes.every((e) => e.concurrent === 1)).toBe(true);
    for (let i = 1; i < echoes.length; i++) {
      expect(echoes[i]!.startedAt).toBeGreaterThanOrEqual(echoes[i - 1]!.endedAt);
    }
  });

  it("keeps serving after a failed call in the queue", async () => {
    const [a, b] = await Promise.all([fn.invoke({ body: "throw" }), fn.invoke({ body: "after" })]);
    expect(a.status).toBe(502);
    expect((b.json() as Echo).body).toBe("after");
  });
});

describe("startFunction lifecycle", () => {
  it("stop() kills the process and removes its temp dir", async () => {
    const fn = await startFunction({ bundlePath: echoBundle, env: {} });
    const dir = path.dirname(fn.socketPath);
    expect(existsSync(dir)).toBe(true);
    await fn.stop();
    expect(existsSync(dir)).toBe(false);
    expect(await fn.exited).toBeNull(); // killed by SIGTERM
    await fn.stop(); // idempotent
    await expect(fn.invoke({ body: "x" })).rejects.toThrow(/has exited/);
  });

  it("gives a clear error, with stderr, when the process exits during startup", async () => {
    await expect(startFunction({ bundlePath: path.join(fixtures, "exit-func.cjs"), env: {} })).rejects.toThrow(
      /exit-func\.cjs exited with code 3 before it was ready; stderr:\nexit-func: OCI_RESOURCE_PRINCIPAL_VERSION is not set/,
    );
  });

  it("reports the FDK's own refusal when the env is wrong", async () => {
    await expect(startFunction({ bundlePath: echoBundle, env: { FN_FORMAT: "json" } })).rejects.toThrow(
      /exited with code 2.*does not support the 'json' format/s,
    );
  });

  it("gives up after readyTimeoutMs when no socket appears", async () => {
    // 3 s: the fixture's node must have started and printed its line to stderr by then, even with
    // the suite keeping both cores busy (300 ms was not always enough).
    await expect(
      startFunction({ bundlePath: path.join(fixtures, "hang-func.cjs"), env: {}, readyTimeoutMs: 3_000 }),
    ).rejects.toThrow(/did not create its socket within 3000 ms.*hang-func: forgot to call fdk\.handle/s);
  });

  it("tells onOutput which process wrote, and kill() SIGKILLs at once", async () => {
    const chunks: [string, number][] = [];
    const fn = await startFunction({ bundlePath: echoBundle, env: {}, onOutput: (stream, _chunk, pid) => chunks.push([stream, pid]) });
    try {
      await fn.invoke({ body: "x" });
      await expect.poll(() => chunks.some(([stream]) => stream === "stdout")).toBe(true);
      expect(chunks.every(([, pid]) => pid === fn.pid)).toBe(true);
      fn.kill();
      expect(await fn.exited).toBeNull();
    } finally {
      await fn.stop();
    }
  });

  it("explains an invoke that kills the process", async () => {
    const fn = await startFunction({ bundlePath: echoBundle, env: {} });
    try {
      process.kill(fn.pid, "SIGKILL");
      await fn.exited;
      await expect(fn.invoke({ body: "x" })).rejects.toThrow(/has exited/);
    } finally {
      await fn.stop();
    }
  });
});

describe("startHttpGateway", () => {
  let fn: FunctionProcess;
  let gw: HttpGateway;

  beforeAll(async () => {
    fn = await startFunction({ bundlePath: echoBundle, env: {} });
    gw = await startHttpGateway({ port: 0, invoke: (r) => fn.invoke(r) });
  });
  afterAll(async () => {
    await gw.close();
    await fn.stop();
  });

  it("forwards a POST end to end and maps Fn-Http-Status and Fn-Http-H-* back", async () => {
    expect(gw.url).toBe(`http://127.0.0.1:${gw.port}/reencrypt`);
    const res = await fetch(`${gw.url}?x=1`, {
      method: "POST",
      headers: { "X-Custom": "from-client", "Content-Type": "text/plain" },
      body: "207",
    });
    expect(res.status).toBe(207);
    expect(res.headers.get("content-type")).toMatch(/^application\/json/);
    expect(res.headers.get("x-echo")).toBe("yes");
    expect(res.headers.get("fn-fdk-version")).toBeNull();
    const e = (await res.json()) as Echo;
    expect(e).toMatchObject({ body: "207", httpMethod: "POST", url: "/reencrypt?x=1", header: "from-client", contentType: "text/plain" });
    const deadlineIn = Date.parse(e.deadline ?? "") - Date.now();
    expect(deadlineIn).toBeGreaterThan(290_000);
  });

  it("answers 200 for a plain call", async () => {
    const res = await fetch(gw.url, { method: "POST", body: "plain" });
    expect(res.status).toBe(200);
    expect(((await res.json()) as Echo).body).toBe("plain");
  });

  it("turns a function failure into 502 FunctionInvokeExecutionFailed", async () => {
    const res = await fetch(gw.url, { method: "POST", body: "throw" });
    expect(res.status).toBe(502);
    expect(await res.json()).toMatchObject({ error: { code: "FunctionInvokeExecutionFailed" } });
  });

  it("404s other paths and 405s other methods", async () => {
    const nf = await fetch(`http://127.0.0.1:${gw.port}/nope`, { method: "POST", body: "x" });
    expect(nf.status).toBe(404);
    expect(await nf.json()).toMatchObject({ error: { code: "NotFound" } });
    const na = await fetch(gw.url);
    expect(na.status).toBe(405);
    expect(na.headers.get("allow")).toBe("POST");
    expect(await na.json()).toMatchObject({ error: { code: "MethodNotAllowed" } });
  });

  it("rejects bodies over 6 MB with 413", async () => {
    const res = await fetch(gw.url, { method: "POST", body: Buffer.alloc(6 * 1024 * 1024 + 1, 0x61) });
    expect(res.status).toBe(413);
    expect(await res.json()).toMatchObject({ error: { code: "PayloadTooLarge" } });
    // A body of exactly the limit still goes through.
    const ok = await fetch(gw.url, { method: "POST", body: Buffer.alloc(6 * 1024 * 1024, 0x61) });
    expect(ok.status).toBe(200);
    expect(((await ok.json()) as Echo).body.length).toBe(6 * 1024 * 1024);
  });

  it("rejects with a plain message when the port is taken", async () => {
    await expect(startHttpGateway({ port: gw.port, invoke: (r) => fn.invoke(r) })).rejects.toThrow(
      `port ${gw.port} on 127.0.0.1 is already in use; pass another with --port or PORT=...`,
    );
  });

  it("answers 502 when invoke itself fails", async () => {
    const broken = await startHttpGateway({ port: 0, route: "/x", invoke: () => Promise.reject(new Error("container gone")) });
    try {
      const res = await fetch(broken.url, { method: "POST", body: "{}" });
      expect(res.status).toBe(502);
      expect(await res.json()).toMatchObject({ error: { code: "FunctionInvokeExecutionFailed", message: expect.stringContaining("container gone") } });
    } finally {
      await broken.close();
    }
  });
});
