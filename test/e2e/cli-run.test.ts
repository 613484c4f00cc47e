import { randomBytes } from "node:crypto";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { sseCKeySha256, type Seed } from "../../src/local/emulator/index.js";
import { cliWorld, jsonLines, runCli, startCli, waitFor, type CliWorld } from "./cli-helpers.js";
import { expectAllSigned } from "./helpers.js";

// `oci-reencrypt run`: bulk re-encryption with the function's engine in the CLI's process, run as
// the built CLI against the emulator; ground truth is the emulator's record of every version.

const seed = (bigCount = 40): Seed => ({
  namespace: "runns",
  vaults: [{ name: "v", keys: [{ name: "k1" }, { name: "k2" }] }],
  buckets: [
    { name: "b1", kmsKey: "k1", versioning: "Enabled", objects: [{ prefix: "x/", count: 20, versions: 3 }, { name: "gone", deleted: true }] },
    { name: "b2", objects: [{ prefix: "y/", count: 15 }, { prefix: "z/", count: 5 }] },
    { name: "big", versioning: "Enabled", objects: [{ prefix: "v/", count: bigCount, versions: 3 }] },
  ],
});

let w: CliWorld | undefined;
afterEach(async () => {
  if (w) expectAllSigned(w.em);
  await w?.close();
  w = undefined;
});

const live = (world: CliWorld, bucket: string, prefix = "") => world.em.state.objectVersions(bucket, prefix).filter((v) => !v.isDeleteMarker);

