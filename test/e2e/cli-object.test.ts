import { randomBytes } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sseCKeyDetails, sseCKeySha256, type Seed } from "../../src/local/emulator/index.js";
import { cliWorld, runCli, type CliWorld } from "./cli-helpers.js";
import { expectAllSigned, wrapOf } from "./helpers.js";

// `oci-reencrypt object`: the seed's `oci os object reencrypt`, run as the built CLI (node
// dist/cli.cjs) with an operator's config file against the emulator, which verifies every
// signature and keeps the ground truth of each version's wrapping.

const seed: Seed = {
  namespace: "clins",
  vaults: [{ name: "v", keys: [{ name: "k1" }, { name: "k2" }] }],
  buckets: [
    { name: "plain", objects: [{ name: "a.txt" }, { name: "dir/Q1 report+final.pdf" }, { name: "j1" }, { name: "j2" }, { name: "j3" }, { name: "ns-alias" }] },
    { name: "versioned", kmsKey: "k1", versioning: "Enabled", objects: [{ name: "doc", versions: 3 }] },
    { name: "ssec", objects: [] },
  ],
};

let w: CliWorld;
const oldKey = randomBytes(32).toString("base64");
const newKey = randomBytes(32).toString("base64");
let oldKeyFile: string;
let newKeyFile: string;

beforeAll(async () => {
  w = await cliWorld({ seed });
  oldKeyFile = join(w.dir, "old.key");
  newKeyFile = join(w.dir, "new.key");
  writeFileSync(oldKeyFile, oldKey + "\n");
  writeFileSync(newKeyFile, newKey);
});
afterAll(async () => {
  expectAllSigned(w.em);
  await w.close();
});

const cli = (...args: string[]) => runCli(args, { env: w.env });
const keyId = (name: string) => w.em.seedIds.keys[name] as string;

