// Issue 7, item 2: what a caller (anyone who can reach the API Gateway route) may send. Events,
// diagnose, sweep, and the tokens the function hands its own continuations are for direct
// invocations only: through the gateway they are 403 EntranceNotAllowed before anything is called.

import { randomBytes, randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startEmulator, type Emulator, type Seed } from "../../src/local/emulator/index.js";
import { startLocalStack, type LocalStack } from "../../src/local/local-stack.js";
import { changes, changesSince, nonJsonLines } from "../helpers/fuzz-probes.js";
import { expectAllSigned, gateway } from "./helpers.js";

const fixture = (name: string) => JSON.parse(readFileSync(new URL(`../fixtures/events/${name}.json`, import.meta.url), "utf8"));

const seed: Seed = {
  namespace: "gwns",
  compartments: ["apps"],
  vaults: [{ name: "v", compartment: "apps", keys: [{ name: "k" }] }],
  buckets: [
    { name: "data", compartment: "apps", kmsKey: "k", objects: [{ prefix: "d/", count: 5 }] },
    { name: "uploads", compartment: "apps", objectEventsEnabled: true, objects: [{ name: "in/a.csv" }] },
    { name: "big", compartment: "apps", objects: [{ prefix: "p/", count: 1500 }] },
    { name: "state", compartment: "apps" },
  ],
};

const nonce = () => randomBytes(16).toString("base64url");
type Answer = Awaited<ReturnType<LocalStack["invoke"]>>;

