// `npm run bench`: figures, not pass/fail. Each line is the product against a baseline measured in
// the same run on the same machine, in interleaved rounds (medians: the machine may be noisy), so
// the ratio means more than either number alone.

import { existsSync } from "node:fs";
import { cpus } from "node:os";
import { resolve } from "node:path";
import { performance } from "node:perf_hooks";
import { parseArgs } from "node:util";
import { bundleSize, productionNodeModules } from "./bench/bundle-size.js";
import { coldStarts } from "./bench/cold-start.js";
import { cpuPerVersionAB } from "./bench/cpu-ab.js";
import { durabilityCost, killToRunning, millionVersions, shardScaling } from "./bench/jobs-bench.js";
import { memoryRows, objectTargetsRow } from "./bench/container-rows.js";
import { globWorstCases } from "./bench/glob-worst.js";
import { limiterUnderLag } from "./bench/limiter-lag.js";
import { precedenceRows } from "./bench/precedence-rows.js";
import { notifyHangAB } from "./bench/notify-ab.js";
import { procCpuMs, procMemory } from "./bench/proc.js";
import { expectMoved, log, n, reencryptBucket, rotatedEmulator } from "./bench/setup.js";
import { ratio, renderTable, type BenchRow } from "./bench/table.js";
import { throughput } from "./bench/throughput.js";
import { startLocalStack } from "./local-stack.js";

const COLD_STARTS = 9;
const LARGE_OBJECTS = 50_000;
const LARGE_FALLBACK = 20_000;
/** Past this estimated duration the large run uses LARGE_FALLBACK objects, to keep the bench within a few minutes. */
const LARGE_BUDGET_S = 90;
/** terraform/variables.tf memory_in_mbs default. */
const FUNCTION_MEMORY_MB = 256;
/** Goals (issue 8): function CPU per version, bundle size, first answer against a bare FDK hello, throughput against the loop. */
const GOALS = { cpuMsPerVersion: 0.8, bundleBytes: 1_000_000, firstAnswerRatio: 2, throughputRatio: 20 };

const rate = (x: number): string => `${n(x)} ver/s`;
const ms = (x: number): string => `${x.toFixed(0)} ms`;
const cpuMs = (x: number | undefined): string => (x === undefined || Number.isNaN(x) ? "n/a" : `${x.toFixed(2)} ms`);
const mb = (bytes: number): string => (bytes >= 1024 * 1024 ? `${(bytes / 1024 / 1024).toFixed(2)} MiB` : `${(bytes / 1024).toFixed(0)} KiB`);
const samples = (xs: number[], f: (x: number) => string): string => xs.map(f).join(", ");

