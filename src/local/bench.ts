// `npm run bench`: figures, not pass/fail. Each line is the product against a baseline measured in
// the same run on the same machine, so the ratio means more than either number alone.

import { existsSync } from "node:fs";
import { cpus } from "node:os";
import { resolve } from "node:path";
import { performance } from "node:perf_hooks";
import { parseArgs } from "node:util";
import { bundleSize, productionNodeModules } from "./bench/bundle-size.js";
import { naiveLoop } from "./bench/naive-loop.js";
import { procCpuMs, procMemory } from "./bench/proc.js";
import { ratio, renderTable, type BenchRow } from "./bench/table.js";
import { startEmulator, type Emulator, type Seed } from "./emulator/index.js";
import { startFunction } from "./fn/start-function.js";
import { startLocalStack, type LocalStack } from "./local-stack.js";

const THROUGHPUT_OBJECTS = 1_500;
const THROUGHPUT_LATENCY_MS = 15;
const COLD_STARTS = 7;
const LARGE_OBJECTS = 50_000;
const LARGE_FALLBACK = 20_000;
/** Past this estimated duration the large run uses LARGE_FALLBACK objects, to keep the bench near 3 minutes. */
const LARGE_BUDGET_S = 90;
/** terraform/variables.tf memory_in_mbs default. */
const FUNCTION_MEMORY_MB = 256;
const GATEWAY = { method: "POST", url: "/reencrypt", headers: { "Content-Type": "application/json" } };

const log = (line: string): void => void process.stderr.write(`  … ${line}\n`);
const n = (x: number): string => Math.round(x).toLocaleString("en-US");
const rate = (x: number): string => `${n(x)} obj/s`;
const ms = (x: number): string => `${x.toFixed(0)} ms`;
const mb = (bytes: number): string => (bytes >= 1024 * 1024 ? `${(bytes / 1024 / 1024).toFixed(1)} MiB` : `${(bytes / 1024).toFixed(0)} KiB`);
const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
};

function benchSeed(buckets: { name: string; count: number }[]): Seed {
  return {
    namespace: "bench",
    compartments: ["bench"],
    vaults: [{ name: "vault", compartment: "bench", keys: [{ name: "key" }] }],
    buckets: [
      ...buckets.map((b) => ({ name: b.name, compartment: "bench", kmsKey: "key", objects: [{ prefix: "obj/", count: b.count }] })),
      { name: "bench-state", compartment: "bench" },
    ],
  };
}

/** The emulator with every bucket on an old key version, so each ReencryptObject really moves one. */
async function rotatedEmulator(buckets: { name: string; count: number }[]) {
  const emulator = await startEmulator({ seed: benchSeed(buckets) });
  const compartmentId = emulator.seedIds.compartments["bench"] as string;
  const keyId = emulator.seedIds.keys["key"] as string;
  const newVersion = emulator.state.rotateKey(keyId).id;
  // Kept short so a long run does not hold every request in memory.
  const trim = setInterval(() => (emulator.requests.length = 0), 1_000);
  trim.unref();
  return { emulator, compartmentId, newVersion, stopTrim: () => clearInterval(trim) };
}

function onNewVersion(em: Emulator, bucket: string, versionId: string): number {
  return em.state.objectVersions(bucket).filter((v) => v.wrapping.kind === "kms" && v.wrapping.keyVersionId === versionId).length;
}

async function reencryptBucket(stack: LocalStack, bucket: string): Promise<{ invocations: number; reencrypted: number }> {
  const deadline = () => new Date(Date.now() + 300_000);
  let r = await stack.invoke({ targets: [{ bucket }] }, { gateway: GATEWAY, deadline: deadline() });
  let invocations = 1;
  // A slow machine may not finish within one 300 s invocation: resume, as a caller would.
  while (r.data?.status === "incomplete" && typeof r.data.resume === "string") {
    r = await stack.invoke({ resume: r.data.resume }, { gateway: GATEWAY, deadline: deadline() });
    invocations++;
  }
  if (r.data?.status !== "succeeded") throw new Error(`re-encrypting ${bucket} ended ${String(r.data?.status)}: ${r.body.slice(0, 300)}`);
  return { invocations, reencrypted: Number(r.data.counts?.reencrypted ?? 0) };
}

