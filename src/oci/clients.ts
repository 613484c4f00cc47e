import { readFileSync } from "node:fs";
import { isAbsolute } from "node:path";
import * as common from "oci-common";
import type { ObjectStorageClient } from "oci-objectstorage";
import type { SecretsClient } from "oci-secrets";
import { configurationError } from "../errors.js";
import type { Config } from "../config.js";
import { sdkLogger, type Logger, type LogLevel, type SdkLogger } from "../log.js";
import { NodeHttpClient, type NodeHttpClientOptions } from "./http/node-http-client.js";

// The function bundle evaluates oci-common on its first use, not at cold start (LAZY_MODULES in
// scripts/bundle-slimming.mjs): nothing here touches `common` before a principal or a client is
// built, and what this file sets on it is set then (commonConfigured), before any client exists.
let pendingSdkLogger: SdkLogger | undefined;
let configured = false;

function commonConfigured(): typeof common {
  if (!configured) {
    configured = true;
    // Our own retry loop (retry.ts) knows the invocation's deadline; the SDK's does not (8 attempts
    // over ~95 s). The SDK's per-client circuit breaker would fail healthy calls for 30 s after ten
    // throttled ones, and it outlives invocations in a warm container: both are off.
    common.CircuitBreaker.EnableGlobalCircuitBreaker = false;
    if (pendingSdkLogger) common.LOG.logger = pendingSdkLogger;
  }
  return common;
}

/** oci-common's own logging (LOG.logger: auth, circuit breaker, client debug lines) as our JSON lines. */
export function logSdkThrough(logger: () => Logger, level: LogLevel): void {
  pendingSdkLogger = sdkLogger(logger, level);
  commonConfigured().LOG.logger = pendingSdkLogger;
}

/** As logSdkThrough, from the first use of oci-common on (the function: a cold start does not load it). */
export function logSdkThroughOnFirstUse(logger: () => Logger, level: LogLevel): void {
  pendingSdkLogger = sdkLogger(logger, level);
  if (configured) common.LOG.logger = pendingSdkLogger;
}

export const clientConfiguration = (): common.ClientConfiguration => {
  const c = commonConfigured();
  return { retryConfiguration: c.NoRetryConfigurationDetails, circuitBreaker: new c.CircuitBreaker({ disableClientCircuitBreaker: true }) };
};

/**
 * Set only in the benchmark's comparison bundle (scripts/build.mjs, dist/func-sdk-http.cjs): there
 * every client keeps the SDK's own FetchHttpClient and DefaultRequestSigner. Nothing reads it at
 * run time, so no environment variable can switch the function to the slower path.
 */
declare const REENCRYPT_SDK_HTTP_CLIENT: boolean | undefined;
const sdkHttpClient = typeof REENCRYPT_SDK_HTTP_CLIENT !== "undefined" && REENCRYPT_SDK_HTTP_CLIENT === true;

export interface Principal {
  provider: common.AuthenticationDetailsProvider;
  /** Signs and sends for every client of this principal: one parsed key, one connection pool. */
  httpClient: common.HttpClient | undefined;
  /** From the resource principal's claims; undefined with config-file auth. */
  compartmentId: string | undefined;
  tenancyId: string | undefined;
}

/** The first argument of every generated OCI client constructor. */
export type ClientParams = common.AuthParams;

/**
 * Both the provider (the client takes its region from it) and our httpClient (which signs with
 * it). The SDK's type says one or the other; its constructors use both when given.
 */
export function clientParams(principal: Pick<Principal, "provider" | "httpClient">): ClientParams {
  if (principal.httpClient === undefined) return { authenticationDetailsProvider: principal.provider };
  return { authenticationDetailsProvider: providerBesideOurSigner(principal.provider), httpClient: principal.httpClient } as unknown as ClientParams;
}

/**
 * The provider as a generated client sees it when our httpClient signs. Each client's constructor
 * builds oci-common's DefaultRequestSigner whether it uses it or not, and that constructor parses
 * the private key with sshpk (asn1 and the rest: dist/sdk-signing.cjs, loaded and compiled for it)
 * unless the provider names an auth type. This view names one, so the unused signer skips the
 * parse; everything else (the region the client takes, the provider's own state) is the provider's,
 * through the prototype. Our httpClient signs with the provider itself, never with this view.
 */
