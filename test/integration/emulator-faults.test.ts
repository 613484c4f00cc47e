import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { startEmulator, type Emulator } from "../../src/local/emulator/index.js";
import { emulatorSdkClients, ociFailure, type EmulatorSdkClients } from "../helpers/emulator-sdk-clients.js";

let em: Emulator;
let os: EmulatorSdkClients["objectStorage"];
const obj = { namespaceName: "testns", bucketName: "b", objectName: "o" };

beforeAll(async () => {
  em = await startEmulator();
  em.state.createBucket({ name: "b" });
  em.state.putObject("b", "o");
  em.state.putObject("b", "other");
  os = (await emulatorSdkClients(em)).objectStorage;
});
afterAll(() => em.close());
afterEach(() => {
  em.faults.clear();
  em.faults.setBaseLatency(0);
});

describe("faults", () => {
  it("answers a status fault once without changing state, then proceeds", async () => {
    const fault = em.faults.add({ operation: "ReencryptObject", status: 503, retryAfterSeconds: 2, times: 1 });
    const f = await ociFailure(os.reencryptObject({ ...obj, reencryptObjectDetails: {} }));
    expect(f).toMatchObject({ statusCode: 503, serviceCode: "ServiceUnavailable" });
    expect(em.state.findVersion("b", "o")?.reencryptCount).toBe(0);
    expect(em.requests.at(-1)).toMatchObject({ operation: "ReencryptObject", status: 503, code: "ServiceUnavailable", signatureValid: true });

    await os.reencryptObject({ ...obj, reencryptObjectDetails: {} });
    expect(em.state.findVersion("b", "o")?.reencryptCount).toBe(1);
    expect(fault.hits).toBe(1);
  });

  it("matches with `when` on the decoded object name and can be removed", async () => {
    const fault = em.faults.add({ when: (r) => r.objectName === "other", status: 429, code: "TooManyRequests" });
    await os.headObject(obj);
    expect((await ociFailure(os.reencryptObject({ ...obj, objectName: "other", reencryptObjectDetails: {} }))).serviceCode).toBe("TooManyRequests");
    expect((await ociFailure(os.headObject({ ...obj, objectName: "other" }))).statusCode).toBe(429);
    expect(fault.hits).toBe(2);
    fault.remove();
    await os.headObject({ ...obj, objectName: "other" });
  });

  it("resets the connection without answering", async () => {
    em.faults.add({ operation: "HeadObject", reset: true, times: 1 });
    const error = await os.headObject(obj).then(
      () => undefined,
      (e: unknown) => e,
    );
    // A transport error: a plain object from the SDK, not an OciError with a status.
    expect(error).toMatchObject({ message: expect.stringMatching(/fetch failed/) });
    expect(em.requests.at(-1)).toMatchObject({ operation: "HeadObject", status: 0 });
    await os.headObject(obj);
  });

  it("delays by a latency fault and by the base latency", async () => {
    em.faults.add({ operation: "GetNamespace", latencyMs: 200, times: 1 });
    let t = Date.now();
    expect((await os.getNamespace({})).value).toBe("testns");
    expect(Date.now() - t).toBeGreaterThanOrEqual(190);

    em.faults.setBaseLatency(60);
    t = Date.now();
    await os.getNamespace({});
    expect(Date.now() - t).toBeGreaterThanOrEqual(55);
  });
});