describe("security: gateway callers reach requests, resumes of requests and status only (issue 7 item 2)", () => {
  let em: Emulator;
  let stack: LocalStack;
  let ids: Emulator["seedIds"];
  const events: Record<string, () => Record<string, unknown>> = {};

  beforeAll(async () => {
    em = await startEmulator({ seed });
    ids = em.seedIds;
    const rules = JSON.stringify([{ bucket: "uploads", prefix: "in/", kmsKeyId: ids.keys["k"] }]);
    stack = await startLocalStack({
      emulator: em,
      compartmentId: ids.compartments["apps"] as string,
      maxContainers: 4,
      config: { REENCRYPT_STATE_BUCKET: "state", REENCRYPT_RULES: rules, REENCRYPT_CONCURRENCY: "2" },
    });
    const keyId = ids.keys["k"] as string;
    events["rotation"] = () => {
      const version = em.state.rotateKey(keyId);
      const e = fixture("createkeyversion-end");
      e.eventID = randomUUID();
      e.data.compartmentId = ids.compartments["apps"];
      e.data.resourceId = keyId;
      e.data.additionalDetails = { keyId, vaultId: ids.vaults["v"], keyVersionId: version.id };
      return e;
    };
    events["automatic rotation"] = () => ({ ...events["rotation"]!(), eventType: "com.oraclecloud.keymanagementservice.autokeyrotate.end" });
    events["object created"] = () => {
      const e = fixture("createobject");
      e.eventID = randomUUID();
      e.data.resourceName = "in/a.csv";
      e.data.resourceId = "/n/gwns/b/uploads/o/in%2Fa.csv";
      e.data.additionalDetails.namespace = "gwns";
      e.data.additionalDetails.bucketName = "uploads";
      return e;
    };
    events["object created (CloudEvents 1.0)"] = () => {
      const e = events["object created"]!() as { data: unknown };
      return { specversion: "1.0", type: "com.oraclecloud.objectstorage.createobject", source: "objectstorage", id: randomUUID(), data: e.data };
    };
  });

  afterAll(async () => {
    expectAllSigned(em);
    expect(nonJsonLines(stack.fn.stdout() + stack.fn.stderr())).toEqual([]);
    await stack.stop();
    await em.close();
  });

  const viaGateway = (body: unknown, method = "POST", url = "/reencrypt"): Promise<Answer> =>
    stack.invoke(method === "GET" ? "" : body, { gateway: { ...gateway, method, url } });

  /** Refused with `status` and not a single request to the emulator (not even GetNamespace). */
  const refusedUntouched = async (r: Promise<Answer>, status: number, code: string): Promise<Answer> => {
    const seen = em.requests.length;
    const a = await r;
    expect(a.status).toBe(200);
    expect(a.httpStatus, a.body).toBe(status);
    expect(a.data.error.code).toBe(code);
    expect(em.requests.slice(seen).map((q) => q.operation)).toEqual([]);
    return a;
  };

  it("refuses every function-only entrance from a caller with 403 EntranceNotAllowed, calling nothing at all", async () => {
    // A fresh container: its namespace is not cached yet, so any lookup would show.
    expect(em.requests).toHaveLength(0);
    const bodies: Array<[string, unknown]> = [
      ...Object.entries(events).map(([name, make]): [string, unknown] => [name, make()]),
      ["diagnose", { diagnose: true }],
      ["sweep", { sweep: true }],
      ["a shard token", { resume: `j1.${randomUUID()}.0.${nonce()}` }],
      ["a shard token of a later shard", { resume: `j1.${randomUUID()}.17.${nonce()}` }],
    ];
    for (const [label, body] of bodies) {
      for (const url of ["/reencrypt", "/v1/reencrypt", "/reencrypt/"]) {
        const r = await refusedUntouched(viaGateway(body, "POST", url), 403, "EntranceNotAllowed");
        expect(r.data.error.message, label).toMatch(/gateway|caller/);
      }
    }
    expect(em.requests).toHaveLength(0);
    // A gateway call with an empty Fn-Http-Request-Url is still a caller's: no route, nothing called.
    await refusedUntouched(viaGateway({ diagnose: true }, "POST", ""), 404, "NotFound");
    expect(em.requests).toHaveLength(0);
  });

  it("answers other methods 405 and other paths 404, calling nothing", async () => {
    const body = { targets: [{ bucket: "data" }] };
    const job = randomUUID();
    for (const [method, url] of [
      ["GET", "/reencrypt"],
      ["PUT", "/reencrypt"],
      ["DELETE", "/reencrypt"],
      ["PATCH", "/reencrypt"],
      ["POST", `/reencrypt/jobs/${job}`],
      ["DELETE", `/reencrypt/jobs/${job}`],
      ["PUT", `/reencrypt/jobs/${job}`],
    ] as const) {
      await refusedUntouched(viaGateway(body, method, url), 405, "MethodNotAllowed");
    }
    for (const [method, url] of [
      ["POST", "/"],
      ["POST", "/admin"],
      ["POST", "/reencrypt/run"],
      ["POST", "/reencrypt/jobs"],
      ["POST", "/reencrypt/../admin"],
      ["POST", "/reencryptx"],
      ["GET", "/reencrypt/jobs"],
      ["GET", `/reencrypt/jobs/${job}/cancel`],
      ["GET", "/reencrypt/jobs/..%2F..%2Fx"],
      ["GET", "/reencrypt/jobs/%2E%2E"],
    ] as const) {
      const r = await viaGateway(body, method, url);
      expect(r.status).toBe(200);
      // "/reencrypt/jobs/%2E%2E" is "/reencrypt/" once the URL is normalised: a GET there is a 405; either way nothing runs.
      expect([404, 405], `${method} ${url}: ${r.body}`).toContain(r.httpStatus);
      if (url !== "/reencrypt/jobs/%2E%2E") expect(r.httpStatus, `${method} ${url}`).toBe(404);
    }
    expect(em.requests).toHaveLength(0);
  });

  it("accepts the same bodies sent directly, and a caller's requests, resumes and status queries", async () => {
    // Direct: events, diagnose, sweep.
    const rotation = await stack.deliverEvent(events["rotation"]!());
    expect(rotation.httpStatus).toBe(202);
    expect(rotation.data.status).toBe("continuing");
    const created = await stack.deliverEvent(events["object created"]!());
    expect(created.data).toMatchObject({ status: "succeeded", counts: { reencrypted: 1 } });
    const ce1 = await stack.deliverEvent(events["object created (CloudEvents 1.0)"]!());
    expect(ce1.data.status).toBe("succeeded");
    // Twice by the two object events, once by the rotation (the rule on uploads/in/ names the rotated key).
    expect(em.state.objectVersions("uploads")[0]?.reencryptCount).toBe(3);
    const diagnose = await stack.invoke({ diagnose: true });
    expect(diagnose.httpStatus).toBe(200);
    expect(diagnose.data.diagnose).toBeDefined();
    const sweep = await stack.invoke({ sweep: true });
    expect(sweep.httpStatus).toBe(200);
    expect(sweep.data).toMatchObject({ resumed: [] });

    // The rotation's job: its status is open to callers (GET route and {"job"} body), its tokens are not.
    await em.functions.idle();
    const get = await viaGateway(undefined, "GET", `/reencrypt/jobs/${rotation.data.jobId}`);
    expect(get.httpStatus).toBe(200);
    expect(get.data).toMatchObject({ jobId: rotation.data.jobId, origin: "rotation", status: "succeeded" });
    const post = await viaGateway({ job: rotation.data.jobId });
    expect(post.httpStatus).toBe(200);
    expect(post.data.jobId).toBe(rotation.data.jobId);
    const missing = await viaGateway(undefined, "GET", `/reencrypt/jobs/${randomUUID()}`);
    expect(missing.httpStatus).toBe(404);
    expect(missing.data.error.code).toBe("JobNotFound");

    // The shard tokens the function sent its own continuations (InvokeFunction bodies).
    const shardTokens = em.requests
      .filter((q) => q.operation === "InvokeFunction")
      .map((q) => (q.body as { resume?: string } | undefined)?.resume)
      .filter((t): t is string => typeof t === "string");
    expect(shardTokens.length).toBeGreaterThan(0);
    expect(shardTokens[0]).toMatch(/^j1\.[A-Za-z0-9-]+\.\d+\.[A-Za-z0-9_-]{22,}$/);
    for (const t of shardTokens) await refusedUntouched(viaGateway({ resume: t }), 403, "EntranceNotAllowed");
    // Directly, a shard token is the function's own business: used up, it is refused as such (not as a caller's).
    const used = await stack.invoke({ resume: shardTokens[0] });
    expect(used.httpStatus).toBe(409);
    expect(used.data.error.code).toBe("JobAdvanced");

    // A reference token naming the rotation's job (not a shard): a caller may not resume it. Its
    // record must be read to know its origin, but nothing is changed.
    const before = changes(em);
    const from = em.requests.length;
    const asCaller = await viaGateway({ resume: `j1.${rotation.data.jobId}.${nonce()}` });
    expect(asCaller.httpStatus).toBe(403);
    expect(asCaller.data.error.code).toBe("EntranceNotAllowed");
    expect(changesSince(em, from)).toEqual([]);
    expect(changes(em)).toBe(before);

    // A caller's own job: a request cut at its deadline, resumed through the gateway to the end.
    let r = await stack.invoke({ targets: [{ bucket: "big", prefix: "p/" }] }, { gateway, deadline: new Date(Date.now() + 1_500) });
    expect(r.httpStatus).toBe(202);
    expect(r.data.resume).toMatch(/^j1\.[A-Za-z0-9-]+\.[A-Za-z0-9_-]{22,}$/);
    for (let i = 0; r.data.status === "incomplete" && i < 20; i++) r = await stack.invoke({ resume: r.data.resume }, { gateway });
    expect(r.data).toMatchObject({ status: "succeeded", counts: { matched: 1500, failed: 0 } });
    expect(em.state.objectVersions("big").filter((v) => v.reencryptCount === 0)).toEqual([]);
  });
});
