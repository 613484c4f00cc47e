import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import type { Seed } from "../../src/local/emulator/index.js";
import { cliWorld, runCli, type CliWorld } from "./cli-helpers.js";
import { expectAllSigned } from "./helpers.js";

// `oci-reencrypt retry <checkpoint>`: a new local job of exactly what a finished job failed, read
// from its report, linked both ways; ground truth is the emulator's count of re-encryptions.

const ODD = 'f/=HYPERLINK("http://x"),\u001b[31m';

const seed: Seed = {
  namespace: "rtns",
  buckets: [
    { name: "data", objects: [{ prefix: "f/", count: 120 }, { prefix: "ok/", count: 30 }, { name: ODD }] },
    { name: "locked", objects: [{ prefix: "l/", count: 7 }] },
  ],
};

let w: CliWorld | undefined;
afterEach(async () => {
  if (w) expectAllSigned(w.em);
  await w?.close();
  w = undefined;
});

const reencrypted = (world: CliWorld, bucket: string) => world.em.state.objectVersions(bucket).filter((v) => !v.isDeleteMarker);

describe("oci-reencrypt retry <checkpoint>", () => {
  for (const format of ["csv", "jsonl"] as const) {
    it(`re-runs exactly the failed versions (from the ${format} report: more than the checkpoint keeps) and the scope whose listing failed, linked both ways`, async () => {
      w = await cliWorld({ seed });
      const world = w;
      const dir = world.dir;
      const checkpoint = join(dir, "job.ckpt.json");
      const report = join(dir, `job.${format}`);
      // A policy that refuses f/ (and the odd name), and a bucket whose listing is refused: permanent failures.
      const refused = world.em.faults.add({ operation: "ReencryptObject", when: (r) => (r.objectName ?? "").startsWith("f/"), status: 403, code: "NotAuthorizedOrNotFound" });
      const locked = world.em.faults.add({ operation: "ListObjects", when: (r) => r.path.includes("/b/locked/"), status: 403, code: "NotAuthorizedOrNotFound" });
      const first = await runCli(["run", "-bn", "data", "-bn", "locked", "--report", report, "--checkpoint", checkpoint, "--progress", "none"], { env: world.env, cwd: dir });
      expect(first.code).toBe(1);
      expect(JSON.parse(first.stdout)).toMatchObject({ status: "partial", counts: { reencrypted: 30, failed: 122 } });
      expect(JSON.parse(readFileSync(checkpoint, "utf8")).failures).toHaveLength(100);

      // Not finished: refused, nothing called.
      const unfinished = join(dir, "unfinished.ckpt.json");
      const cp = JSON.parse(readFileSync(checkpoint, "utf8"));
      writeFileSync(unfinished, JSON.stringify({ ...cp, work: { ...cp.work, cursor: { unit: 1, redo: [] } } }));
      const calls = world.em.requests.length;
      const early = await runCli(["retry", unfinished], { env: world.env, cwd: dir });
      expect(early.code).toBe(2);
      expect(early.stderr).toMatch(/is not finished: continue it first \(oci-reencrypt run --resume .*unfinished\.ckpt\.json\)/);
      expect(world.em.requests.length).toBe(calls);

      refused.remove();
      locked.remove();
      const before = world.em.requests.filter((q) => q.operation === "ReencryptObject").length;
      const retry = await runCli(["retry", checkpoint, "--progress", "none"], { env: world.env, cwd: dir });
      expect(retry.code, retry.stderr).toBe(0);
      const answer = JSON.parse(retry.stdout);
      expect(answer).toMatchObject({ status: "succeeded", counts: { reencrypted: 121 + 7, failed: 0 }, retryOf: { jobId: cp.spec.id, checkpoint }, retried: { versions: 121, targets: 1 } });
      // Exactly the failures: 121 versions and the 7 objects of the locked bucket, nothing else again.
      expect(world.em.requests.filter((q) => q.operation === "ReencryptObject").length - before).toBe(128);
      expect(reencrypted(world, "data").filter((v) => v.reencryptCount !== 1)).toEqual([]);
      expect(reencrypted(world, "locked").filter((v) => v.reencryptCount !== 1)).toEqual([]);
      // The odd name came back exactly from the report.
      expect(world.em.state.objectVersions("data").find((v) => v.name === ODD)?.reencryptCount).toBe(1);

      // Linked both ways; the retry's checkpoint and report are kept beside the original's.
      const old = JSON.parse(readFileSync(checkpoint, "utf8"));
      expect(old.retriedBy).toEqual({ jobId: answer.jobId, checkpoint: answer.checkpoint });
      expect(JSON.parse(readFileSync(answer.checkpoint, "utf8"))).toMatchObject({ retryOf: { jobId: cp.spec.id, checkpoint }, work: { units: [0, 122] } });
      expect(answer.report).toBe(join(dir, `job.retry-${String(answer.jobId).slice(0, 8)}.${format}`));
      expect(readFileSync(answer.report, "utf8")).toContain("l/000006");

      const again = await runCli(["retry", checkpoint], { env: world.env, cwd: dir });
      expect(again.code).toBe(2);
      expect(again.stderr).toMatch(new RegExp(`was retried already by job ${answer.jobId}`));
      const nothing = await runCli(["retry", answer.checkpoint], { env: world.env, cwd: dir });
      expect(nothing.code).toBe(0);
      expect(JSON.parse(nothing.stdout)).toMatchObject({ status: "succeeded", message: expect.stringMatching(/nothing to retry/) });
    });
  }

  it("without a report, retries the failures the checkpoint keeps and says how many it could not", async () => {
    w = await cliWorld({ seed });
    const world = w;
    const checkpoint = join(world.dir, "noreport.ckpt.json");
    const refused = world.em.faults.add({ operation: "ReencryptObject", when: (r) => (r.objectName ?? "").startsWith("f/"), status: 403, code: "NotAuthorizedOrNotFound" });
    const first = await runCli(["run", "-bn", "data", "--prefix", "f/", "--checkpoint", checkpoint, "--progress", "none"], { env: world.env, cwd: world.dir });
    expect(JSON.parse(first.stdout)).toMatchObject({ status: "failed", counts: { failed: 121 } });
    refused.remove();
    const retry = await runCli(["retry", checkpoint, "--progress", "none"], { env: world.env, cwd: world.dir });
    expect(retry.code, retry.stderr).toBe(0);
    expect(retry.stderr).toMatch(/warning: 21 of job .*'s 121 failures are not known \(.*it wrote no --report\) and are not retried/);
    expect(JSON.parse(retry.stdout)).toMatchObject({ counts: { reencrypted: 100 }, retried: { versions: 100, unknownFailures: 21 } });
    expect(reencrypted(world, "data").filter((v) => v.reencryptCount === 1)).toHaveLength(100);
  });
});
