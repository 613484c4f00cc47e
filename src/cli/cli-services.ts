import { randomUUID } from "node:crypto";
import { existsSync, readFileSync, statSync } from "node:fs";
import type { ObjectStorageClient } from "oci-objectstorage";
import { loadConfig, type Config } from "../config.js";
import { ReencryptError } from "../errors.js";
import type { SecretReader } from "../oci/secret-reader.js";
import { createLogger, routeConsole, type Logger } from "../log.js";
import { clientParams, lazy, logSdkThrough, objectStorageClient, secretsClient, type ClientParams, type Principal } from "../oci/clients.js";
import { createKeyManagement, type KeyManagement } from "../oci/key-management.js";
import type { ObjectStore } from "../oci/object-store.js";
import { createRateLimiter } from "../oci/rate-limiter.js";
import { createSdkObjectStore } from "../oci/sdk-object-store.js";
import { createSecretReader } from "../oci/secret-reader.js";
import type { NodeHttpClientOptions } from "../oci/http/node-http-client.js";
import { usageError } from "./cli-error.js";
import { createCliPrincipal, type AuthOptions } from "./cli-principal.js";
import { expandPath } from "./cli-rc.js";

/** The options every command takes, as the `oci` CLI spells them. */
export interface GlobalOptions extends AuthOptions {
  endpoint?: string | undefined;
  output?: "json" | "table" | undefined;
  debug?: boolean | undefined;
  requestId?: string | undefined;
  certBundle?: string | undefined;
  query?: string | undefined;
  rawOutput?: boolean | undefined;
  cliRcFile?: string | undefined;
}

/** One per invocation, in the OCI CLI's format (a UUID's 32 hex digits, upper case). */
const GENERATED_REQUEST_ID = randomUUID().replace(/-/g, "").toUpperCase();

/** The opc-client-request-id of every request of this invocation: --request-id, or the generated one. */
export const requestIdOf = (globals: Pick<GlobalOptions, "requestId">): string => globals.requestId ?? GENERATED_REQUEST_ID;

/** What every request of this invocation carries: the opc-client-request-id, and --cert-bundle's CAs. */
export function cliHttpOptions(globals: Pick<GlobalOptions, "requestId" | "certBundle">): NodeHttpClientOptions {
  let ca: string | undefined;
  if (globals.certBundle !== undefined) {
    const path = expandPath(globals.certBundle);
    if (!existsSync(path) || !statSync(path).isFile()) throw usageError(`--cert-bundle: cannot find the cert bundle file ${path}`);
    ca = readFileSync(path, "utf8");
    if (!ca.includes("-----BEGIN CERTIFICATE-----")) throw usageError(`--cert-bundle ${path}: holds no PEM certificate (-----BEGIN CERTIFICATE-----)`);
  }
  return { headers: [["opc-client-request-id", requestIdOf(globals)]], ...(ca !== undefined ? { ca } : {}) };
}

/**
 * JSON lines on stderr (stdout is the command's answer): warnings, or everything with --debug. The
 * SDK's own console lines (a retry notice per failed call, which our failure records already say)
 * go through it too, so they never land on stdout and stay at debug.
 */
export function cliLogger(globals: GlobalOptions): Logger {
  const level = globals.debug ? "debug" : "warn";
  const log = createLogger(level, {}, (line) => process.stderr.write(line + "\n"));
  logSdkThrough(() => log, level);
  routeConsole(() => log);
  return log;
}

/** The function's configuration keys read from the operator's environment (rules, endpoints, allow-list, state bucket). */
export function cliConfig(env: Readonly<Record<string, string | undefined>>, overrides: Record<string, string | undefined> = {}): Config {
  try {
    return loadConfig({ ...env, ...overrides });
  } catch (error) {
    if (error instanceof ReencryptError) throw usageError(error.message);
    throw error;
  }
}

export interface Services {
  config: Config;
  principal: Principal;
  params: ClientParams;
  log: Logger;
  store: ObjectStore;
  /** The SDK client behind `store`, for what the port does not cover (a work request's details). */
  objectStorage: ObjectStorageClient;
  secrets: SecretReader;
  keyManagement(): KeyManagement;
}

/**
 * Credentials, configuration and the Object Storage, Secrets and Key Management ports, built as the
 * function builds them (our retries and rate limiter, the SDK's off); `--endpoint` overrides the
 * Object Storage endpoint like REENCRYPT_OBJECTSTORAGE_ENDPOINT.
 */
export async function openServices(globals: GlobalOptions, o: { maxRps?: number | undefined; env?: Record<string, string | undefined> } = {}): Promise<Services> {
  const env = { ...process.env, ...o.env };
  const config = cliConfig(env, globals.endpoint ? { REENCRYPT_OBJECTSTORAGE_ENDPOINT: globals.endpoint } : {});
  const log = cliLogger(globals);
  const principal = await createCliPrincipal(globals, cliHttpOptions(globals));
  const params = clientParams(principal);
  const os = await objectStorageClient(principal, config);
  const limiter = createRateLimiter(o.maxRps ?? config.maxRps);
  // No invocation deadline here: retries run their whole policy (6 attempts, at most 8 s apart).
  const store = createSdkObjectStore(os, { limiter, notAfter: () => undefined });
  const secrets = createSecretReader(
    lazy(() => secretsClient(principal, config)),
    () => undefined,
  );
  let keyManagement: KeyManagement | undefined;
  return {
    config,
    principal,
    params,
    log,
    store,
    objectStorage: os,
    secrets,
    keyManagement: () => (keyManagement ??= createKeyManagement(params, config.endpoints.kmsVault, () => undefined)),
  };
}
