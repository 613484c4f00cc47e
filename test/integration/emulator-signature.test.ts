import { generateKeyPairSync } from "node:crypto";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { startEmulator, type Emulator } from "../../src/local/emulator/index.js";
import { TokenIssuer } from "../../src/local/emulator/token-issuer.js";
import { emulatorSdkClients, ociFailure, type EmulatorSdkClients } from "../helpers/emulator-sdk-clients.js";

let emulator: Emulator;
let sdk: EmulatorSdkClients;

beforeAll(async () => {
  emulator = await startEmulator();
  emulator.state.createBucket({ name: "b" });
  sdk = await emulatorSdkClients(emulator);
});
afterAll(() => emulator.close());
afterEach(() => {
  vi.restoreAllMocks();
});

const last = () => emulator.requests[emulator.requests.length - 1];

/** Lets the SDK sign a request, then changes it on its way to the wire. */
function tamperWire(change: (url: string, init: RequestInit & { headers: Headers }) => string): void {
  const realFetch = globalThis.fetch;
  vi.spyOn(globalThis, "fetch").mockImplementation((input, init) =>
    realFetch(change(String(input), init as RequestInit & { headers: Headers }), init),
  );
}

describe("signature verification", () => {
  it("accepts GET, POST and PutObject as the real SDK signs them, in files and literal mode", async () => {
    expect(sdk.principal.env["OCI_RESOURCE_PRINCIPAL_RPST"]).toMatch(/^\/.*\/rpst$/);
    await sdk.objectStorage.getNamespace({});
    expect(last()).toMatchObject({ operation: "GetNamespace", signatureValid: true, status: 200 });
    expect(last()?.principal).toBe(emulator.state.defaultCompartmentId);

    // The SDK signs only x-date (request-target) host for PutObject: the body is not covered.
    await sdk.objectStorage.putObject({ namespaceName: "testns", bucketName: "b", objectName: "o", putObjectBody: "data" });
    expect(last()).toMatchObject({ operation: "PutObject", signatureValid: true, status: 200 });

    await sdk.objectStorage.reencryptObject({ namespaceName: "testns", bucketName: "b", objectName: "o", reencryptObjectDetails: {} });
    expect(last()).toMatchObject({ operation: "ReencryptObject", signatureValid: true, status: 200 });

    const literal = await emulatorSdkClients(emulator, { mode: "literal", compartmentId: "ocid1.compartment.oc1..literal" });
    expect(literal.principal.env["OCI_RESOURCE_PRINCIPAL_RPST"]?.startsWith("eyJ")).toBe(true);
    await literal.objectStorage.getNamespace({});
    expect(last()).toMatchObject({ signatureValid: true, principal: "ocid1.compartment.oc1..literal" });
  });

  it("rejects a request without an Authorization header", async () => {
    const res = await fetch(`${emulator.url}/n`);
    expect(res.status).toBe(401);
    expect(await res.json()).toMatchObject({ code: "NotAuthenticated" });
    expect(res.headers.get("opc-request-id")).toBeTruthy();
    expect(last()).toMatchObject({ signatureValid: false, status: 401 });
  });

  it("rejects a signed request whose path was changed after signing", async () => {
    tamperWire((url) => url.replace("/b/b/o", "/b/b2/o"));
    const f = await ociFailure(sdk.objectStorage.listObjects({ namespaceName: "testns", bucketName: "b" }));
    expect(f).toMatchObject({ statusCode: 401, serviceCode: "NotAuthenticated" });
    expect(last()?.signatureError).toMatch(/signature does not match/);
  });

  it("rejects a signed request whose body was changed after signing", async () => {
    tamperWire((url, init) => {
      init.body = JSON.stringify({ kmsKeyId: "ocid1.key.oc1.iad.evil" });
      init.headers.set("content-length", String(Buffer.byteLength(init.body)));
      return url;
    });
    const f = await ociFailure(
      sdk.objectStorage.reencryptObject({
        namespaceName: "testns",
        bucketName: "b",
        objectName: "o",
        reencryptObjectDetails: { kmsKeyId: "ocid1.key.oc1.iad.good" },
      }),
    );
    expect(f.statusCode).toBe(401);
    expect(last()?.signatureError).toMatch(/x-content-sha256/);
  });

  it("rejects an x-date more than 5 minutes off", async () => {
    tamperWire((url, init) => {
      init.headers.set("x-date", new Date(Date.now() - 6 * 60_000).toUTCString());
      return url;
    });
    expect((await ociFailure(sdk.objectStorage.getNamespace({}))).statusCode).toBe(401);
    expect(last()?.signatureError).toMatch(/5 minutes/);
  });

  it("rejects an expired token (the SDK keeps sending a literal one)", async () => {
    const expired = await emulatorSdkClients(emulator, { mode: "literal", ttlSeconds: -60 });
    const f = await ociFailure(expired.objectStorage.getNamespace({}));
    expect(f).toMatchObject({ statusCode: 401, serviceCode: "NotAuthenticated" });
    expect(last()?.signatureError).toMatch(/expired/);
  });

  it("rejects a token this emulator did not issue, even when the request is signed with its key", async () => {
    const forger = await emulatorSdkClients(emulator, { mode: "literal" });
    // Same claims (so the same session key the request is signed with), but signed by another issuer.
    const forged = new TokenIssuer().mint(forger.principal.claims, generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey);
    tamperWire((url, init) => {
      const auth = init.headers.get("authorization") ?? "";
      init.headers.set("authorization", auth.replace(/keyId="ST\$[^"]+"/, `keyId="ST$${forged}"`));
      return url;
    });
    expect((await ociFailure(forger.objectStorage.getNamespace({}))).statusCode).toBe(401);
    expect(last()?.signatureError).toMatch(/not issued by this emulator/);
  });
});
