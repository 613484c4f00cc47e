import { startEmulator, type Emulator, type Seed } from "../emulator/index.js";
import type { LocalStack } from "../local-stack.js";

export const GATEWAY = { method: "POST", url: "/reencrypt", headers: { "Content-Type": "application/json" } };

export const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length === 0 ? Number.NaN : s.length % 2 === 1 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
};

/**
 * idleSeconds for a stack whose one container the bench measures through its pid (/proc): the pool
 * would stop it after 30 idle seconds (a loaded machine can leave it idle that long while another
 * stack warms up) and start another, and the pid measured would be gone.
 */
export const KEEP_WARM_S = 3_600;

export const log = (line: string): void => void process.stderr.write(`  … ${line}\n`);
export const n = (x: number): string => Math.round(x).toLocaleString("en-US");

export interface BenchBucket {
  name: string;
  /** Objects in the bucket. */
  count: number;
  /** Versions per object (versioning enabled when > 1). */
  versions?: number;
}

function benchSeed(buckets: BenchBucket[]): Seed {
  return {
    namespace: "bench",
    compartments: ["bench"],
    vaults: [{ name: "vault", compartment: "bench", keys: [{ name: "key" }] }],
    buckets: [
      ...buckets.map((b) => ({
        name: b.name,
        compartment: "bench",
        kmsKey: "key",
        ...((b.versions ?? 1) > 1 ? { versioning: "Enabled" as const } : {}),
        objects: [{ prefix: "obj/", count: b.count, ...((b.versions ?? 1) > 1 ? { versions: b.versions } : {}) }],
      })),
      { name: "bench-state", compartment: "bench" },
    ],
  };
}

export interface RotatedEmulator {
  emulator: Emulator;
  compartmentId: string;
  newVersion: string;
  stopTrim: () => void;
}

/** The emulator with every bucket on an old key version, so each ReencryptObject really moves one. */
export async function rotatedEmulator(buckets: BenchBucket[]): Promise<RotatedEmulator> {
  const emulator = await startEmulator({ seed: benchSeed(buckets) });
  const compartmentId = emulator.seedIds.compartments["bench"] as string;
  const keyId = emulator.seedIds.keys["key"] as string;
  const newVersion = emulator.state.rotateKey(keyId).id;
  // Kept short so a long run does not hold every request in memory.
  const trim = setInterval(() => (emulator.requests.length = 0), 1_000);
  trim.unref();
  return { emulator, compartmentId, newVersion, stopTrim: () => clearInterval(trim) };
}

/** Object versions of `bucket` now wrapped by `versionId` (the key version made after seeding). */
export function onNewVersion(em: Emulator, bucket: string, versionId: string): number {
  return em.state.objectVersions(bucket).filter((v) => v.wrapping.kind === "kms" && v.wrapping.keyVersionId === versionId).length;
}

export function expectMoved(em: Emulator, bucket: string, versionId: string, expected: number): void {
  const moved = onNewVersion(em, bucket, versionId);
  if (moved !== expected) throw new Error(`${bucket}: only ${moved} of ${expected} object versions are on the new key version`);
}

/** Re-encrypts a bucket (every version with `allVersions`) through the API Gateway route, resuming until done. */
export async function reencryptBucket(stack: LocalStack, bucket: string, allVersions = false): Promise<{ invocations: number; reencrypted: number }> {
  const deadline = () => new Date(Date.now() + 300_000);
  let r = await stack.invoke({ targets: [{ bucket, ...(allVersions ? { allVersions: true } : {}) }] }, { gateway: GATEWAY, deadline: deadline() });
  let invocations = 1;
  // A slow machine may not finish within one 300 s invocation: resume, as a caller would.
  while (r.data?.status === "incomplete" && typeof r.data.resume === "string") {
    r = await stack.invoke({ resume: r.data.resume }, { gateway: GATEWAY, deadline: deadline() });
    invocations++;
  }
  if (r.data?.status !== "succeeded") throw new Error(`re-encrypting ${bucket} ended ${String(r.data?.status)}: ${r.body.slice(0, 300)}`);
  return { invocations, reencrypted: Number(r.data.counts?.reencrypted ?? 0) };
}
