import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import type { Seed } from "../../src/local/emulator/index.js";
import { cliWorld, runCli, waitFor, type CliWorld } from "./cli-helpers.js";
import { plainText, runInPty, type PtyRun } from "./cli-pty.js";
import { expectAllSigned } from "./helpers.js";

// The CLI on a real terminal (a pseudo-terminal, see cli-pty.ts): the progress bar is drawn, and
// the process must still end when its job ends (issue 20 item 1), Ctrl-C must still checkpoint,
// and nothing an object's name holds may act on the terminal (issue 16 item 4).

const EVIL = "evil\u001b]0;PWNED-TITLE\u0007\u001b[2K\u001b[1A\u001b[31mFAKE-OK";
/** How the CLI shows that name to a person. */
const EVIL_SHOWN = "evil\\e]0;PWNED-TITLE\\x07\\e[2K\\e[1A\\e[31mFAKE-OK";

const seed = (bigCount: number): Seed => ({
  namespace: "ttyns",
  secrets: [{ name: "customer-key", randomSseCKey: true }],
  buckets: [
    { name: "ok", objects: [{ prefix: "a/", count: 6 }] },
    // An SSE-C object re-encrypted without its key: the service's own 400, no fault injected.
    { name: "mixed", objects: [{ prefix: "m/", count: 4 }, { name: EVIL, sseCustomerKey: { secret: "customer-key" } }] },
    { name: "big", versioning: "Enabled", objects: [{ prefix: "v/", count: bigCount, versions: 3 }] },
  ],
});

let w: CliWorld | undefined;
const ptys: PtyRun[] = [];
afterEach(async () => {
  for (const p of ptys.splice(0)) p.kill();
  if (w) expectAllSigned(w.em);
  await w?.close();
  w = undefined;
});

/** Runs to the end on the pty; `answered` is when the answer (the JSON's "status") was on screen. */
async function ptyRun(world: CliWorld, args: string[], env: Record<string, string> = {}): Promise<{ code: number | null; out: string; lingeredMs: number }> {
  const p = runInPty(args, { env: { ...world.env, ...env }, cwd: world.dir });
  ptys.push(p);
  let answered = 0;
  await waitFor(() => /"status"|│ status/.test(plainText(p.output())), 60_000, `the answer of ${args.join(" ")}`).catch((error: unknown) => {
    throw new Error(`${String(error)}; the terminal shows: ${plainText(p.output())}`);
  });
  answered = Date.now();
  // The bug this guards against: the bar's redraw timer kept the process alive for ever.
  const ended = await Promise.race([p.done, new Promise<undefined>((r) => setTimeout(() => r(undefined), 15_000))]);
  if (!ended) throw new Error(`still running 15 s after its answer; the terminal shows: ${plainText(p.output()).slice(-2000)}`);
  return { code: ended.code, out: p.output(), lingeredMs: ended.endedAt - answered };
}

const reencrypts = (world: CliWorld) => world.em.requests.filter((q) => q.operation === "ReencryptObject").length;

