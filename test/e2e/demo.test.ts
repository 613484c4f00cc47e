import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { createServer, type AddressInfo, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterEach, describe, expect, it } from "vitest";

// `npm start` (dist/demo.cjs, built by `npm test` first, exactly as `npm start` runs it): the
// walkthrough with its flags, the commands it prints (run here as printed: curl against the
// gateway, `npm run job` against the state bucket), Ctrl-C, --exit, --help and bad flags.

const DEMO = resolve("dist/demo.cjs");
const STACK_TRACE = /^\s+at .+[(:]\d+/m;

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function runDemo(args: string[], timeoutMs: number): Promise<Run> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, [DEMO, ...args], { stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (c: string) => (stdout += c));
    child.stderr.setEncoding("utf8").on("data", (c: string) => (stderr += c));
    const timer = setTimeout(() => {
      child.kill("SIGTERM");
      fail(new Error(`demo did not exit within ${timeoutMs} ms; output so far:\n${stdout}\n${stderr}`));
    }, timeoutMs);
    child.on("error", fail);
    child.on("close", (code) => {
      clearTimeout(timer);
      done({ code, stdout, stderr });
    });
  });
}

interface Serving {
  child: ChildProcess;
  /** Everything printed up to and including the "Serving:" line. */
  stdout: () => string;
  stderr: () => string;
  exited: Promise<number | null>;
}

