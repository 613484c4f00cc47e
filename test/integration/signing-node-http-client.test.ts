import { randomBytes } from "node:crypto";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { Readable } from "node:stream";
import * as common from "oci-common";
import { EventsClient } from "oci-events";
import { FunctionsInvokeClient, FunctionsManagementClient, requests as fnRequests } from "oci-functions";
import { KmsManagementClient, KmsVaultClient } from "oci-keymanagement";
import { ObjectStorageClient } from "oci-objectstorage";
import { SecretsClient } from "oci-secrets";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startEmulator, type Emulator, type IssuedResourcePrincipal } from "../../src/local/emulator/index.js";
import { NodeHttpClient } from "../../src/oci/http/node-http-client.js";
import { bodyText, ociFailure, providerFromEnv } from "../helpers/emulator-sdk-clients.js";

// The real OCI SDK clients, each given our httpClient, against the emulator (which verifies every
// signature): names the SDK's own client could not send, version ids with `+ / =`, every service
// the product calls, and a resource principal whose token and key rotate mid-run.

const NAMES = [".", "..", "a/../b", "./x", "x/.", "...", "a b+c&d=e#f%g?h", "ü/ñ/日本", "quote\"'<>\\^`{|}", "%2E%2E", "tab\tnew"];
const config: common.ClientConfiguration = {
  retryConfiguration: common.NoRetryConfigurationDetails,
  circuitBreaker: new common.CircuitBreaker({ disableClientCircuitBreaker: true }),
};
const q = encodeURIComponent;

let em: Emulator;
let principal: IssuedResourcePrincipal;
let provider: common.ResourcePrincipalAuthenticationDetailsProvider;
let http: NodeHttpClient;
let os: ObjectStorageClient;

function client<T extends { endpoint: string }>(make: new (p: common.AuthParams, c: common.ClientConfiguration) => T, endpoint: string): T {
  const c = new make({ authenticationDetailsProvider: provider, httpClient: http } as unknown as common.AuthParams, config);
  c.endpoint = endpoint;
  return c;
}

beforeAll(async () => {
  common.CircuitBreaker.EnableGlobalCircuitBreaker = false;
  em = await startEmulator();
  em.state.createBucket({ name: "b", versioning: "Enabled" });
  for (const name of NAMES) {
    em.state.putObject("b", name, { content: Buffer.from(`first ${name}`) });
    em.state.putObject("b", name, { content: Buffer.from(`second ${name}`) });
  }
  principal = await em.issueResourcePrincipal({ compartmentId: em.state.defaultCompartmentId, mode: "files", ttlSeconds: 3600 });
  provider = providerFromEnv(principal.env);
  http = new NodeHttpClient(provider);
  os = client(ObjectStorageClient, em.endpoints.objectStorage);
});
afterAll(async () => {
  const rejected = em.requests.filter((r) => !r.signatureValid);
  expect(rejected.map((r) => `${r.operation} ${r.path}: ${r.signatureError ?? ""}`)).toEqual([]);
  await em.close();
});

