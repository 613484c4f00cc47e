import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import type { Seed } from "../../src/local/emulator/index.js";
import { cliWorld, jsonLines, runCli, type CliWorld } from "./cli-helpers.js";
import { expectAllSigned } from "./helpers.js";

// `oci-reencrypt rotate`: the function's rotation job (jobFromKeyRotation: Key Management checks,
// bucket discovery, rules) run by the built CLI, as a catch-up after a rotation.

const seed: Seed = {
  namespace: "rotns",
  compartments: ["apps", "other"],
  vaults: [{ name: "v", compartment: "apps", keys: [{ name: "kA" }, { name: "kB" }] }],
  buckets: [
    { name: "b1", compartment: "apps", kmsKey: "kA", versioning: "Enabled", objects: [{ prefix: "x/", count: 30, versions: 2 }, { name: "del", deleted: true }] },
    { name: "b2", compartment: "apps", kmsKey: "kA", objects: [{ prefix: "y/", count: 25 }] },
    { name: "b3", compartment: "apps", objects: [{ prefix: "sec/", count: 5 }, { prefix: "sec/deep/", count: 3 }, { prefix: "pub/", count: 5 }] },
    { name: "b4", compartment: "apps", kmsKey: "kB", objects: [{ prefix: "z/", count: 5 }] },
    { name: "state", compartment: "apps", kmsKey: "kA", objects: [{ name: "jobs/old.json" }] },
    { name: "elsewhere", compartment: "other", kmsKey: "kA", objects: [{ name: "e" }] },
  ],
};

let w: CliWorld | undefined;
afterEach(async () => {
  if (w) expectAllSigned(w.em);
  await w?.close();
  w = undefined;
});

const onKey = (world: CliWorld, bucket: string, prefix = "") => world.em.state.objectVersions(bucket, prefix).filter((v) => !v.isDeleteMarker);