describe("the CLI on a terminal", () => {
  it("short, failing and long jobs with the bar end with their exit code as soon as they are done", async () => {
    w = await cliWorld({ seed: seed(500) });
    const world = w;
    const short = await ptyRun(world, ["run", "-bn", "ok"]);
    expect(short.code, short.out).toBe(0);
    expect(short.lingeredMs).toBeLessThan(3_000);
    expect(plainText(short.out)).toMatch(/100% \| 6\/6 versions/);

    const failing = await ptyRun(world, ["run", "-bn", "mixed"]);
    expect(failing.code, failing.out).toBe(1);
    expect(failing.lingeredMs).toBeLessThan(3_000);
    expect(plainText(failing.out)).toMatch(/1 object version\(s\) failed/);

    world.em.faults.setBaseLatency(3);
    const long = await ptyRun(world, ["run", "-bn", "big", "--all-versions", "--concurrency", "4"]);
    world.em.faults.setBaseLatency(0);
    expect(long.code, long.out).toBe(0);
    expect(long.lingeredMs).toBeLessThan(3_000);
    // The bar was drawn (and redrawn) on the terminal, then ended at the job's size.
    expect((long.out.match(/░/g) ?? []).length).toBeGreaterThan(30);
    expect(plainText(long.out)).toMatch(/100% \| 1500\/1500 versions/);
    expect(world.em.state.objectVersions("big").filter((v) => v.reencryptCount !== 1)).toEqual([]);
  });

  it("Ctrl-C typed at the terminal checkpoints and exits 130; --resume finishes the job", async () => {
    w = await cliWorld({ seed: seed(700) });
    const world = w;
    world.em.faults.setBaseLatency(4);
    const checkpoint = join(world.dir, "tty.ckpt.json");
    const p = runInPty(["run", "-bn", "big", "--all-versions", "--concurrency", "4", "--checkpoint", checkpoint], { env: world.env, cwd: world.dir });
    ptys.push(p);
    await waitFor(() => reencrypts(world) >= 200, 60_000, "200 ReencryptObject calls");
    p.type("\u0003");
    const ended = await Promise.race([p.done, new Promise<undefined>((r) => setTimeout(() => r(undefined), 30_000))]);
    expect(ended, plainText(p.output())).toBeDefined();
    expect(ended?.code, plainText(p.output())).toBe(130);
    const screen = plainText(p.output());
    expect(screen).toMatch(/SIGINT: stopping/);
    expect(screen).toMatch(/"status": "incomplete"/);
    expect(screen).toContain(`resume with: oci-reencrypt run --resume ${checkpoint}`);
    const cp = JSON.parse(readFileSync(checkpoint, "utf8"));
    expect(cp.work.cursor).toBeDefined();
    expect(cp.totals.reencrypted).toBeGreaterThanOrEqual(200);
    world.em.faults.setBaseLatency(0);
    const resumed = await runCli(["run", "--resume", checkpoint, "--progress", "none"], { env: world.env, cwd: world.dir });
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(world.em.state.objectVersions("big").filter((v) => v.reencryptCount !== 1)).toEqual([]);
  });

  it("an object name with terminal escapes is shown escaped in the failure lines, tables and dry-run tables; JSON keeps it exact", async () => {
    w = await cliWorld({ seed: seed(1) });
    const world = w;
    const attack = ["\u001b]0;", "\u0007", "\u001b[2K\u001b[1A\u001b[31mFAKE-OK", "\u001b[31mFAKE"];
    for (const args of [
      ["run", "-bn", "mixed", "--output", "table"],
      ["run", "-bn", "mixed", "--dry-run", "--output", "table"],
    ]) {
      const r = await ptyRun(world, args);
      for (const a of attack) expect(r.out.includes(a), `${JSON.stringify(a)} reached the terminal in ${args.join(" ")}`).toBe(false);
      expect(r.out).toContain("evil\\e]0;PWNED-TITLE");
      if (!args.includes("--dry-run")) {
        expect(r.code).toBe(1);
        // The failure line is there, whole, and nothing erased it.
        expect(plainText(r.out)).toContain(`ttyns/mixed/${EVIL_SHOWN}: 400 InvalidParameter`);
      } else {
        expect(r.code).toBe(0);
        expect(plainText(r.out)).toMatch(/objects \(5\):/);
      }
    }
    const json = await runCli(["run", "-bn", "mixed", "--progress", "none"], { env: world.env, cwd: world.dir });
    expect(json.stdout).not.toContain("\u001b");
    expect(JSON.parse(json.stdout).failures[0].object).toBe(EVIL);
    expect(json.stderr).toContain(EVIL_SHOWN);
    expect(json.stderr).not.toContain("\u001b");
  });

  it("colour on a terminal (status words, failures), none with NO_COLOR", async () => {
    w = await cliWorld({ seed: seed(1) });
    const coloured = await ptyRun(w, ["run", "-bn", "mixed", "--output", "table"]);
    expect(coloured.out).toMatch(/\u001b\[33mpartial\u001b\[39m/);
    expect(coloured.out).toMatch(/\u001b\[31m400 InvalidParameter\u001b\[39m/);
    const plain = await ptyRun(w, ["run", "-bn", "mixed", "--output", "table"], { NO_COLOR: "1" });
    expect(plain.out).not.toMatch(/\u001b\[(3[0-9]|2|1|22)m/);
    expect(plain.out).toMatch(/│ status │ partial/);
    // Not a terminal: no colour either.
    const piped = await runCli(["run", "-bn", "mixed", "--output", "table", "--progress", "none"], { env: w.env, cwd: w.dir });
    expect(piped.stdout + piped.stderr).not.toContain("\u001b");
    expect(existsSync(w.dir)).toBe(true);
  });
});
