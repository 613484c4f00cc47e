import * as common from "oci-common";
import { ObjectStorageClient } from "oci-objectstorage";
import { SecretsClient } from "oci-secrets";
import { configurationError } from "../errors.js";
import type { Config } from "../config.js";

// Our own retry loop (retry.ts) knows the invocation's deadline; the SDK's does not (8 attempts
// over ~95 s). The SDK's per-client circuit breaker would fail healthy calls for 30 s after ten
// throttled ones, and it outlives invocations in a warm container: both are off.
common.CircuitBreaker.EnableGlobalCircuitBreaker = false;

export const clientConfiguration = (): common.ClientConfiguration => ({
  retryConfiguration: common.NoRetryConfigurationDetails,
  circuitBreaker: new common.CircuitBreaker({ disableClientCircuitBreaker: true }),
});

export interface Principal {
  provider: common.AuthenticationDetailsProvider;
  /** From the resource principal's claims; undefined with config-file auth. */
  compartmentId: string | undefined;
  tenancyId: string | undefined;
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
      compartmentId: await claim(common.ResourcePrincipalAuthenticationDetailsProvider.ClaimKeys.COMPARTMENT_ID_CLAIM_KEY),
      tenancyId: await claim(common.ResourcePrincipalAuthenticationDetailsProvider.ClaimKeys.TENANT_ID_CLAIM_KEY),
    };
  }
  try {
    const provider = new common.ConfigFileAuthenticationDetailsProvider();
    return { provider, compartmentId: undefined, tenancyId: provider.getTenantId() };
  } catch {
    throw configurationError(
      "OCI_RESOURCE_PRINCIPAL_VERSION",
      "is not set and no ~/.oci/config profile could be read: run inside OCI Functions (resource principal) or configure the OCI CLI",
    );
  }
}

export function objectStorageClient(principal: Principal, config: Config): ObjectStorageClient {
  const client = new ObjectStorageClient({ authenticationDetailsProvider: principal.provider }, clientConfiguration());
  if (config.endpoints.objectStorage) client.endpoint = config.endpoints.objectStorage;
  return client;
}

export function secretsClient(principal: Principal, config: Config): SecretsClient {
  const client = new SecretsClient({ authenticationDetailsProvider: principal.provider }, clientConfiguration());
  if (config.endpoints.secrets) client.endpoint = config.endpoints.secrets;
  return client;
}
