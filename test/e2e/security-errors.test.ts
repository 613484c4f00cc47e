// Issue 7, items 6 and 7: a caller's (or an event sender's) input is never answered 500, and
// whatever the service echoes back (names with newlines, keys in its error messages) leaves the
// function as one JSON object a line, with no key material in it.

import { randomBytes, randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startEmulator, type Emulator, type Seed } from "../../src/local/emulator/index.js";
import { startLocalStack, type LocalStack } from "../../src/local/local-stack.js";
import { changes, KeyWatch, keyForms, nonJsonLines } from "../helpers/fuzz-probes.js";
import { expectAllSigned, expectNoKeyMaterial, gateway, mutations } from "./helpers.js";

const fixture = (name: string) => JSON.parse(readFileSync(new URL(`../fixtures/events/${name}.json`, import.meta.url), "utf8"));

const INLINE = randomBytes(32).toString("base64");
const SOURCE = randomBytes(32).toString("base64");
const NEWLINE_NAMES = ["line1\nline2", 'evil\r\n{"level":"error","msg":"forged"}', "tab\there\u2028sep\u2029end"];

const seed: Seed = {
  namespace: "errns",
  compartments: ["apps"],
  vaults: [{ name: "v", compartment: "apps", keys: [{ name: "k" }] }],
  secrets: [{ name: "s", randomSseCKey: true }],
  buckets: [
    { name: "data", compartment: "apps", kmsKey: "k", objects: [...NEWLINE_NAMES.map((name) => ({ name })), { prefix: "d/", count: 5 }] },
    { name: "sealed", compartment: "apps", objects: [{ name: "c", sseCustomerKey: SOURCE }] },
    { name: "state", compartment: "apps" },
  ],
};

type Answer = Awaited<ReturnType<LocalStack["invoke"]>>;

