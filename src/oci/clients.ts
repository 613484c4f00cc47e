import * as common from "oci-common";
import type { ObjectStorageClient } from "oci-objectstorage";
import type { SecretsClient } from "oci-secrets";
import { configurationError } from "../errors.js";
import type { Config } from "../config.js";
import { sdkLogger, type Logger, type LogLevel } from "../log.js";
import { NodeHttpClient, type NodeHttpClientOptions } from "./http/node-http-client.js";

// Our own retry loop (retry.ts) knows the invocation's deadline; the SDK's does not (8 attempts
// over ~95 s). The SDK's per-client circuit breaker would fail healthy calls for 30 s after ten
// throttled ones, and it outlives invocations in a warm container: both are off.
common.CircuitBreaker.EnableGlobalCircuitBreaker = false;

/** oci-common's own logging (LOG.logger: auth, circuit breaker, client debug lines) as our JSON lines. */
export function logSdkThrough(logger: () => Logger, level: LogLevel): void {
  common.LOG.logger = sdkLogger(logger, level);
}

export const clientConfiguration = (): common.ClientConfiguration => ({
  retryConfiguration: common.NoRetryConfigurationDetails,
  circuitBreaker: new common.CircuitBreaker({ disableClientCircuitBreaker: true }),
});

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
  return { authenticationDetailsProvider: principal.provider, httpClient: principal.httpClient } as unknown as ClientParams;
}

/** Our signing HTTP client for a provider, or undefined in the benchmark's SDK-client bundle. */
export function httpClientFor(provider: common.AuthenticationDetailsProvider, o?: NodeHttpClientOptions): common.HttpClient | undefined {
  return sdkHttpClient ? undefined : new NodeHttpClient(provider, o);
}

/**
 * Resource principal inside OCI Functions (OCI_RESOURCE_PRINCIPAL_VERSION is set by the platform);
 * the operator's ~/.oci/config otherwise, for running the function by hand.
 */
export async function createPrincipal(env: Readonly<Record<string, string | undefined>>): Promise<Principal> {
  if (env["OCI_RESOURCE_PRINCIPAL_VERSION"]) {
    let provider: common.ResourcePrincipalAuthenticationDetailsProvider;
    try {
      provider = common.ResourcePrincipalAuthenticationDetailsProvider.builder();
    } catch (error) {
      const why = error instanceof Error ? error.message.split("\n")[0] : "cannot be read";
      throw configurationError("OCI_RESOURCE_PRINCIPAL_VERSION", `the resource principal could not be loaded: ${why}`);
    }
    const claim = async (k: string): Promise<string | undefined> => {
      try {
        return (await provider.getStringClaim(k)) ?? undefined;
      } catch {
        return undefined;
      }
    };
    return {
      provider,
      httpClient: httpClientFor(provider),
      compartmentId: await claim(common.ResourcePrincipalAuthenticationDetailsProvider.ClaimKeys.COMPARTMENT_ID_CLAIM_KEY),
      tenancyId: await claim(common.ResourcePrincipalAuthenticationDetailsProvider.ClaimKeys.TENANT_ID_CLAIM_KEY),
    };
  }
  try {
    const provider = new common.ConfigFileAuthenticationDetailsProvider();
    return { provider, httpClient: httpClientFor(provider), compartmentId: undefined, tenancyId: provider.getTenantId() };
  } catch {
    throw configurationError(
      "OCI_RESOURCE_PRINCIPAL_VERSION",
      "is not set and no ~/.oci/config profile could be read: run inside OCI Functions (resource principal) or configure the OCI CLI",
    );
  }
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
