import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sseCKeySha256, type Seed } from "../../src/local/emulator/index.js";
import { CLI, cliWorld, runCli, type CliResult, type CliWorld } from "./cli-helpers.js";
import { expectAllSigned, wrapOf } from "./helpers.js";

// `oci-reencrypt` as a drop-in for `oci os object reencrypt` (issue 19): the built CLI as a process
// against the emulator (every signature verified), driven the ways an operator's `oci` scripts
// drive `oci`: OCI_CLI_ENDPOINT alone, every --from-json key form, key files on stdin, -d and -?,
// --query/--raw-output, a generated skeleton filled in, --request-id and the generated
// opc-client-request-id, oci_cli_rc, the OCI_CLI_* credential variables, and oci's error output.

const seed: Seed = {
  namespace: "argns",
  vaults: [{ name: "v", keys: [{ name: "k1" }, { name: "k2" }] }],
  buckets: [
    { name: "plain", objects: [{ prefix: "o", count: 40 }, { name: "skel" }, { name: "refused" }] },
    { name: "ssec", objects: [] },
  ],
};

let w: CliWorld;
/** Only what an operator would set: the config file and the endpoint, no REENCRYPT_* variables. */
let env: Record<string, string | undefined>;

beforeAll(async () => {
  w = await cliWorld({ seed });
  env = { HOME: w.dir, OCI_CLI_CONFIG_FILE: w.key.configFile, OCI_CLI_ENDPOINT: w.em.url };
});
afterAll(async () => {
  expectAllSigned(w.em);
  await w.close();
});

const cli = (...args: string[]) => runCli(args, { env });
const keyId = (name: string) => w.em.seedIds.keys[name] as string;
const count = (name: string) => wrapOf(w.em, "plain", name).reencryptCount;
const since = (n: number) => w.em.requests.slice(n);

