import { generateKeyPairSync } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as common from "oci-common";
import { afterEach, describe, expect, it, vi } from "vitest";
import { ErrorCode, ReencryptError } from "../../src/errors.js";
import { buildRuntime } from "../../src/invocation/build-runtime.js";
import { createLogger } from "../../src/log.js";
import { clientConfiguration, clientParams, principalFromEnv } from "../../src/oci/clients.js";
import { createRateLimiter } from "../../src/oci/rate-limiter.js";

// src/oci/clients.ts principalFromEnv: a cold start reads the resource principal's claims and
// checks its files without building oci-common's provider (which parses the key with node:crypto);
// the provider is built on the first use. A bad configuration is still an error at cold start; only
// a key that looks like PEM but does not parse is found on first use, as a configuration error.

const COMPARTMENT = "ocid1.compartment.oc1..deferred";
const TENANCY = "ocid1.tenancy.oc1..deferred";
const dirs: string[] = [];
afterEach(() => {
  vi.restoreAllMocks();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const b64url = (o: unknown): string => Buffer.from(JSON.stringify(o)).toString("base64url");
const token = (claims: Record<string, unknown>): string => `${b64url({ alg: "RS256", typ: "JWT" })}.${b64url(claims)}.c2ln`;

/** A files-mode resource principal, as OCI Functions writes it. */
function rpFiles(o: { pem?: string; rpst?: string } = {}): Record<string, string> {
  const dir = mkdtempSync(join(tmpdir(), "rp-"));
  dirs.push(dir);
  const pem = o.pem ?? (generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey.export({ type: "pkcs8", format: "pem" }) as string);
  const exp = Math.floor(Date.now() / 1000) + 3600;
  writeFileSync(join(dir, "rpst"), o.rpst ?? token({ res_compartment: COMPARTMENT, res_tenant: TENANCY, exp }));
  writeFileSync(join(dir, "private.pem"), pem);
  return {
    OCI_RESOURCE_PRINCIPAL_VERSION: "2.2",
    OCI_RESOURCE_PRINCIPAL_REGION: "us-ashburn-1",
    OCI_RESOURCE_PRINCIPAL_RPST: join(dir, "rpst"),
    OCI_RESOURCE_PRINCIPAL_PRIVATE_PEM: join(dir, "private.pem"),
  };
}

function configurationErrorOf(f: () => unknown): ReencryptError {
  try {
    f();
  } catch (error) {
    expect(error).toBeInstanceOf(ReencryptError);
    expect((error as ReencryptError).code).toBe(ErrorCode.ConfigurationError);
    return error as ReencryptError;
  }
  throw new Error("no configuration error");
}

describe("the deferred resource principal", () => {
  it("reads the claims at cold start without building the provider, and builds it once, on first use", () => {
    const builder = vi.spyOn(common.ResourcePrincipalAuthenticationDetailsProvider, "builder");
    const p = principalFromEnv(rpFiles());
    expect(p.compartmentId).toBe(COMPARTMENT);
    expect(p.tenancyId).toBe(TENANCY);
    expect(builder).not.toHaveBeenCalled();
    const built = p.get();
    expect(builder).toHaveBeenCalledTimes(1);
    expect(p.get()).toBe(built);
    expect(builder).toHaveBeenCalledTimes(1);
    expect(built.compartmentId).toBe(COMPARTMENT);
    expect(built.httpClient).toBeDefined();
    expect((built.provider as common.ResourcePrincipalAuthenticationDetailsProvider).getRegion().regionId).toBe("us-ashburn-1");
  });

  it("builds from the variables it was given, even when process.env no longer holds them", () => {
    const env = rpFiles();
    const p = principalFromEnv(env);
    expect(process.env["OCI_RESOURCE_PRINCIPAL_RPST"]).toBeUndefined();
    expect(() => p.get()).not.toThrow();
    // The variables lent to oci-common's builder are taken back.
    for (const k of Object.keys(env)) expect(process.env[k]).toBeUndefined();
  });

  it("leaves the claims undefined when the token does not decode, as oci-common's claims did", () => {
    const p = principalFromEnv(rpFiles({ rpst: "not a token" }));
    expect(p.compartmentId).toBeUndefined();
    expect(p.tenancyId).toBeUndefined();
  });

  it.each([
    ["an unknown version", { OCI_RESOURCE_PRINCIPAL_VERSION: "3.0" }, /unknown value 3\.0/],
    ["no region", { OCI_RESOURCE_PRINCIPAL_REGION: "" }, /OCI_RESOURCE_PRINCIPAL_REGION environment variable is missing/],
    ["no token", { OCI_RESOURCE_PRINCIPAL_RPST: "" }, /OCI_RESOURCE_PRINCIPAL_RPST environment variable is missing/],
    ["a key file that cannot be read", { OCI_RESOURCE_PRINCIPAL_PRIVATE_PEM: "/nonexistent/private.pem" }, /OCI_RESOURCE_PRINCIPAL_PRIVATE_PEM names a file that cannot be read \(ENOENT\)/],
    ["a token file that cannot be read", { OCI_RESOURCE_PRINCIPAL_RPST: "/nonexistent/rpst" }, /OCI_RESOURCE_PRINCIPAL_RPST names a file that cannot be read/],
  ])("is a configuration error at cold start with %s", (_what, change, message) => {
    const e = configurationErrorOf(() => principalFromEnv({ ...rpFiles(), ...change }));
    expect(e.message).toMatch(/^OCI_RESOURCE_PRINCIPAL_VERSION: the resource principal could not be loaded: /);
    expect(e.message).toMatch(message);
  });

  it("is a configuration error at cold start with a key file that holds no PEM key, and does not echo it", () => {
    const e = configurationErrorOf(() => principalFromEnv(rpFiles({ pem: "s3cret-not-a-key" })));
    expect(e.message).toMatch(/OCI_RESOURCE_PRINCIPAL_PRIVATE_PEM holds no PEM private key/);
    expect(e.message).not.toContain("s3cret");
  });

  it("finds a PEM key that does not parse on first use, as a configuration error, and tries again on the next", () => {
    const broken = "-----BEGIN PRIVATE KEY-----\nbm90IGEga2V5\n-----END PRIVATE KEY-----\n";
    const p = principalFromEnv(rpFiles({ pem: broken }));
    expect(p.compartmentId).toBe(COMPARTMENT);
    const builder = vi.spyOn(common.ResourcePrincipalAuthenticationDetailsProvider, "builder");
    const e = configurationErrorOf(() => p.get());
    expect(e.message).toMatch(/^OCI_RESOURCE_PRINCIPAL_VERSION: the resource principal could not be loaded: /);
    expect(e.message).not.toContain("bm90IGEga2V5");
    configurationErrorOf(() => p.get());
    expect(builder).toHaveBeenCalledTimes(2);
  });
});

describe("buildRuntime with a key that does not parse", () => {
  const quiet = createLogger("error", {}, () => undefined);
  const budget = { notAfter: () => undefined, limiter: createRateLimiter(undefined) };

  it("starts (claims and configuration read), and each factory that would call OCI answers the configuration error", async () => {
    const env = { ...rpFiles({ pem: "-----BEGIN RSA PRIVATE KEY-----\nAAAA\n-----END RSA PRIVATE KEY-----\n" }), REENCRYPT_TOKEN_SECRET_ID: "ocid1.vaultsecret.oc1..t", FN_FN_ID: "ocid1.fnfunc.oc1..f" };
    const rt = await buildRuntime(env, quiet);
    if (rt instanceof ReencryptError) throw rt;
    expect(rt.compartmentId).toBe(COMPARTMENT);
    for (const call of [() => rt.objectStore(budget), () => rt.secrets(budget), () => rt.keyManagement(budget), () => rt.selfInvoker(budget), () => rt.eventRules(budget)]) {
      configurationErrorOf(call);
    }
    await expect(Promise.resolve().then(() => rt.tokenKey(budget))).rejects.toMatchObject({ code: ErrorCode.ConfigurationError });
    // Reporting never stops the function: no ports, no throw.
    expect(rt.metrics).toBeUndefined();
    expect(rt.notifications).toBeUndefined();
  });

  it("answers a missing key file at cold start, as before", async () => {
    const rt = await buildRuntime({ ...rpFiles(), OCI_RESOURCE_PRINCIPAL_PRIVATE_PEM: "/nonexistent/key.pem" }, quiet);
    expect(rt).toBeInstanceOf(ReencryptError);
    expect((rt as ReencryptError).message).toMatch(/OCI_RESOURCE_PRINCIPAL_PRIVATE_PEM names a file that cannot be read/);
  });
});

describe("a client built on the principal", () => {
  it("leaves the key to our HTTP client: oci-common's unused signer does not parse it with sshpk, and the client takes the provider's region", async () => {
    // oci-common's own sshpk, the module its DefaultRequestSigner calls.
    const sshpk = createRequire(createRequire(import.meta.url).resolve("oci-common"))("sshpk") as { parsePrivateKey: (...a: unknown[]) => unknown };
    const principal = principalFromEnv(rpFiles()).get();
    const parse = vi.spyOn(sshpk, "parsePrivateKey");
    const { ObjectStorageClient } = await import("oci-objectstorage");
    const client = new ObjectStorageClient(clientParams(principal), clientConfiguration());
    expect(parse).not.toHaveBeenCalled();
    expect(client.endpoint).toContain("us-ashburn-1");
    // The SDK's own signer (the bench's SDK-client twin, no HTTP client of ours) still gets the key.
    new ObjectStorageClient(clientParams({ provider: principal.provider, httpClient: undefined }), clientConfiguration());
    expect(parse).toHaveBeenCalledTimes(1);
  });
});
