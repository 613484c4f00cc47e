import { spawnSync } from "node:child_process";
import { copyFileSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { startEmulator, type Emulator } from "../../src/local/emulator/index.js";
import { startFunction } from "../../src/local/fn/start-function.js";

// What the image's entry (dist/func-loader.cjs, built by `npm run build`) loads before its first
// answer, and that what it leaves for later still loads when needed. Less loaded is the cold start
// (README, Performance): the SDKs of Key Management, Functions, Events and Secrets are files of
// their own; node:https, node:tls, node:zlib and sshpk load on first use.

const LOADER = resolve("dist/func-loader.cjs");
const dirs: string[] = [];
let em: Emulator | undefined;
afterEach(async () => {
  await em?.close();
  em = undefined;
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** Loads the entry in a child as the image does, answers nothing, and reports the modules it loaded. */
function loadedAfterStart(env: Record<string, string>): { builtins: string[]; files: string[] } {
  const dir = mkdtempSync(join(tmpdir(), "cold-"));
  dirs.push(dir);
  const probe = `
    require(${JSON.stringify(LOADER)});
    setTimeout(() => {
      const builtins = process.moduleLoadList.filter((m) => m.startsWith("NativeModule ")).map((m) => m.slice(13));
      process.stdout.write("\\n" + JSON.stringify({ builtins, files: Object.keys(require.cache) }) + "\\n");
      process.exit(0);
    }, 500);`;
  const r = spawnSync(process.execPath, ["-e", probe], {
    encoding: "utf8",
    timeout: 30_000,
    env: { PATH: process.env["PATH"] ?? "", FN_FORMAT: "http-stream", FN_LISTENER: `unix:${join(dir, "lsnr.sock")}`, ...env },
  });
  const last = r.stdout.trim().split("\n").pop() ?? "";
  expect(r.status, r.stderr).toBe(0);
  return JSON.parse(last) as { builtins: string[]; files: string[] };
}

describe("the image entry's cold start", () => {
  it("loads neither the side SDK files, nor node:https, node:tls or node:zlib, with a resource principal read", async () => {
    em = await startEmulator({ seed: { namespace: "cold", buckets: [{ name: "b" }] } });
    const rp = await em.issueResourcePrincipal({ compartmentId: em.state.defaultCompartmentId, mode: "files", ttlSeconds: 600 });
    const { builtins, files } = loadedAfterStart({ ...rp.env, REENCRYPT_OBJECTSTORAGE_ENDPOINT: em.endpoints.objectStorage });
    expect(builtins).toContain("crypto");
    expect(builtins).toContain("http");
    for (const lazy of ["https", "tls", "zlib", "assert"]) expect(builtins).not.toContain(lazy);
    expect(files.filter((f) => /sdk-[a-z]+\.cjs$/.test(f))).toEqual([]);
  });

  it("keeps the four side SDKs out of func.cjs, each in its own file", () => {
    const bundle = readFileSync(resolve("dist/func.cjs"), "latin1");
    // An API path each generated client holds as a literal.
    const paths = [
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
      // The Events SDK (sdk-events.cjs) listed the rules: it loaded and signed its requests.
      expect(ops).toContain("ListRules");
      expect(em.requests.filter((q) => q.operation === "ListRules").every((q) => q.signatureValid)).toBe(true);
    } finally {
      await fn.stop();
    }
  }, 90_000);
});