/** The CLI with `input` on its standard input. */
function cliWithInput(args: string[], input: string): Promise<CliResult> {
  const child = spawn(process.execPath, [CLI, ...args], { env: { PATH: process.env["PATH"], ...env } as NodeJS.ProcessEnv, stdio: ["pipe", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d));
  child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
  child.stdin.end(input);
  return new Promise((resolve) => child.on("close", (code, signal) => resolve({ code, signal, stdout, stderr })));
}

describe("endpoint and JSON input", () => {
  it("OCI_CLI_ENDPOINT alone points Object Storage at the emulator (no REENCRYPT_* variable set)", async () => {
    const n = w.em.requests.length;
    const r = await cli("object", "-bn", "plain", "-on", "o000000");
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(since(n).map((q) => q.operation)).toEqual(["GetNamespace", "ReencryptObject"]);
    expect(count("o000000")).toBe(1);
  });

  it("--from-json takes camelCase, kebab-case and snake_case keys and oci's aliases bn, on, ns, name, namespace", async () => {
    const forms: [string, Record<string, unknown>][] = [
      ["o000001", { namespaceName: "argns", bucketName: "plain", objectName: "o000001" }],
      ["o000002", { "namespace-name": "argns", "bucket-name": "plain", "object-name": "o000002", "kms-key-id": keyId("k1") }],
      ["o000003", { namespace_name: "argns", bucket_name: "plain", object_name: "o000003", kms_key_id: keyId("k2") }],
      ["o000004", { ns: "argns", bn: "plain", on: "o000004" }],
      ["o000005", { namespace: "argns", bn: "plain", name: "o000005" }],
    ];
    for (const [name, json] of forms) {
      const n = w.em.requests.length;
      const r = await cli("object", "--from-json", JSON.stringify(json));
      expect(r.code, `${JSON.stringify(json)}: ${r.stderr}`).toBe(0);
      // Each form gave the namespace: no GetNamespace.
      expect(since(n).map((q) => q.operation)).toEqual(["ReencryptObject"]);
      expect(count(name)).toBe(1);
    }
    expect(wrapOf(w.em, "plain", "o000002").wrapping).toMatchObject({ kind: "kms", kmsKeyId: keyId("k1") });
    expect(wrapOf(w.em, "plain", "o000003").wrapping).toMatchObject({ kind: "kms", kmsKeyId: keyId("k2") });
  });

  it("null is absent, and of a key and its alias the later one wins (as oci's default map)", async () => {
    // namespaceName null: looked up with GetNamespace.
    let n = w.em.requests.length;
    let r = await cli("object", "--from-json", JSON.stringify({ bucketName: "plain", objectName: "o000006", namespaceName: null, kmsKeyId: null }));
    expect(r.code, r.stderr).toBe(0);
    expect(since(n).map((q) => q.operation)).toEqual(["GetNamespace", "ReencryptObject"]);
    expect(since(n)[1]?.body ?? {}).toEqual({});
    // The alias after the canonical key wins, and the other way round.
    n = w.em.requests.length;
    r = await cli("object", "--from-json", JSON.stringify({ bucketName: "plain", objectName: "nope", name: "o000007", namespaceName: "nothere", ns: "argns" }));
    expect(r.code, r.stderr).toBe(0);
    expect(count("o000007")).toBe(1);
    r = await cli("object", "--from-json", JSON.stringify({ bucketName: "plain", name: "nope", objectName: "o000008" }));
    expect(r.code, r.stderr).toBe(0);
    expect(count("o000008")).toBe(1);
    // A later null cancels the earlier alias: the object name is missing.
    n = w.em.requests.length;
    r = await cli("object", "--from-json", JSON.stringify({ bucketName: "plain", name: "o000009", objectName: null }));
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/missing required option --object-name/);
    expect(w.em.requests.length).toBe(n);
    // Unknown keys are refused (oci ignores them): nothing called.
    r = await cli("object", "--from-json", JSON.stringify({ bucketName: "plain", objectName: "o000009", kmsKeyID: keyId("k1"), colour: "red" }));
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--from-json colour: unknown field/);
    expect(w.em.requests.length).toBe(n);
  });

  it("--generate-full-command-json-input prints oci's skeleton (both alias pairs), which filled in and passed back works", async () => {
    const n = w.em.requests.length;
    const g = await cli("object", "--generate-full-command-json-input");
    expect(g.code, g.stderr).toBe(0);
    expect(w.em.requests.length).toBe(n);
    const skeleton = JSON.parse(g.stdout) as Record<string, unknown>;
    // oci 3.89.3's keys for `oci os object reencrypt`, plus our --dry-run.
    expect(Object.keys(skeleton)).toEqual(["bucketName", "dryRun", "encryptionKeyFile", "kmsKeyId", "name", "namespace", "namespaceName", "objectName", "sourceEncryptionKeyFile", "versionId"]);
    expect(skeleton).toMatchObject({ bucketName: "string", encryptionKeyFile: "/path/to/file", namespace: "string", dryRun: true });
    // Filled in as an operator would: every pair the same, what is not needed null.
    const keyFile = join(w.dir, "filled.key");
    const key = randomBytes(32).toString("base64");
    writeFileSync(keyFile, key);
    const filled = { ...skeleton, bucketName: "plain", name: "skel", objectName: "skel", namespace: "argns", namespaceName: "argns", kmsKeyId: null, versionId: null, sourceEncryptionKeyFile: null, encryptionKeyFile: keyFile, dryRun: false };
    const file = join(w.dir, "skeleton.json");
    writeFileSync(file, JSON.stringify(filled, null, 2));
    const r = await cli("object", "--from-json", `file://${file}`);
    expect(r.code, r.stderr).toBe(0);
    expect(wrapOf(w.em, "plain", "skel").wrapping).toEqual({ kind: "sse-c", keySha256: sseCKeySha256(key) });

    const p = await cli("object", "--generate-param-json-input", "sse-customer-key");
    expect(JSON.parse(p.stdout)).toEqual({ algorithm: "AES256", key: "string", keySha256: "string" });
    const q = await cli("object", "--generate-param-json-input", "bucket-name");
    expect(q.code).toBe(0);
    expect(q.stdout).toBe("");
    expect(q.stderr).toMatch(/^Option bucket-name is not a recognized complex type/);
  });

  it("--encryption-key-file - and --source-encryption-key-file - read the key from standard input", async () => {
    const oldKey = randomBytes(32).toString("base64");
    const newKey = randomBytes(32).toString("base64");
    const newFile = join(w.dir, "stdin-new.key");
    writeFileSync(newFile, newKey);
    w.em.state.putObject("ssec", "in.bin", { sseCustomerKey: oldKey });
    const r = await cliWithInput(["object", "-bn", "ssec", "-on", "in.bin", "--source-encryption-key-file", "-", "--encryption-key-file", newFile], `${oldKey}\n`);
    expect(r.code, r.stderr).toBe(0);
    expect(wrapOf(w.em, "ssec", "in.bin").wrapping).toEqual({ kind: "sse-c", keySha256: sseCKeySha256(newKey) });
    const r2 = await cliWithInput(["object", "-bn", "ssec", "-on", "in.bin", "--source-encryption-key-file", newFile, "--encryption-key-file", "-"], oldKey);
    expect(r2.code, r2.stderr).toBe(0);
    expect(wrapOf(w.em, "ssec", "in.bin").wrapping).toEqual({ kind: "sse-c", keySha256: sseCKeySha256(oldKey) });
    for (const k of [oldKey, newKey]) expect(r.stdout + r.stderr + r2.stdout + r2.stderr).not.toContain(k);
    // Not a key on stdin, or stdin asked for twice: refused before any call.
    const n = w.em.requests.length;
    const bad = await cliWithInput(["object", "-bn", "ssec", "-on", "in.bin", "--encryption-key-file", "-"], "not a key");
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--encryption-key-file - \(standard input\): must hold the base64 of exactly 32 bytes/);
    const twice = await cliWithInput(["object", "-bn", "ssec", "-on", "in.bin", "--encryption-key-file", "-", "--source-encryption-key-file", "-"], oldKey);
    expect(twice.code).toBe(2);
    expect(twice.stderr).toMatch(/standard input holds one key/);
    expect(w.em.requests.length).toBe(n);
  });
});