describe("Object Storage through our HTTP client", () => {
  it("reaches every object name, dot segments included, and every version by its raw id", async () => {
    const versions = (await os.listObjectVersions({ namespaceName: "testns", bucketName: "b", limit: 1000 })).objectVersionCollection.items;
    expect(new Set(versions.map((v) => v.name))).toEqual(new Set(NAMES));
    expect(versions.every((v) => /[+/=]/.test(v.versionId))).toBe(true);
    for (const v of versions) {
      const before = em.state.findVersion("b", v.name, v.versionId)?.reencryptCount ?? -1;
      const r = await os.reencryptObject({ namespaceName: "testns", bucketName: "b", objectName: v.name, versionId: q(v.versionId), reencryptObjectDetails: {} });
      expect(r.opcRequestId).toBeTruthy();
      expect(em.requests.at(-1)).toMatchObject({ operation: "ReencryptObject", status: 200, signatureValid: true });
      expect(em.state.findVersion("b", v.name, v.versionId)?.reencryptCount, v.name).toBe(before + 1);
    }
    // The dot names went out as %2E segments, not resolved away.
    const paths = em.requests.filter((r) => r.operation === "ReencryptObject").map((r) => r.path);
    expect(paths).toContain("/n/testns/b/b/actions/reencrypt/%2E%2E");
    expect(paths).toContain("/n/testns/b/b/actions/reencrypt/%2E");
  });

  it("reads, heads and writes objects with hostile names, bodies intact", async () => {
    for (const name of NAMES) {
      const got = await os.getObject({ namespaceName: "testns", bucketName: "b", objectName: name });
      expect(await bodyText(got.value), name).toBe(`second ${name}`);
      const head = await os.headObject({ namespaceName: "testns", bucketName: "b", objectName: name });
      expect(head.contentLength).toBe(Buffer.byteLength(`second ${name}`));
    }
    const payload = randomBytes(200_000);
    await os.putObject({ namespaceName: "testns", bucketName: "b", objectName: "..", putObjectBody: Readable.from([payload]), contentLength: payload.length });
    const back = await os.getObject({ namespaceName: "testns", bucketName: "b", objectName: ".." });
    const chunks: Buffer[] = [];
    for await (const c of back.value as Readable) chunks.push(c as Buffer);
    expect(Buffer.concat(chunks).equals(payload)).toBe(true);
  });

  it("reports service errors as OciError and a refused connection as a thrown transport error", async () => {
    const f = await ociFailure(os.headObject({ namespaceName: "testns", bucketName: "b", objectName: "missing" }));
    expect(f.statusCode).toBe(404);
    const nf = await ociFailure(os.reencryptObject({ namespaceName: "testns", bucketName: "nope", objectName: "x", reencryptObjectDetails: {} }));
    expect(nf).toMatchObject({ statusCode: 404, serviceCode: "BucketNotFound" });
    const dead = client(ObjectStorageClient, "http://127.0.0.1:1");
    const error = await dead.getNamespace({}).then(
      () => undefined,
      (e: unknown) => e as { statusCode?: number; code?: string; message?: string },
    );
    expect(error?.statusCode).toBeUndefined();
    expect(error?.message).toMatch(/ECONNREFUSED/);
  });
});

