import { randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startEmulator, type Emulator, type IssuedApiKey, type Seed } from "../../src/local/emulator/index.js";
import { startLocalStack, type LocalStack } from "../../src/local/local-stack.js";
import { runCli } from "./cli-helpers.js";
import { expectAllSigned, gateway } from "./helpers.js";

// {"retry": "<jobId>"}: the real bundle behind the FDK socket reads a finished job's record and
// report parts from the state bucket and runs a new job of exactly its failures; the CLI's
// `retry <jobId>` sends it. Ground truth: the emulator's count of re-encryptions per version.

const fixture = (name: string) => JSON.parse(readFileSync(new URL(`../fixtures/events/${name}.json`, import.meta.url), "utf8"));

const seed: Seed = {
  namespace: "rfns",
  compartments: ["apps"],
  vaults: [{ name: "v", compartment: "apps", keys: [{ name: "kA" }] }],
  buckets: [
    { name: "data", compartment: "apps", objects: [{ prefix: "f/", count: 130 }, { prefix: "ok/", count: 40 }] },
    { name: "locked", compartment: "apps", objects: [{ prefix: "l/", count: 9 }] },
    { name: "keyed", compartment: "apps", kmsKey: "kA", objects: [{ prefix: "k/", count: 20 }] },
    { name: "big", compartment: "apps", objects: [{ prefix: "b/", count: 3000 }] },
    { name: "state", compartment: "apps" },
  ],
};

let em: Emulator;
let stack: LocalStack;
let key: IssuedApiKey;

beforeAll(async () => {
  em = await startEmulator({ seed });
  stack = await startLocalStack({ emulator: em, compartmentId: em.seedIds.compartments["apps"] as string, timeoutSeconds: 30, config: { REENCRYPT_STATE_BUCKET: "state", REENCRYPT_CHECKPOINT_SECONDS: "1" } });
  key = await em.issueApiKey({ userId: "ocid1.user.oc1..operator" });
});

afterAll(async () => {
  expectAllSigned(em);
  await stack.stop();
  await em.close();
});

const versions = (bucket: string) => em.state.objectVersions(bucket).filter((v) => !v.isDeleteMarker);
const reencryptCalls = () => em.requests.filter((q) => q.operation === "ReencryptObject").length;