describe("oci-reencrypt rotate", () => {
  it("catches up after a rotation: every version the key wraps, with the function's rules and discovery; nothing else touched", async () => {
    w = await cliWorld({ seed, env: { REENCRYPT_STATE_BUCKET: "state" } });
    const world = w;
    const ids = world.em.seedIds;
    const keyId = ids.keys["kA"] as string;
    const version = world.em.state.rotateKey(keyId);
    const rules = join(world.dir, "rules.json");
    writeFileSync(rules, JSON.stringify([{ bucket: "b3", prefix: "sec/deep/", kmsKeyId: ids.keys["kB"] }, { bucket: "b3", prefix: "sec/", kmsKeyId: keyId }]));
    const r = await runCli(
      ["rotate", "--key-id", keyId, "--compartment-id", ids.compartments["apps"] as string, "--rules", rules, "--key-version-id", version.id, "--progress-seconds", "0.1"],
      { env: world.env, cwd: world.dir },
    );
    expect(r.code, r.stderr).toBe(0);
    const answer = JSON.parse(r.stdout);
    expect(answer).toMatchObject({ status: "succeeded", counts: { reencrypted: 61 + 25 + 5, failed: 0, skipped: 1 }, key: { id: keyId, currentKeyVersion: version.id } });
    expect(answer.units).toEqual([
      { bucket: "rotns/b1", prefix: "", key: "bucket key" },
      { bucket: "rotns/b2", prefix: "", key: "bucket key" },
      // One unit per bucket over the name ranges the key governs: sec/ minus the earlier rule's sec/deep/ (contract §11).
      { bucket: "rotns/b3", prefix: "", key: keyId, ranges: [{ start: "sec/", end: "sec/deep/" }, { start: "sec/deep0", end: "sec0" }] },
    ]);
    for (const v of [...onKey(world, "b1"), ...onKey(world, "b2"), ...onKey(world, "b3", "sec/").filter((x) => !x.name.startsWith("sec/deep/"))]) {
      expect(v.wrapping).toEqual({ kind: "kms", kmsKeyId: keyId, keyVersionId: version.id });
      expect(v.reencryptCount).toBe(1);
    }
    // Another rule's scope, other keys, the state bucket and other compartments stay as they were.
    for (const v of [...onKey(world, "b3", "sec/deep/"), ...onKey(world, "b3", "pub/"), ...onKey(world, "b4"), ...onKey(world, "state"), ...onKey(world, "elsewhere")]) {
      expect(v.reencryptCount).toBe(0);
    }
    const progress = jsonLines(r.stderr, "progress");
    expect(progress[progress.length - 1]).toMatchObject({ done: 92, total: 92 });
  });

  it("--dry-run lists the scopes and changes nothing; REENCRYPT_RULES and REENCRYPT_COMPARTMENT_IDS as for the function", async () => {
    const ids = () => w!.em.seedIds;
    w = await cliWorld({ seed });
    const keyId = ids().keys["kA"] as string;
    w.em.state.rotateKey(keyId);
    const env = { ...w.env, REENCRYPT_COMPARTMENT_IDS: `${ids().compartments["apps"]},${ids().compartments["other"]}`, REENCRYPT_RULES: JSON.stringify([{ bucket: "b3", prefix: "pub/", kmsKeyId: keyId }]) };
    const r = await runCli(["rotate", "--key-id", keyId, "--dry-run", "--progress", "none", "--output", "table"], { env, cwd: w.dir });
    expect(r.code, r.stderr).toBe(0);
    expect(w.em.requests.filter((q) => q.operation === "ReencryptObject")).toHaveLength(0);
    expect(r.stdout).toMatch(/status\s*│\s*dry-run/);
    // Without REENCRYPT_STATE_BUCKET the "state" bucket is just a bucket with the key.
    for (const b of ["rotns/b1", "rotns/b2", "rotns/state", "rotns/elsewhere"]) expect(r.stdout).toContain(b);
    expect(r.stdout).toMatch(/rotns\/b3[^\n]*start: pub\/[^\n]*end: pub0/);
  });

  it("says what Key Management refuses: a disabled key is skipped, an unknown one fails, a missing compartment is a usage error", async () => {
    w = await cliWorld({ seed });
    const ids = w.em.seedIds;
    w.em.state.setKeyState(ids.keys["kB"] as string, "DISABLED");
    const apps = ids.compartments["apps"] as string;
    const disabled = await runCli(["rotate", "--key-id", ids.keys["kB"] as string, "--compartment-id", apps], { env: w.env, cwd: w.dir });
    expect(disabled.code).toBe(0);
    expect(JSON.parse(disabled.stdout)).toMatchObject({ status: "skipped", message: expect.stringMatching(/DISABLED, not ENABLED/) });
    const unknown = await runCli(["rotate", "--key-id", "ocid1.key.oc1..nosuchkey", "--compartment-id", apps], { env: w.env, cwd: w.dir });
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/KeyNotFound: key ocid1\.key\.oc1\.\.nosuchkey was not found/);
    const noCompartment = await runCli(["rotate", "--key-id", ids.keys["kA"] as string], { env: w.env, cwd: w.dir });
    expect(noCompartment.code).toBe(2);
    expect(noCompartment.stderr).toMatch(/missing --compartment-id \(or REENCRYPT_COMPARTMENT_IDS\)/);
    const badRules = join(w.dir, "bad-rules.json");
    writeFileSync(badRules, JSON.stringify([{ bucket: "b3", prefix: "x/", kmsKeyId: "nope" }]));
    const rules = await runCli(["rotate", "--key-id", ids.keys["kA"] as string, "--compartment-id", apps, "--rules", badRules], { env: w.env, cwd: w.dir });
    expect(rules.code).toBe(2);
    expect(rules.stderr).toMatch(/^oci-reencrypt: --rules .*bad-rules\.json: .*kmsKeyId/);
    expect(w.em.requests.filter((q) => q.operation === "ReencryptObject")).toHaveLength(0);
  });
});