describe("security: errors and output (issue 7 items 6 and 7)", () => {
  let em: Emulator;
  let stack: LocalStack;
  let durable: LocalStack;
  const responses: string[] = [];
  let ids: Emulator["seedIds"];

  beforeAll(async () => {
    em = await startEmulator({ seed });
    ids = em.seedIds;
    const apps = ids.compartments["apps"] as string;
    const common = { REENCRYPT_ALLOW_INLINE_KEYS: "true", REENCRYPT_ALLOWED_KEYS: ids.secrets["s"] as string, REENCRYPT_LOG_LEVEL: "debug" };
    stack = await startLocalStack({ emulator: em, compartmentId: apps, config: common });
    durable = await startLocalStack({ emulator: em, compartmentId: apps, config: { ...common, REENCRYPT_STATE_BUCKET: "state" } });
  });

  afterAll(async () => {
    expectAllSigned(em);
    for (const s of [stack, durable]) expect(nonJsonLines(s.fn.stdout()), "stdout").toEqual([]);
    for (const s of [stack, durable]) expect(nonJsonLines(s.fn.stderr()), "stderr").toEqual([]);
    await stack.stop();
    await durable.stop();
    await em.close();
  });

  const call = async (s: LocalStack, body: unknown, o: { direct?: boolean; method?: string; url?: string } = {}): Promise<Answer> => {
    const r = await s.invoke(body, o.direct ? {} : { gateway: { ...gateway, method: o.method ?? "POST", url: o.url ?? "/reencrypt" } });
    responses.push(r.body);
    expect(r.status).toBe(200);
    expect(r.httpStatus, r.body.slice(0, 400)).toBeLessThan(500);
    return r;
  };

  describe("item 6: caller input is never a 500", () => {
    const rotationEvent = (o: { vaultId?: unknown; compartmentId?: unknown; keyId?: string } = {}) => {
      const keyId = o.keyId ?? (ids.keys["k"] as string);
      const e = fixture("createkeyversion-end");
      e.eventID = randomUUID();
      e.data.compartmentId = "compartmentId" in o ? o.compartmentId : ids.compartments["apps"];
      e.data.resourceId = keyId;
      e.data.additionalDetails = { keyId, vaultId: "vaultId" in o ? o.vaultId : ids.vaults["v"] };
      return e;
    };

    it("answers a rotation naming an unknown vault or key as a failed job (404, with a hint)", async () => {
      for (const s of [stack, durable]) {
        const before = mutations(em);
        const unknownVault = await s.deliverEvent(rotationEvent({ vaultId: `ocid1.vault.oc1.iad.${"a".repeat(60)}` }));
        expect(unknownVault.httpStatus).toBe(404);
        expect(unknownVault.data.status).toBe("failed");
        expect(unknownVault.data.failures[0]).toMatchObject({ status: 404 });
        expect(unknownVault.data.failures[0].hint).toMatch(/vault, key or compartment/);
        const unknownKey = await s.deliverEvent(rotationEvent({ keyId: `ocid1.key.oc1.iad.${"b".repeat(60)}` }));
        expect(unknownKey.httpStatus).toBe(404);
        expect(unknownKey.data.status).toBe("failed");
        expect(unknownKey.data.failures[0].hint).toBeTruthy();
        // No vault id and a compartment that does not exist: searched, not found, said so.
        const nowhere = await s.deliverEvent(rotationEvent({ vaultId: undefined, compartmentId: `ocid1.compartment.oc1..${"c".repeat(60)}`, keyId: `ocid1.key.oc1.iad.${"d".repeat(60)}` }));
        expect(nowhere.httpStatus).toBeLessThan(500);
        expect(mutations(em)).toBe(before);
      }
    });

    it.each([
      ["a space-padded vaultId", { vaultId: ` ocid1.vault.oc1.iad.${"a".repeat(60)} ` }, /additionalDetails\.vaultId$/],
      ["a vaultId of another resource type", { vaultId: `ocid1.bucket.oc1.iad.${"a".repeat(60)}` }, /additionalDetails\.vaultId$/],
      ["a vaultId that is a number", { vaultId: 42 }, /additionalDetails\.vaultId$/],
      ["a compartmentId with a newline", { compartmentId: "ocid1.compartment.oc1..aaaa\nbbbb" }, /compartmentId$/],
    ])("answers a rotation event with %s 400 naming the field, calling nothing", async (_label, o, path) => {
      const from = em.requests.length;
      const r = await stack.deliverEvent(rotationEvent(o));
      expect(r.httpStatus, r.body.slice(0, 300)).toBe(400);
      expect(r.data.error.code).toBe("InvalidPayload");
      expect(r.data.error.issues.map((i: { path: string }) => i.path).join(" ")).toMatch(path);
      expect(em.requests.slice(from).map((q) => q.operation)).toEqual([]);
    });

    it("answers status queries 200, 400 or 404, never 500", async () => {
      const bodies: unknown[] = [
        { job: "../../x" },
        { job: "a".repeat(70_000) },
        { job: 1 },
        { job: null },
        { job: ["x"] },
        { job: JSON.parse('{"__proto__":{"polluted":true}}') },
        { job: randomUUID(), extra: true },
        { job: randomUUID() },
        { job: "ZZZZZZZZ" },
      ];
      for (const s of [stack, durable]) {
        for (const body of bodies) {
          for (const direct of [false, true]) {
            const r = await call(s, body, { direct });
            expect([400, 404], r.body.slice(0, 300)).toContain(r.httpStatus);
          }
        }
        for (const id of [randomUUID(), "..%2F..%2Fx", "%00", "a".repeat(5_000), "%F0%9F%98%80", "%ED%A0%80", "%", "%%", "jobs.json"]) {
          const r = await call(s, "", { method: "GET", url: `/reencrypt/jobs/${id}` });
          expect(r.httpStatus, id).toBe(404);
        }
      }
      expect(({} as Record<string, unknown>)["polluted"]).toBeUndefined();
      // A real job's status, for contrast.
      const job = await call(durable, { targets: [{ bucket: "data", prefix: "d/" }] }, { direct: true });
      expect(job.httpStatus).toBe(200);
    });
  });

  describe("item 7: one JSON object a line, and no key material, whatever the service says", () => {
    const hex = Buffer.from(INLINE, "base64").toString("hex");
    const echo = (what: string) => `${what}\nsseCustomerKey=${INLINE}\nkeyHex: ${hex}\r\nsource ${SOURCE} ${Buffer.from(SOURCE, "base64").toString("hex")}\n{"level":"error","msg":"forged"}`;

    it("keeps service errors that echo names with newlines and keys (base64 and hex) out of its output", async () => {
      const faults = [
        em.faults.add({ operation: "ReencryptObject", status: 400, code: "InvalidParameter", message: echo(`object ${NEWLINE_NAMES[0]} is invalid`), when: (q) => q.objectName === NEWLINE_NAMES[0] }),
        em.faults.add({ operation: "ReencryptObject", status: 409, code: "Conflict", message: echo(`object ${NEWLINE_NAMES[1]} busy`), when: (q) => q.objectName === NEWLINE_NAMES[1] }),
        em.faults.add({ operation: "ReencryptObject", status: 503, code: "ServiceUnavailable", message: echo("try again"), times: 3, when: (q) => q.objectName === NEWLINE_NAMES[2] }),
        em.faults.add({ operation: "ListObjects", status: 404, code: "BucketNotFound", message: echo("no such bucket"), when: (q) => q.path.includes("/b/data/") && q.query.get("prefix") === "zz/" }),
      ];
      try {
        const r = await call(stack, {
          targets: [...NEWLINE_NAMES.map((object) => ({ bucket: "data", object })), { bucket: "data", prefix: "zz/" }, { bucket: "sealed", object: "c" }],
          key: { type: "sse-c", base64Key: INLINE },
          sourceKey: { base64Key: SOURCE },
        });
        expect(r.data.status).toBe("partial");
        expect(r.data.failures.map((f: { object: string }) => f.object)).toEqual(expect.arrayContaining(NEWLINE_NAMES.slice(0, 2)));
        // Names come back as they are (JSON escapes them); the keys the service echoed do not.
        expect(r.body).toContain(JSON.stringify(NEWLINE_NAMES[0]).slice(1, -1));
        // Faults that answer before any call: the namespace, a secret, the state bucket.
        em.faults.add({ operation: "GetNamespace", status: 403, code: "NotAuthorizedOrNotFound", message: echo("namespace"), times: 1 });
        const ns = await call(stack, { targets: [{ bucket: "data", object: "d/000001" }], key: { type: "sse-c", base64Key: INLINE } }, { direct: true });
        expect(ns.httpStatus).toBeLessThan(500);
        em.faults.add({ operation: "GetSecretBundle", status: 404, code: "NotAuthorizedOrNotFound", message: echo("secret"), times: 1 });
        const secret = await call(stack, { targets: [{ bucket: "data", object: "d/000002" }], key: { type: "sse-c", secretId: ids.secrets["s"] } });
        expect(secret.httpStatus).toBe(400);
        expect(secret.data.error.issues[0].path).toBe("key");
        em.faults.add({ operation: "GetObject", status: 403, code: "Forbidden", message: echo("state bucket"), times: 1 });
        const status = await call(durable, { job: randomUUID() });
        expect(status.httpStatus).toBe(403);
        em.faults.add({ operation: "PutObject", status: 400, code: "InvalidParameter", message: echo("report"), times: 1 });
        const report = await durable.invoke({ targets: [{ bucket: "data", object: "d/000003" }], key: { type: "sse-c", base64Key: INLINE } }, { gateway });
        responses.push(report.body);
        expect(report.status).toBe(200);
      } finally {
        for (const f of faults) f.remove();
        em.faults.clear();
      }
      const before = changes(em);
      expect(before).toBeGreaterThan(0);
      for (const s of [stack, durable]) {
        const out = s.fn.stdout() + s.fn.stderr();
        expect(nonJsonLines(out)).toEqual([]);
        expect(out).not.toContain('"msg":"forged"}\n');
        expectNoKeyMaterial(s, [INLINE, SOURCE, ids.sseCKeys["s"] as string], responses);
        const watch = new KeyWatch();
        for (const k of [INLINE, SOURCE, ids.sseCKeys["s"] as string]) watch.add(k);
        expect(watch.foundIn([out, ...responses].join("\n"))).toEqual([]);
      }
      expect(keyForms(INLINE)).toHaveLength(4);
    });
  });
});