interface Throughput {
  product: number;
  naive: number;
  productCpuMsPerObject: number | undefined;
}

async function throughput(bundlePath: string): Promise<Throughput> {
  const buckets = [
    { name: "warm-product", count: 20 },
    { name: "warm-naive", count: 20 },
    { name: "product", count: THROUGHPUT_OBJECTS },
    { name: "naive", count: THROUGHPUT_OBJECTS },
  ];
  const { emulator, compartmentId, newVersion, stopTrim } = await rotatedEmulator(buckets);
  const stack = await startLocalStack({ emulator, compartmentId, bundlePath });
  const naive = await naiveLoop(emulator, compartmentId);
  try {
    emulator.faults.setBaseLatency(THROUGHPUT_LATENCY_MS);
    // One small job each first: namespace lookup, connections and JIT are not what is measured.
    await reencryptBucket(stack, "warm-product");
    await naive.run("warm-naive");

    log(`throughput: the product over ${n(THROUGHPUT_OBJECTS)} objects at +${THROUGHPUT_LATENCY_MS} ms per request`);
    const cpu0 = procCpuMs(stack.fn.pid);
    let t = performance.now();
    const done = await reencryptBucket(stack, "product");
    const productS = (performance.now() - t) / 1000;
    const cpu1 = procCpuMs(stack.fn.pid);

    log(`throughput: a sequential SDK loop over ${n(THROUGHPUT_OBJECTS)} objects (the slow part of the bench)`);
    t = performance.now();
    const naiveCount = await naive.run("naive");
    const naiveS = (performance.now() - t) / 1000;

    for (const b of ["product", "naive"]) {
      const moved = onNewVersion(emulator, b, newVersion);
      if (moved !== THROUGHPUT_OBJECTS) throw new Error(`${b}: only ${moved} of ${THROUGHPUT_OBJECTS} objects are on the new key version`);
    }
    return {
      product: done.reencrypted / productS,
      naive: naiveCount / naiveS,
      productCpuMsPerObject: cpu0 !== undefined && cpu1 !== undefined ? (cpu1 - cpu0) / done.reencrypted : undefined,
    };
  } finally {
    stopTrim();
    await naive.close();
    await stack.stop();
    await emulator.close();
  }
}

interface ColdStart {
  ready: number;
  firstAnswer: number;
}

async function coldStart(bundlePath: string, env: Record<string, string>, body: string): Promise<ColdStart> {
  const t = performance.now();
  const fn = await startFunction({ bundlePath, env, readyTimeoutMs: 10_000 });
  const ready = performance.now() - t;
  try {
    const r = await fn.invoke({ body, deadline: new Date(Date.now() + 30_000) });
    if (r.status !== 200) throw new Error(`${bundlePath} answered ${r.status}: ${r.body.slice(0, 200)}`);
    return { ready, firstAnswer: performance.now() - t };
  } finally {
    await fn.stop();
  }
}

