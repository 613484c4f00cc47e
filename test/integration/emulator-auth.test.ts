import { createHash, createPrivateKey, createPublicKey } from "node:crypto";
import { readFileSync, statSync } from "node:fs";
import * as common from "oci-common";
import { ObjectStorageClient } from "oci-objectstorage";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startEmulator, type Emulator } from "../../src/local/emulator/index.js";
import { ociFailure, providerFromEnv } from "../helpers/emulator-sdk-clients.js";

let em: Emulator;

beforeAll(async () => {
  em = await startEmulator();
  em.state.createBucket({ name: "b" });
  em.state.putObject("b", "o");
  common.CircuitBreaker.EnableGlobalCircuitBreaker = false;
});
afterAll(() => em.close());

function client(provider: common.AuthenticationDetailsProvider): ObjectStorageClient {
  const c = new ObjectStorageClient({ authenticationDetailsProvider: provider }, { retryConfiguration: common.NoRetryConfigurationDetails });
  c.endpoint = em.endpoints.objectStorage;
  return c;
}

const last = () => em.requests[em.requests.length - 1];

describe("API keys (config file)", () => {
  it("accepts requests ConfigFileAuthenticationDetailsProvider signs with an issued key, and records the user", async () => {
    const key = await em.issueApiKey({ userId: "ocid1.user.oc1..operator" });
    expect(key.tenancyId).toBe(em.state.tenancyId);
    // OCI's fingerprint: MD5 of the DER public key, colon-separated.
    const der = createPublicKey(createPrivateKey(key.privateKeyPem)).export({ type: "spki", format: "der" });
    expect(key.fingerprint).toBe((createHash("md5").update(der).digest("hex").match(/../g) ?? []).join(":"));
    expect(key.fingerprint).toMatch(/^([0-9a-f]{2}:){15}[0-9a-f]{2}$/);
    expect(readFileSync(key.keyFile, "utf8")).toBe(key.privateKeyPem);
    expect(statSync(key.keyFile).mode & 0o777).toBe(0o600);
    const config = readFileSync(key.configFile, "utf8");
    expect(config).toContain("[DEFAULT]");
    expect(config).toContain(`user=ocid1.user.oc1..operator`);
    expect(config).toContain(`key_file=${key.keyFile}`);

    const provider = new common.ConfigFileAuthenticationDetailsProvider(key.configFile, "DEFAULT");
    expect(await provider.getKeyId()).toBe(`${key.tenancyId}/ocid1.user.oc1..operator/${key.fingerprint}`);
    const os = client(provider);
    expect((await os.getNamespace({})).value).toBe("testns");
    expect(last()).toMatchObject({ signatureValid: true, principalType: "user", principal: "ocid1.user.oc1..operator" });
    expect(last()?.tokenId).toBeUndefined();
    await os.reencryptObject({ namespaceName: "testns", bucketName: "b", objectName: "o", reencryptObjectDetails: {} });
    await os.putObject({ namespaceName: "testns", bucketName: "b", objectName: "p", putObjectBody: "x" });
    expect(last()).toMatchObject({ operation: "PutObject", signatureValid: true, principalType: "user" });
  });

  it("answers 401 NotAuthenticated with a reason for an unknown fingerprint, user or tenancy, and for a revoked key", async () => {
    const key = await em.issueApiKey();
    const other = await em.issueApiKey();
    const forge = (keyId: string, pem = key.privateKeyPem) =>
      client(new common.SimpleAuthenticationDetailsProvider(keyId.split("/")[0]!, keyId.split("/")[1]!, keyId.split("/")[2]!, pem, null, common.Region.US_ASHBURN_1));

    const cases: [string, string, RegExp][] = [
      [`${key.tenancyId}/${key.userId}/${other.fingerprint}`, key.privateKeyPem, /fingerprint matches no API key of that user/],
      [`${key.tenancyId}/ocid1.user.oc1..stranger/${key.fingerprint}`, key.privateKeyPem, /user with no API key/],
      [`ocid1.tenancy.oc1..elsewhere/${key.userId}/${key.fingerprint}`, key.privateKeyPem, /not this emulator's/],
      // The right keyId, signed with another user's private key.
      [`${key.tenancyId}/${key.userId}/${key.fingerprint}`, other.privateKeyPem, /signature does not match/],
    ];
    for (const [keyId, pem, reason] of cases) {
      const f = await ociFailure(forge(keyId, pem).getNamespace({}));
      expect(f).toMatchObject({ statusCode: 401, serviceCode: "NotAuthenticated" });
      expect(f.message).toMatch(reason);
      expect(last()?.signatureError).toMatch(reason);
    }
    expect(em.apiKeys.revoke(key.fingerprint)).toBe(true);
    const revoked = client(new common.ConfigFileAuthenticationDetailsProvider(key.configFile));
    expect((await ociFailure(revoked.getNamespace({}))).statusCode).toBe(401);
  });
});

describe("session tokens", () => {
  it("accepts SessionAuthDetailProvider requests (keyId ST$<token>) and records a session principal", async () => {
    const session = await em.issueSessionToken({ userId: "ocid1.user.oc1..sess" });
    const provider = new common.SessionAuthDetailProvider(session.configFile);
    expect(await provider.getKeyId()).toBe(`ST$${session.token}`);
    const os = client(provider);
    await os.getNamespace({});
    expect(last()).toMatchObject({ signatureValid: true, principalType: "session", principal: "ocid1.user.oc1..sess", tokenId: session.claims.jti });

    const expired = await em.issueSessionToken({ ttlSeconds: 0 });
    const f = await ociFailure(client(new common.SessionAuthDetailProvider(expired.configFile)).getNamespace({}));
    expect(f.statusCode).toBe(401);
    expect(f.message).toMatch(/expired/);
  });
});

describe("resource principal key rotation", () => {
  it("writes a new token and key into the same files; the SDK moves to them when its token expires, and every request verifies", async () => {
    const compartmentId = "ocid1.compartment.oc1..rotating";
    const rp = await em.issueResourcePrincipal({ compartmentId, ttlSeconds: 2 });
    const before = { token: rp.token, pem: readFileSync(rp.env["OCI_RESOURCE_PRINCIPAL_PRIVATE_PEM"]!, "utf8"), jti: rp.claims.jti };
    const os = client(providerFromEnv(rp.env));
    const mark = em.requests.length;
    await os.getNamespace({});

    const rotated = await rp.rotate({ ttlSeconds: 3600 });
    expect(rotated.token).not.toBe(before.token);
    expect(rp.token).toBe(rotated.token);
    expect(rp.claims.jti).toBe(rotated.claims.jti);
    expect(rotated.claims.jwk).not.toBe(JSON.parse(Buffer.from(before.token.split(".")[1]!, "base64url").toString()).jwk);
    expect(rotated.claims).toMatchObject({ res_compartment: compartmentId, res_id: JSON.parse(Buffer.from(before.token.split(".")[1]!, "base64url").toString()).res_id });
    expect(readFileSync(rp.env["OCI_RESOURCE_PRINCIPAL_RPST"]!, "utf8")).toBe(rotated.token);
    expect(readFileSync(rp.env["OCI_RESOURCE_PRINCIPAL_PRIVATE_PEM"]!, "utf8")).not.toBe(before.pem);

    // A second provider reading the files now gets the new pair right away.
    const fresh = client(providerFromEnv(rp.env));
    await fresh.getNamespace({});
    expect(last()).toMatchObject({ signatureValid: true, tokenId: rotated.claims.jti });

    // The first client keeps its cached (old) token until it expires, then re-reads the files.
    const deadline = Date.now() + 3_500;
    while (Date.now() < deadline) {
      await os.headObject({ namespaceName: "testns", bucketName: "b", objectName: "o" });
      await new Promise((r) => setTimeout(r, 50));
    }
    const mine = em.requests.slice(mark).filter((r) => r.principal === compartmentId);
    expect(mine.filter((r) => !r.signatureValid).map((r) => r.signatureError)).toEqual([]);
    const tokens = new Set(mine.map((r) => r.tokenId));
    expect(tokens).toEqual(new Set([before.jti, rotated.claims.jti]));
    expect(mine.at(-1)?.tokenId).toBe(rotated.claims.jti);
  });

  it("rejects rotate() for a literal-mode principal", async () => {
    const rp = await em.issueResourcePrincipal({ compartmentId: "ocid1.compartment.oc1..lit", mode: "literal" });
    await expect(rp.rotate()).rejects.toThrow(/files-mode/);
  });
});
