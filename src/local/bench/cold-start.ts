import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { performance } from "node:perf_hooks";
import { startFunction } from "../fn/start-function.js";
import { log, median, rotatedEmulator } from "./setup.js";

interface OneStart {
  ready: number;
  firstAnswer: number;
}

async function coldStart(path: string, env: Record<string, string>, body: string): Promise<OneStart> {
  const t = performance.now();
  const fn = await startFunction({ bundlePath: path, env, readyTimeoutMs: 10_000 });
  const ready = performance.now() - t;
  try {
    const r = await fn.invoke({ body, deadline: new Date(Date.now() + 30_000) });
    if (r.status !== 200) throw new Error(`${path} answered ${r.status}: ${r.body.slice(0, 200)}`);
    return { ready, firstAnswer: performance.now() - t };
  } finally {
    await fn.stop();
  }
}

export interface ColdStarts {
  runs: number;
  /** Medians, ms. */
  productReady: number;
  productFirst: number;
  /** The image's entry point: func-loader.cjs with the code cache it made (undefined without a loader). */
  loaderReady: number | undefined;
  loaderFirst: number | undefined;
  helloReady: number;
  helloFirst: number;
}

/**
 * Spawn → FDK socket and spawn → first answer, medians of `runs`, interleaved: the bundle run
 * directly, the bundle through func-loader.cjs with a code cache made first (as the Dockerfile
 * does), and a bare FDK hello. The answer is to an event the function ignores: it needs the
 * runtime (configuration, resource principal) but no OCI call.
 */
export async function coldStarts(paths: { bundle: string; loader: string; hello: string }, runs: number): Promise<ColdStarts> {
  const loader = existsSync(paths.loader) ? paths.loader : undefined;
  if (loader) {
    const made = spawnSync(process.execPath, [loader, "--write-code-cache"], { encoding: "utf8", timeout: 60_000 });
    if (made.status !== 0) throw new Error(`${loader} --write-code-cache failed: ${made.stdout.slice(-300)}${made.stderr.slice(-300)}`);
  }
  // Its own emulator: the resource principal has to verify, though the answer makes no OCI call.
  const { emulator: em, compartmentId, stopTrim } = await rotatedEmulator([{ name: "product", count: 1 }]);
  const rp = await em.issueResourcePrincipal({ compartmentId, mode: "files", ttlSeconds: 3600 });
  const env = { ...rp.env, REENCRYPT_OBJECTSTORAGE_ENDPOINT: em.endpoints.objectStorage, REENCRYPT_KMS_VAULT_ENDPOINT: em.endpoints.kmsVault };
  const ignored = JSON.stringify({
    cloudEventsVersion: "0.1",
    eventID: "bench",
    eventType: "com.oraclecloud.objectstorage.deleteobject",
    source: "ObjectStorage",
    eventTime: new Date().toISOString(),
    contentType: "application/json",
    data: { resourceName: "x", additionalDetails: { namespace: "bench", bucketName: "product" } },
  });
  log(`cold start: ${runs} × each of dist/func.cjs, ${loader ? "func-loader.cjs + code cache, " : ""}a bare FDK hello, interleaved`);
  const product: OneStart[] = [];
  const viaLoader: OneStart[] = [];
  const hello: OneStart[] = [];
  try {
    const kinds = [
      async () => product.push(await coldStart(paths.bundle, env, ignored)),
      ...(loader ? [async () => viaLoader.push(await coldStart(loader, env, ignored))] : []),
      async () => hello.push(await coldStart(paths.hello, {}, "hello")),
    ];
    // Each run starts with another kind, so none always goes first after the emulator is up.
    for (let i = 0; i < runs; i++) for (let k = 0; k < kinds.length; k++) await (kinds[(i + k) % kinds.length] as () => Promise<number>)();
  } finally {
    stopTrim();
    await em.close();
  }
  return {
    runs,
    productReady: median(product.map((c) => c.ready)),
    productFirst: median(product.map((c) => c.firstAnswer)),
    loaderReady: loader ? median(viaLoader.map((c) => c.ready)) : undefined,
    loaderFirst: loader ? median(viaLoader.map((c) => c.firstAnswer)) : undefined,
    helloReady: median(hello.map((c) => c.ready)),
    helloFirst: median(hello.map((c) => c.firstAnswer)),
  };
}
