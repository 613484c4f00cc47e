import { randomUUID } from "node:crypto";
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startEmulator, type Emulator, type IssuedApiKey, type Seed } from "../../src/local/emulator/index.js";
import { startLocalStack, type LocalStack } from "../../src/local/local-stack.js";
import { jsonLines, runCli, startCli } from "./cli-helpers.js";
import { expectAllSigned } from "./helpers.js";

// Job control of the deployed function: the built CLI calls InvokeFunction (endpoint from
// GetFunction) as an operator, or the gateway route with a token, against a local stack (the real
// function bundle in containers, the emulator as OCI) with a state bucket.

const fixture = (name: string) => JSON.parse(readFileSync(new URL(`../fixtures/events/${name}.json`, import.meta.url), "utf8"));

const seed: Seed = {
  namespace: "ctlns",
  compartments: ["apps"],
  vaults: [{ name: "v", compartment: "apps", keys: [{ name: "kA" }] }],
  buckets: [
    { name: "slow-1", compartment: "apps", kmsKey: "kA", versioning: "Enabled", objects: [{ prefix: "x/", count: 500, versions: 2 }] },
    { name: "slow-2", compartment: "apps", kmsKey: "kA", objects: [{ prefix: "y/", count: 600 }] },
    { name: "small", compartment: "apps", objects: [{ prefix: "s/", count: 12 }] },
    { name: "state", compartment: "apps" },
  ],
};

let em: Emulator;
let stack: LocalStack;
let key: IssuedApiKey;
let env: Record<string, string>;
let gatewayUrl: string;
let gatewayServer: http.Server;
const TOKEN = "t0k-cli-e2e";

beforeAll(async () => {
  em = await startEmulator({ seed });
  stack = await startLocalStack({
    emulator: em,
    compartmentId: em.seedIds.compartments["apps"] as string,
    timeoutSeconds: 30,
    config: { REENCRYPT_STATE_BUCKET: "state", REENCRYPT_CHECKPOINT_SECONDS: "1", REENCRYPT_CONCURRENCY: "2" },
  });
  key = await em.issueApiKey({ userId: "ocid1.user.oc1..operator" });
  env = { HOME: "/nonexistent", OCI_CLI_CONFIG_FILE: key.configFile, REENCRYPT_FUNCTIONS_ENDPOINT: em.endpoints.functions };
  // A stand-in for the API Gateway deployment: a bearer token, POST /reencrypt, GET /reencrypt/jobs/{id}.
  gatewayServer = http.createServer((req, res) => {
    let body = "";
    req.on("data", (c: Buffer) => (body += c.toString("utf8")));
    req.on("end", () => {
      if (req.headers.authorization !== `Bearer ${TOKEN}`) {
        res.writeHead(401, { "content-type": "application/json" }).end('{"message":"Unauthorized"}');
        return;
      }
      void stack.invoke(body, { gateway: { method: req.method ?? "GET", url: req.url ?? "/", headers: { "Content-Type": "application/json" } } }).then((r) => {
        res.writeHead(r.httpStatus, { "content-type": "application/json" }).end(r.body);
      });
    });
  });
  await new Promise<void>((r) => gatewayServer.listen(0, "127.0.0.1", r));
  gatewayUrl = `http://127.0.0.1:${(gatewayServer.address() as AddressInfo).port}/reencrypt`;
});

afterAll(async () => {
  await new Promise((r) => gatewayServer.close(r));
  expectAllSigned(em);
  await stack.stop();
  await em.close();
});

const fn = () => ["--function-id", stack.functionId];
let rotationJobId: string | undefined;

/** A rotation of kA delivered as OCI Events would, answered "continuing" while its shards run on. */
async function startSlowRotation(): Promise<string> {
  em.faults.setBaseLatency(6);
  const keyId = em.seedIds.keys["kA"] as string;
  const version = em.state.rotateKey(keyId);
  const e = fixture("createkeyversion-end");
  e.eventID = randomUUID();
  e.data.compartmentId = em.seedIds.compartments["apps"];
  e.data.resourceId = keyId;
  e.data.additionalDetails = { keyId, vaultId: em.seedIds.vaults["v"], keyVersionId: version.id };
  const r = await stack.invoke(e, { intent: "cloudevent" });
  expect(r.data.status).toBe("continuing");
  return r.data.jobId as string;
}

