import { resolve } from "node:path";
import { startEmulator, type Emulator, type Seed } from "./emulator/index.js";
import { startFunction, type FunctionProcess, type InvokeRequest, type InvokeResult } from "./fn/start-function.js";

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
  /** Timeout of invocations that arrive through the emulator (events, self-continuations). */
  timeoutSeconds?: number;
  onOutput?: (stream: "stdout" | "stderr", chunk: string) => void;
}

export interface LocalStack {
  emulator: Emulator;
  fn: FunctionProcess;
  functionId: string;
  compartmentId: string;
  /** Invoke as the Fn agent would (direct invoke, or gateway-style with `gateway`). */
  invoke(body: unknown, o?: Omit<InvokeRequest, "body">): Promise<InvokeResult & { data: any }>;
  /** Deliver an event as OCI Events does: an InvokeFunction through the emulator, then wait for every continuation. */
  deliverEvent(event: unknown): Promise<InvokeResult & { data: any }>;
  stop(): Promise<void>;
}

/** The emulator as OCI, the real bundle behind the real FDK socket, wired as OCI Functions would. */
export async function startLocalStack(o: LocalStackOptions = {}): Promise<LocalStack> {
  const emulator = o.emulator ?? (await startEmulator(o.seed ? { seed: o.seed } : {}));
  const ownsEmulator = o.emulator === undefined;
  const seeded = o.seedFunction ? emulator.seedIds.functions[o.seedFunction] : undefined;
  const compartmentId = o.compartmentId ?? emulator.state.defaultCompartmentId;
  const fnRecord = seeded ? undefined : emulator.state.createFunction({ compartmentId, displayName: "reencrypt", timeoutInSeconds: o.timeoutSeconds ?? 30 });
  const functionId = seeded ?? (fnRecord as { id: string }).id;
  const rp = await emulator.issueResourcePrincipal({ compartmentId, mode: "files", ttlSeconds: 3600 });
  const env: Record<string, string> = {
    ...rp.env,
    REENCRYPT_OBJECTSTORAGE_ENDPOINT: emulator.endpoints.objectStorage,
    REENCRYPT_KMS_VAULT_ENDPOINT: emulator.endpoints.kmsVault,
    REENCRYPT_SECRETS_ENDPOINT: emulator.endpoints.secrets,
    REENCRYPT_FUNCTIONS_ENDPOINT: emulator.endpoints.functions,
    REENCRYPT_EVENTS_ENDPOINT: emulator.endpoints.events,
    ...o.config,
  };
  const fn = await startFunction({
    bundlePath: o.bundlePath ?? resolve("dist/func.cjs"),
    env,
    fnId: functionId,
    ...(o.onOutput ? { onOutput: o.onOutput } : {}),
  });
  // The emulator's InvokeFunction forwards here, with the deadline the Fn server would set.
  emulator.functions.setInvoker(functionId, async (req) => {
    const r = await fn.invoke({
      body: req.body,
      deadline: new Date(Date.now() + req.timeoutSeconds * 1000),
      intent: req.headers["fn-intent"] === "httprequest" ? "httprequest" : "cloudevent",
    });
    return { status: r.status, headers: r.headers, body: Buffer.from(r.body) };
  });
  const withData = (r: InvokeResult): InvokeResult & { data: any } => {
    let data: unknown;
    try {
      data = JSON.parse(r.body);
    } catch {
      data = undefined;
    }
    return Object.assign(r, { data });
  };
  return {
    emulator,
    fn,
    functionId,
    compartmentId,
    invoke: async (body, opts = {}) => withData(await fn.invoke({ ...opts, body: typeof body === "string" ? body : JSON.stringify(body) })),
    deliverEvent: async (event) => {
      const timeout = o.timeoutSeconds ?? 30;
      const r = await fn.invoke({ body: JSON.stringify(event), deadline: new Date(Date.now() + timeout * 1000), intent: "cloudevent" });
      await emulator.functions.idle();
      return withData(r);
    },
    stop: async () => {
      emulator.functions.setInvoker(functionId, undefined);
      await fn.stop();
      if (ownsEmulator) await emulator.close();
    },
  };
}
