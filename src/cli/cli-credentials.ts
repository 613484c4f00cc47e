import { existsSync, readFileSync, statSync } from "node:fs";
import * as common from "oci-common";
import { parsePrivateKey } from "../oci/http/request-signer.js";
import { usageError } from "./cli-error.js";
import { expandPath, parseIni } from "./cli-rc.js";

// A config-file profile with the OCI CLI's credential variables over it (oci-cli's build_config):
// OCI_CLI_USER, OCI_CLI_TENANCY, OCI_CLI_FINGERPRINT, OCI_CLI_KEY_FILE, OCI_CLI_KEY_CONTENT,
// OCI_CLI_PASSPHRASE, OCI_CLI_DELEGATION_TOKEN_FILE, OCI_CLI_SECURITY_TOKEN_FILE replace the
// profile's keys; with user, tenancy, fingerprint, a region and a key all in the environment, no
// config file is read at all (is_config_valid_from_env).

export const CREDENTIAL_VARIABLES: Readonly<Record<string, string>> = {
  OCI_CLI_USER: "user",
  OCI_CLI_FINGERPRINT: "fingerprint",
  OCI_CLI_KEY_FILE: "key_file",
  OCI_CLI_KEY_CONTENT: "key_content",
  OCI_CLI_TENANCY: "tenancy",
  OCI_CLI_PASSPHRASE: "pass_phrase",
  OCI_CLI_DELEGATION_TOKEN_FILE: "delegation_token_file",
  OCI_CLI_SECURITY_TOKEN_FILE: "security_token_file",
};

export interface ProfileValues {
  get(key: string): string | undefined;
  /** Where a key came from, for error lines: "OCI_CLI_KEY_FILE", or "profile [P] of F". */
  origin(key: string): string;
  /** The config file read, if one was. */
  file: string | undefined;
}

type Env = Readonly<Record<string, string | undefined>>;

/** Every variable that makes a whole configuration, so that no file is needed. */
export function configFromEnvAlone(env: Env, region: string | undefined): boolean {
  return ["OCI_CLI_USER", "OCI_CLI_TENANCY", "OCI_CLI_FINGERPRINT"].every((k) => !!env[k]) && !!(region ?? env["OCI_CLI_REGION"]) && !!(env["OCI_CLI_KEY_FILE"] || env["OCI_CLI_KEY_CONTENT"]);
}

/**
 * The profile's keys (with [DEFAULT]'s under them, as configparser reads them) and the credential
 * variables over them. `file` undefined: the environment alone. A missing profile is a usage error.
 */
export function profileValues(file: string | undefined, profile: string, env: Env): ProfileValues {
  const values = new Map<string, { value: string; origin: string }>();
  if (file !== undefined) {
    const sections = parseIni(readFileSync(file, "utf8"));
    const own = profile === "DEFAULT" ? sections.get("DEFAULT") : sections.get(profile);
    if (own === undefined) throw usageError(`config file ${file} has no profile [${profile}]: pass --profile NAME, or add the profile ("oci setup config")`);
    const origin = `profile [${profile}] of config file ${file}`;
    for (const [k, v] of [...(sections.get("DEFAULT") ?? []), ...own]) values.set(k, { value: v, origin });
  }
  for (const [variable, key] of Object.entries(CREDENTIAL_VARIABLES)) {
    const v = env[variable];
    if (v !== undefined && v !== "") values.set(key, { value: v, origin: variable });
  }
  return {
    get: (k) => values.get(k)?.value,
    origin: (k) => values.get(k)?.origin ?? (file !== undefined ? `profile [${profile}] of config file ${file}` : "the environment"),
    file,
  };
}

/** A region id as the SDK knows it; an unknown id is taken to be in the OC1 realm, as oci-common does. */
export function regionOf(id: string): common.Region {
  return common.Region.fromRegionId(id) ?? common.Region.register(id, common.Realm.OC1);
}

function required(v: ProfileValues, key: string, forWhat: string, variable: string): string {
  const value = v.get(key);
  if (value === undefined || value === "") throw usageError(`${forWhat}: "${key}" is missing from ${v.origin(key)} (or set ${variable})`);
  return value;
}

function readNamedFile(v: ProfileValues, key: string): string {
  const path = expandPath(v.get(key) as string);
  if (!existsSync(path) || !statSync(path).isFile()) throw usageError(`${key} ${path} (from ${v.origin(key)}) does not exist`);
  return readFileSync(path, "utf8");
}