describe("job control of the deployed function", () => {
  it("status: the record of a running rotation (--no-wait), then followed with progress lines until it ends", async () => {
    const jobId = await startSlowRotation();
    rotationJobId = jobId;
    const now = await runCli(["status", jobId, ...fn(), "--no-wait"], { env });
    expect(now.code, now.stderr).toBe(0);
    const record = JSON.parse(now.stdout);
    expect(record).toMatchObject({ jobId, origin: "rotation", status: "running", shards: { total: 2 } });
    expect(record.counts.reencrypted).toBeLessThan(1600);

    const follow = startCli(["status", jobId, ...fn(), "--poll-seconds", "0.3", "--progress-seconds", "0.3"], { env });
    const done = await follow.done;
    em.faults.setBaseLatency(0);
    expect(done.code, done.stderr).toBe(0);
    const lines = jsonLines(done.stderr, "progress");
    expect(lines.length).toBeGreaterThan(1);
    expect(lines.some((l) => String(l["status"]).startsWith("running") && (l["done"] as number) < 1600)).toBe(true);
    expect(lines[lines.length - 1]).toMatchObject({ done: 1600, reencrypted: 1600, status: "succeeded, shards 2/2" });
    expect(JSON.parse(done.stdout)).toMatchObject({ jobId, status: "succeeded", counts: { reencrypted: 1600, failed: 0 }, shards: { total: 2, done: 2 } });
    // The operator's own principal called GetFunction, then InvokeFunction at the invoke endpoint.
    const ops = em.requests.filter((q) => q.principal === "ocid1.user.oc1..operator").map((q) => q.operation);
    expect(ops).toContain("GetFunction");
    expect(ops).toContain("InvokeFunction");
  });

  it("invoke: sends a request body and prints the job's answer; an unknown job is JobNotFound (exit 1)", async () => {
    const r = await runCli(["invoke", ...fn(), "--body", JSON.stringify({ targets: [{ bucket: "small" }] }), "--progress", "none"], { env });
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ status: "succeeded", counts: { reencrypted: 12 } });
    const bad = await runCli(["invoke", ...fn(), "--body", JSON.stringify({ targets: [{ bucket: "" }] })], { env });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/InvalidPayload: .*targets\.0\.bucket/);
    const missing = await runCli(["status", "00000000-0000-0000-0000-000000000000", ...fn()], { env });
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/JobNotFound/);
  });

  it("through the gateway route with a token: invoke and status as a caller; sweep and diagnose are direct only", async () => {
    const r = await runCli(["invoke", "--gateway-url", gatewayUrl, "--token", TOKEN, "--body", JSON.stringify({ targets: [{ bucket: "small", prefix: "s/00000" }] })], { env: { HOME: "/nonexistent" } });
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ status: "succeeded", counts: { reencrypted: 10 } });
    // GET <route>/jobs/<id>: the rotation's record (status queries are open to callers).
    const st = await runCli(["status", rotationJobId as string, "--gateway-url", gatewayUrl, "--token", TOKEN, "--no-wait"], { env: { HOME: "/nonexistent" } });
    expect(st.code, st.stderr).toBe(0);
    expect(JSON.parse(st.stdout)).toMatchObject({ jobId: rotationJobId, status: "succeeded" });
    const noToken = await runCli(["invoke", "--gateway-url", gatewayUrl, "--body", '{"targets":[{"bucket":"small"}]}'], { env: { HOME: "/nonexistent" } });
    expect(noToken.code).toBe(1);
    expect(noToken.stderr).toMatch(/answered 401/);
    const sweep = await runCli(["sweep", "--gateway-url", gatewayUrl], { env });
    expect(sweep.code).toBe(2);
    expect(sweep.stderr).toMatch(/unknown option '--gateway-url'/);
  });

  it("sweep and diagnose by InvokeFunction", async () => {
    const sweep = await runCli(["sweep", ...fn()], { env });
    expect(sweep.code, sweep.stderr).toBe(0);
    expect(JSON.parse(sweep.stdout)).toMatchObject({ resumed: [], needCaller: [] });
    const first = await runCli(["diagnose", ...fn()], { env });
    expect(first.code, first.stderr).toBe(JSON.parse(first.stdout).ok ? 0 : 1);
    // A rule aimed at this function but disabled: a problem, exit 1.
    em.state.createRule({
      compartmentId: em.seedIds.compartments["apps"] as string,
      displayName: "on-rotate",
      isEnabled: false,
      condition: JSON.stringify({ eventType: ["com.oraclecloud.keymanagementservice.createkeyversion.end"] }),
      actions: [{ actionType: "FAAS", functionId: stack.functionId, isEnabled: true }],
    });
    const diagnose = await runCli(["diagnose", ...fn(), "--output", "table"], { env });
    expect(diagnose.code, diagnose.stderr).toBe(1);
    expect(diagnose.stdout).toMatch(/ok\s*│\s*false/);
    expect(diagnose.stdout).toMatch(/on-rotate.*disabled/);
    const missingFn = await runCli(["sweep"], { env });
    expect(missingFn.code).toBe(2);
    expect(missingFn.stderr).toMatch(/missing --function-id .*sweep is for direct invocations only/);
  });

  it("coverage by InvokeFunction: per older key version, from the function's records; exit 1 while one is possible", async () => {
    await runCli(["sweep", ...fn()], { env });
    await em.functions.idle();
    const keyId = em.seedIds.keys["kA"] as string;
    em.state.rotateKey(keyId);
    const r = await runCli(["coverage", "--key-id", keyId, ...fn()], { env });
    expect(r.code, r.stderr).toBe(1);
    const c = JSON.parse(r.stdout);
    expect(c.builtFrom).toMatch(/this function's own records only/);
    // The version current until this rotation: no job has re-wrapped past it yet.
    const old = c.versions.filter((v: { current?: boolean }) => !v.current).at(-1);
    expect(old.verdict).toBe("possible");
    expect(old.scopes.map((s: { bucket: string }) => s.bucket).sort()).toEqual(["slow-1", "slow-2"]);
    const table = await runCli(["coverage", "--key-id", keyId, ...fn(), "--output", "table"], { env });
    expect(table.stdout).toMatch(/possible/);
    const bad = await runCli(["coverage", "--key-id", "nope", ...fn()], { env });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--key-id: nope is not a key OCID/);
  });

  it("invoke: a spinner with the elapsed time while the synchronous call runs, then progress with the buckets' total and a true rate", async () => {
    em.faults.setBaseLatency(4);
    const r = await runCli(["invoke", ...fn(), "--body", JSON.stringify({ targets: [{ bucket: "slow-2" }] }), "--progress", "json", "--progress-seconds", "0.5"], { env: { ...env, REENCRYPT_OBJECTSTORAGE_ENDPOINT: em.endpoints.objectStorage } });
    em.faults.setBaseLatency(0);
    expect(r.code, r.stderr).toBe(0);
    const waiting = jsonLines(r.stderr, "waiting");
    expect(waiting.length).toBeGreaterThan(0);
    expect(waiting[0]).toMatchObject({ message: expect.stringMatching(/waiting for the function's answer to invoke \(InvokeFunction, synchronous\)/), elapsedSeconds: 0 });
    const last = jsonLines(r.stderr, "progress").pop() as Record<string, number>;
    // The total is Object Storage's approximate count of the bucket; the rate is the run's, not 0.
    expect(last).toMatchObject({ done: 600, total: 600, reencrypted: 600 });
    expect(last["ratePerSecond"]).toBeGreaterThan(0);
  });

  it("--token goes to a plain http:// gateway only on loopback or with --insecure; nothing is sent otherwise", async () => {
    const body = JSON.stringify({ targets: [{ bucket: "small" }] });
    const remote = "http://gateway.example.invalid/reencrypt";
    const refused = await runCli(["invoke", "--gateway-url", remote, "--token", TOKEN, "--body", body], { env: { HOME: "/nonexistent" } });
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/--gateway-url http:\/\/gateway\.example\.invalid: a --token is sent over https only .*--insecure/);
    const fromEnv = await runCli(["status", "00000000-0000-0000-0000-000000000000", "--gateway-url", remote], { env: { HOME: "/nonexistent", REENCRYPT_TOKEN: TOKEN } });
    expect(fromEnv.code).toBe(2);
    // --insecure: sent (and here nobody answers); without a token nothing is secret.
    const insecure = await runCli(["invoke", "--gateway-url", remote, "--token", TOKEN, "--insecure", "--body", body, "--progress", "none"], { env: { HOME: "/nonexistent" } });
    expect(insecure.code).toBe(1);
    expect(insecure.stderr).toMatch(/POST http:\/\/gateway\.example\.invalid\/reencrypt: no answer/);
    // Loopback (the local demo): allowed as is.
    const local = await runCli(["invoke", "--gateway-url", gatewayUrl.replace("127.0.0.1", "localhost"), "--token", TOKEN, "--body", JSON.stringify({ targets: [{ bucket: "small", prefix: "s/00001" }] }), "--progress", "none"], { env: { HOME: "/nonexistent" } });
    expect(local.code, local.stderr).toBe(0);
  });

  it("--local reads the running stack's session: endpoints, API key and function, with nothing else set", async () => {
    const port = 40_000 + Math.floor(Math.random() * 20_000);
    const dir = join(tmpdir(), "oci-reencrypt-local");
    mkdirSync(dir, { recursive: true });
    const file = join(dir, `${port}.json`);
    writeFileSync(
      file,
      JSON.stringify({ format: 1, pid: process.pid, gateway: gatewayUrl, objectStorage: em.endpoints.objectStorage, namespace: "ctlns", stateBucket: "state", ociConfigFile: key.configFile, kmsVault: em.endpoints.kmsVault, secrets: em.endpoints.secrets, functions: em.endpoints.functions, functionId: stack.functionId, startedAt: new Date().toISOString() }),
    );
    try {
      const bare = { HOME: "/nonexistent" };
      const dry = await runCli(["run", "--local", "--local-port", String(port), "-bn", "small", "--dry-run", "--progress", "none"], { env: bare });
      expect(dry.code, dry.stderr).toBe(0);
      expect(JSON.parse(dry.stdout)).toMatchObject({ status: "dry-run", counts: { matched: 12 } });
      const st = await runCli(["status", rotationJobId as string, "--local", "--local-port", String(port), "--no-wait"], { env: bare });
      expect(st.code, st.stderr).toBe(0);
      expect(JSON.parse(st.stdout)).toMatchObject({ jobId: rotationJobId, status: "succeeded" });
      const none = await runCli(["run", "--local", "--local-port", String(port + 1), "-bn", "small"], { env: bare });
      expect(none.code).toBe(2);
      expect(none.stderr).toMatch(/--local: no local stack is serving on port \d+ .*start one with `npm start`/);
    } finally {
      rmSync(file, { force: true });
    }
  });
});