describe("oci's global options", () => {
  it("-? is help and -d is --debug", async () => {
    const h = await cli("object", "-?");
    expect(h.code).toBe(0);
    expect(h.stdout).toContain("Usage: oci-reencrypt object");
    const d = await cli("object", "-bn", "plain", "-on", "o000011", "-ns", "argns", "-d");
    expect(d.code, d.stderr).toBe(0);
    const lines = d.stderr.split("\n").filter((l) => l.startsWith("{")).map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines.some((l) => l["level"] === "debug")).toBe(true);
  });

  it("--query with --raw-output on run's answer; query://name from oci_cli_rc; an empty result says so on stderr", async () => {
    const r = await cli("run", "-bn", "plain", "--prefix", "o00002", "--progress", "none", "--query", "status", "--raw-output");
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe("succeeded\n");
    const counts = await cli("run", "-bn", "plain", "--prefix", "o00003", "--progress", "none", "--query", "counts.[matched, reencrypted]");
    expect(JSON.parse(counts.stdout)).toEqual([10, 10]);
    const rc = join(w.dir, "rc-query");
    writeFileSync(rc, "[OCI_CLI_CANNED_QUERIES]\ndone = counts.reencrypted\n");
    const canned = await cli("run", "-bn", "plain", "--prefix", "o00001", "--progress", "none", "--cli-rc-file", rc, "--query", "query://done");
    expect(canned.stdout.trim()).toBe("10");
    const empty = await cli("run", "-bn", "plain", "--prefix", "o00001", "--progress", "none", "--query", "nothing.here");
    expect(empty.code).toBe(0);
    expect(empty.stdout).toBe("");
    expect(empty.stderr).toMatch(/Query returned empty result, no output to show\./);
    const n = w.em.requests.length;
    const bad = await cli("run", "-bn", "plain", "--query", "counts.[");
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--query counts\.\[: not a JMESPath expression/);
    expect(w.em.requests.length).toBe(n);
  });

  it("--request-id goes on every request as opc-client-request-id; without it one is generated per invocation, as oci formats it", async () => {
    let n = w.em.requests.length;
    const r = await cli("run", "-bn", "plain", "--prefix", "o00001", "--progress", "none", "--request-id", "support-ticket-42");
    expect(r.code, r.stderr).toBe(0);
    const given = since(n);
    expect(given.length).toBeGreaterThan(10);
    expect(new Set(given.map((q) => q.clientRequestId))).toEqual(new Set(["support-ticket-42"]));
    const ids: string[] = [];
    for (const prefix of ["o00002", "o00003"]) {
      n = w.em.requests.length;
      const g = await cli("run", "-bn", "plain", "--prefix", prefix, "--progress", "none");
      expect(g.code, g.stderr).toBe(0);
      const seen = new Set(since(n).map((q) => q.clientRequestId));
      expect(seen.size).toBe(1);
      ids.push([...seen][0] as string);
    }
    for (const id of ids) expect(id).toMatch(/^[0-9A-F]{32}$/);
    expect(ids[0]).not.toBe(ids[1]);
    // oci's other spellings of the option.
    n = w.em.requests.length;
    await cli("object", "-ns", "argns", "-bn", "plain", "-on", "o000012", "--opc-client-request-id", "alias-1");
    expect(since(n).map((q) => q.clientRequestId)).toEqual(["alias-1"]);
  });

  it("oci_cli_rc: the default profile, and parameter defaults by oci's lookup hierarchy, below --from-json and flags", async () => {
    const config = readFileSync(w.key.configFile, "utf8").replace("[DEFAULT]", "[OPS]");
    const configFile = join(w.dir, "config-rc");
    writeFileSync(configFile, config);
    const rc = join(w.dir, "oci_cli_rc");
    writeFileSync(rc, ["[OCI_CLI_SETTINGS]", "default_profile = OPS", "", "[OPS]", "namespace = argns", "os.object.reencrypt.bucket-name = plain", "os.object.kms-key-id = " + keyId("k2"), ""].join("\n"));
    const rcEnv = { ...env, OCI_CLI_CONFIG_FILE: configFile, OCI_CLI_RC_FILE: rc };
    const n = w.em.requests.length;
    const r = await runCli(["object", "-on", "o000013"], { env: rcEnv });
    expect(r.code, r.stderr).toBe(0);
    expect(since(n).map((q) => q.operation)).toEqual(["ReencryptObject"]);
    expect(wrapOf(w.em, "plain", "o000013").wrapping).toMatchObject({ kind: "kms", kmsKeyId: keyId("k2") });
    // --from-json, then a flag, over the rc file.
    const j = await runCli(["object", "-on", "o000014", "--from-json", JSON.stringify({ kmsKeyId: keyId("k1") })], { env: rcEnv });
    expect(j.code, j.stderr).toBe(0);
    expect(wrapOf(w.em, "plain", "o000014").wrapping).toMatchObject({ kind: "kms", kmsKeyId: keyId("k1") });
    // --profile beats default_profile: DEFAULT does not exist in this config file.
    const other = await runCli(["object", "-ns", "argns", "-bn", "plain", "-on", "o000015", "--profile", "DEFAULT", "--cli-rc-file", rc], { env: { ...rcEnv, OCI_CLI_RC_FILE: undefined } });
    expect(other.code).toBe(2);
    expect(other.stderr).toMatch(/has no profile \[DEFAULT\]/);
  });

  it("the credential variables: a whole configuration from OCI_CLI_* alone, or over a profile's keys", async () => {
    const vars = { OCI_CLI_USER: w.key.userId, OCI_CLI_TENANCY: w.key.tenancyId, OCI_CLI_FINGERPRINT: w.key.fingerprint, OCI_CLI_REGION: "us-ashburn-1" };
    let n = w.em.requests.length;
    const file = await runCli(["object", "-ns", "argns", "-bn", "plain", "-on", "o000016"], { env: { HOME: w.dir, OCI_CLI_ENDPOINT: w.em.url, ...vars, OCI_CLI_KEY_FILE: w.key.keyFile } });
    expect(file.code, file.stderr).toBe(0);
    const content = await runCli(["object", "-ns", "argns", "-bn", "plain", "-on", "o000017"], { env: { HOME: w.dir, OCI_CLI_ENDPOINT: w.em.url, ...vars, OCI_CLI_KEY_CONTENT: w.key.privateKeyPem } });
    expect(content.code, content.stderr).toBe(0);
    expect(since(n).map((q) => [q.operation, q.principalType, q.principal])).toEqual([
      ["ReencryptObject", "user", w.key.userId],
      ["ReencryptObject", "user", w.key.userId],
    ]);
    // A profile whose fingerprint is wrong, put right by OCI_CLI_FINGERPRINT.
    const wrong = join(w.dir, "config-wrong");
    writeFileSync(wrong, readFileSync(w.key.configFile, "utf8").replace(/fingerprint=.*/, "fingerprint=00:00:00"));
    n = w.em.requests.length;
    const fixed = await runCli(["object", "-ns", "argns", "-bn", "plain", "-on", "o000018"], { env: { ...env, OCI_CLI_CONFIG_FILE: wrong, OCI_CLI_FINGERPRINT: w.key.fingerprint } });
    expect(fixed.code, fixed.stderr).toBe(0);
    expect(since(n).every((q) => q.signatureValid)).toBe(true);
    // A key that is not one: said before any call, naming the variable.
    n = w.em.requests.length;
    const bad = await runCli(["object", "-ns", "argns", "-bn", "plain", "-on", "o000019"], { env: { HOME: w.dir, OCI_CLI_ENDPOINT: w.em.url, ...vars, OCI_CLI_KEY_CONTENT: "not a key" } });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/key_content \(OCI_CLI_KEY_CONTENT\): not a readable private key/);
    expect(w.em.requests.length).toBe(n);
  });

  it("oci options it does not support are refused, saying why, before any call", async () => {
    const n = w.em.requests.length;
    for (const [args, message] of [
      [["--no-retry"], /--no-retry: not supported by oci-reencrypt: retries are the engine's/],
      [["--max-retries", "3"], /--max-retries: not supported/],
      [["--proxy", "http://p:3128"], /--proxy: not supported/],
      [["--connection-timeout", "5"], /--connection-timeout: not supported/],
    ] as const) {
      const r = await cli("object", "-ns", "argns", "-bn", "plain", "-on", "o000020", ...args);
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr).toMatch(message);
    }
    expect(w.em.requests.length).toBe(n);
  });
});