/** The private key's PEM (key_content, else key_file), checked to be readable with pass_phrase. */
async function privateKeyPem(v: ProfileValues, forWhat: string): Promise<string> {
  const pem = v.get("key_content") ?? (v.get("key_file") !== undefined ? readNamedFile(v, "key_file") : undefined);
  if (pem === undefined) throw usageError(`${forWhat}: neither "key_file" nor "key_content" is in ${v.origin("key_file")} (or set OCI_CLI_KEY_FILE / OCI_CLI_KEY_CONTENT)`);
  try {
    await parsePrivateKey(pem, v.get("pass_phrase"));
  } catch (error) {
    const which = v.get("key_content") !== undefined ? `key_content (${v.origin("key_content")})` : `key_file ${v.get("key_file")} (${v.origin("key_file")})`;
    throw usageError(`${which}: not a readable private key${v.get("pass_phrase") === undefined ? " (an encrypted key needs pass_phrase, or OCI_CLI_PASSPHRASE)" : " (is pass_phrase right?)"}: ${error instanceof Error ? error.message : String(error)}`);
  }
  return pem;
}

/** A session token's provider: signs with the session key, key id "ST$<token>" (SessionAuthDetailProvider's). */
class SessionTokenProvider extends common.SimpleAuthenticationDetailsProvider {
  constructor(
    private readonly token: string,
    tenancy: string,
    privateKey: string,
    passphrase: string | null,
    region: common.Region,
  ) {
    super(tenancy, "", "", privateKey, passphrase, region);
  }

  override async getKeyId(): Promise<string> {
    return `ST$${this.token}`;
  }
}

const tokenExpiry = (token: string): number | undefined => {
  try {
    const exp = (JSON.parse(Buffer.from(token.split(".")[1] ?? "", "base64url").toString("utf8")) as { exp?: unknown }).exp;
    return typeof exp === "number" ? exp * 1000 : undefined;
  } catch {
    return undefined;
  }
};

/** `--auth api_key`: user/fingerprint/key of the profile (or the variables). */
export async function apiKeyProvider(v: ProfileValues, region: common.Region | undefined): Promise<common.SimpleAuthenticationDetailsProvider> {
  const what = "--auth api_key";
  const tenancy = required(v, "tenancy", what, "OCI_CLI_TENANCY");
  const user = required(v, "user", what, "OCI_CLI_USER");
  const fingerprint = required(v, "fingerprint", what, "OCI_CLI_FINGERPRINT");
  const pem = await privateKeyPem(v, what);
  return new common.SimpleAuthenticationDetailsProvider(tenancy, user, fingerprint, pem, v.get("pass_phrase") ?? null, region as common.Region);
}

/** `--auth security_token`: the session token of `oci session authenticate` and its key. */
export async function sessionTokenProvider(v: ProfileValues, region: common.Region | undefined): Promise<common.SimpleAuthenticationDetailsProvider> {
  const what = "--auth security_token";
  required(v, "security_token_file", what, "OCI_CLI_SECURITY_TOKEN_FILE");
  const token = readNamedFile(v, "security_token_file").trim();
  const exp = tokenExpiry(token);
  if (exp !== undefined && exp <= Date.now()) {
    throw usageError(`--auth security_token: the session token in ${expandPath(v.get("security_token_file") as string)} expired at ${new Date(exp).toISOString()}: run "oci session refresh" (or "oci session authenticate"), then this command again`);
  }
  const pem = await privateKeyPem(v, what);
  return new SessionTokenProvider(token, v.get("tenancy") ?? "", pem, v.get("pass_phrase") ?? null, region as common.Region);
}

/** `--auth instance_obo_user`'s delegation token (Cloud Shell's, or any instance acting for a user). */
export function delegationToken(v: ProfileValues): string {
  const path = v.get("delegation_token_file");
  if (path === undefined || path === "") {
    throw usageError(`--auth instance_obo_user: "delegation_token_file" is missing from ${v.origin("delegation_token_file")} (or set OCI_CLI_DELEGATION_TOKEN_FILE)`);
  }
  const expanded = expandPath(path);
  if (!existsSync(expanded)) throw usageError(`--auth instance_obo_user: delegation_token_file not found at ${expanded}`);
  const token = readFileSync(expanded, "utf8").trim();
  if (token === "") throw usageError(`--auth instance_obo_user: delegation_token_file ${expanded} is empty`);
  return token;
}

/**
 * A provider that signs as `inner` (an instance principal) and carries the user's delegation token
 * as `opc-obo-token`, signed too: what oci-common does for a profile with
 * authentication_type=instance_principal and a delegation_token_file, and oci-cli's
 * InstancePrincipalsDelegationTokenSigner.
 */
export function delegatedProvider(inner: common.AuthenticationDetailsProvider, token: string, tenancy: string, region: common.Region | undefined): common.SimpleAuthenticationDetailsProvider {
  const p = new common.SimpleAuthenticationDetailsProvider(tenancy, "", "", "", null, region as common.Region, "instance_principal", token);
  p.setProvider(inner);
  return p;
}
