import { randomBytes } from "node:crypto";
import { requests } from "oci-functions";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startEmulator, type Emulator, type InvokeRequest, type Key, type Vault } from "../../src/local/emulator/index.js";
import { bodyText, emulatorSdkClients, ociFailure, type EmulatorSdkClients } from "../helpers/emulator-sdk-clients.js";

let em: Emulator;
let sdk: EmulatorSdkClients;
let compartmentId: string;

beforeAll(async () => {
  em = await startEmulator();
  compartmentId = em.state.defaultCompartmentId;
  sdk = await emulatorSdkClients(em);
});
afterAll(() => em.close());

describe("Secrets", () => {
  it("returns the secret bundle base64-encoded, 404 for an unknown id", async () => {
    const raw = randomBytes(32);
    const secretId = em.state.createSecret({ content: raw });
    const r = await sdk.secrets.getSecretBundle({ secretId });
    expect(r.secretBundle).toMatchObject({ secretId, versionNumber: 1, stages: ["CURRENT", "LATEST"] });
    expect(r.secretBundle.secretBundleContent).toEqual({ contentType: "BASE64", content: raw.toString("base64") });
    expect(em.requests.at(-1)?.path).toBe(`/20190301/secretbundles/${secretId}`);
    const f = await ociFailure(sdk.secrets.getSecretBundle({ secretId: "ocid1.vaultsecret.oc1.iad.nope" }));
    expect(f.statusCode).toBe(404);
  });
});

describe("KMS", () => {
  let vaultA: Vault;
  let vaultB: Vault;
  let key: Key;

  beforeAll(() => {
    vaultA = em.state.createVault({ compartmentId, displayName: "a" });
    vaultB = em.state.createVault({ compartmentId, displayName: "b" });
    key = em.state.createKey({ vaultId: vaultA.id, displayName: "data" });
    em.state.rotateKey(key.id);
  });

  it("serves GetVault and paged ListVaults with a distinct management endpoint per vault", async () => {
    const got = (await sdk.kmsVault.getVault({ vaultId: vaultA.id })).vault;
    expect(got).toMatchObject({ id: vaultA.id, lifecycleState: "ACTIVE", managementEndpoint: vaultA.managementEndpoint });
    expect(got.managementEndpoint).not.toBe(vaultB.managementEndpoint);
    expect(got.managementEndpoint.startsWith(`${em.url}/kms/`)).toBe(true);

    const ids: string[] = [];
    let page: string | undefined;
    do {
      const r = await sdk.kmsVault.listVaults({ compartmentId, limit: 1, ...(page ? { page } : {}) });
      ids.push(...r.items.map((v) => v.id));
      page = r.opcNextPage;
    } while (page);
    expect(ids.sort()).toEqual([vaultA.id, vaultB.id].sort());
  });

  it("serves GetKey, ListKeyVersions, GetKeyVersion and CreateKeyVersion through the vault's management endpoint", async () => {
    const mgmt = sdk.kmsManagement((await sdk.kmsVault.getVault({ vaultId: vaultA.id })).vault.managementEndpoint);
    const got = (await mgmt.getKey({ keyId: key.id })).key;
    expect(got).toMatchObject({
      id: key.id,
      vaultId: vaultA.id,
      currentKeyVersion: key.currentKeyVersion,
      lifecycleState: "ENABLED",
      keyShape: { algorithm: "AES", length: 32 },
      protectionMode: "SOFTWARE",
    });
    expect(em.requests.at(-1)?.path).toBe(`/kms/${vaultA.shortId}-management/20180608/keys/${key.id}`);

    const versions = (await mgmt.listKeyVersions({ keyId: key.id })).items.map((v) => v.id);
    expect(versions).toEqual(key.versions.map((v) => v.id).reverse());

    const created = (await mgmt.createKeyVersion({ keyId: key.id })).keyVersion;
    expect(em.state.key(key.id)?.currentKeyVersion).toBe(created.id);
    expect((await mgmt.getKeyVersion({ keyId: key.id, keyVersionId: created.id })).keyVersion.keyId).toBe(key.id);

    const wrongVault = sdk.kmsManagement(vaultB.managementEndpoint);
    expect((await ociFailure(wrongVault.getKey({ keyId: key.id }))).statusCode).toBe(404);
  });

  it("reports a failed auto rotation without a new version", async () => {
    const mgmt = sdk.kmsManagement(vaultA.managementEndpoint);
    const before = em.state.key(key.id)?.currentKeyVersion;
    em.state.rotateKey(key.id, { autoRotation: true, fail: true });
    const got = (await mgmt.getKey({ keyId: key.id })).key;
    expect(got.currentKeyVersion).toBe(before);
    expect(got.autoKeyRotationDetails?.lastRotationStatus).toBe("FAILED");
    em.state.setKeyState(key.id, "DISABLED");
    expect((await mgmt.getKey({ keyId: key.id })).key.lifecycleState).toBe("DISABLED");
  });
});

