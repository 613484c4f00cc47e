import { existsSync, statSync } from "node:fs";
import { homedir } from "node:os";
import { resolve } from "node:path";
import * as common from "oci-common";
import { httpClientFor, type Principal } from "../oci/clients.js";
import { CliError, ExitCode, usageError } from "./cli-error.js";

export const AUTH_TYPES = ["api_key", "security_token", "instance_principal", "resource_principal"] as const;
export type AuthType = (typeof AUTH_TYPES)[number];

export interface AuthOptions {
  auth?: AuthType | undefined;
  configFile?: string | undefined;
  profile?: string | undefined;
  region?: string | undefined;
}

/** `~/.oci/config` unless told otherwise, `~` expanded as the OCI CLI does. */
export function configFilePath(o: AuthOptions): string {
  const raw = o.configFile ?? "~/.oci/config";
  return resolve(raw === "~" || raw.startsWith("~/") ? homedir() + raw.slice(1) : raw);
}

const firstLine = (error: unknown): string => (error instanceof Error ? error.message : String(error)).trim().split("\n")[0]?.replace(/\s*For more info about config file.*$/, "") ?? "";

/** The one line a config-file problem is: the file, the profile, what is wrong, what to do. */
function configProblem(file: string, profile: string, error: unknown): CliError {
  const why = firstLine(error);
  if (/profile/i.test(why) && /not found|no profile|does not exist/i.test(why)) {
    return usageError(`config file ${file} has no profile [${profile}]: pass --profile NAME, or add the profile ("oci setup config")`);
  }
  return usageError(`config file ${file}, profile [${profile}]: ${why}`);
}

/**
 * The operator's credentials, as the `oci` CLI finds them: an API key or a session token from a
 * config file profile, an instance principal, or a resource principal (OCI_RESOURCE_PRINCIPAL_*).
 * A problem with the config file is one line naming the file (exit 2): nothing was called.
 */
export async function createCliPrincipal(o: AuthOptions): Promise<Principal> {
  const auth = o.auth ?? "api_key";
  if (auth === "api_key" || auth === "security_token") {
    const file = configFilePath(o);
    const profile = o.profile ?? "DEFAULT";
    if (!existsSync(file) || !statSync(file).isFile()) {
      throw usageError(`config file ${file} not found: create it with "oci setup config", or pass --config-file FILE (or --auth instance_principal|resource_principal)`);
    }
    let provider: common.ConfigFileAuthenticationDetailsProvider;
    try {
      provider = auth === "security_token" ? new common.SessionAuthDetailProvider(file, profile) : new common.ConfigFileAuthenticationDetailsProvider(file, profile);
    } catch (error) {
      throw configProblem(file, profile, error);
    }
    if (o.region) provider.setRegion(o.region);
    return { provider, httpClient: httpClientFor(provider), compartmentId: undefined, tenancyId: provider.getTenantId() };
  }
  if (auth === "resource_principal") {
    if (!process.env["OCI_RESOURCE_PRINCIPAL_VERSION"]) {
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
    return { provider, httpClient: httpClientFor(provider), compartmentId: await claim(keys.COMPARTMENT_ID_CLAIM_KEY), tenancyId: await claim(keys.TENANT_ID_CLAIM_KEY) };
  }
  // Instance principal: the instance metadata service gives the certificate, the region and the tenancy.
  let provider: common.AuthenticationDetailsProvider;
  try {
    provider = await new common.InstancePrincipalsAuthenticationDetailsProviderBuilder().build();
  } catch (error) {
    throw new CliError(`--auth instance_principal: the instance principal could not be loaded (not on an OCI instance, or no dynamic group?): ${firstLine(error)}`, ExitCode.failures);
  }
  return { provider, httpClient: httpClientFor(provider), compartmentId: undefined, tenancyId: undefined };
}