function providerBesideOurSigner(provider: common.AuthenticationDetailsProvider): common.AuthenticationDetailsProvider {
  return Object.create(provider, {
    getAuthType: { value: () => "signed-by-reencrypt-http-client" },
    getDelegationToken: { value: () => "" },
  }) as common.AuthenticationDetailsProvider;
}

/** Our signing HTTP client for a provider, or undefined in the benchmark's SDK-client bundle. */
export function httpClientFor(provider: common.AuthenticationDetailsProvider, o?: NodeHttpClientOptions): common.HttpClient | undefined {
  return sdkHttpClient ? undefined : new NodeHttpClient(provider, o);
}

/**
 * What a cold start knows of the function's principal: its claims, read without oci-common or
 * node:crypto. The provider (and the key it parses) is built on first use: an invocation that calls
 * nothing in OCI never pays for either.
 */
export interface DeferredPrincipal {
  /** From the resource principal's claims; undefined with config-file auth. */
  compartmentId: string | undefined;
  tenancyId: string | undefined;
  /**
   * The provider and our HTTP client, built on the first call and kept. Throws the configuration
   * error when they cannot be built (a key that does not parse); the next call tries again.
   */
  get(): Principal;
}

const RP = {
  version: "OCI_RESOURCE_PRINCIPAL_VERSION",
  rpst: "OCI_RESOURCE_PRINCIPAL_RPST",
  pem: "OCI_RESOURCE_PRINCIPAL_PRIVATE_PEM",
  region: "OCI_RESOURCE_PRINCIPAL_REGION",
} as const;

type Env = Readonly<Record<string, string | undefined>>;

const firstLine = (error: unknown): string => (error instanceof Error ? error.message.split("\n")[0] ?? "" : "cannot be read");
const rpError = (why: string): Error => configurationError(RP.version, `the resource principal could not be loaded: ${why}`);

/** A value of the resource principal's: the content itself, or (an absolute path) the file holding it. */
function rpValue(env: Env, name: string): string {
  const v = env[name];
  if (!v) throw rpError(`${name} environment variable is missing`);
  if (!isAbsolute(v)) return v;
  try {
    return readFileSync(v, "utf8");
  } catch (error) {
    throw rpError(`${name} names a file that cannot be read (${(error as NodeJS.ErrnoException).code ?? "error"})`);
  }
}