async function coldStarts(bundlePath: string, echoPath: string) {
  // Its own emulator: the resource principal has to verify, though the answer makes no OCI call.
  const { emulator: em, compartmentId, stopTrim } = await rotatedEmulator([{ name: "product", count: 1 }]);
  const rp = await em.issueResourcePrincipal({ compartmentId, mode: "files", ttlSeconds: 3600 });
  const env = { ...rp.env, REENCRYPT_OBJECTSTORAGE_ENDPOINT: em.endpoints.objectStorage, REENCRYPT_KMS_VAULT_ENDPOINT: em.endpoints.kmsVault };
  // An event the function ignores: the answer needs the runtime (config, resource principal) but no OCI call.
  const ignored = JSON.stringify({
    cloudEventsVersion: "0.1",
    eventID: "bench",
    eventType: "com.oraclecloud.objectstorage.deleteobject",
    source: "ObjectStorage",
    eventTime: new Date().toISOString(),
    contentType: "application/json",
    data: { resourceName: "x", additionalDetails: { namespace: "bench", bucketName: "product" } },
  });
  log(`cold start: ${COLD_STARTS} × dist/func.cjs and ${COLD_STARTS} × a bare FDK hello, interleaved`);
  const product: ColdStart[] = [];
  const hello: ColdStart[] = [];
  try {
    for (let i = 0; i < COLD_STARTS; i++) {
      product.push(await coldStart(bundlePath, env, ignored));
      hello.push(await coldStart(echoPath, {}, "hello"));
    }
  } finally {
    stopTrim();
    await em.close();
  }
  return {
    productReady: median(product.map((c) => c.ready)),
    productFirst: median(product.map((c) => c.firstAnswer)),
    helloReady: median(hello.map((c) => c.ready)),
    helloFirst: median(hello.map((c) => c.firstAnswer)),
  };
}

