import { existsSync, statSync } from "node:fs";
import * as common from "oci-common";
import { httpClientFor, type Principal } from "../oci/clients.js";
import type { NodeHttpClientOptions } from "../oci/http/node-http-client.js";
import { CliError, ExitCode, usageError } from "./cli-error.js";
import { apiKeyProvider, configFromEnvAlone, delegatedProvider, delegationToken, profileValues, regionOf, sessionTokenProvider, type ProfileValues } from "./cli-credentials.js";
import { expandPath } from "./cli-rc.js";
import { okeWorkloadIdentityProvider, type OkeWorkloadIdentityProvider } from "./oke-workload-identity.js";

/** `oci --auth`'s choices, in its order. */
export const AUTH_TYPES = ["api_key", "instance_principal", "security_token", "instance_obo_user", "resource_principal", "oke_workload_identity"] as const;
export type AuthType = (typeof AUTH_TYPES)[number];

export interface AuthOptions {
  auth?: AuthType | undefined;
  configFile?: string | undefined;
  profile?: string | undefined;
  region?: string | undefined;
}

/** `~/.oci/config` unless told otherwise, `~` and `$VAR` expanded as the OCI CLI does. */
export function configFilePath(o: AuthOptions): string {
  return expandPath(o.configFile ?? "~/.oci/config");
}

const firstLine = (error: unknown): string => (error instanceof Error ? error.message : String(error)).trim().split("\n")[0]?.replace(/\s*For more info about config file.*$/, "") ?? "";

/** The config file (when there must be one) and the credential variables over its profile. */
function profileFor(o: AuthOptions, env: Readonly<Record<string, string | undefined>>, o2: { fileOptional: boolean }): ProfileValues {
  const profile = o.profile ?? "DEFAULT";
  if (configFromEnvAlone(env, o.region)) return profileValues(undefined, profile, env);
  const file = configFilePath(o);
  if (!existsSync(file) || !statSync(file).isFile()) {
    if (o2.fileOptional) return profileValues(undefined, profile, env);
    throw usageError(
      `config file ${file} not found: create it with "oci setup config", or pass --config-file FILE, or set OCI_CLI_USER, OCI_CLI_TENANCY, OCI_CLI_FINGERPRINT, OCI_CLI_KEY_FILE and OCI_CLI_REGION (or --auth instance_principal|resource_principal|oke_workload_identity)`,
    );
  }
  return profileValues(file, profile, env);
}

/** The region a config-file credential signs for: --region (or OCI_CLI_REGION), else the profile's. */
function regionFor(o: AuthOptions, v: ProfileValues): common.Region | undefined {
  const id = o.region ?? v.get("region");
  return id ? regionOf(id) : undefined;
}

async function instancePrincipal(what: string): Promise<common.AuthenticationDetailsProvider> {
  try {
    return await new common.InstancePrincipalsAuthenticationDetailsProviderBuilder().build();
  } catch (error) {
    throw new CliError(
      `${what}: the instance principal could not be loaded (instance principal authentication works only on OCI compute instances, whose dynamic group the policies name): ${firstLine(error)}`,
      ExitCode.failures,
    );
  }
}

/**
 * The operator's credentials, as the `oci` CLI finds them for each `--auth`: an API key or a
 * session token from a config file profile (or the OCI_CLI_* variables), an instance principal
 * (acting for a user with a delegation token: instance_obo_user), a resource principal
 * (OCI_RESOURCE_PRINCIPAL_*), or an OKE workload identity. A configuration problem is one line
 * naming the file or variable (exit 2): nothing was called. `http` adds the CLI's request id and
 * CA bundle to every request.
 */
export async function createCliPrincipal(o: AuthOptions, http: NodeHttpClientOptions = {}, env: Readonly<Record<string, string | undefined>> = process.env): Promise<Principal> {
  const auth = o.auth ?? "api_key";
  const principal = (provider: common.AuthenticationDetailsProvider, ids: { compartmentId?: string | undefined; tenancyId?: string | undefined } = {}): Principal => ({
    provider,
    httpClient: httpClientFor(provider, http),
    compartmentId: ids.compartmentId,
    tenancyId: ids.tenancyId,
  });
  if (auth === "api_key" || auth === "security_token") {
    const v = profileFor(o, env, { fileOptional: false });
    const region = regionFor(o, v);
    const provider = auth === "api_key" ? await apiKeyProvider(v, region) : await sessionTokenProvider(v, region);
    return principal(provider, { tenancyId: provider.getTenantId() || undefined });
  }
  if (auth === "instance_obo_user") {
    const v = profileFor(o, env, { fileOptional: true });
    const token = delegationToken(v);
    const inner = await instancePrincipal("--auth instance_obo_user");
    const region = o.region ? regionOf(o.region) : ((inner as Partial<common.RegionProvider>).getRegion?.() ?? regionFor(o, v));
    return principal(delegatedProvider(inner, token, v.get("tenancy") ?? "", region), { tenancyId: v.get("tenancy") });
  }
  if (auth === "resource_principal") {
    if (!env["OCI_RESOURCE_PRINCIPAL_VERSION"]) {
      throw usageError("--auth resource_principal: OCI_RESOURCE_PRINCIPAL_VERSION is not set (it is set inside OCI Functions and other resource principal runtimes)");
    }
    if (o.region) process.env["OCI_RESOURCE_PRINCIPAL_REGION"] = o.region;
    let provider: common.ResourcePrincipalAuthenticationDetailsProvider;
    try {
      provider = common.ResourcePrincipalAuthenticationDetailsProvider.builder();
    } catch (error) {
      throw usageError(`--auth resource_principal: the resource principal could not be loaded: ${firstLine(error)}`);
    }
    const claim = async (k: string): Promise<string | undefined> => (await provider.getStringClaim(k).catch(() => null)) ?? undefined;
    const keys = common.ResourcePrincipalAuthenticationDetailsProvider.ClaimKeys;
    return principal(provider, { compartmentId: await claim(keys.COMPARTMENT_ID_CLAIM_KEY), tenancyId: await claim(keys.TENANT_ID_CLAIM_KEY) });
  }
  if (auth === "oke_workload_identity") {
    const provider: OkeWorkloadIdentityProvider = okeWorkloadIdentityProvider(env, regionOf, o.region);
    // The first exchange now: a proxymux that refuses is said once, before any service is called.
    const compartmentId = await provider.claim("res_compartment");
    return principal(provider, { compartmentId, tenancyId: await provider.claim("res_tenant") });
  }
  // Instance principal: the instance metadata service gives the certificate, the region and the tenancy.
  return principal(await instancePrincipal("--auth instance_principal"));
}
