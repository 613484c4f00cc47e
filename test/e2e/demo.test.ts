import { spawn } from "node:child_process";
import { createServer, type Server } from "node:net";
import type { AddressInfo } from "node:net";
import { resolve } from "node:path";
import { afterEach, describe, expect, it } from "vitest";

// `npm test` builds first, so dist/demo.cjs is the demo exactly as `npm start` runs it.
const DEMO = resolve("dist/demo.cjs");
const RUN_TIMEOUT_MS = 110_000;

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function runDemo(args: string[]): Promise<Run> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, [DEMO, ...args], { stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (c: string) => (stdout += c));
    child.stderr.setEncoding("utf8").on("data", (c: string) => (stderr += c));
    const timer = setTimeout(() => {
      child.kill("SIGTERM");
      fail(new Error(`demo did not exit within ${RUN_TIMEOUT_MS} ms; output so far:\n${stdout}\n${stderr}`));
    }, RUN_TIMEOUT_MS);
    child.on("error", fail);
    child.on("close", (code) => {
      clearTimeout(timer);
      done({ code, stdout, stderr });
    });
  });
}

/** The table printed after `heading`: header cells, then one row of cells per bucket. */
function tableAfter(text: string, heading: RegExp): Map<string, Record<string, number>> {
  const lines = text.split("\n");
  const start = lines.findIndex((l) => heading.test(l));
  expect(start, `no line matching ${heading}`).toBeGreaterThanOrEqual(0);
  const cells = (l: string) => l.trim().split(/\s{2,}/);
  const header = cells(lines[start + 1] ?? "");
  expect(header[0]).toBe("bucket");
  const rows = new Map<string, Record<string, number>>();
  for (const line of lines.slice(start + 2)) {
    if (!/^ {2}\S/.test(line) || /^\s+[✓✗]/.test(line)) break;
    const [bucket, ...values] = cells(line);
    const row: Record<string, number> = {};
    header.slice(1).forEach((h, i) => (row[h] = Number((values[i] ?? "").replace(/,/g, "").replace(/^-$/, "0"))));
    rows.set(bucket ?? "", row);
  }
  return rows;
}

const STACK_TRACE = /^\s+at .+[(:]\d+/m;

describe("npm start (dist/demo.cjs)", () => {
  let blocker: Server | undefined;
  afterEach(async () => {
    await new Promise<void>((r) => (blocker ? blocker.close(() => r()) : r()));
    blocker = undefined;
  });

  it(
    "walks through a rotation and HTTP requests, then exits 0 with --exit",
    async () => {
      const r = await runDemo(["--port", "0", "--exit"]);
      const all = r.stdout + r.stderr;
      expect(r.code, all).toBe(0);
      expect(all).not.toMatch(STACK_TRACE);
      expect(r.stderr.trim()).toBe("");

      const before = tableAfter(r.stdout, /^BEFORE/);
      expect(before.get("invoices")?.["finance-key v1"]).toBeGreaterThan(3000);
      expect(before.get("archive")?.["finance-key v1"]).toBe(1500);
      expect(before.get("app-logs")?.["logs-key v1"]).toBe(1000);

      const after = tableAfter(r.stdout, /^AFTER/);
      for (const bucket of ["invoices", "archive"]) {
        const row = after.get(bucket);
        expect(row?.["finance-key v1"], bucket).toBe(0);
        expect(row?.["finance-key v2"], bucket).toBe(row?.["total"]);
        expect(row?.["total"], bucket).toBe(before.get(bucket)?.["total"]);
      }
      // public: the rule's keep/ objects moved, the Oracle-managed and SSE-C ones did not.
      expect(after.get("public")).toMatchObject({ "finance-key v1": 0, "finance-key v2": 3, "Oracle-managed": 2, "SSE-C": 2 });
      expect(after.get("app-logs")).toMatchObject({ "logs-key v1": 1000, "finance-key v2": 0 });
      expect(r.stdout).toMatch(/✓ all [\d,]+ finance-key versions are on finance-key v2/);

      // The job needed continuations, and said so one invocation per line.
      const invocations = r.stdout.match(/^ {2}invocation \d+ \((event|resume)\)/gm) ?? [];
      expect(invocations.length).toBeGreaterThanOrEqual(2);
      expect(r.stdout).toMatch(/^Job succeeded: \d+ invocations/m);

      expect(r.stdout).toMatch(/HTTP 200 {2}dry-run {2}500 matched/);
      expect(r.stdout).toMatch(/HTTP 200 {2}succeeded {2}10 re-encrypted, 0 failed/);

      const curls = r.stdout.match(/^ {2}curl -sS -X POST http:\/\/127\.0\.0\.1:\d+\/reencrypt /gm) ?? [];
      expect(curls.length).toBeGreaterThanOrEqual(4);
      expect(r.stdout).toMatch(/"secretId":"ocid1\.vaultsecret\./);
      expect(r.stdout).toMatch(/\{"resume":"j1\.[A-Za-z0-9-]+\.[A-Za-z0-9_-]{22,}"\}/);
    },
    RUN_TIMEOUT_MS + 10_000,
  );

  it("exits 1 with one clear line when the port is taken", async () => {
    const server = createServer();
    blocker = server;
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
    const port = (server.address() as AddressInfo).port;
    const r = await runDemo(["--port", String(port), "--exit"]);
    expect(r.code).toBe(1);
    const lines = (r.stdout + r.stderr).split("\n").filter((l) => l.trim() !== "");
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain("already in use");
    expect(lines[0]).toContain(String(port));
  });
});
