import { resolve } from "node:path";
import { startEmulator, type Emulator, type Seed } from "./emulator/index.js";
import {
  ContainerPool,
  type ContainerInfo,
  type ContainerPoolStats,
  type OutputListener,
} from "./fn/container-pool.js";
import type { FunctionProcess, InvokeRequest, InvokeResult } from "./fn/start-function.js";

export { InvocationFailedError } from "./fn/container-pool.js";
export type { ContainerInfo, ContainerPoolStats, InvocationSource, OutputListener } from "./fn/container-pool.js";

export interface LocalStackOptions {
  /** The bundle to run; default dist/func.cjs under the working directory. */
  bundlePath?: string;
  /** An emulator to reuse; otherwise one is started (with `seed`). */
  emulator?: Emulator;
  seed?: Seed;
  /** Seed function name to run as; otherwise a function is created in `compartmentId`. */
  seedFunction?: string;
  compartmentId?: string;
  /** Function configuration (REENCRYPT_* keys). Endpoints and credentials are added. */
  config?: Record<string, string>;
  /** The created function's timeoutInSeconds (sync invocations: direct, events, sync InvokeFunction). Default 30. */
  timeoutSeconds?: number;
  /** The created function's detachedModeTimeoutInSeconds (detached InvokeFunction, self-continuations). Default `timeoutSeconds`. */
  detachedTimeoutSeconds?: number;
  /** Containers running at once, like the tenancy's Functions limit. Default 16. */
  maxContainers?: number;
  /** An idle container is stopped after this long. Default 30. */
  idleSeconds?: number;
  /** How long an invocation waits for a busy container before a cold start (Fn's hot poll). Default 200; 0 cold-starts at once. */
  hotPollMs?: number;
  /** Lifetime of the resource principal token every container reads from files; default 3600. */
  principalTtlSeconds?: number;
  /** Sees every container's output as it arrives (`pid` tells containers apart). */
  onOutput?: OutputListener;
}

export interface LocalStack {
  emulator: Emulator;
  /**
   * The function as one process, kept for callers written before the container pool: `invoke`
   * goes through the pool (waiting for a container), `stdout()`/`stderr()` are the output of ALL
   * containers so far (container by container, each in order), `pid`/`socketPath`/`exited` are the
   * first container's, `stop()` stops every container, `kill()` kills the first container.
   */
  fn: FunctionProcess;
  functionId: string;
  compartmentId: string;
  /** The resource principal every container gets (files mode): `rotate()` it to test credential rotation. */
  principal: Awaited<ReturnType<Emulator["issueResourcePrincipal"]>>;
  /**
   * Invoke as the Fn agent would (direct invoke, or gateway-style with `gateway`): waits for a free
   * container when all are busy at the limit. The deadline defaults to now + the function's
   * timeoutInSeconds. Rejects with InvocationFailedError when the container was killed or outlived
   * the deadline (no answer came back).
   */
  invoke(body: unknown, o?: Omit<InvokeRequest, "body">): Promise<InvokeResult & { data: any }>;
  /** Deliver an event as OCI Events does: an InvokeFunction through the emulator, then wait for every continuation. */
  deliverEvent(event: unknown): Promise<InvokeResult & { data: any }>;
  /** The containers running now. */
  containers(): ContainerInfo[];
  /** Starts containers ahead of invocations, as provisioned concurrency would (within maxContainers). */
  warm(count: number): Promise<void>;
  /** SIGKILL one container, mid-invocation if busy; false for an unknown pid. */
  kill(pid: number): Promise<boolean>;
  /**
   * SIGKILL a container that is running an invocation, at random among those `filter` accepts
   * (`(c) => c.source === "detached"` spares direct calls); its pid, or undefined when none is busy.
   */
  killRandomBusy(filter?: (c: ContainerInfo) => boolean): Promise<number | undefined>;
  stats(): ContainerPoolStats;
  /** Adds a listener for every container's output; returns its removal. */
  onOutput(listener: OutputListener): () => void;
  stop(): Promise<void>;
}

/**
 * The emulator as OCI, the real bundle behind the real FDK socket, run as OCI Functions would: a
 * container per concurrent invocation (ContainerPool), each with the same configuration and
 * resource principal files. One container is started ahead, so the first invocation is warm.
 */