describe('{"retry": jobId}', () => {
  it("runs exactly the failed versions (read from the report: more than the record keeps) and the failed scope, linked both ways", async () => {
    const refused = em.faults.add({ operation: "ReencryptObject", when: (r) => (r.objectName ?? "").startsWith("f/"), status: 403, code: "NotAuthorizedOrNotFound" });
    const locked = em.faults.add({ operation: "ListObjects", when: (r) => r.path.includes("/b/locked/"), status: 403, code: "NotAuthorizedOrNotFound" });
    const first = await stack.invoke({ targets: [{ bucket: "data" }, { bucket: "locked" }] });
    refused.remove();
    locked.remove();
    expect(first.data).toMatchObject({ status: "partial", counts: { reencrypted: 40, failed: 131 } });
    const jobId = first.data.jobId as string;
    // Finished in its first invocation, with failures: it has a record to retry from.
    expect((await stack.invoke({ job: jobId })).data).toMatchObject({ jobId, status: "partial", counts: { failed: 131 } });

    const before = reencryptCalls();
    const retry = await stack.invoke({ retry: jobId });
    expect(retry.httpStatus, JSON.stringify(retry.data)).toBe(200);
    expect(retry.data).toMatchObject({ status: "succeeded", retryOf: jobId, counts: { reencrypted: 130 + 9, failed: 0 }, message: expect.stringMatching(/retrying 130 failed version\(s\) and 1 failed target\(s\) of job/) });
    expect(reencryptCalls() - before).toBe(139);
    for (const b of ["data", "locked"]) expect(versions(b).filter((v) => v.reencryptCount !== 1)).toEqual([]);

    const newId = retry.data.jobId as string;
    expect((await stack.invoke({ job: jobId })).data).toMatchObject({ retriedBy: newId });
    expect((await stack.invoke({ job: newId })).data).toMatchObject({ retryOf: jobId, status: "succeeded" });

    const again = await stack.invoke({ retry: jobId });
    expect(again.httpStatus).toBe(409);
    expect(again.data.error).toMatchObject({ code: "RetryRefused", message: expect.stringMatching(`retried already by job ${newId}`) });
    const nothing = await stack.invoke({ retry: newId });
    expect(nothing.httpStatus).toBe(200);
    expect(nothing.data).toMatchObject({ jobId: newId, status: "skipped", message: expect.stringMatching(/nothing to retry/) });
    const missing = await stack.invoke({ retry: randomUUID() });
    expect(missing.httpStatus).toBe(404);
    const bad = await stack.invoke({ retry: jobId, extra: 1 });
    expect(bad.httpStatus).toBe(400);
  });

  it("refuses a job that is not finished (409), changing nothing", async () => {
    const cut = await stack.invoke({ targets: [{ bucket: "big" }] }, { deadline: new Date(Date.now() + 1500) });
    expect(cut.data.status).toBe("incomplete");
    const calls = em.requests.filter((q) => q.method !== "GET").length;
    const early = await stack.invoke({ retry: cut.data.jobId });
    expect(early.httpStatus).toBe(409);
    expect(early.data.error.message).toMatch(/is not finished \(incomplete\): resume it with its token/);
    expect(em.requests.filter((q) => q.method !== "GET").length).toBe(calls);
  });

  it("through the gateway: a request job may be retried by its caller; a rotation job may not", async () => {
    const refused = em.faults.add({ operation: "ReencryptObject", when: (r) => (r.objectName ?? "") === "ok/000001", status: 403, code: "NotAuthorizedOrNotFound" });
    const viaGateway = (body: unknown) => stack.invoke(body, { gateway });
    const first = await viaGateway({ targets: [{ bucket: "data", prefix: "ok/00000" }] });
    refused.remove();
    expect(first.data).toMatchObject({ status: "partial", counts: { failed: 1 } });
    const retry = await viaGateway({ retry: first.data.jobId });
    expect(retry.httpStatus).toBe(200);
    expect(retry.data).toMatchObject({ status: "succeeded", counts: { reencrypted: 1 }, retryOf: first.data.jobId });

    // A rotation job whose keyed bucket's listing fails once for good, then retried directly.
    const keyId = em.seedIds.keys["kA"] as string;
    const version = em.state.rotateKey(keyId);
    const e = fixture("createkeyversion-end");
    e.eventID = randomUUID();
    e.data.compartmentId = em.seedIds.compartments["apps"];
    e.data.resourceId = keyId;
    e.data.additionalDetails = { keyId, vaultId: em.seedIds.vaults["v"], keyVersionId: version.id };
    const listing = em.faults.add({ operation: "ListObjectVersions", when: (r) => r.path.includes("/b/keyed/"), status: 403, code: "NotAuthorizedOrNotFound" });
    const rotation = await stack.deliverEvent(e);
    listing.remove();
    const rotationId = rotation.data.jobId as string;
    let record = (await stack.invoke({ job: rotationId })).data;
    for (let i = 0; i < 100 && record.status === "running"; i++) {
      await new Promise((r) => setTimeout(r, 200));
      record = (await stack.invoke({ job: rotationId })).data;
    }
    expect(record).toMatchObject({ origin: "rotation", status: "failed", counts: { failed: 1 } });
    const denied = await viaGateway({ retry: rotationId });
    expect(denied.httpStatus).toBe(403);
    expect(denied.data.error.code).toBe("EntranceNotAllowed");
    const direct = await stack.invoke({ retry: rotationId });
    expect(direct.data).toMatchObject({ status: "succeeded", retryOf: rotationId, counts: { reencrypted: 20 } });
    expect(versions("keyed").every((v) => v.wrapping.kind === "kms" && v.wrapping.keyVersionId === version.id)).toBe(true);
  });

  it("oci-reencrypt retry <jobId> sends it by InvokeFunction and follows the new job", async () => {
    const refused = em.faults.add({ operation: "ReencryptObject", when: (r) => (r.objectName ?? "") === "ok/000002", status: 403, code: "NotAuthorizedOrNotFound" });
    const first = await stack.invoke({ targets: [{ bucket: "data", prefix: "ok/00000" }] });
    refused.remove();
    const env = { HOME: "/nonexistent", OCI_CLI_CONFIG_FILE: key.configFile, REENCRYPT_FUNCTIONS_ENDPOINT: em.endpoints.functions };
    const r = await runCli(["retry", first.data.jobId, "--function-id", stack.functionId, "--progress", "json"], { env });
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ status: "succeeded", retryOf: first.data.jobId, counts: { reencrypted: 1 } });
    const again = await runCli(["retry", first.data.jobId, "--function-id", stack.functionId], { env });
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/the function answered RetryRefused: job .* was retried already by job/);
    const local = await runCli(["retry", first.data.jobId, "--function-id", stack.functionId, "--report", "x.csv"], { env });
    expect(local.code).toBe(2);
    expect(local.stderr).toMatch(/--report apply to a checkpoint file's retry only/);
  });
});
