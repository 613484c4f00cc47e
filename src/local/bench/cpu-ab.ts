import { startLocalStack, type LocalStack } from "../local-stack.js";
import { procCpuMs } from "./proc.js";
import { expectMoved, KEEP_WARM_S, log, median, n, reencryptBucket, rotatedEmulator } from "./setup.js";

export interface CpuAB {
  /** Median function CPU ms per object version: our HTTP client and signer. */
  product: number;
  /** The same bundle with the OCI SDK's own FetchHttpClient and DefaultRequestSigner. */
  sdkClient: number;
  productSamples: number[];
  sdkSamples: number[];
}

/**
 * Function CPU (user + system of the function's process, /proc) per object version re-encrypted,
 * dist/func.cjs against dist/func-sdk-http.cjs: one container each on the same emulator (no added
 * latency), both warmed first, then rounds that alternate which goes first, each on fresh buckets.
 */
export async function cpuPerVersionAB(paths: { product: string; sdkClient: string }, rounds: number, objects: number): Promise<CpuAB> {
  const versions = 2;
  const roundBuckets = Array.from({ length: rounds }, (_, r) => [
    { name: `cpu-product-${r}`, count: objects, versions },
    { name: `cpu-sdk-${r}`, count: objects, versions },
  ]).flat();
  const { emulator, compartmentId, newVersion, stopTrim } = await rotatedEmulator([
    { name: "cpu-warm-product", count: 1_000, versions },
    { name: "cpu-warm-sdk", count: 1_000, versions },
    ...roundBuckets,
  ]);
  const config = { REENCRYPT_MAX_PARALLEL: "1", REENCRYPT_LOG_LEVEL: "warn" };
  const stacks: LocalStack[] = [];
  try {
    const product = await startLocalStack({ emulator, compartmentId, bundlePath: paths.product, maxContainers: 1, idleSeconds: KEEP_WARM_S, config });
    stacks.push(product);
    const sdk = await startLocalStack({ emulator, compartmentId, bundlePath: paths.sdkClient, maxContainers: 1, idleSeconds: KEEP_WARM_S, config });
    stacks.push(sdk);
    // JIT, connections, the namespace lookup: not what is measured.
    await reencryptBucket(product, "cpu-warm-product", true);
    await reencryptBucket(sdk, "cpu-warm-sdk", true);
    const productSamples: number[] = [];
    const sdkSamples: number[] = [];
    const measure = async (stack: LocalStack, bucket: string): Promise<number> => {
      const pid = stack.fn.pid;
      const c0 = procCpuMs(pid);
      const done = await reencryptBucket(stack, bucket, true);
      const c1 = procCpuMs(pid);
      if (c0 === undefined || c1 === undefined) throw new Error(`no /proc/${pid}: the function process is gone, or there is no /proc here`);
      expectMoved(emulator, bucket, newVersion, objects * versions);
      return (c1 - c0) / done.reencrypted;
    };
    for (let r = 0; r < rounds; r++) {
      log(`function CPU, round ${r + 1} of ${rounds}: ${n(objects * versions)} versions with each HTTP client`);
      const order = r % 2 === 0 ? (["product", "sdk"] as const) : (["sdk", "product"] as const);
      for (const which of order) {
        if (which === "product") productSamples.push(await measure(product, `cpu-product-${r}`));
        else sdkSamples.push(await measure(sdk, `cpu-sdk-${r}`));
      }
    }
    return { product: median(productSamples), sdkClient: median(sdkSamples), productSamples, sdkSamples };
  } finally {
    stopTrim();
    for (const s of stacks) await s.stop();
    await emulator.close();
  }
}
