// The container's entry point (Dockerfile): runs func.cjs, the one bundle beside this file, with
// V8's code cache when a valid one is there. Compiling the ~1 MB bundle is the largest part of a
// cold start; the cache (func.cjs.cache) is made once, at image build, by
// `node func-loader.cjs --write-code-cache`, which starts the function on a throwaway socket,
// answers two invocations that call nothing (an ignored event, an invalid request) and saves what
// V8 compiled meanwhile.
//
// Robust by construction: a missing, unreadable or foreign cache (its header holds the SHA-256 of
// the bundle it was made from: V8 itself only compares the source length) means a plain compile,
// as `node func.cjs` would do; so does a cache V8 rejects (another Node or V8 version or flags).

import { generateKeyPairSync } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { request } from "node:http";
import { join } from "node:path";
import { compileBundle, runBundle, validCache, writeCache } from "./code-cache.js";

const bundlePath = join(__dirname, "func.cjs");
const cachePath = `${bundlePath}.cache`;

// This file's own require runs the bundle: it sits in the same directory, so it resolves the same
// (./sdk-*.cjs beside it), and node:module's createRequire (with the ESM loader it loads) stays out
// of the cold start.
const run = (script: ReturnType<typeof compileBundle>): void => runBundle(script, bundlePath, require);

function line(level: "info" | "error", msg: string, fields: Record<string, unknown> = {}): void {
  process.stdout.write(`${JSON.stringify({ time: new Date().toISOString(), level, msg, ...fields })}\n`);
}

/** A files-mode resource principal that only exists to be decoded: nothing is ever signed or sent with it. */
function throwawayPrincipal(dir: string): Record<string, string> {
  const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
  const b64url = (o: unknown): string => Buffer.from(JSON.stringify(o)).toString("base64url");
  const now = Math.floor(Date.now() / 1000);
  const claims = { ttype: "res", res_type: "fnfunc", res_compartment: "ocid1.compartment.oc1..codecache", res_tenant: "ocid1.tenancy.oc1..codecache", iat: now, exp: now + 3600 };
  writeFileSync(join(dir, "rpst"), `${b64url({ alg: "RS256", typ: "JWT" })}.${b64url(claims)}.c2ln`, { mode: 0o600 });
  writeFileSync(join(dir, "private.pem"), privateKey.export({ type: "pkcs8", format: "pem" }), { mode: 0o600 });
  return {
    OCI_RESOURCE_PRINCIPAL_VERSION: "2.2",
    OCI_RESOURCE_PRINCIPAL_REGION: "us-ashburn-1",
    OCI_RESOURCE_PRINCIPAL_RPST: join(dir, "rpst"),
    OCI_RESOURCE_PRINCIPAL_PRIVATE_PEM: join(dir, "private.pem"),
  };
}

function post(socketPath: string, body: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        socketPath,
        path: "/call",
        method: "POST",
        headers: { "Fn-Call-Id": "code-cache", "Fn-Deadline": new Date(Date.now() + 30_000).toISOString(), "Content-Type": "application/json" },
      },
      (res) => {
        res.resume();
        res.on("end", () => resolve(res.statusCode ?? 0));
      },
    );
    req.on("error", reject);
    req.end(body);
  });
}

async function writeCodeCache(): Promise<void> {
  const source = readFileSync(bundlePath);
  // Loaded here, not at the top: the cold start does not need node:os.
  const { tmpdir } = await import("node:os");
  const dir = mkdtempSync(join(tmpdir(), "fn-cache-"));
  try {
    const socketPath = join(dir, "lsnr.sock");
    Object.assign(process.env, throwawayPrincipal(dir), {
      FN_FORMAT: "http-stream",
      FN_LISTENER: `unix:${socketPath}`,
      // Never contacted: both invocations answer without calling OCI.
      REENCRYPT_OBJECTSTORAGE_ENDPOINT: "http://127.0.0.1:9",
    });
    const script = compileBundle(bundlePath, source, undefined);
    run(script);
    for (let i = 0; !existsSync(socketPath); i++) {
      if (i > 2_000) throw new Error("the function did not open its socket");
      await new Promise((r) => setTimeout(r, 5));
    }
    const ignored = {
      cloudEventsVersion: "0.1",
      eventID: "code-cache",
      eventType: "com.oraclecloud.objectstorage.deleteobject",
      source: "ObjectStorage",
      eventTime: new Date().toISOString(),
      contentType: "application/json",
      data: { resourceName: "x", additionalDetails: { namespace: "ns", bucketName: "b" } },
    };
    const statuses = [await post(socketPath, JSON.stringify(ignored)), await post(socketPath, JSON.stringify({ targets: [] }))];
    const bytes = writeCache(script, source, cachePath);
    line("info", "code cache written", { file: cachePath, bytes, statuses });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[2] === "--write-code-cache") {
  writeCodeCache().then(
    () => process.exit(0),
    (error: unknown) => {
      line("error", "code cache not written", { error: error instanceof Error ? error.message : String(error) });
      process.exit(1);
    },
  );
} else {
  const source = readFileSync(bundlePath);
  run(compileBundle(bundlePath, source, validCache(source, cachePath)));
}
