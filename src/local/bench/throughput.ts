import { performance } from "node:perf_hooks";
import { startLocalStack, type LocalStack } from "../local-stack.js";
import { naiveLoop } from "./naive-loop.js";
import { procCpuMs } from "./proc.js";
import { expectMoved, KEEP_WARM_S, log, median, n, reencryptBucket, rotatedEmulator } from "./setup.js";

export interface ThroughputOptions {
  bundlePath: string;
  /** Object versions the product re-encrypts per round. */
  versions: number;
  /** Versions per object (2: every object has two versions; allVersions targets). */
  versionsPerObject: number;
  /** Versions the sequential loop re-encrypts per round: its rate is flat, a sample measures it. */
  naiveSample: number;
  latencyMs: number;
  /** REENCRYPT_CONCURRENCY; undefined keeps the product's default. */
  concurrency: number | undefined;
  rounds: number;
}

export interface Throughput {
  /** Medians, object versions per second. */
  product: number;
  naive: number;
  productSamples: number[];
  naiveSamples: number[];
  /** Median function CPU ms per version over the product rounds. */
  productCpuMsPerVersion: number | undefined;
}

/**
 * The product (dist/func.cjs behind the FDK socket, one container, invoked as API Gateway would)
 * against a sequential SDK loop in this process, both at the same injected latency per request on
 * the same emulator, in rounds that alternate which goes first, each on fresh buckets.
 */
export async function throughput(o: ThroughputOptions): Promise<Throughput> {
  const per = o.versionsPerObject;
  const buckets = [
    { name: "tp-warm-product", count: 100, versions: per },
    { name: "tp-warm-naive", count: 10, versions: per },
    ...Array.from({ length: o.rounds }, (_, r) => [
      { name: `tp-product-${r}`, count: Math.ceil(o.versions / per), versions: per },
      { name: `tp-naive-${r}`, count: Math.ceil(o.naiveSample / per), versions: per },
    ]).flat(),
  ];
  const { emulator, compartmentId, newVersion, stopTrim } = await rotatedEmulator(buckets);
  const config: Record<string, string> = { REENCRYPT_MAX_PARALLEL: "1", REENCRYPT_LOG_LEVEL: "warn" };
  if (o.concurrency !== undefined) config["REENCRYPT_CONCURRENCY"] = String(o.concurrency);
  let stack: LocalStack | undefined;
  const naive = await naiveLoop(emulator, compartmentId);
  const allVersions = per > 1;
  try {
    stack = await startLocalStack({ emulator, compartmentId, bundlePath: o.bundlePath, maxContainers: 1, idleSeconds: KEEP_WARM_S, config });
    emulator.faults.setBaseLatency(o.latencyMs);
    await reencryptBucket(stack, "tp-warm-product", allVersions);
    await naive.run("tp-warm-naive", { versions: allVersions });
    const productSamples: number[] = [];
    const naiveSamples: number[] = [];
    const cpu: number[] = [];
    const runProduct = async (r: number): Promise<void> => {
      const bucket = `tp-product-${r}`;
      const pid = (stack as LocalStack).fn.pid;
      const c0 = procCpuMs(pid);
      const t = performance.now();
      const done = await reencryptBucket(stack as LocalStack, bucket, allVersions);
      const seconds = (performance.now() - t) / 1000;
      const c1 = procCpuMs(pid);
      expectMoved(emulator, bucket, newVersion, Math.ceil(o.versions / per) * per);
      productSamples.push(done.reencrypted / seconds);
      if (c0 !== undefined && c1 !== undefined) cpu.push((c1 - c0) / done.reencrypted);
    };
    const runNaive = async (r: number): Promise<void> => {
      const t = performance.now();
      const count = await naive.run(`tp-naive-${r}`, { versions: allVersions });
      naiveSamples.push(count / ((performance.now() - t) / 1000));
    };
    for (let r = 0; r < o.rounds; r++) {
      log(`throughput, round ${r + 1} of ${o.rounds}: the product over ${n(o.versions)} versions and a sequential SDK loop over ${n(o.naiveSample)}, +${o.latencyMs} ms per request`);
      if (r % 2 === 0) {
        await runProduct(r);
        await runNaive(r);
      } else {
        await runNaive(r);
        await runProduct(r);
      }
    }
    return {
      product: median(productSamples),
      naive: median(naiveSamples),
      productSamples,
      naiveSamples,
      productCpuMsPerVersion: cpu.length > 0 ? median(cpu) : undefined,
    };
  } finally {
    stopTrim();
    await naive.close();
    await stack?.stop();
    await emulator.close();
  }
}