describe("errors as oci prints them", () => {
  it("a service error: `ServiceError:` and the details with sorted keys, exit 1", async () => {
    const r = await cli("object", "-ns", "argns", "-bn", "nobucket", "-on", "x");
    expect(r.code).toBe(1);
    expect(r.stdout).toBe("");
    const [label, ...rest] = r.stderr.split("\n");
    expect(label).toBe("ServiceError:");
    const err = JSON.parse(rest.join("\n")) as Record<string, unknown>;
    // oci's keys, and the opc-client-request-id every request of the invocation carried.
    expect(Object.keys(err)).toEqual(["client_version", "code", "logging_tips", "message", "opc-client-request-id", "opc-request-id", "operation_name", "request_endpoint", "status", "target_service", "timestamp", "troubleshooting_tips"]);
    expect(err["opc-client-request-id"]).toBe(w.em.requests[w.em.requests.length - 1]?.clientRequestId);
    expect(err).toMatchObject({ status: 404, code: "BucketNotFound", operation_name: "reencrypt_object", request_endpoint: `POST ${w.em.url}/n/argns/b/nobucket/actions/reencrypt/x` });
  });

  it("no answer (connection refused): `RequestException:` after the retries, exit 1", async () => {
    const closed = `http://127.0.0.1:1`;
    const r = await runCli(["object", "-ns", "argns", "-bn", "plain", "-on", "refused"], { env: { ...env, OCI_CLI_ENDPOINT: closed } });
    expect(r.code).toBe(1);
    const [label, ...rest] = r.stderr.split("\n");
    expect(label).toBe("RequestException:");
    const err = JSON.parse(rest.join("\n")) as Record<string, unknown>;
    expect(Object.keys(err)).toEqual(["client_version", "logging_tips", "message", "opc-client-request-id", "request_endpoint", "target_service", "timestamp", "troubleshooting_tips"]);
    expect(err["request_endpoint"]).toBe(`POST ${closed}/n/argns/b/plain/actions/reencrypt/refused`);
    expect(err["message"]).toMatch(/ECONNREFUSED/);
    expect(count("refused")).toBe(0);
  });
});