describe("transport failures", () => {
  it("a reset before the answer is a thrown transport error (status 0 to our retry layer), and the next call works", async () => {
    em.faults.add({ operation: "HeadObject", reset: true, times: 1 });
    const error = await os.headObject({ namespaceName: "testns", bucketName: "b", objectName: ".." }).then(
      () => undefined,
      (e: unknown) => e as { statusCode?: number; message?: string },
    );
    expect(error?.statusCode).toBeUndefined();
    expect(error?.message).toMatch(/socket hang up|ECONNRESET/);
    expect((await os.headObject({ namespaceName: "testns", bucketName: "b", objectName: ".." })).eTag).toBeTruthy();
  });

  it("a large body cut off mid-way fails its reader, not the process", async () => {
    const server = createServer((_req, res) => {
      res.writeHead(200, { "content-type": "application/octet-stream", "content-length": String(8 * 1024 * 1024), "opc-request-id": "x" });
      res.write(Buffer.alloc(64 * 1024));
      setTimeout(() => res.destroy(), 20);
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
    try {
      const c = client(ObjectStorageClient, `http://127.0.0.1:${(server.address() as AddressInfo).port}`);
      const got = await c.getObject({ namespaceName: "testns", bucketName: "b", objectName: "big" });
      const read = async () => {
        for await (const chunk of got.value as Readable) void chunk;
      };
      await expect(read()).rejects.toThrow();
    } finally {
      server.close();
    }
  });
});

describe("the other services through the same client", () => {
  it("Secrets, Key Management, Functions and Events", async () => {
    const raw = randomBytes(32);
    const secretId = em.state.createSecret({ content: raw });
    const secrets = client(SecretsClient, em.endpoints.secrets);
    expect((await secrets.getSecretBundle({ secretId })).secretBundle.secretBundleContent).toMatchObject({ content: raw.toString("base64") });

    const vault = em.state.createVault({ compartmentId: em.state.defaultCompartmentId, displayName: "v" });
    const key = em.state.createKey({ vaultId: vault.id, displayName: "k" });
    const vaults = client(KmsVaultClient, em.endpoints.kmsVault);
    const got = (await vaults.getVault({ vaultId: vault.id })).vault;
    expect((await vaults.listVaults({ compartmentId: q(em.state.defaultCompartmentId), limit: 10 })).items.map((v) => v.id)).toContain(vault.id);
    const mgmt = client(KmsManagementClient, got.managementEndpoint);
    expect((await mgmt.getKey({ keyId: key.id })).key.currentKeyVersion).toBe(key.currentKeyVersion);

    const fn = em.state.createFunction({ compartmentId: em.state.defaultCompartmentId, displayName: "f" });
    const functions = client(FunctionsManagementClient, em.endpoints.functions);
    const invokeEndpoint = (await functions.getFunction({ functionId: fn.id })).function.invokeEndpoint ?? "";
    let seen = "";
    em.functions.setInvoker(fn.id, async (req) => {
      seen = req.body.toString("utf8");
      return { status: 200, headers: {}, body: Buffer.from('{"ok":true}') };
    });
    const invoke = client(FunctionsInvokeClient, invokeEndpoint);
    const r = await invoke.invokeFunction({ functionId: fn.id, invokeFunctionBody: '{"resume":"r1.x"}', fnIntent: fnRequests.InvokeFunctionRequest.FnIntent.Cloudevent });
    expect(seen).toBe('{"resume":"r1.x"}');
    expect(await bodyText(r.value)).toBe('{"ok":true}');

    const rule = em.state.createRule({ compartmentId: em.state.defaultCompartmentId, displayName: "r", isEnabled: true, condition: "{}", actions: [] });
    const events = client(EventsClient, em.endpoints.events);
    expect((await events.getRule({ ruleId: rule.id })).rule.displayName).toBe("r");
  });
});

describe("other providers through the same signer", () => {
  it("an API key from a config file (keyId tenancy/user/fingerprint) and a session token", async () => {
    const apiKey = await em.issueApiKey();
    const session = await em.issueSessionToken();
    for (const [p, type] of [
      [new common.ConfigFileAuthenticationDetailsProvider(apiKey.configFile), "user"],
      [new common.SessionAuthDetailProvider(session.configFile), "session"],
    ] as const) {
      const c = new ObjectStorageClient({ authenticationDetailsProvider: p, httpClient: new NodeHttpClient(p) } as unknown as common.AuthParams, config);
      c.endpoint = em.endpoints.objectStorage;
      expect((await c.getNamespace({})).value).toBe("testns");
      expect(em.requests.at(-1)).toMatchObject({ operation: "GetNamespace", signatureValid: true, principalType: type });
    }
  });
});

describe("resource principal rotation", () => {
  it("signs with the new token and key once the old token expires, without a request failing", async () => {
    const issued = await em.issueResourcePrincipal({ compartmentId: em.state.defaultCompartmentId, mode: "files", ttlSeconds: 2 });
    const rp = providerFromEnv(issued.env);
    const rpHttp = new NodeHttpClient(rp);
    const c = new ObjectStorageClient({ authenticationDetailsProvider: rp, httpClient: rpHttp } as unknown as common.AuthParams, config);
    c.endpoint = em.endpoints.objectStorage;
    const tokenIds = new Set<string>();
    const call = async () => {
      await c.getNamespace({});
      const last = em.requests.at(-1);
      expect(last).toMatchObject({ operation: "GetNamespace", status: 200, signatureValid: true });
      tokenIds.add(last?.tokenId ?? "");
    };
    for (let i = 0; i < 5; i++) await call();
    const before = issued.claims.jti;
    // New key and token written over the same two files; the SDK re-reads them once its token expires.
    const next = await issued.rotate({ ttlSeconds: 3600 });
    const stopAt = Date.now() + 6_000;
    while (!tokenIds.has(next.claims.jti) && Date.now() < stopAt) {
      await Promise.all(Array.from({ length: 8 }, call));
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(tokenIds.has(before)).toBe(true);
    expect(tokenIds.has(next.claims.jti)).toBe(true);
    // The new PEM was parsed once, the old one once.
    expect(rpHttp.keys.parses).toBe(2);
  });
});