async function largeRun(bundlePath: string, count: number) {
  const { emulator, compartmentId, newVersion, stopTrim } = await rotatedEmulator([{ name: "large", count }]);
  const stack = await startLocalStack({ emulator, compartmentId, bundlePath, maxContainers: 1, config: { REENCRYPT_STATE_BUCKET: "bench-state", REENCRYPT_MAX_PARALLEL: "1" } });
  try {
    const pid = stack.fn.pid;
    const coldRss = procMemory(pid, "VmRSS");
    log(`peak memory: re-encrypting ${n(count)} objects with the default concurrency (report on)`);
    const cpu0 = procCpuMs(pid);
    const t = performance.now();
    const done = await reencryptBucket(stack, "large");
    const seconds = (performance.now() - t) / 1000;
    const cpu1 = procCpuMs(pid);
    const peak = procMemory(pid, "VmHWM");
    expectMoved(emulator, "large", newVersion, count);
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
  const { values } = parseArgs({ options: { large: { type: "string" }, rounds: { type: "string" }, million: { type: "boolean" }, quick: { type: "boolean" } }, strict: true });
  const rounds = values.rounds === undefined ? 3 : Number(values.rounds);
  if (!Number.isInteger(rounds) || rounds < 1) throw new Error(`--rounds must be a positive whole number, got ${values.rounds}`);
  const started = performance.now();
  const bundlePath = resolve("dist/func.cjs");
  const sdkBundlePath = resolve("dist/func-sdk-http.cjs");
  const loaderPath = resolve("dist/func-loader.cjs");
  const echoPath = resolve("test/fixtures/fn/echo-func.cjs");
  for (const p of [bundlePath, sdkBundlePath, loaderPath, echoPath]) {
    if (!existsSync(p)) throw new Error(`${p} is missing: run from the project root after \`npm run build\``);
  }
  const cpu = cpus();
  process.stdout.write(`oci-reencrypt benchmarks: node ${process.version}, ${cpu.length} vCPU${cpu.length === 1 ? "" : "s"} (${cpu[0]?.model.trim() ?? "unknown CPU"}), ${rounds} interleaved rounds\n`);

  const cpuAB = await cpuPerVersionAB({ product: bundlePath, sdkClient: sdkBundlePath }, rounds, 1_500);
  const tp64 = await throughput({ bundlePath, versions: 5_000, versionsPerObject: 2, naiveSample: 250, latencyMs: 20, concurrency: 64, rounds });
  const tp16 = await throughput({ bundlePath, versions: 1_500, versionsPerObject: 1, naiveSample: 300, latencyMs: 15, concurrency: undefined, rounds: 1 });
  const cold = await coldStarts({ bundle: bundlePath, loader: loaderPath, hello: echoPath }, COLD_STARTS);

  const bundle = bundleSize(bundlePath);
  const modules = productionNodeModules(process.cwd());

  // The large run is CPU-bound like the 1,500-object run: its rate predicts its duration.
  const forced = values.large === undefined ? undefined : Number(values.large);
  if (forced !== undefined && (!Number.isInteger(forced) || forced < 1)) throw new Error(`--large must be a positive whole number, got ${values.large}`);
  const estimate = LARGE_OBJECTS / tp16.product;
  const count = forced ?? (estimate > LARGE_BUDGET_S ? LARGE_FALLBACK : LARGE_OBJECTS);
  const why = forced !== undefined ? "--large" : count === LARGE_OBJECTS ? "" : `; 50,000 est. ${estimate.toFixed(0)} s > ${LARGE_BUDGET_S} s`;
  const large = await largeRun(bundlePath, count);

  // Per container: memory as versions grow (report on and off; --quick stops at 50,000), 200 object targets.
  const containerRows: BenchRow[] = [
    await objectTargetsRow({ rounds, log }),
    ...(await memoryRows({ sizes: values.quick === true ? [10_000, 50_000] : [10_000, 50_000, 100_000, 200_000], log })),
    ...(await limiterUnderLag({ rps: 400, log })),
    ...(await globWorstCases({ bundlePath, log })),
  ];

  // Durable jobs and shards (contract §8, §9); the million-version rotation only with --million.
  const jobRows: BenchRow[] = [
    await durabilityCost({ versions: 10_000, rounds, log }),
    await killToRunning({ log }),
    await notifyHangAB({ versions: 4_000, rounds, log }),
    ...(await shardScaling({ versionsPerBucket: 2_000, log })),
    ...(values.million === true ? [await millionVersions({ log })] : []),
    // Contract §11: a bucket 90 % of which other keys govern (--quick: 20,000 versions).
    ...(await precedenceRows({ versions: values.quick === true ? 20_000 : 100_000, ruledShare: 0.9, rounds: Math.min(rounds, 3), log })),
  ];

  const loaderFirst = cold.loaderFirst ?? cold.productFirst;
  const rows: BenchRow[] = [
    {
      name: `function CPU per object version (median of ${rounds})`,
      value: cpuMs(cpuAB.product),
      baseline: `${cpuMs(cpuAB.sdkClient)}: same bundle, OCI SDK's HTTP client + signer`,
      ratio: ratio(cpuAB.product, cpuAB.sdkClient),
    },
    {
      name: `throughput, 5,000 versions, +20 ms/request, concurrency 64 (median of ${rounds})`,
      value: rate(tp64.product),
      baseline: `${rate(tp64.naive)}: sequential SDK loop`,
      ratio: ratio(tp64.product, tp64.naive),
    },
    {
      name: "throughput, 1,500 objects, +15 ms/request",
      value: rate(tp16.product),
      baseline: `${rate(tp16.naive)}: sequential SDK loop`,
      ratio: ratio(tp16.product, tp16.naive),
    },
    {
      name: `cold start: spawn → FDK socket (median of ${cold.runs})`,
      value: ms(cold.productReady),
      baseline: `${ms(cold.helloReady)}: bare FDK hello`,
      ratio: ratio(cold.productReady, cold.helloReady),
    },
    {
      name: `cold start: spawn → first answer (median of ${cold.runs})`,
      value: ms(cold.productFirst),
      baseline: `${ms(cold.helloFirst)}: bare FDK hello`,
      ratio: ratio(cold.productFirst, cold.helloFirst),
    },
    {
      name: `cold start: spawn → first answer, image entry (loader + code cache)`,
      value: ms(loaderFirst),
      baseline: `${ms(cold.helloFirst)}: bare FDK hello`,
      ratio: ratio(loaderFirst, cold.helloFirst),
    },
    ...(["bytes", "gzipBytes"] as const).map((k) => ({
      name: k === "bytes" ? "bundle dist/func.cjs" : "bundle dist/func.cjs, gzip -9",
      value: k === "bytes" ? `${n(bundle[k])} B` : mb(bundle[k]),
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
      baseline: `${rate(tp16.product)}: 1,500 objects at +15 ms`,
      ratio: ratio(large.rate, tp16.product),
    },
    {
      name: "function CPU per object (large run)",
      value: cpuMs(large.cpuMsPerObject),
      baseline: `${cpuMs(tp64.productCpuMsPerVersion)}: 5,000-version run at +20 ms`,
      ratio: large.cpuMsPerObject !== undefined && tp64.productCpuMsPerVersion !== undefined ? ratio(large.cpuMsPerObject, tp64.productCpuMsPerVersion) : "n/a",
    },
    ...containerRows,
    ...jobRows,
  ];
  const goal = (ok: boolean): string => (ok ? "met" : "NOT met");
  const firstRatio = loaderFirst / cold.helloFirst;
  process.stdout.write(`\n${renderTable(rows)}\n\n`);
  process.stdout.write(
    [
      "Goals:",
      `  function CPU per object version ≤ ${GOALS.cpuMsPerVersion} ms: ${cpuMs(cpuAB.product)} (${goal(cpuAB.product <= GOALS.cpuMsPerVersion)})`,
      `  bundle ≤ 1 MB: ${n(bundle.bytes)} B (${goal(bundle.bytes <= GOALS.bundleBytes)})`,
      `  spawn → first answer ≤ ${GOALS.firstAnswerRatio}× a bare FDK hello: ${firstRatio.toFixed(2)}× through the image entry, ${(cold.productFirst / cold.helloFirst).toFixed(2)}× running func.cjs directly (${goal(firstRatio <= GOALS.firstAnswerRatio)})`,
      `  throughput ≥ ${GOALS.throughputRatio}× a sequential SDK loop (5,000 versions, +20 ms, concurrency 64): ${(tp64.product / tp64.naive).toFixed(1)}× (${goal(tp64.product / tp64.naive >= GOALS.throughputRatio)})`,
      "",
      "Rounds (each value one round):",
      `  CPU ms per version, our client: ${samples(cpuAB.productSamples, (x) => x.toFixed(2))}; SDK client: ${samples(cpuAB.sdkSamples, (x) => x.toFixed(2))}`,
      `  5,000 versions at +20 ms, product: ${samples(tp64.productSamples, (x) => n(x))} ver/s; loop: ${samples(tp64.naiveSamples, (x) => n(x))} ver/s`,
      "",
      "Product: dist/func.cjs behind the real FDK socket in one container, invoked as API Gateway would, against the",
      "local emulator (every request signed and verified). CPU is the function process's user + system time (/proc).",
      "The SDK-client twin is dist/func-sdk-http.cjs: the same source with every OCI client on the SDK's own",
      "FetchHttpClient and DefaultRequestSigner. Baseline loop: the OCI SDK in this process, listing then one awaited",
      "ReencryptObject per object version (its rate is flat, so a sample of versions measures it).",
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