describe("oci-reencrypt run", () => {
  it("re-encrypts every version of several buckets once, with a CSV report and JSON progress lines on stderr", async () => {
    w = await cliWorld({ seed: seed() });
    const report = join(w.dir, "out.csv");
    const r = await runCli(["run", "--bucket-name", "b1", "-bn", "b2", "--all-versions", "--report", report, "--progress-seconds", "0.1"], { env: w.env, cwd: w.dir });
    expect(r.code, r.stderr).toBe(0);
    const answer = JSON.parse(r.stdout);
    // b1: 20 names × 3 versions + the delete marker's object ("gone": 1 version + marker); b2: 20.
    expect(answer).toMatchObject({ status: "succeeded", counts: { reencrypted: 61 + 20, failed: 0, skipped: 1 } });
    for (const v of [...live(w, "b1"), ...live(w, "b2")]) expect(v.reencryptCount).toBe(1);
    const lines = readFileSync(report, "utf8").trim().split("\r\n");
    expect(lines[0]).toBe("namespace,bucket,object,versionId,outcome,status,code");
    expect(lines.filter((l) => l.includes(",reencrypted"))).toHaveLength(81);
    expect(lines.filter((l) => l.includes(",skipped"))).toHaveLength(1);
    const progress = jsonLines(r.stderr, "progress");
    expect(progress.length).toBeGreaterThan(0);
    expect(progress[progress.length - 1]).toMatchObject({ done: 82, reencrypted: 81, failed: 0, total: 82 });
    // Finished: the default checkpoint is removed.
    expect(existsSync(join(w.dir, `oci-reencrypt-${answer.jobId}.checkpoint.json`))).toBe(false);
  });

  it("--dry-run lists and changes nothing (table output)", async () => {
    w = await cliWorld({ seed: seed() });
    const r = await runCli(["run", "-bn", "b2", "--prefix", "z/", "--dry-run", "--output", "table"], { env: w.env, cwd: w.dir });
    expect(r.code, r.stderr).toBe(0);
    expect(w.em.requests.filter((q) => q.operation === "ReencryptObject")).toHaveLength(0);
    expect(r.stdout).toMatch(/status\s*│\s*dry-run/);
    expect(r.stdout).toMatch(/counts\s*│\s*matched: 5 · reencrypted: 0 · failed: 0 · skipped: 0/);
    expect(r.stdout).toMatch(/objects \(5\):/);
    for (let i = 0; i < 5; i++) expect(r.stdout).toContain(`z/00000${i}`);
  });

  it("runs the function's request body (--targets) and reports a missing bucket with its hint, exit 1", async () => {
    w = await cliWorld({ seed: seed() });
    const body = join(w.dir, "request.json");
    writeFileSync(body, JSON.stringify({ targets: [{ bucket: "b2", prefix: "y/" }, { bucket: "no-such-bucket" }], key: { type: "kms", kmsKeyId: w.em.seedIds.keys["k2"] } }));
    // A Vault key re-encrypts what it governs (contract §11): the rule gives y/ to k2. Without it the scope is left alone.
    const rules = JSON.stringify([{ bucket: "b2", prefix: "y/", kmsKeyId: w.em.seedIds.keys["k2"] }]);
    const without = await runCli(["run", "--targets", body, "--progress", "none"], { env: w.env, cwd: w.dir });
    expect(JSON.parse(without.stdout)).toMatchObject({ status: "failed", counts: { reencrypted: 0, failed: 1 }, leftAlone: [{ bucket: "b2", prefix: "y/", governedBy: { bucketKey: null } }] });
    const r = await runCli(["run", "--targets", body, "--progress", "none"], { env: { ...w.env, REENCRYPT_RULES: rules }, cwd: w.dir });
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout)).toMatchObject({ status: "partial", counts: { reencrypted: 15, failed: 1 } });
    expect(r.stderr).toMatch(/runns\/no-such-bucket\/: 404 BucketNotFound/);
    expect(r.stderr).toMatch(/hint: The bucket does not exist in this namespace/);
    expect(live(w, "b2", "y/").every((v) => v.wrapping.kind === "kms" && v.wrapping.kmsKeyId === w!.em.seedIds.keys["k2"])).toBe(true);
  });

  it("refuses bad run flags with exit 2", async () => {
    w = await cliWorld({ seed: seed() });
    const cases: [string[], RegExp][] = [
      [["run"], /missing required option --bucket-name/],
      [["run", "-bn", "b1", "--concurrency", "0"], /--concurrency <n>' argument '0' is invalid/],
      [["run", "-bn", "b1", "--targets", "x.json"], /--targets or --bucket-name/],
      [["run", "-bn", "b1", "--kms-key-id", "ocid1.vault.oc1..x"], /--kms-key-id: must be an OCID of type key/],
      [["run", "-bn", "b1", "--report", "r.txt", "--report-format", "xml"], /--report-format: must be jsonl or csv/],
      [["run", "--resume", "nothing.json"], /--resume nothing\.json: no such checkpoint file/],
      [["run", "--resume", "x.json", "-bn", "b1"], /--resume continues the checkpoint's job as it was: drop --bucket-name/],
    ];
    for (const [args, message] of cases) {
      const r = await runCli(args, { env: w.env, cwd: w.dir });
      expect(r.code, `${args.join(" ")}: ${r.stderr}`).toBe(2);
      expect(r.stderr.split("\n")[0]).toMatch(message);
    }
    expect(w.em.requests.filter((q) => q.operation === "ReencryptObject")).toHaveLength(0);
  });

  it("stops cleanly on Ctrl-C (SIGINT) and --resume finishes with every version done and none skipped; the inline key stays out of the checkpoint", async () => {
    w = await cliWorld({ seed: seed(700) });
    const world = w;
    world.em.faults.setBaseLatency(4);
    const key = randomBytes(32).toString("base64");
    const keyFile = join(world.dir, "new.key");
    writeFileSync(keyFile, key);
    const report = join(world.dir, "report.jsonl");
    const checkpoint = join(world.dir, "job.checkpoint.json");
    const total = 700 * 3;
    const args = ["run", "-bn", "big", "--all-versions", "--encryption-key-file", keyFile, "--concurrency", "4", "--checkpoint", checkpoint, "--checkpoint-seconds", "1", "--report", report, "--progress-seconds", "0.2"];
    const first = startCli(args, { env: world.env, cwd: world.dir });
    const calls = () => world.em.requests.filter((q) => q.operation === "ReencryptObject").length;
    await waitFor(() => calls() >= 300, 30_000, "300 ReencryptObject calls").catch((error: unknown) => {
      throw new Error(`${String(error)}; the CLI said: ${first.stderr()}`);
    });
    first.child.kill("SIGINT");
    const stopped = await first.done;
    expect(stopped.code, stopped.stderr).toBe(130);
    expect(jsonLines(stopped.stderr, "note").some((n) => n["signal"] === "SIGINT")).toBe(true);
    const partial = JSON.parse(stopped.stdout);
    expect(partial).toMatchObject({ status: "incomplete", checkpoint });
    expect(partial.counts.reencrypted).toBeGreaterThanOrEqual(300);
    expect(partial.counts.reencrypted).toBeLessThan(total);
    // Nothing was in flight when it stopped: the engine waited for those calls.
    expect(world.em.stats.inFlight("ReencryptObject")).toBe(0);
    const saved = readFileSync(checkpoint, "utf8");
    expect(saved).not.toContain(key);
    const cp = JSON.parse(saved);
    expect(cp.spec.units[0].key).toEqual({ type: "sse-c", keySha256: sseCKeySha256(key) });
    expect(cp.work.cursor.redo).toEqual([]);
    expect(cp.totals.reencrypted).toBe(partial.counts.reencrypted);

    // The key is asked for again, and must be the same key.
    const noKey = await runCli(["run", "--resume", checkpoint], { env: world.env, cwd: world.dir });
    expect(noKey.code).toBe(2);
    expect(noKey.stderr).toMatch(/started with an inline SSE-C target key .*pass --encryption-key-file with the same key again/);
    const otherFile = join(world.dir, "other.key");
    writeFileSync(otherFile, randomBytes(32).toString("base64"));
    const wrong = await runCli(["run", "--resume", checkpoint, "--encryption-key-file", otherFile], { env: world.env, cwd: world.dir });
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toMatch(/not the key this job was started with/);

    world.em.faults.setBaseLatency(0);
    const resumed = await runCli(["run", "--resume", checkpoint, "--encryption-key-file", keyFile, "--progress-seconds", "0.2"], { env: world.env, cwd: world.dir });
    expect(resumed.code, resumed.stderr).toBe(0);
    const answer = JSON.parse(resumed.stdout);
    expect(answer).toMatchObject({ status: "succeeded", jobId: partial.jobId, counts: { matched: total, reencrypted: total, failed: 0, skipped: 0 } });
    // Ground truth: every version under the new key, none skipped, none twice.
    const versions = live(world, "big");
    expect(versions).toHaveLength(total);
    expect(versions.filter((v) => v.wrapping.kind !== "sse-c" || v.wrapping.keySha256 !== sseCKeySha256(key))).toEqual([]);
    expect(versions.filter((v) => v.reencryptCount !== 1)).toEqual([]);
    // The report of both runs: one line per version.
    const lines = readFileSync(report, "utf8").trim().split("\n").map((l) => JSON.parse(l));
    expect(lines).toHaveLength(total);
    expect(new Set(lines.map((l) => `${l.object} ${l.versionId}`)).size).toBe(total);
    for (const text of [stopped.stdout, stopped.stderr, resumed.stdout, resumed.stderr, readFileSync(report, "utf8"), readFileSync(checkpoint, "utf8")]) expect(text).not.toContain(key);
    // The explicit checkpoint is kept, marked finished: resuming again does nothing.
    const again = await runCli(["run", "--resume", checkpoint], { env: world.env, cwd: world.dir });
    expect(again.code).toBe(0);
    expect(JSON.parse(again.stdout)).toMatchObject({ status: "succeeded", message: expect.stringMatching(/already finished/) });
  });

  it("resuming never loses work: the checkpoint keeps where the job ran, another endpoint is refused, and a listing outage leaves the job resumable, never finished", async () => {
    w = await cliWorld({ seed: seed(400) });
    const world = w;
    const total = 400 * 3;
    // As in the issue: the endpoint is a flag, not the environment.
    const { REENCRYPT_OBJECTSTORAGE_ENDPOINT: endpoint, ...env } = world.env;
    const checkpoint = join(world.dir, "outage.ckpt.json");
    world.em.faults.setBaseLatency(4);
    const first = startCli(["run", "-bn", "big", "--all-versions", "--endpoint", endpoint as string, "--concurrency", "4", "--checkpoint", checkpoint, "--progress", "none"], { env, cwd: world.dir });
    const calls = () => world.em.requests.filter((q) => q.operation === "ReencryptObject").length;
    await waitFor(() => calls() >= 150, 30_000, "150 ReencryptObject calls");
    first.child.kill("SIGINT");
    const stopped = await first.done;
    expect(stopped.code, stopped.stderr).toBe(130);
    world.em.faults.setBaseLatency(0);
    const cp = JSON.parse(readFileSync(checkpoint, "utf8"));
    expect(cp.target).toEqual({ endpoint, region: expect.any(String), auth: "api_key", configFile: world.key.configFile, profile: "DEFAULT" });
    expect(readFileSync(checkpoint, "utf8")).not.toMatch(/BEGIN|PRIVATE|fingerprint|key_file/i);

    // Told otherwise: refused before anything is called.
    const before = world.em.requests.length;
    const elsewhere = await runCli(["run", "--resume", checkpoint, "--endpoint", "http://127.0.0.1:9"], { env, cwd: world.dir });
    expect(elsewhere.code).toBe(2);
    expect(elsewhere.stderr).toMatch(/this job ran against endpoint http:\/\/127\.0\.0\.1:\d+.*endpoint http:\/\/127\.0\.0\.1:9 .*--force-target/);
    expect(world.em.requests.length).toBe(before);

    // The listing fails transiently for longer than its retries: the job stops resumable, says why,
    // and the bar never reaches its end.
    const outage = world.em.faults.add({ operation: "ListObjectVersions", status: 503 });
    const cut = await runCli(["run", "--resume", checkpoint, "--outage-seconds", "0", "--progress", "json", "--progress-seconds", "0.2"], { env, cwd: world.dir });
    outage.remove();
    expect(outage.hits).toBeGreaterThanOrEqual(6);
    expect(cut.code, cut.stderr).toBe(1);
    expect(JSON.parse(cut.stdout)).toMatchObject({ status: "incomplete", stoppedBy: "listing", listingFailure: { bucket: "big", status: 503, code: "ServiceUnavailable" }, message: expect.stringMatching(/listing runns\/big\/ failed \(503 ServiceUnavailable\).*resume with/) });
    const last = jsonLines(cut.stderr, "progress").pop() as Record<string, number>;
    expect(last["done"]).toBeLessThan(last["total"] as number);
    expect(JSON.parse(readFileSync(checkpoint, "utf8")).work.cursor).toBeDefined();

    // A shorter outage is waited out within the run (the listing is tried again after a pause).
    world.em.faults.add({ operation: "ListObjectVersions", status: 503, times: 6 });
    const resumed = await runCli(["run", "--resume", checkpoint, "--progress", "json", "--progress-seconds", "0.5"], { env, cwd: world.dir });
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(jsonLines(resumed.stderr, "note").some((n) => /listing runns\/big\/ failed \(503 ServiceUnavailable.*listing it again in 5s/.test(String(n["message"])))).toBe(true);
    expect(JSON.parse(resumed.stdout)).toMatchObject({ status: "succeeded", counts: { reencrypted: total, failed: 0 } });
    expect(live(world, "big").filter((v) => v.reencryptCount !== 1)).toEqual([]);
  }, 120_000);

  it("a listing refused for good (403) still fails its unit, and the job finishes", async () => {
    w = await cliWorld({ seed: seed() });
    w.em.faults.add({ operation: "ListObjects", when: (r) => r.path.includes("/b/b2/"), status: 403, code: "NotAuthorizedOrNotFound" });
    const r = await runCli(["run", "-bn", "b2", "-bn", "b1", "--progress", "none"], { env: w.env, cwd: w.dir });
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout)).toMatchObject({ status: "partial", counts: { failed: 1, reencrypted: 20 } });
    expect(r.stderr).toMatch(/runns\/b2\/: 403 NotAuthorizedOrNotFound/);
    expect(w.em.requests.filter((q) => q.operation === "ReencryptObject" && q.path.includes("/b/b1/"))).toHaveLength(20);
  });
});