describe("Functions", () => {
  it("serves GetFunction and sync/detached InvokeFunction through the registered invoker", async () => {
    const fn = em.state.createFunction({ compartmentId, displayName: "reencrypt", timeoutInSeconds: 120 });
    const got = (await sdk.functions.getFunction({ functionId: fn.id })).function;
    expect(got).toMatchObject({ id: fn.id, applicationId: fn.applicationId, lifecycleState: "ACTIVE", timeoutInSeconds: 120 });
    expect(got.invokeEndpoint).toBe(em.url);

    const seen: InvokeRequest[] = [];
    em.functions.setInvoker(fn.id, async (req) => {
      seen.push(req);
      await new Promise((r) => setTimeout(r, req.invokeType === "detached" ? 100 : 0));
      return { status: 200, headers: { "content-type": "application/json" }, body: Buffer.from(`{"echo":${req.body.toString()}}`) };
    });
    sdk.invoke.endpoint = got.invokeEndpoint ?? "";

    const sync = await sdk.invoke.invokeFunction({ functionId: fn.id, invokeFunctionBody: '{"n":1}', fnIntent: requests.InvokeFunctionRequest.FnIntent.Httprequest });
    expect(await bodyText(sync.value)).toBe('{"echo":{"n":1}}');
    expect(seen[0]).toMatchObject({ invokeType: "sync", timeoutSeconds: 120 });
    expect(seen[0]?.headers["fn-intent"]).toBe("httprequest");
    expect(seen[0]?.headers["authorization"]).toBeUndefined();

    await sdk.invoke.invokeFunction({ functionId: fn.id, invokeFunctionBody: '{"n":2}', fnInvokeType: requests.InvokeFunctionRequest.FnInvokeType.Detached });
    expect(em.requests.at(-1)).toMatchObject({ operation: "InvokeFunction", status: 202, body: { n: 2 } });
    expect(em.functions.detached).toHaveLength(0);
    await em.functions.idle();
    expect(em.functions.detached).toHaveLength(1);
    expect(seen[1]?.invokeType).toBe("detached");

    const other = em.state.createFunction({ compartmentId, displayName: "no-invoker" });
    expect((await ociFailure(sdk.invoke.invokeFunction({ functionId: other.id, invokeFunctionBody: "{}" }))).statusCode).toBe(502);
    expect((await ociFailure(sdk.invoke.invokeFunction({ functionId: "ocid1.fnfunc.oc1.iad.nope", invokeFunctionBody: "{}" }))).statusCode).toBe(404);
  });
});

describe("Events", () => {
  it("serves paged ListRules and GetRule with FAAS actions", async () => {
    const fn = em.state.createFunction({ compartmentId, displayName: "target" });
    const condition = JSON.stringify({ eventType: ["com.oraclecloud.objectstorage.createobject"] });
    const r1 = em.state.createRule({ compartmentId, displayName: "r1", isEnabled: true, condition, actions: [{ actionType: "FAAS", functionId: fn.id, isEnabled: true }] });
    const r2 = em.state.createRule({ compartmentId, displayName: "r2", isEnabled: false, condition: "{}", actions: [{ actionType: "FAAS", functionId: fn.id, isEnabled: true }] });
    em.state.createRule({ compartmentId: "ocid1.compartment.oc1..other", displayName: "elsewhere", isEnabled: true, condition: "{}", actions: [] });

    const ids: string[] = [];
    let page: string | undefined;
    do {
      const r = await sdk.events.listRules({ compartmentId, limit: 1, ...(page ? { page } : {}) });
      ids.push(...r.items.map((x) => x.id));
      page = r.opcNextPage;
    } while (page);
    expect(ids.sort()).toEqual([r1.id, r2.id].sort());

    em.state.updateRule(r1.id, { isEnabled: false });
    const rule = (await sdk.events.getRule({ ruleId: r1.id })).rule;
    expect(rule).toMatchObject({ id: r1.id, displayName: "r1", isEnabled: false, condition, lifecycleState: "ACTIVE" });
    expect(rule.actions.actions[0]).toMatchObject({ actionType: "FAAS", functionId: fn.id, isEnabled: true, lifecycleState: "ACTIVE" });
  });
});