async function largeRun(bundlePath: string, count: number) {
  const { emulator, compartmentId, newVersion, stopTrim } = await rotatedEmulator([{ name: "large", count }]);
  const stack = await startLocalStack({ emulator, compartmentId, bundlePath, config: { REENCRYPT_STATE_BUCKET: "bench-state" } });
  try {
    const pid = stack.fn.pid;
    const coldRss = procMemory(pid, "VmRSS");
    log(`peak memory: re-encrypting ${n(count)} objects with concurrency 16 (report on)`);
    const cpu0 = procCpuMs(pid);
    const t = performance.now();
    const done = await reencryptBucket(stack, "large");
    const seconds = (performance.now() - t) / 1000;
    const cpu1 = procCpuMs(pid);
    const peak = procMemory(pid, "VmHWM");
    const moved = onNewVersion(emulator, "large", newVersion);
    if (moved !== count) throw new Error(`large: only ${moved} of ${count} objects are on the new key version`);
    return {
      coldRss,
      peak,
      rate: done.reencrypted / seconds,
      seconds,
      invocations: done.invocations,
      cpuMsPerObject: cpu0 !== undefined && cpu1 !== undefined ? (cpu1 - cpu0) / done.reencrypted : undefined,
    };
  } finally {
    stopTrim();
    await stack.stop();
    await emulator.close();
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { large: { type: "string" } }, strict: true });
  const started = performance.now();
  const bundlePath = resolve("dist/func.cjs");
  const echoPath = resolve("test/fixtures/fn/echo-func.cjs");
  for (const p of [bundlePath, echoPath]) {
    if (!existsSync(p)) throw new Error(`${p} is missing: run from the project root after \`npm run build\``);
  }
  const cpu = cpus();
  process.stdout.write(`oci-reencrypt benchmarks: node ${process.version}, ${cpu.length} vCPU${cpu.length === 1 ? "" : "s"} (${cpu[0]?.model.trim() ?? "unknown CPU"})\n`);

  const tp = await throughput(bundlePath);
  const cold = await coldStarts(bundlePath, echoPath);

  const bundle = bundleSize(bundlePath);
  const modules = productionNodeModules(process.cwd());

  // The large run is CPU-bound like the throughput run: its rate predicts its duration.
  const forced = values.large === undefined ? undefined : Number(values.large);
  if (forced !== undefined && (!Number.isInteger(forced) || forced < 1)) throw new Error(`--large must be a positive whole number, got ${values.large}`);
  const estimate = LARGE_OBJECTS / tp.product;
  const count = forced ?? (estimate > LARGE_BUDGET_S ? LARGE_FALLBACK : LARGE_OBJECTS);
  const why = forced !== undefined ? "--large" : count === LARGE_OBJECTS ? "" : `; 50,000 est. ${estimate.toFixed(0)} s > ${LARGE_BUDGET_S} s`;
  const large = await largeRun(bundlePath, count);

  const rows: BenchRow[] = [
    {
      name: `throughput, ${n(THROUGHPUT_OBJECTS)} objects, +${THROUGHPUT_LATENCY_MS} ms/request`,
      value: rate(tp.product),
      baseline: `${rate(tp.naive)}: sequential SDK loop`,
      ratio: ratio(tp.product, tp.naive),
    },
    {
      name: `cold start: spawn → FDK socket (median of ${COLD_STARTS})`,
      value: ms(cold.productReady),
      baseline: `${ms(cold.helloReady)}: bare FDK hello`,
      ratio: ratio(cold.productReady, cold.helloReady),
    },
    {
      name: `cold start: spawn → first answer (median of ${COLD_STARTS})`,
      value: ms(cold.productFirst),
      baseline: `${ms(cold.helloFirst)}: bare FDK hello`,
      ratio: ratio(cold.productFirst, cold.helloFirst),
    },
    ...(["bytes", "gzipBytes"] as const).map((k) => ({
      name: k === "bytes" ? "bundle dist/func.cjs" : "bundle dist/func.cjs, gzip -9",
      value: mb(bundle[k]),
      baseline: modules ? `${mb(modules.bytes)}: prod node_modules (${modules.packages} pkgs, ${n(modules.files)} files)` : "n/a",
      ratio: modules ? ratio(bundle[k], modules.bytes) : "n/a",
    })),
    {
      name: `peak RSS, ${n(count)} objects in ${large.invocations} invocation${large.invocations === 1 ? "" : "s"}${why ? ` (${why.slice(2)})` : ""}`,
      value: large.peak === undefined ? "n/a" : mb(large.peak),
      baseline: large.coldRss === undefined ? "n/a" : `${mb(large.coldRss)}: same process after cold start`,
      ratio: large.peak !== undefined && large.coldRss !== undefined ? ratio(large.peak, large.coldRss) : "n/a",
    },
    {
      name: `throughput, ${n(count)} objects, no added latency`,
      value: rate(large.rate),
      baseline: `${rate(tp.product)}: ${n(THROUGHPUT_OBJECTS)} objects at +${THROUGHPUT_LATENCY_MS} ms`,
      ratio: ratio(large.rate, tp.product),
    },
    {
      name: "function CPU per object (large run)",
      value: large.cpuMsPerObject === undefined ? "n/a" : `${large.cpuMsPerObject.toFixed(2)} ms`,
      baseline: tp.productCpuMsPerObject === undefined ? "n/a" : `${tp.productCpuMsPerObject.toFixed(2)} ms: throughput run`,
      ratio: large.cpuMsPerObject !== undefined && tp.productCpuMsPerObject !== undefined ? ratio(large.cpuMsPerObject, tp.productCpuMsPerObject) : "n/a",
    },
  ];
  process.stdout.write(`\n${renderTable(rows)}\n\n`);
  process.stdout.write(
    [
      "Product: dist/func.cjs behind the real FDK socket, invoked as API Gateway would, default concurrency 16,",
      "against the local emulator (every request signed and verified). Baseline loop: the OCI SDK in this process,",
      "ListObjects then one awaited ReencryptObject per object. Same emulator, same latency, same machine.",
      ...(large.peak !== undefined && large.peak > FUNCTION_MEMORY_MB * 1024 * 1024
        ? [
            `Peak RSS is above the ${FUNCTION_MEMORY_MB} MB a function gets by default (terraform memory_in_mbs). V8 sizes its heap`,
            "from this machine's memory, so it collects later here than it would in a container with that limit.",
          ]
        : []),
      `Total bench time ${((performance.now() - started) / 1000).toFixed(0)} s.`,
    ].join("\n") + "\n",
  );
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`bench failed: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  },
);