/** The token's claims as oci-common's SecurityTokenAdapter reads them (decoded, not verified); {} when it does not decode. */
function tokenClaims(token: string): Record<string, unknown> {
  const payload = /^[A-Za-z0-9_-]+\.([A-Za-z0-9_-]+)\.[A-Za-z0-9_-]*$/.exec(token.trim())?.[1];
  if (payload === undefined) return {};
  try {
    const claims: unknown = JSON.parse(Buffer.from(payload, "base64url").toString("utf8"));
    return typeof claims === "object" && claims !== null ? (claims as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}
const claim = (claims: Record<string, unknown>, k: string): string | undefined => (typeof claims[k] === "string" && claims[k] !== "" ? claims[k] : undefined);

/**
 * oci-common's builder reads process.env itself: built later than the cold start, it still sees
 * the variables `env` held then (the function passes process.env; tests pass a copy).
 */
function builtFrom<T>(env: Env, build: () => T): T {
  if (env === process.env) return build();
  const names = [...new Set([...Object.keys(env), ...Object.keys(process.env)])].filter((k) => k.startsWith("OCI_RESOURCE_PRINCIPAL_"));
  const saved = names.map((k) => [k, process.env[k]] as const);
  for (const k of names) {
    const v = env[k];
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
  try {
    return build();
  } finally {
    for (const [k, v] of saved) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
}

/** The first call builds, later calls return it; a failed build throws and is tried again. */
function onFirstUse(build: () => Principal): () => Principal {
  let built: Principal | undefined;
  return () => (built ??= build());
}

/**
 * Resource principal inside OCI Functions (OCI_RESOURCE_PRINCIPAL_VERSION is set by the platform);
 * the operator's ~/.oci/config otherwise, for running the function by hand. A resource principal
 * that cannot work (a variable missing, an unknown version, a file that cannot be read, a key file
 * that holds no PEM key) is a configuration error here, at cold start; only a key that looks like
 * PEM but does not parse is found on first use (node:crypto parses it then).
 */
export function principalFromEnv(env: Env): DeferredPrincipal {
  if (env[RP.version]) {
    if (env[RP.version] !== "2.2") throw rpError(`${RP.version} environment variable has an unknown value ${env[RP.version]}`);
    if (!env[RP.region]) throw rpError(`${RP.region} environment variable is missing`);
    const pem = rpValue(env, RP.pem);
    if (!/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(pem)) throw rpError(`${RP.pem} holds no PEM private key`);
    const claims = tokenClaims(rpValue(env, RP.rpst));
    return {
      compartmentId: claim(claims, "res_compartment"),
      tenancyId: claim(claims, "res_tenant"),
      get: onFirstUse(() => {
        let provider: common.ResourcePrincipalAuthenticationDetailsProvider;
        try {
          provider = builtFrom(env, () => commonConfigured().ResourcePrincipalAuthenticationDetailsProvider.builder());
        } catch (error) {
          throw rpError(firstLine(error));
        }
        return { provider, httpClient: httpClientFor(provider), compartmentId: claim(claims, "res_compartment"), tenancyId: claim(claims, "res_tenant") };
      }),
    };
  }
  let provider: common.ConfigFileAuthenticationDetailsProvider;
  try {
    provider = new (commonConfigured().ConfigFileAuthenticationDetailsProvider)();
  } catch {
    throw configurationError(
      RP.version,
      "is not set and no ~/.oci/config profile could be read: run inside OCI Functions (resource principal) or configure the OCI CLI",
    );
  }
  const principal: Principal = { provider, httpClient: httpClientFor(provider), compartmentId: undefined, tenancyId: provider.getTenantId() };
  return { compartmentId: undefined, tenancyId: principal.tenancyId, get: () => principal };
}

// Each SDK package is loaded on first use (esbuild turns these imports into lazy requires inside
// the one bundle): a cold start that answers without Object Storage never compiles it.

export async function objectStorageClient(principal: Principal, config: Config): Promise<ObjectStorageClient> {
  const { ObjectStorageClient } = await import("oci-objectstorage");
  const client = new ObjectStorageClient(clientParams(principal), clientConfiguration());
  if (config.endpoints.objectStorage) client.endpoint = config.endpoints.objectStorage;
  return client;
}

export async function secretsClient(principal: Principal, config: Config): Promise<SecretsClient> {
  const { SecretsClient } = await import("oci-secrets");
  const client = new SecretsClient(clientParams(principal), clientConfiguration());
  if (config.endpoints.secrets) client.endpoint = config.endpoints.secrets;
  return client;
}

/** A promise made on first call and kept; forgotten again if it fails, so a later call retries. */
export function lazy<T>(make: () => Promise<T>): () => Promise<T> {
  let p: Promise<T> | undefined;
  return () =>
    (p ??= make().catch((error: unknown) => {
      p = undefined;
      throw error;
    }));
}

/**
 * A client that loads its SDK package and is constructed on its first call (a cold start that
 * answers without calling OCI never pays for either). Only for callers that call its methods,
 * each returning a promise: anything else reads as undefined.
 */
export function deferredClient<T extends object>(make: () => Promise<T>): T {
  const get = lazy(make);
  return new Proxy(Object.create(null) as T, {
    get: (_target, name) =>
      typeof name === "symbol" || name === "then"
        ? undefined
        : (...args: unknown[]) =>
            get().then((c) => {
              const method = (c as Record<string, unknown>)[name];
              if (typeof method !== "function") throw new TypeError(`${name} is not a method of the client`);
              return (method as (...a: unknown[]) => unknown).apply(c, args);
            }),
  });
}
