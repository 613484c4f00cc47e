import { randomUUID } from "node:crypto";
import { startEmulator, type Emulator, type Seed } from "../emulator/index.js";
import { startLocalStack, type LocalStack } from "../local-stack.js";

// One rotation job run end to end in the emulator: buckets of versions under one key, the key
// rotated, the event delivered, and the job followed through its status until it ends (sweeping
// whenever it stalls). The bench and the soak run measure with it.

export interface RotationSetup {
  buckets: number;
  versionsPerBucket: number;
  config?: Record<string, string>;
  latencyMs?: number;
  detachedTimeoutSeconds?: number;
  maxContainers?: number;
  /** Bytes of content per object version (keep small: a million versions live in this process). */
  objectBytes?: number;
  /** The function bundle (default dist/func.cjs): an A/B run compares two builds. */
  bundlePath?: string;
  /** Containers started before the rotation (OCI: provisioned concurrency), so cold starts on this machine's cores stay out of the figure. */
  warmContainers?: number;
}

export interface RotationWorld {
  em: Emulator;
  stack: LocalStack;
  keyId: string;
  close(): Promise<void>;
}

export async function rotationWorld(s: RotationSetup): Promise<RotationWorld> {
  const seed: Seed = {
    namespace: "rot",
    compartments: ["apps"],
    vaults: [{ name: "v", compartment: "apps", keys: [{ name: "k" }] }],
    buckets: [
      ...Array.from({ length: s.buckets }, (_, i) => ({
        name: `data-${String(i).padStart(3, "0")}`,
        compartment: "apps",
        kmsKey: "k",
        objects: [{ prefix: "o/", count: s.versionsPerBucket, ...(s.objectBytes !== undefined ? { size: s.objectBytes } : {}) }],
      })),
      { name: "state", compartment: "apps" },
    ],
  };
  const em = await startEmulator({ seed });
  // Requests are kept for tests' assertions; a long run must not hold them all.
  const trim = setInterval(() => (em.requests.length = 0), 2_000);
  trim.unref();
  const stack = await startLocalStack({
    emulator: em,
    compartmentId: em.seedIds.compartments["apps"] as string,
    timeoutSeconds: 30,
    detachedTimeoutSeconds: s.detachedTimeoutSeconds ?? 300,
    ...(s.maxContainers !== undefined ? { maxContainers: s.maxContainers } : {}),
    ...(s.bundlePath !== undefined ? { bundlePath: s.bundlePath } : {}),
    config: { REENCRYPT_STATE_BUCKET: "state", ...s.config },
  });
  if (s.warmContainers) await stack.warm(s.warmContainers);
  if (s.latencyMs) em.faults.setBaseLatency(s.latencyMs);
  return {
    em,
    stack,
    keyId: em.seedIds.keys["k"] as string,
    close: async () => {
      clearInterval(trim);
      await stack.stop();
      await em.close();
    },
  };
}

export interface RotationOutcome {
  jobId: string;
  status: string;
  wallMs: number;
  versions: number;
  /** Record counts. */
  reencrypted: number;
  failed: number;
  /** Versions still on the old key version (ground truth). */
  leftBehind: number;
  /** Extra ReencryptObject effects beyond one per version (ground truth). */
  duplicates: number;
  invocations: number;
  shards: number;
  sweeps: number;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Rotates the key, delivers the event, follows the job to its end. `during` runs while it goes. */
export async function runRotation(w: RotationWorld, o: { pollMs?: number; timeoutMs?: number; during?: (jobId: string) => Promise<void> } = {}): Promise<RotationOutcome> {
  const version = w.em.state.rotateKey(w.keyId);
  const event = {
    cloudEventsVersion: "0.1",
    eventID: randomUUID(),
    eventType: "com.oraclecloud.keymanagementservice.createkeyversion.end",
    source: "KeyManagementService",
    eventTime: new Date().toISOString(),
    contentType: "application/json",
    data: {
      compartmentId: w.em.seedIds.compartments["apps"],
      resourceId: w.keyId,
      additionalDetails: { keyId: w.keyId, vaultId: w.em.seedIds.vaults["v"], keyVersionId: version.id },
    },
  };
  const t0 = Date.now();
  const first = await w.stack.invoke(event, { intent: "cloudevent" });
  const jobId = String(first.data?.jobId ?? "");
  if (first.data?.status !== "continuing") throw new Error(`the rotation was answered ${first.body.slice(0, 300)}`);
  const during = o.during?.(jobId);
  let sweeps = 0;
  let record: any;
  const until = t0 + (o.timeoutMs ?? 3_600_000);
  for (;;) {
    await sleep(o.pollMs ?? 500);
    record = (await w.stack.invoke({ job: jobId })).data;
    if (record?.status === "stalled") {
      sweeps++;
      await w.stack.invoke({ sweep: true });
    } else if (record?.status !== "running") break;
    if (Date.now() > until) throw new Error(`rotation ${jobId} still ${record?.status} after ${o.timeoutMs} ms`);
  }
  const wallMs = Date.now() - t0;
  await during;
  await w.em.functions.idle();
  record = (await w.stack.invoke({ job: jobId })).data;
  let versions = 0;
  let leftBehind = 0;
  let duplicates = 0;
  for (const b of w.em.state.buckets.keys()) {
    if (b === "state") continue;
    for (const v of w.em.state.objectVersions(b)) {
      if (v.isDeleteMarker) continue;
      versions++;
      if (v.wrapping.kind !== "kms" || v.wrapping.keyVersionId !== version.id) leftBehind++;
      duplicates += Math.max(0, v.reencryptCount - 1);
    }
  }
  return {
    jobId,
    status: String(record?.status),
    wallMs,
    versions,
    reencrypted: Number(record?.counts?.reencrypted ?? 0),
    failed: Number(record?.counts?.failed ?? 0),
    leftBehind,
    duplicates,
    invocations: Number(record?.invocations ?? 0),
    shards: Number(record?.shards?.total ?? 0),
    sweeps,
  };
}
