import { spawnSync } from "node:child_process";
import { copyFileSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { startEmulator, type Emulator } from "../../src/local/emulator/index.js";
import { startFunction } from "../../src/local/fn/start-function.js";

// What the image's entry (dist/func-loader.cjs, built by `npm run build`) loads before its first
// answer, and that what it leaves for later still loads when needed. Less loaded is the cold start
// (docs/cold-start.md): the SDKs of Object Storage, Key Management, Functions, Events and Secrets,
// and sshpk with http-signature, are files of their own; oci-common (and the resource principal's
// key, which it parses), node:https, node:tls and node:zlib load on first use.

const LOADER = resolve("dist/func-loader.cjs");
const dirs: string[] = [];
let em: Emulator | undefined;
afterEach(async () => {
  await em?.close();
  em = undefined;
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/**
 * Loads the entry in a child as the image does, answers nothing, and reports the modules it loaded
 * and the OCI_SDK_* variables read (oci-common reads OCI_SDK_DEFAULT_RETRY_ENABLED and
 * OCI_SDK_DEFAULT_CIRCUITBREAKER_ENABLED when it is evaluated: none read, oci-common not evaluated).
 */
function loadedAfterStart(env: Record<string, string>): { builtins: string[]; files: string[]; sdkVariables: string[] } {
  const dir = mkdtempSync(join(tmpdir(), "cold-"));
  dirs.push(dir);
  const probe = `
    const sdkVariables = new Set();
    process.env = new Proxy(process.env, { get: (t, k) => { if (typeof k === "string" && k.startsWith("OCI_SDK_")) sdkVariables.add(k); return Reflect.get(t, k); } });
    require(${JSON.stringify(LOADER)});
    setTimeout(() => {
      const builtins = process.moduleLoadList.filter((m) => m.startsWith("NativeModule ")).map((m) => m.slice(13));
      process.stdout.write("\\n" + JSON.stringify({ builtins, files: Object.keys(require.cache), sdkVariables: [...sdkVariables] }) + "\\n");
      process.exit(0);
    }, 500);`;
  // A file, as the image runs one: `node -e` itself loads node:module.
  writeFileSync(join(dir, "probe.cjs"), probe);
  const r = spawnSync(process.execPath, [join(dir, "probe.cjs")], {
    encoding: "utf8",
    timeout: 30_000,
    env: { PATH: process.env["PATH"] ?? "", FN_FORMAT: "http-stream", FN_LISTENER: `unix:${join(dir, "lsnr.sock")}`, ...env },
  });
  const last = r.stdout.trim().split("\n").pop() ?? "";
  expect(r.status, r.stderr).toBe(0);
  return JSON.parse(last) as { builtins: string[]; files: string[]; sdkVariables: string[] };
}

describe("the image entry's cold start", () => {
  it("loads neither oci-common, nor the side files, nor node:https, node:tls, node:zlib or node:module, with a resource principal read", async () => {
    em = await startEmulator({ seed: { namespace: "cold", buckets: [{ name: "b" }] } });
    const rp = await em.issueResourcePrincipal({ compartmentId: em.state.defaultCompartmentId, mode: "files", ttlSeconds: 600 });
    const { builtins, files, sdkVariables } = loadedAfterStart({ ...rp.env, REENCRYPT_OBJECTSTORAGE_ENDPOINT: em.endpoints.objectStorage });
    expect(builtins).toContain("crypto");
    expect(builtins).toContain("http");
    for (const lazy of ["https", "tls", "zlib", "assert", "module", "os"]) expect(builtins).not.toContain(lazy);
    expect(files.filter((f) => /sdk-[a-z]+\.cjs$/.test(f))).toEqual([]);
    expect(sdkVariables).toEqual([]);
  });

  it("evaluates oci-common without a resource principal (the operator's config file is read at once)", () => {
    // The probe above is honest: the same entry, with config-file auth, evaluates oci-common at start.
    const { sdkVariables } = loadedAfterStart({ HOME: mkdtempSync(join(tmpdir(), "home-")) });
    expect(sdkVariables).toEqual(expect.arrayContaining(["OCI_SDK_DEFAULT_RETRY_ENABLED", "OCI_SDK_DEFAULT_CIRCUITBREAKER_ENABLED"]));
  });

  it("keeps the five side SDKs and sshpk with http-signature out of func.cjs, each in its file", () => {
    const bundle = readFileSync(resolve("dist/func.cjs"), "latin1");
    // An API path each generated client holds as a literal; a message of sshpk's and of http-signature's.
    const paths = [
      ["sdk-objectstorage.cjs", 'path:"/n/{namespaceName}/b/{bucketName}/actions/reencrypt"'],
      ["sdk-signing.cjs", "No PuTTY format first line found"],
      ["sdk-signing.cjs", "options.sign (func) or options.key is required"],
      ["sdk-keymanagement.cjs", 'path:"/20180608/keys/{keyId}/actions/backup"'],
      ["sdk-events.cjs", 'path:"/rules/{ruleId}/actions/changeCompartment"'],
      ["sdk-functions.cjs", 'path:"/functions/{functionId}/actions/invoke"'],
      ["sdk-secrets.cjs", 'path:"/secretbundles/{secretId}"'],
    ] as const;
    for (const [file, path] of paths) {
      expect(bundle.includes(path), path).toBe(false);
      expect(readFileSync(resolve("dist", file), "latin1").includes(path), `${file}: ${path}`).toBe(true);
    }
  });

  it("loads a side SDK file when an invocation needs it (diagnose lists the event rules), from the image's files alone", async () => {
    // The files the Dockerfile copies, in a directory with no node_modules above it, as /function is.
    const image = mkdtempSync(join(tmpdir(), "image-"));
    dirs.push(image);
    for (const f of readdirSync(resolve("dist")).filter((f) => f === "func.cjs" || f === "func-loader.cjs" || /^sdk-[a-z]+\.cjs$/.test(f))) copyFileSync(resolve("dist", f), join(image, f));
    em = await startEmulator({ seed: { namespace: "cold", vaults: [{ name: "v", keys: [{ name: "k" }] }], buckets: [{ name: "b", kmsKey: "k" }, { name: "state" }] } });
    const rp = await em.issueResourcePrincipal({ compartmentId: em.state.defaultCompartmentId, mode: "files", ttlSeconds: 600 });
    const fn = await startFunction({
      bundlePath: join(image, "func-loader.cjs"),
      env: { ...rp.env, REENCRYPT_STATE_BUCKET: "state", REENCRYPT_OBJECTSTORAGE_ENDPOINT: em.endpoints.objectStorage, REENCRYPT_KMS_VAULT_ENDPOINT: em.endpoints.kmsVault, REENCRYPT_EVENTS_ENDPOINT: em.endpoints.events },
    });
    try {
      const r = await fn.invoke({ body: JSON.stringify({ diagnose: true }), deadline: new Date(Date.now() + 60_000) });
      expect(r.status, r.body).toBe(200);
      const ops = new Set(em.requests.map((q) => q.operation));
      // The Events SDK (sdk-events.cjs) listed the rules, Object Storage's (sdk-objectstorage.cjs)
      // the buckets: they loaded and signed their requests.
      expect(ops).toContain("ListRules");
      expect(ops).toContain("ListBuckets");
      expect(em.requests.filter((q) => q.operation === "ListRules").every((q) => q.signatureValid)).toBe(true);
    } finally {
      await fn.stop();
    }
  }, 90_000);

  it("loads sdk-signing.cjs when oci-common's own signer signs (the SDK-client twin), from the image's files alone", async () => {
    // dist/func-sdk-http.cjs (the bench's comparison bundle) signs through oci-common's
    // DefaultRequestSigner: http-signature and sshpk, which only sdk-signing.cjs holds.
    const image = mkdtempSync(join(tmpdir(), "image-"));
    dirs.push(image);
    for (const f of readdirSync(resolve("dist")).filter((f) => f === "func-sdk-http.cjs" || /^sdk-[a-z]+\.cjs$/.test(f))) copyFileSync(resolve("dist", f), join(image, f));
    em = await startEmulator({ seed: { namespace: "cold", buckets: [{ name: "b", objects: [{ name: "o" }] }] } });
    const rp = await em.issueResourcePrincipal({ compartmentId: em.state.defaultCompartmentId, mode: "files", ttlSeconds: 600 });
    const fn = await startFunction({ bundlePath: join(image, "func-sdk-http.cjs"), env: { ...rp.env, REENCRYPT_OBJECTSTORAGE_ENDPOINT: em.endpoints.objectStorage } });
    try {
      const r = await fn.invoke({ body: JSON.stringify({ targets: [{ bucket: "b" }], dryRun: true }), deadline: new Date(Date.now() + 60_000) });
      expect(r.httpStatus, r.body).toBe(200);
      expect(r.json()).toMatchObject({ status: "dry-run", counts: { matched: 1 } });
      expect(em.requests.length).toBeGreaterThan(0);
      expect(em.requests.every((q) => q.signatureValid)).toBe(true);
    } finally {
      await fn.stop();
    }
  }, 90_000);

  it("signs and sends Object Storage calls without evaluating Node's fetch (undici): the bundle's Headers is its own", async () => {
    // oci-common composes every request with `new Headers()`; Node's is undici's, 45–60 ms of CPU
    // on first use. A preload reports the modules the container has loaded once it has answered.
    const dir = mkdtempSync(join(tmpdir(), "probe-"));
    dirs.push(dir);
    const out = join(dir, "loaded.json");
    writeFileSync(join(dir, "probe.cjs"), `process.on("SIGTERM", () => { require("node:fs").writeFileSync(${JSON.stringify(out)}, JSON.stringify(process.moduleLoadList)); process.exit(0); });`);
    em = await startEmulator({ seed: { namespace: "cold", buckets: [{ name: "b", objects: [{ name: "o" }, { name: "p" }] }] } });
    const rp = await em.issueResourcePrincipal({ compartmentId: em.state.defaultCompartmentId, mode: "files", ttlSeconds: 600 });
    const fn = await startFunction({ bundlePath: LOADER, env: { ...rp.env, REENCRYPT_OBJECTSTORAGE_ENDPOINT: em.endpoints.objectStorage, NODE_OPTIONS: `--require ${join(dir, "probe.cjs")}` } });
    try {
      const r = await fn.invoke({ body: JSON.stringify({ targets: [{ bucket: "b" }], dryRun: true }), deadline: new Date(Date.now() + 60_000) });
      expect(r.httpStatus, r.body).toBe(200);
      expect(r.json()).toMatchObject({ status: "dry-run", counts: { matched: 2 } });
      expect(em.requests.map((q) => q.operation)).toEqual(expect.arrayContaining(["GetNamespace", "GetBucket"]));
      expect(em.requests.every((q) => q.signatureValid)).toBe(true);
    } finally {
      await fn.stop();
    }
    const loaded = JSON.parse(readFileSync(out, "utf8")) as string[];
    expect(loaded).toContain("NativeModule http");
    expect(loaded.filter((m) => m.includes("undici"))).toEqual([]);
  }, 90_000);

  it("finds a resource principal key that does not parse on first use: an ignored event answers, a request is the configuration error, nothing is called", async () => {
    em = await startEmulator({ seed: { namespace: "cold", buckets: [{ name: "b", objects: [{ name: "o" }] }] } });
    const rp = await em.issueResourcePrincipal({ compartmentId: em.state.defaultCompartmentId, mode: "files", ttlSeconds: 600 });
    writeFileSync(rp.env["OCI_RESOURCE_PRINCIPAL_PRIVATE_PEM"] as string, "-----BEGIN PRIVATE KEY-----\nbm90IGEga2V5\n-----END PRIVATE KEY-----\n");
    const fn = await startFunction({ bundlePath: LOADER, env: { ...rp.env, REENCRYPT_OBJECTSTORAGE_ENDPOINT: em.endpoints.objectStorage } });
    try {
      const deadline = new Date(Date.now() + 60_000);
      const ignored = { cloudEventsVersion: "0.1", eventID: "e", eventType: "com.oraclecloud.objectstorage.deleteobject", source: "ObjectStorage", eventTime: new Date().toISOString(), contentType: "application/json", data: { resourceName: "o", additionalDetails: { namespace: "cold", bucketName: "b" } } };
      const first = await fn.invoke({ body: JSON.stringify(ignored), deadline });
      expect(first.httpStatus, first.body).toBe(200);
      expect(first.json()).toMatchObject({ status: "ignored" });
      for (let i = 0; i < 2; i++) {
        const r = await fn.invoke({ body: JSON.stringify({ targets: [{ bucket: "b" }], dryRun: true }), deadline });
        expect(r.httpStatus, r.body).toBe(500);
        const error = (r.json() as { error: { code: string; message: string } }).error;
        expect(error.code).toBe("ConfigurationError");
        expect(error.message).toMatch(/^OCI_RESOURCE_PRINCIPAL_VERSION: the resource principal could not be loaded: /);
        expect(error.message).not.toContain("bm90IGEga2V5");
      }
      expect(em.requests).toEqual([]);
    } finally {
      await fn.stop();
    }
  }, 90_000);
});