/** Starts the demo and resolves once it serves (its "Serving:" line). */
function startServing(args: string[], timeoutMs: number): Promise<Serving> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, [DEMO, ...args], { stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    const exited = new Promise<number | null>((r) => child.on("close", (code) => r(code)));
    const timer = setTimeout(() => {
      child.kill("SIGTERM");
      fail(new Error(`demo did not serve within ${timeoutMs} ms; output so far:\n${stdout}\n${stderr}`));
    }, timeoutMs);
    child.stdout.setEncoding("utf8").on("data", (c: string) => {
      stdout += c;
      if (/^Serving: /m.test(stdout)) {
        clearTimeout(timer);
        done({ child, stdout: () => stdout, stderr: () => stderr, exited });
      }
    });
    child.stderr.setEncoding("utf8").on("data", (c: string) => (stderr += c));
    void exited.then((code) => {
      clearTimeout(timer);
      fail(new Error(`demo exited with ${code} before serving:\n${stdout}\n${stderr}`));
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

/** The rotation and HTTP walkthrough, as every run prints it: ground truth before and after, the job's status, the long request. */
function expectWalkthrough(stdout: string, deadline: number): void {
  expect(stdout).toContain(`timeout ${deadline} s (--deadline)`);
  const before = tableAfter(stdout, /^BEFORE/);
  expect(before.get("invoices")?.["finance-key v1"]).toBe(2009);
  expect(before.get("archive")?.["finance-key v1"]).toBe(1000);
  expect(before.get("app-logs")?.["logs-key v1"]).toBe(1000);
  expect(before.get("media")?.["Oracle-managed"]).toBe(3000);

  const after = tableAfter(stdout, /^AFTER/);
  for (const bucket of ["invoices", "archive"]) {
    const row = after.get(bucket);
    expect(row?.["finance-key v1"], bucket).toBe(0);
    expect(row?.["finance-key v2"], bucket).toBe(row?.["total"]);
    expect(row?.["total"], bucket).toBe(before.get(bucket)?.["total"]);
  }
  // public: the rule's keep/ objects moved, the Oracle-managed and SSE-C ones did not.
  expect(after.get("public")).toMatchObject({ "finance-key v1": 0, "finance-key v2": 3, "Oracle-managed": 2, "SSE-C": 2 });
  expect(after.get("app-logs")).toMatchObject({ "logs-key v1": 1000, "finance-key v2": 0 });
  expect(stdout).toMatch(/✓ all [\d,]+ finance-key versions are on finance-key v2/);

  // The event is answered at once; the job is watched through its status route.
  expect(stdout).toMatch(/^ {2}answered HTTP 202 continuing after [\d.]+ s: job [0-9a-f-]{36}$/m);
  expect(stdout).toMatch(/^Its status, as GET http:\/\/127\.0\.0\.1:\d+\/reencrypt\/jobs\/[0-9a-f-]{36} answers it/m);
  const statusLines = stdout.match(/^ +\+[\d.]+ s {2}(running|stalled|succeeded) +[\d,]+ of 3,012 re-encrypted · shards \d+ running, \d+ done/gm) ?? [];
  expect(statusLines.length).toBeGreaterThanOrEqual(2);
  expect(statusLines.at(-1)).toMatch(/succeeded +3,012 of 3,012 re-encrypted · shards 0 running, (\d+) done/);
  // A shard's container was killed, and the job recovered: through a sweep, or taken over by a finishing shard.
  expect(stdout).toMatch(/✗ SIGKILL container \d+, busy with a shard/);
  const swept = /→ \{"sweep": true\}, as the scheduled sweep sends it .*: resumed [0-9a-f-]{36}/.test(stdout);
  if (/^ +\+[\d.]+ s {2}stalled /m.test(stdout)) expect(swept, "a stalled job must be swept").toBe(true);
  expect(stdout).toMatch(/^Job succeeded: \d+ invocations \(1 event \+ \d+ detached/m);
  expect(stdout).toMatch(/Its summary, reports\/[0-9a-f-]{36}\.summary\.json in the state bucket: \{"status":"succeeded","counts":\{"matched":3012,"reencrypted":3012,"failed":0,"skipped":1\}/);
  // The one skipped version is named, with what it is (the seed's delete marker), read from the report.
  expect(stdout).toMatch(/^ {2}Skipped without a call: invoices\/2023\/withdrawn\.pdf is a delete marker: the object was deleted, and a marker holds no data to re-encrypt\.$/m);
  // The status route is shown as a template a reader fills in, never %-encoded.
  expect(stdout).toMatch(/^ {2}gateway {6}http:\/\/127\.0\.0\.1:\d+\/reencrypt {2}\(and GET http:\/\/127\.0\.0\.1:\d+\/reencrypt\/jobs\/\{jobId\}\)$/m);
  expect(stdout).not.toMatch(/%7B|%7D/i);

  expect(stdout).toMatch(/HTTP 200 {2}dry-run {2}500 matched/);
  // A bulk request to another key leaves the scope the bucket's key governs alone; one object does what it names.
  expect(stdout).toMatch(/HTTP 200 {2}skipped {2}0 re-encrypted, 0 failed\n\s+left alone: app-logs\/2025\/01\/00000\* is governed by the bucket's own key/);
  expect(stdout).toMatch(/HTTP 200 {2}succeeded {2}1 re-encrypted, 0 failed/);
  expect(stdout).toMatch(/app-logs\/2025\/01\/00000\*: 9 on logs-key v1, 1 on finance-key v2/);
  // The key lifecycle walk: a bucket moved to another key is followed; finance-key v1 may go as far as the records show.
  expect(stdout).toMatch(/answered HTTP 202 continuing: key-change job [0-9a-f-]{36} succeeded, 1,000 re-encrypted\n\s+archive: 1,000 on logs-key v1 \(emulator ground truth\)/);
  expect(stdout).toMatch(/scopes of finance-key: invoices, public \(archive is no longer on it\)/);
  expect(stdout).toMatch(/finance-key v1: none known: every scope was re-wrapped past it/);
  // The long request: 202 incomplete with a token, its status while it waits, resumed to the end.
  expect(stdout).toMatch(/^ {4}call 1 {2}POST the request +→ {2}HTTP 202 {2}incomplete {2}[\d,]+ of 3,000 re-encrypted; resume token j1\./m);
  expect(stdout).toMatch(/^ {12}GET its status +→ {2}HTTP 200 {2}incomplete +[\d,]+ of 3,000 re-encrypted/m);
  expect(stdout).toMatch(/^ {4}call \d+ {2}POST \{"resume": "j1\.[^"]+"\} +→ {2}HTTP 200 {2}succeeded {2}3,000 of 3,000 re-encrypted$/m);
  expect(stdout).toMatch(/✓ 3,000 media objects re-encrypted in \d+ calls, none skipped/);
  // What operators were told (contract §13): the rotation's one message, the requests' messages, the metrics.
  const ops = stdout.slice(stdout.indexOf("OPERATIONS:"));
  expect(ops).toMatch(/^ {4}oci-reencrypt: succeeded rotation job [0-9a-f-]{36} +3,012 re-encrypted, 0 failed, [\d.]+ s, report \/n\/demo\/b\/reencrypt-state\/o\/reports\/[0-9a-f-]{36}\.summary\.json$/m);
  expect(ops.match(/^ {4}oci-reencrypt: succeeded rotation job /gm)).toHaveLength(1);
  expect(ops).toMatch(/^ {4}oci-reencrypt: succeeded request job [0-9a-f-]{36} +3,000 re-encrypted, 0 failed/m);
  expect(ops).toMatch(/^ {4}JobsFinished origin=rotation status=succeeded +1$/m);
  // 10 + 3,000 (a version in flight at a deadline is redone, and counted, again).
  expect(ops).toMatch(/^ {4}VersionsReencrypted origin=request +3,\d{3}$/m);
}

const RUN_MS = 240_000;

/** The commands under "Try it": curl invocations (joined across their `\` line ends) and npm run job lines. */
function printedCommands(stdout: string): { comment: string; command: string }[] {
  const lines = stdout.slice(stdout.indexOf("Try it")).split("\n").slice(1);
  const out: { comment: string; command: string }[] = [];
  let comment = "";
  for (let i = 0; i < lines.length; i++) {
    const line = (lines[i] as string).trim();
    if (line.startsWith("Serving:") || line === "") break;
    if (line.startsWith("# ")) {
      comment = line.slice(2);
      continue;
    }
    let command = line;
    while (command.endsWith("\\")) command = `${command.slice(0, -1).trimEnd()} ${(lines[++i] as string).trim()}`;
    out.push({ comment, command: command.replace(/\s+#.*$/, "") });
  }
  return out;
}

function sh(command: string): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync("sh", ["-c", command], { encoding: "utf8", cwd: resolve("."), timeout: 120_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const json = (text: string) => JSON.parse(text) as Record<string, any>;

describe("npm start (dist/demo.cjs)", () => {
  let blocker: Server | undefined;
  afterEach(async () => {
    await new Promise<void>((r) => (blocker ? blocker.close(() => r()) : r()));
    blocker = undefined;
  });

  it.concurrent(
    "with --deadline 5: watches the rotation's status, kills a shard and recovers it, resumes a long request over HTTP; every printed command works; Ctrl-C stops it",
    async ({ onTestFinished }) => {
      const s = await startServing(["--port", "0", "--deadline", "5"], RUN_MS);
      // Its own clean-up, not an afterEach: a concurrent test's afterEach runs when that test ends,
      // which may be while this one still runs.
      onTestFinished(() => {
        if (s.child.exitCode === null && s.child.signalCode === null) s.child.kill("SIGKILL");
      });
      const stdout = s.stdout();
      expect(stdout).not.toMatch(STACK_TRACE);
      expect(s.stderr()).toBe("");
      expectWalkthrough(stdout, 5);
      const port = Number(/^Serving: POST http:\/\/127\.0\.0\.1:(\d+)\/reencrypt/m.exec(stdout)?.[1]);
      expect(port).toBeGreaterThan(0);
      expect(stdout).toMatch(new RegExp(`^Serving: POST http://127\\.0\\.0\\.1:${port}/reencrypt {2}· {2}GET http://127\\.0\\.0\\.1:${port}/reencrypt/jobs/\\{jobId\\} {2}\\(ready in`, "m"));
      const session = join(tmpdir(), "oci-reencrypt-local", `${port}.json`);
      expect(existsSync(session)).toBe(true);

      const commands = printedCommands(stdout);
      expect(commands.map((c) => c.command.replace(/[0-9a-f-]{36}/g, "<id>").replace(/-d '.*'$/, "-d '…'"))).toEqual([
        ...Array.from({ length: 5 }, () => `curl -sS -X POST http://127.0.0.1:${port}/reencrypt -H 'Content-Type: application/json' -d '…'`),
        `curl -sS http://127.0.0.1:${port}/reencrypt/jobs/<id>`,
        `curl -sS -X POST http://127.0.0.1:${port}/reencrypt -H 'Content-Type: application/json' -d '…'`,
        `npm run job -- <id> --port ${port}`,
        `npm run -s job -- <id> --report --port ${port}`,
        `curl -sS -X POST http://127.0.0.1:${port}/reencrypt -H 'Content-Type: application/json' -d '…'`,
        `npx oci-reencrypt run --local --local-port ${port} -bn invoices --prefix 2024/ --all-versions --dry-run --output table`,
        `npx oci-reencrypt status <id> --local --local-port ${port} --no-wait --output table`,
      ]);
      const run = (i: number) => {
        const c = commands[i] as { comment: string; command: string };
        const r = sh(c.command);
        expect(r.code, `${c.command}\n${r.stderr}`).toBe(0);
        return r.stdout;
      };
      expect(json(run(0))).toMatchObject({ status: "succeeded", counts: { reencrypted: 1 } });
      expect(json(run(1))).toMatchObject({ status: "dry-run" });
      expect(json(run(2))).toMatchObject({ status: "succeeded", counts: { reencrypted: 1 } });
      expect(json(run(3))).toMatchObject({ status: "succeeded", counts: { reencrypted: 3 } });
      const long = json(run(4));
      expect(long).toMatchObject({ status: "incomplete", resume: expect.stringMatching(/^j1\./) });
      expect(json(run(5))).toMatchObject({ origin: "request", status: "incomplete", shards: { total: 1 } });
      expect(["incomplete", "succeeded"]).toContain(json(run(6)).status);
      // npm run job: status, summary (from the state bucket), report lines.
      const job = run(7);
      expect(job).toMatch(/^status {4}succeeded/m);
      expect(job).toMatch(/^counts {4}3,012 matched · 3,012 re-encrypted · 0 failed · 1 skipped$/m);
      expect(job).toMatch(/^summary {3}\/n\/demo\/b\/reencrypt-state\/o\/reports\/[0-9a-f-]{36}\.summary\.json$/m);
      expect(job).toMatch(/"durationSeconds": [\d.]+/);
      const report = run(8).trim().split("\n").map(json);
      const reencrypted = report.filter((l) => l["outcome"] === "reencrypted").map((l) => `${l["bucket"]}/${l["object"]}/${l["versionId"]}`);
      expect(new Set(reencrypted).size).toBe(reencrypted.length);
      // Every version once, the killed shard's too: a checkpoint stores its report lines before the
      // record counts them, and what the killed run did after its last checkpoint was redone once.
      expect(reencrypted).toHaveLength(3012);
      // A caller may not send what only direct invocations may (the sweep): 403, nothing done.
      expect(json(run(9))).toMatchObject({ error: { code: "EntranceNotAllowed" } });
      // The operator CLI against this stack, as printed (README, "The CLI against the demo").
      const listed = run(10);
      expect(listed).toMatch(/\bdry-run\b/);
      expect(listed).toContain("2024/Q1 report+final.pdf");
      expect(run(11)).toMatch(/\bsucceeded\b/);

      // Ctrl-C: everything stops, the session file goes, the port closes.
      s.child.kill("SIGINT");
      expect(await s.exited).toBe(0);
      expect(existsSync(session)).toBe(false);
      await expect(fetch(`http://127.0.0.1:${port}/reencrypt`, { method: "POST", body: "{}" })).rejects.toThrow();
    },
    RUN_MS + 60_000,
  );

  it.concurrent(
    "with --exit: walks through with the defaults and exits 0, printing no command for the closed gateway",
    async () => {
      const r = await runDemo(["--port", "0", "--exit"], RUN_MS);
      const all = r.stdout + r.stderr;
      expect(r.code, all).toBe(0);
      expect(all).not.toMatch(STACK_TRACE);
      expect(r.stderr.trim()).toBe("");
      expectWalkthrough(r.stdout, 8);
      expect(r.stdout).not.toMatch(/curl |npm run job|Serving:/);
      expect(r.stdout.trim().split("\n").at(-1)).toBe("--exit: the walkthrough is over and the gateway is closed (run `npm start` without --exit to keep it serving).");
    },
    RUN_MS + 10_000,
  );

  it("--help explains every flag", async () => {
    const r = await runDemo(["--help"], 20_000);
    expect(r.code).toBe(0);
    for (const flag of ["--port N", "--deadline S", "--checkpoint S", "--exit", "--verbose", "-h, --help"]) expect(r.stdout).toMatch(new RegExp(`^ {2}${flag.replace(/[.*+?^${}()|[\]\\-]/g, "\\$&")} `, "m"));
    expect(r.stdout).toMatch(/^usage: npm start -- \[--port N\] \[--deadline S\] \[--checkpoint S\] \[--exit\] \[--verbose\] \[--help\]/);
    expect(r.stdout).toContain("npm run job -- <jobId>");
  });

  it.each([
    [["--deadline", "1"], /^invalid deadline "1": expected a whole number from 3 to 300 \(seconds\); run `npm start -- --help` for every option$/],
    [["--checkpoint", "x"], /^invalid checkpoint "x"/],
    [["--port", "70000"], /^invalid port "70000"/],
    [["--nope"], /^Unknown option '--nope'.*; run `npm start -- --help`/],
  ])("exits 1 with one line for %j", async (args, line) => {
    const r = await runDemo(args, 20_000);
    expect(r.code).toBe(1);
    const lines = (r.stdout + r.stderr).split("\n").filter((l) => l.trim() !== "");
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(line);
  });

  it("exits 1 with one clear line when the port is taken", async () => {
    const server = createServer();
    blocker = server;
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
    const port = (server.address() as AddressInfo).port;
    const r = await runDemo(["--port", String(port), "--exit"], 20_000);
    expect(r.code).toBe(1);
    const lines = (r.stdout + r.stderr).split("\n").filter((l) => l.trim() !== "");
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain("already in use");
    expect(lines[0]).toContain(String(port));
  });

  it("npm run job says so when no local stack serves, and refuses a bad job id", () => {
    const none = sh("npm run -s job -- 4712c600-c9c8-4e02-97c9-5932a6747207 --port 1");
    expect(none.code).toBe(1);
    expect(none.stderr.trim()).toMatch(/^no local stack is serving on port 1: start one with `npm start -- --port 1`/);
    const bad = sh("npm run -s job -- ../etc");
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/is not a job id/);
    const help = sh("npm run -s job -- --help");
    expect(help.code).toBe(0);
    for (const flag of ["--port N", "--watch", "--report", "--json", "-h, --help"]) expect(help.stdout).toContain(`  ${flag}`);
  });
});