describe("oci-reencrypt object", () => {
  it("re-encrypts with the bucket key, looks the namespace up, signs as the config file's user, and prints nothing (as `oci os object reencrypt`)", async () => {
    const before = wrapOf(w.em, "plain", "dir/Q1 report+final.pdf").reencryptCount;
    const r = await cli("object", "--bucket-name", "plain", "--object-name", "dir/Q1 report+final.pdf");
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout).toBe("");
    expect(wrapOf(w.em, "plain", "dir/Q1 report+final.pdf").reencryptCount).toBe(before + 1);
    const ops = w.em.requests.slice(-2);
    expect(ops.map((q) => q.operation)).toEqual(["GetNamespace", "ReencryptObject"]);
    expect(ops.every((q) => q.principalType === "user" && q.principal === "ocid1.user.oc1..operator")).toBe(true);
    expect(ops[1]?.body ?? {}).toEqual({});
  });

  it("takes the OCI CLI's aliases -ns, -bn, -on, --namespace, --name and --namespace-name (no GetNamespace then)", async () => {
    const forms = [
      ["-ns", "clins", "-bn", "plain", "-on", "j1"],
      ["--namespace", "clins", "--bucket-name", "plain", "--name", "j2"],
      ["--namespace-name", "clins", "-bn", "plain", "--object-name", "j3"],
    ];
    for (const args of forms) {
      const n = w.em.requests.length;
      const r = await cli("object", ...args);
      expect(r.code, r.stderr).toBe(0);
      const seen = w.em.requests.slice(n);
      expect(seen.map((q) => q.operation)).toEqual(["ReencryptObject"]);
    }
    for (const name of ["j1", "j2", "j3"]) expect(wrapOf(w.em, "plain", name).reencryptCount).toBe(1);
  });

  it("re-encrypts one version (--version-id) under a given Vault key (--kms-key-id), the other versions untouched", async () => {
    const versions = w.em.state.objectVersions("versioned", "doc");
    const target = versions[1]!;
    const r = await cli("object", "-bn", "versioned", "-on", "doc", "--version-id", target.versionId, "--kms-key-id", keyId("k2"));
    expect(r.code, r.stderr).toBe(0);
    const after = w.em.state.objectVersions("versioned", "doc");
    for (const v of after) {
      if (v.versionId === target.versionId) expect(v.wrapping).toMatchObject({ kind: "kms", kmsKeyId: keyId("k2") });
      else expect(v.wrapping).toMatchObject({ kind: "kms", kmsKeyId: keyId("k1") });
    }
    expect(after.filter((v) => v.reencryptCount > 0).map((v) => v.versionId)).toEqual([target.versionId]);
  });

  it("moves an SSE-C object to a new SSE-C key from key files (base64 of 32 bytes), never printing a key", async () => {
    w.em.state.putObject("ssec", "secret.bin", { sseCustomerKey: oldKey });
    const r = await cli("object", "-bn", "ssec", "-on", "secret.bin", "--source-encryption-key-file", oldKeyFile, "--encryption-key-file", newKeyFile, "--output", "json");
    expect(r.code, r.stderr).toBe(0);
    expect(wrapOf(w.em, "ssec", "secret.bin").wrapping).toEqual({ kind: "sse-c", keySha256: sseCKeySha256(newKey) });
    // --output json: the opc-request-id of the call, and nothing else.
    expect(Object.keys(JSON.parse(r.stdout))).toEqual(["opc-request-id"]);
    expect(JSON.parse(r.stdout)["opc-request-id"]).toMatch(/\S{8,}/);
    for (const k of [oldKey, newKey]) expect(r.stdout + r.stderr).not.toContain(k);
  });

  it("fails an SSE-C object without its source key: exit 1, `ServiceError:` with oci's sorted keys and the hint on stderr", async () => {
    w.em.state.putObject("ssec", "locked.bin", { sseCustomerKey: oldKey });
    const r = await cli("object", "-bn", "ssec", "-on", "locked.bin");
    expect(r.code).toBe(1);
    expect(r.stdout).toBe("");
    expect(r.stderr).toMatch(/^ServiceError:\n\{\n {4}"client_version"/);
    const err = JSON.parse(r.stderr.replace(/^ServiceError:\n/, ""));
    expect(Object.keys(err)).toEqual([...Object.keys(err)].sort());
    expect(err).toMatchObject({ status: 400, operation_name: "reencrypt_object", target_service: "object_storage", request_endpoint: `POST ${w.em.url}/n/clins/b/ssec/actions/reencrypt/locked.bin` });
    expect(err["opc-request-id"]).toMatch(/\S{8,}/);
    // Written for an operator at a terminal: the CLI flag, not the request field.
    expect(err.troubleshooting_tips).toMatch(/customer-provided key \(SSE-C\), pass that key with --source-encryption-key-file/);
    expect(err.troubleshooting_tips).not.toMatch(/sourceKey|dynamic group/);
  });

  it("answers a missing object with 404 and the hint, exit 1", async () => {
    const r = await cli("object", "-bn", "plain", "-on", "nope");
    expect(r.code).toBe(1);
    const err = JSON.parse(r.stderr.replace(/^ServiceError:\n/, ""));
    expect(err).toMatchObject({ status: 404, code: "ObjectNotFound" });
    expect(err.troubleshooting_tips).toMatch(/does not exist/);
  });

  it("reads --from-json inline and from file:// with the CLI's field names; flags win over its fields", async () => {
    const inline = JSON.stringify({ namespaceName: "clins", bucketName: "plain", objectName: "a.txt", kmsKeyId: keyId("k1") });
    expect((await cli("object", "--from-json", inline)).code).toBe(0);
    expect(wrapOf(w.em, "plain", "a.txt").wrapping).toMatchObject({ kind: "kms", kmsKeyId: keyId("k1") });

    // file://, the OCI API's SSECustomerKeyDetails form, and a flag replacing the JSON's key.
    w.em.state.putObject("ssec", "fj.bin", { sseCustomerKey: oldKey });
    const file = join(w.dir, "reencrypt.json");
    writeFileSync(file, JSON.stringify({ bucketName: "ssec", name: "fj.bin", sourceSseCustomerKey: sseCKeyDetails(oldKey), kmsKeyId: keyId("k1") }));
    const r = await cli("object", "--from-json", `file://${file}`, "--kms-key-id", keyId("k2"));
    expect(r.code, r.stderr).toBe(0);
    expect(wrapOf(w.em, "ssec", "fj.bin").wrapping).toMatchObject({ kind: "kms", kmsKeyId: keyId("k2") });

    // The OCI CLI's generated input names key files.
    w.em.state.putObject("ssec", "fk.bin", { sseCustomerKey: oldKey });
    const r2 = await cli("object", "--from-json", JSON.stringify({ bucketName: "ssec", objectName: "fk.bin", sourceEncryptionKeyFile: oldKeyFile, encryptionKeyFile: newKeyFile }));
    expect(r2.code, r2.stderr).toBe(0);
    expect(wrapOf(w.em, "ssec", "fk.bin").wrapping).toEqual({ kind: "sse-c", keySha256: sseCKeySha256(newKey) });
  });

  it("with --config-file and --profile instead of OCI_CLI_CONFIG_FILE", async () => {
    const config = readFileSync(w.key.configFile, "utf8").replace("[DEFAULT]", "[OPS]");
    const file = join(w.dir, "config-ops");
    writeFileSync(file, config);
    const env = { ...w.env, OCI_CLI_CONFIG_FILE: undefined };
    const r = await runCli(["object", "-ns", "clins", "-bn", "plain", "-on", "ns-alias", "--config-file", file, "--profile", "OPS"], { env });
    expect(r.code, r.stderr).toBe(0);
    const missing = await runCli(["object", "-ns", "clins", "-bn", "plain", "-on", "ns-alias", "--config-file", file, "--profile", "NOPE"], { env });
    expect(missing.code).toBe(2);
    expect(missing.stderr.trim().split("\n")).toHaveLength(1);
    expect(missing.stderr).toContain(file);
    expect(missing.stderr).toMatch(/NOPE/);
  });

  it("refuses bad flags with exit 2 and one clear line each, calling nothing", async () => {
    const n = w.em.requests.length;
    const cases: [string[], RegExp][] = [
      [["object", "--bucket", "plain"], /unknown option '--bucket'/],
      [["object", "-on", "a.txt"], /missing required option --bucket-name/],
      [["object", "-bn", "plain"], /missing required option --object-name/],
      [["object", "-bn", "plain", "-on", "a.txt", "--kms-key-id", "not-an-ocid"], /^oci-reencrypt: --kms-key-id: must be an OCID of type key/],
      [["object", "-bn", "pl@in", "-on", "a.txt"], /--bucket-name: may contain only letters/],
      [["object", "-bn", "plain", "-on", "a.txt", "--kms-key-id", keyId("k1"), "--encryption-key-file", newKeyFile], /--encryption-key-file: give kmsKeyId or sseCustomerKey, not both/],
      [["object", "-bn", "plain", "-on", "a.txt", "--encryption-key-file", join(w.dir, "missing.key")], /--encryption-key-file .*missing\.key: no such file/],
      [["object", "-bn", "plain", "-on", "a.txt", "--encryption-key-file", w.key.configFile], /must hold the base64 of exactly 32 bytes/],
      [["object", "--from-json", "{not json"], /--from-json: not valid JSON/],
      [["object", "--from-json", '{"bucketName":"plain","objectName":"a","colour":"red"}'], /colour: unknown field|unknown field/],
      [["object", "-bn", "plain", "-on", "a.txt", "--output", "xml"], /argument 'xml' is invalid/],
      [["frobnicate"], /unknown command 'frobnicate'/],
    ];
    for (const [args, message] of cases) {
      const r = await cli(...args);
      expect(r.code, `${args.join(" ")}: ${r.stderr}`).toBe(2);
      expect(r.stdout).toBe("");
      expect(r.stderr.split("\n")[0]).toMatch(message);
    }
    expect(w.em.requests.length).toBe(n);
  });

  it("says which config file is missing, in one line, exit 2", async () => {
    const env = { ...w.env, OCI_CLI_CONFIG_FILE: undefined };
    const r = await runCli(["object", "-bn", "plain", "-on", "a.txt"], { env });
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(
      `oci-reencrypt: config file ${join(w.dir, ".oci", "config")} not found: create it with "oci setup config", or pass --config-file FILE, or set OCI_CLI_USER, OCI_CLI_TENANCY, OCI_CLI_FINGERPRINT, OCI_CLI_KEY_FILE and OCI_CLI_REGION (or --auth instance_principal|resource_principal|oke_workload_identity)\n`,
    );
    const other = await runCli(["object", "-bn", "plain", "-on", "a.txt", "--config-file", "/nowhere/config"], { env });
    expect(other.stderr).toMatch(/^oci-reencrypt: config file \/nowhere\/config not found/);
  });

  it("authenticates as a resource principal too (--auth resource_principal)", async () => {
    const rp = await w.em.issueResourcePrincipal({ compartmentId: w.em.state.defaultCompartmentId });
    const r = await runCli(["object", "--auth", "resource_principal", "-ns", "clins", "-bn", "plain", "-on", "a.txt"], { env: { ...w.env, OCI_CLI_CONFIG_FILE: undefined, ...rp.env } });
    expect(r.code, r.stderr).toBe(0);
    expect(w.em.requests[w.em.requests.length - 1]).toMatchObject({ operation: "ReencryptObject", principalType: "resource" });
  });
});

describe("help and version", () => {
  it.each(["object", "run", "rotate", "invoke", "status", "sweep", "diagnose"])("%s --help shows its options and examples, exit 0", async (command) => {
    const r = await runCli([command, "--help"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`Usage: oci-reencrypt ${command}`);
    expect(r.stdout).toContain("Examples:");
    expect(r.stdout).toContain("--profile");
  });

  it("--version prints the package's version", async () => {
    const r = await runCli(["--version"]);
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toBe(JSON.parse(readFileSync("package.json", "utf8")).version);
  });

  it("no command: the help on stderr, exit 2", async () => {
    const r = await runCli([]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("Usage: oci-reencrypt");
  });
});
