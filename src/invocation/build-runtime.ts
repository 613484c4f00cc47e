import { loadConfig } from "../config.js";
import { ReencryptError } from "../errors.js";
import { createLogger, type Logger } from "../log.js";
import { clientParams, deferredClient, lazy, objectStorageClient, principalFromEnv, secretsClient } from "../oci/clients.js";
import { createSdkObjectStore } from "../oci/sdk-object-store.js";
import { createSecretReader } from "../oci/secret-reader.js";
import { readTokenKey } from "../keys/token-key.js";
import { createKeyManagement } from "../oci/key-management.js";
import { createSelfInvoker, type SelfInvoker } from "../oci/self-invoker.js";
import { createEventRules } from "../oci/event-rules.js";
import { opsPorts } from "./ops-ports.js";
import type { Runtime } from "../runtime/runtime.js";

type Env = Readonly<Record<string, string | undefined>>;

/**
 * Configuration and clients, once per container. A bad configuration becomes a ReencryptError
 * that every invocation answers with, rather than a crash loop.
 */
export async function buildRuntime(env: Env, log: Logger): Promise<Runtime | ReencryptError> {
  try {
    const config = loadConfig(env);
    // The claims now; the provider, its key and oci-common on the first factory below that is
    // called. Each factory builds it before it returns, so a key that does not parse is that
    // invocation's configuration error, never a failed call inside a job.
    const principal = principalFromEnv(env);
    // Loaded and constructed on first use, Object Storage included: an invocation that calls
    // nothing (an ignored event, a refused request) never compiles an SDK client.
    const os = deferredClient(() => objectStorageClient(principal.get(), config));
    const secrets = lazy(() => secretsClient(principal.get(), config));
    const params = () => clientParams(principal.get());
    const functionId = env["FN_FN_ID"]?.startsWith("ocid1.fnfunc.") ? env["FN_FN_ID"] : undefined;
    let invoker: SelfInvoker | undefined;
    let tokenKey: Promise<Buffer> | undefined;
    let deadlineForInvoker: () => number | undefined = () => undefined;
    let ops: ReturnType<typeof opsPorts> | undefined;
    const opsOnFirstUse = (): ReturnType<typeof opsPorts> => {
      if (ops) return ops;
      // Neither configured: nothing to build, and the principal stays unbuilt.
      if (config.notifyTopicId === undefined && config.metrics === undefined) return (ops = { notifications: undefined, metrics: undefined });
      try {
        return (ops = opsPorts(principal.get(), config, log));
      } catch (error) {
        // Reporting never stops the function: the factory an invocation calls says what is wrong.
        log.warn("no messages or metrics: the principal could not be built", { error: error instanceof Error ? error.message : String(error) });
        return { notifications: undefined, metrics: undefined };
      }
    };
    return {
      config,
      log: createLogger(config.logLevel),
      compartmentId: principal.compartmentId,
      tenancyId: principal.tenancyId,
      functionId,
      objectStore: (budget) => {
        principal.get();
        return createSdkObjectStore(os, budget);
      },
      secrets: (budget) => {
        principal.get();
        return createSecretReader(secrets, budget.notAfter);
      },
      tokenKey: (budget) => {
        const id = config.tokenSecretId;
        if (id === undefined) return Promise.resolve(undefined);
        if (!tokenKey) {
          principal.get();
          const reading = readTokenKey(id, createSecretReader(secrets, budget.notAfter));
          // A failed read is tried again by the next invocation; a good one is kept.
          reading.catch(() => {
            if (tokenKey === reading) tokenKey = undefined;
          });
          tokenKey = reading;
        }
        return tokenKey;
      },
      keyManagement: (budget) => createKeyManagement(params(), config.endpoints.kmsVault, budget.notAfter),
      selfInvoker: (budget) => {
        if (!functionId) return undefined;
        // One invoker per container (it caches the invoke endpoint); the budget is per invocation.
        deadlineForInvoker = budget.notAfter;
        return (invoker ??= createSelfInvoker(params(), functionId, config.endpoints.functions, () => deadlineForInvoker()));
      },
      eventRules: (budget) => createEventRules(params(), config.endpoints.events, budget.notAfter),
      get notifications() {
        return opsOnFirstUse().notifications;
      },
      get metrics() {
        return opsOnFirstUse().metrics;
      },
    };
  } catch (error) {
    if (error instanceof ReencryptError) {
      log.error("configuration error", { code: error.code, message: error.message });
      return error;
    }
    log.error("startup failed", { error: error instanceof Error ? error.message : String(error) });
    return new ReencryptError("ConfigurationError", 500, "the function could not start; see its logs");
  }
}
