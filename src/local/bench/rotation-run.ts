import { startEmulator, type Emulator, type RequestRecord, type Seed } from "../emulator/index.js";
import { startLocalStack, type LocalStack } from "../local-stack.js";
import { once, sleepUnless, unguarded, type RowScope } from "./row-guard.js";
import { cloudEvent } from "../cloud-event.js";

// One rotation job run end to end in the emulator: buckets of versions under one key, the key
// rotated, the event delivered, and the job followed through its status until it ends (sweeping
// whenever it stalls). The bench and the soak run measure with it.

export interface RotationSetup {
  buckets: number;
  versionsPerBucket: number;
  config?: Record<string, string>;
  latencyMs?: number;
  detachedTimeoutSeconds?: number;
  /** The function's synchronous timeout (status queries, sweeps, the event); default 30. */
  timeoutSeconds?: number;
  maxContainers?: number;
  /** Bytes of content per object version (keep small: a million versions live in this process). */
  objectBytes?: number;
  /** The function bundle (default dist/func.cjs): an A/B run compares two builds. */
  bundlePath?: string;
  /** Containers started before the rotation (OCI: provisioned concurrency), so cold starts on this machine's cores stay out of the figure. */
  warmContainers?: number;
  /**
   * Containers started at once while warming (default: all): sixty node processes starting together
   * on two cores take longer than the pool's 15 s for each to open its socket.
   */
  warmBatch?: number;
  /** Added to every ReencryptObject only (the fault injector), on top of `latencyMs`. */
  reencryptLatencyMs?: number;
  /** Sees each batch of the emulator's request log before it is trimmed (every 2 s, and at close). */
  onRequests?: (batch: readonly RequestRecord[]) => void;
  /** The bench row this world belongs to: it closes the world if the row is abandoned. */
  scope?: RowScope;
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
  const drain = (): void => {
    s.onRequests?.(em.requests);
    em.requests.length = 0;
  };
  const trim = setInterval(drain, 2_000);
  trim.unref();
  let stack: LocalStack | undefined;
  const close = once(async () => {
    clearInterval(trim);
    await stack?.stop();
    drain();
    await em.close();
  });
  s.scope?.defer(close);
  try {
    stack = await startLocalStack({
      emulator: em,
      compartmentId: em.seedIds.compartments["apps"] as string,
      timeoutSeconds: s.timeoutSeconds ?? 30,
      detachedTimeoutSeconds: s.detachedTimeoutSeconds ?? 300,
      ...(s.maxContainers !== undefined ? { maxContainers: s.maxContainers } : {}),
      ...(s.bundlePath !== undefined ? { bundlePath: s.bundlePath } : {}),
      config: { REENCRYPT_STATE_BUCKET: "state", ...s.config },
    });
    for (let left = s.warmContainers ?? 0; left > 0; left -= s.warmBatch ?? left) await stack.warm(Math.min(left, s.warmBatch ?? left));
  } catch (error) {
    await close();
    throw error;
  }
  if (s.latencyMs) em.faults.setBaseLatency(s.latencyMs);
  if (s.reencryptLatencyMs) em.faults.add({ operation: "ReencryptObject", latencyMs: s.reencryptLatencyMs });
  return { em, stack, keyId: em.seedIds.keys["k"] as string, close };
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

export interface RunRotationOptions {
  pollMs?: number;
  /** The job must end within this (default one hour), else the run throws. */
  timeoutMs?: number;
  /** Runs while the job goes; its signal aborts once the job has ended (or the row is abandoned). A rejection fails the run. */
  during?: (jobId: string, signal: AbortSignal) => Promise<void>;
  /** Sees every status the run polls (the public view), e.g. to time status reads. */
  onStatus?: (record: any, ms: number) => void;
  scope?: RowScope;
}

/** How long detached invocations may take to wind down after the job ended, before the run goes on without them. */
const IDLE_BUDGET_MS = 60_000;

/** Rotates the key, delivers the event, follows the job to its end. `during` runs while it goes. */
export async function runRotation(w: RotationWorld, o: RunRotationOptions = {}): Promise<RotationOutcome> {
  const signal = (o.scope ?? unguarded).signal;
  const sleep = (ms: number): Promise<void> => sleepUnless(ms, signal);
  const version = w.em.state.rotateKey(w.keyId);
  const event = cloudEvent("com.oraclecloud.keymanagementservice.createkeyversion.end", "KeyManagementService", {
    compartmentId: w.em.seedIds.compartments["apps"],
    resourceId: w.keyId,
    additionalDetails: { keyId: w.keyId, vaultId: w.em.seedIds.vaults["v"], keyVersionId: version.id },
  });
  const t0 = Date.now();
  const first = await w.stack.invoke(event, { intent: "cloudevent" });
  const jobId = String(first.data?.jobId ?? "");
  if (first.data?.status !== "continuing") throw new Error(`the rotation was answered ${first.body.slice(0, 300)}`);
  const ended = new AbortController();
  const stopDuring = (): void => ended.abort(new Error(`rotation ${jobId} ended`));
  signal.addEventListener("abort", stopDuring, { once: true });
  const duringFailed: { error?: unknown; yes: boolean } = { yes: false };
  const during = o.during?.(jobId, ended.signal).catch((error: unknown) => {
    duringFailed.yes = true;
    duringFailed.error = error;
  });
  let sweeps = 0;
  let record: any;
  const status = async (): Promise<any> => {
    const t = performance.now();
    const data = (await w.stack.invoke({ job: jobId })).data;
    o.onStatus?.(data, performance.now() - t);
    return data;
  };
  const timeoutMs = o.timeoutMs ?? 3_600_000;
  try {
    for (;;) {
      await sleep(o.pollMs ?? 500);
      if (duringFailed.yes) throw duringFailed.error;
      record = await status();
      if (record?.status === "stalled") {
        sweeps++;
        await w.stack.invoke({ sweep: true });
      } else if (record?.status !== "running") break;
      if (Date.now() - t0 > timeoutMs) throw new Error(`rotation ${jobId} still ${record?.status} after ${(timeoutMs / 1000).toFixed(0)} s`);
    }
  } finally {
    stopDuring();
    signal.removeEventListener("abort", stopDuring);
  }
  const wallMs = Date.now() - t0;
  await during;
  if (duringFailed.yes) throw duringFailed.error;
  // A detached invocation still running (it answers within its own deadline) must not hold the bench.
  let idleTimer: NodeJS.Timeout | undefined;
  await Promise.race([w.em.functions.idle(), new Promise<void>((r) => (idleTimer = setTimeout(r, IDLE_BUDGET_MS)))]);
  clearTimeout(idleTimer);
  record = await status();
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