export async function startLocalStack(o: LocalStackOptions = {}): Promise<LocalStack> {
  const emulator = o.emulator ?? (await startEmulator(o.seed ? { seed: o.seed } : {}));
  const ownsEmulator = o.emulator === undefined;
  const seeded = o.seedFunction ? emulator.seedIds.functions[o.seedFunction] : undefined;
  const compartmentId = o.compartmentId ?? emulator.state.defaultCompartmentId;
  const fnRecord =
    (seeded ? emulator.state.functionRecords.get(seeded) : undefined) ??
    emulator.state.createFunction({
      compartmentId,
      displayName: "reencrypt",
      timeoutInSeconds: o.timeoutSeconds ?? 30,
      ...(o.detachedTimeoutSeconds !== undefined ? { detachedModeTimeoutInSeconds: o.detachedTimeoutSeconds } : {}),
    });
  const functionId = fnRecord.id;
  const principal = await emulator.issueResourcePrincipal({
    compartmentId,
    mode: "files",
    ttlSeconds: o.principalTtlSeconds ?? 3600,
    resourceId: functionId,
  });
  const env: Record<string, string> = {
    ...principal.env,
    REENCRYPT_OBJECTSTORAGE_ENDPOINT: emulator.endpoints.objectStorage,
    REENCRYPT_KMS_VAULT_ENDPOINT: emulator.endpoints.kmsVault,
    REENCRYPT_SECRETS_ENDPOINT: emulator.endpoints.secrets,
    REENCRYPT_FUNCTIONS_ENDPOINT: emulator.endpoints.functions,
    REENCRYPT_EVENTS_ENDPOINT: emulator.endpoints.events,
    REENCRYPT_NOTIFICATIONS_ENDPOINT: emulator.endpoints.notifications,
    REENCRYPT_MONITORING_ENDPOINT: emulator.endpoints.monitoring,
    ...o.config,
  };
  const pool = new ContainerPool({
    bundlePath: o.bundlePath ?? resolve("dist/func.cjs"),
    env,
    fnId: functionId,
    appId: fnRecord.applicationId,
    memoryMb: fnRecord.memoryInMBs,
    maxContainers: o.maxContainers,
    idleSeconds: o.idleSeconds,
    hotPollMs: o.hotPollMs,
    timeoutSeconds: fnRecord.timeoutInSeconds,
    onOutput: o.onOutput,
  });
  try {
    await pool.warm(1);
  } catch (error) {
    await pool.stop();
    if (ownsEmulator) await emulator.close();
    throw error;
  }
  const first = pool.first() as FunctionProcess;

  // The emulator's InvokeFunction forwards here, with the deadline the Fn service would set. No
  // free container and no room for one: 429 TooManyRequests at once (the admission check).
  emulator.functions.setInvoker(
    functionId,
    async (req) => {
      const r = await pool.tryInvoke(
        {
          body: req.body,
          deadline: new Date(Date.now() + req.timeoutSeconds * 1000),
          intent: req.headers["fn-intent"] === "httprequest" ? "httprequest" : "cloudevent",
        },
        req.invokeType,
      );
      return { status: r.status, headers: r.headers, body: Buffer.from(r.body) };
    },
    { admit: () => pool.hasCapacity() },
  );
  const withData = (r: InvokeResult): InvokeResult & { data: any } => {
    let data: unknown;
    try {
      data = JSON.parse(r.body);
    } catch {
      data = undefined;
    }
    return Object.assign(r, { data });
  };
  const stop = async (): Promise<void> => {
    emulator.functions.setInvoker(functionId, undefined);
    await pool.stop();
    if (ownsEmulator) await emulator.close();
  };
  const fn: FunctionProcess = {
    invoke: (r) => pool.invoke(r),
    stdout: () => pool.stdout(),
    stderr: () => pool.stderr(),
    get pid() {
      return first.pid;
    },
    get socketPath() {
      return first.socketPath;
    },
    exited: first.exited,
    stop: () => pool.stop(),
    kill: () => first.kill(),
  };
  return {
    emulator,
    fn,
    functionId,
    compartmentId,
    principal,
    invoke: async (body, opts = {}) => withData(await pool.invoke({ ...opts, body: typeof body === "string" ? body : JSON.stringify(body) })),
    deliverEvent: async (event) => {
      const r = await pool.invoke({
        body: JSON.stringify(event),
        deadline: new Date(Date.now() + fnRecord.timeoutInSeconds * 1000),
        intent: "cloudevent",
      });
      await emulator.functions.idle();
      return withData(r);
    },
    containers: () => pool.containers(),
    warm: (count) => pool.warm(count),
    kill: (pid) => pool.kill(pid),
    killRandomBusy: (filter) => pool.killRandomBusy(filter),
    stats: () => pool.stats(),
    onOutput: (listener) => pool.onOutput(listener),
    stop,
  };
}

