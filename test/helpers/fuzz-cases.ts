// Generators of fuzz cases: realistic bodies of every entrance (requests, the CLI shorthand,
// events, self-contained and reference resume tokens, status queries, diagnose, sweep, raw junk,
// gateway routes), each then mutated. Values that exist only at run time (tokens and job ids the
// function has answered, a freshly rotated key version) are placeholders resolved by the runner.

import { createHash } from "node:crypto";
import { deflateRawSync } from "node:zlib";
import fc from "fast-check";
import { applyMutations, cloneJson, mutationArb, type Json, type JsonObject } from "./fuzz-json.js";
import { NS, OBJECTS, SEALED_KEY, SMALL_BUCKETS, type WorldIds } from "./fuzz-world.js";

export const CASE_KINDS = ["request", "shorthand", "event", "portable", "reference", "status", "diagnose", "sweep", "raw", "route"] as const;
export type CaseKind = (typeof CASE_KINDS)[number];

export interface FuzzCase {
  kind: CaseKind;
  via: "gateway" | "direct";
  method: string;
  url: string;
  /** A JSON body (placeholders like "@@TOKEN:3@@" are resolved when sent), or raw text / bytes. */
  body: { json: Json } | { raw: string } | { bytes: number[] };
  /** The unmutated body was valid and names only what this function allows: it must be served. */
  valid: boolean;
  /** What was done to the body. */
  mutations: string[];
  /** Inline keys (base64) the case carries: they must never come back. */
  keys: string[];
  deadlineMs: number;
}

/** A high-entropy 32-byte key per index: what a real SSE-C key looks like (fast-check's own bytes would be mostly zeros). */
export const inlineKey = (n: number): string => createHash("sha256").update(`fuzz inline key ${n}`).digest("base64");
const sha = (b64: string): string => createHash("sha256").update(Buffer.from(b64, "base64")).digest("base64");

const encodeObject = (name: string): string => encodeURIComponent(name).replace(/%2F/g, "/");
const uuidish = fc.uuid();
const shortDeadline = 1_100;
const normalDeadline = 3_000;

const withMutations = (base: fc.Arbitrary<{ json: Json; valid: boolean; keys: string[] }>, maxMutations = 3) =>
  fc.tuple(base, fc.oneof({ weight: 2, arbitrary: fc.constant([]) }, { weight: 5, arbitrary: fc.array(mutationArb, { minLength: 1, maxLength: maxMutations }) })).map(([b, ms]) => {
    const { value, applied } = applyMutations(b.json, ms);
    return { json: value, valid: b.valid && applied.length === 0, keys: b.keys, mutations: applied };
  });

const gatewayPost = fc.oneof({ weight: 8, arbitrary: fc.constant("/reencrypt") }, { weight: 1, arbitrary: fc.constantFrom("/v1/reencrypt", "/reencrypt/", "/api/v2/reencrypt?x=1") });

export function caseArbitrary(ids: WorldIds): fc.Arbitrary<FuzzCase> {
  // ---- keys -------------------------------------------------------------------------------------
  const keyIndex = fc.nat(1_000_000);
  const targetKey = fc.oneof(
    { weight: 4, arbitrary: fc.constant({ json: { type: "bucket" } as Json, valid: true, keys: [] as string[] }) },
    { weight: 2, arbitrary: fc.constant({ json: { type: "kms", kmsKeyId: ids.keys.k1 } as Json, valid: true, keys: [] as string[] }) },
    { weight: 1, arbitrary: fc.constant({ json: { type: "kms", kmsKeyId: ids.keys.kr } as Json, valid: true, keys: [] as string[] }) },
    { weight: 1, arbitrary: fc.constant({ json: { type: "kms", kmsKeyId: ids.keys.k2 } as Json, valid: false, keys: [] as string[] }) },
    { weight: 1, arbitrary: fc.constant({ json: { type: "kms", kmsKeyId: `ocid1.key.oc1.iad.${"q".repeat(60)}` } as Json, valid: false, keys: [] as string[] }) },
    { weight: 2, arbitrary: keyIndex.map((n) => ({ json: { type: "sse-c", base64Key: inlineKey(n) } as Json, valid: true, keys: [inlineKey(n)] })) },
    { weight: 1, arbitrary: fc.constant({ json: { type: "sse-c", secretId: ids.secrets.s1 } as Json, valid: true, keys: [] as string[] }) },
    { weight: 1, arbitrary: fc.constant({ json: { type: "sse-c", secretId: ids.secrets.s2 } as Json, valid: false, keys: [] as string[] }) },
    { weight: 1, arbitrary: fc.constant({ json: { type: "sse-c", secretId: ids.secrets.junk } as Json, valid: false, keys: [] as string[] }) },
  );
  const sourceKey = fc.oneof(
    { weight: 6, arbitrary: fc.constant(undefined) },
    { weight: 2, arbitrary: fc.constant({ json: { base64Key: SEALED_KEY } as Json, valid: true, keys: [SEALED_KEY] }) },
    { weight: 1, arbitrary: keyIndex.map((n) => ({ json: { base64Key: inlineKey(n) } as Json, valid: true, keys: [inlineKey(n)] })) },
    { weight: 1, arbitrary: fc.constant({ json: { secretId: ids.secrets.s1 } as Json, valid: true, keys: [] as string[] }) },
    { weight: 1, arbitrary: fc.constant({ json: { secretId: ids.secrets.junk } as Json, valid: false, keys: [] as string[] }) },
  );

  // ---- names --------------------------------------------------------------------------------------
  const anyBucket = fc.oneof({ weight: 10, arbitrary: fc.constantFrom(...SMALL_BUCKETS) }, { weight: 1, arbitrary: fc.constantFrom("outside", "state") });
  const objectName = (bucket: string) =>
    fc.oneof(
      { weight: 5, arbitrary: fc.constantFrom(...(OBJECTS[bucket] ?? ["o/1"])) },
      { weight: 2, arbitrary: fc.string({ minLength: 1, maxLength: 24, unit: "grapheme" }) },
      { weight: 1, arbitrary: fc.constantFrom(".", "..", "../reencrypt", "a/./b", "%2E%2E", "?versionId=x", "a#b") },
    );
  const prefix = fc.oneof({ weight: 3, arbitrary: fc.constantFrom("", "a/", "b/", "in/", "c/", "x/y/") }, { weight: 1, arbitrary: fc.string({ maxLength: 8 }) });
  const smallTarget = anyBucket.chain((bucket) =>
    fc
      .oneof(
        fc.record({ bucket: fc.constant(bucket), object: objectName(bucket), namespace: fc.option(fc.constant(NS), { nil: undefined }), versionId: fc.option(fc.string({ minLength: 1, maxLength: 30 }), { freq: 6, nil: undefined }) }),
        fc.record({ bucket: fc.constant(bucket), prefix, allVersions: fc.option(fc.boolean(), { nil: undefined }) }),
        fc.record({ bucket: fc.constant(bucket), allVersions: fc.option(fc.boolean(), { nil: undefined }) }),
        objectName(bucket).map((o) => ({ resourceId: `/n/${NS}/b/${bucket}/o/${encodeObject(o)}` })),
      )
      .map((t) => ({ json: JSON.parse(JSON.stringify(t)) as Json, valid: SMALL_BUCKETS.includes(bucket), big: false })),
  );
  // "big" only by prefix: bounded work, or a job cut at its (short) deadline that leaves a token.
  const bigTarget = fc.constantFrom("p/00", "p/001", "p/0010", "p/").map((p) => ({ json: { bucket: "big", prefix: p } as Json, valid: true, big: true }));
  const target = fc.oneof({ weight: 12, arbitrary: smallTarget }, { weight: 1, arbitrary: bigTarget });

  // ---- request bodies -------------------------------------------------------------------------------
  const request = fc
    .record({
      targets: fc.array(target, { minLength: 1, maxLength: 3 }),
      key: targetKey,
      sourceKey,
      allVersions: fc.option(fc.boolean(), { freq: 3, nil: undefined }),
      dryRun: fc.option(fc.boolean(), { freq: 3, nil: undefined }),
      rareMethod: fc.nat(30),
    })
    .map((r) => {
      const body: JsonObject = { targets: r.targets.map((t) => t.json), key: r.key.json };
      if (r.sourceKey) body["sourceKey"] = r.sourceKey.json;
      if (r.allVersions !== undefined) body["allVersions"] = r.allVersions;
      if (r.dryRun !== undefined) body["dryRun"] = r.dryRun;
      if (r.rareMethod === 0) body["method"] = "bucket";
      // method "bucket" takes only whole-bucket targets, the bucket key and no source key.
      const bucketMethodOk = r.rareMethod !== 0 || (r.sourceKey === undefined && (r.key.json as JsonObject)["type"] === "bucket" && r.targets.every((t) => Object.keys(t.json as JsonObject).every((k) => k === "bucket" || k === "allVersions")));
      const valid = r.targets.every((t) => t.valid) && r.key.valid && (r.sourceKey?.valid ?? true) && bucketMethodOk;
      return { json: body as Json, valid, keys: [...r.key.keys, ...(r.sourceKey?.keys ?? [])], big: r.targets.some((t) => t.big) };
    });
  const requestCase = fc.tuple(request, fc.boolean(), gatewayPost, fc.array(mutationArb, { maxLength: 3 }), fc.nat(2)).map(([b, viaGateway, url, ms, noMutation]): FuzzCase => {
    const { value, applied } = applyMutations(b.json, noMutation === 0 ? [] : ms);
    return { kind: "request", via: viaGateway ? "gateway" : "direct", method: "POST", url, body: { json: value }, valid: b.valid && applied.length === 0, mutations: applied, keys: b.keys, deadlineMs: b.big ? shortDeadline : normalDeadline };
  });

  const shorthand = fc
    .record({
      bucket: fc.constantFrom(...SMALL_BUCKETS),
      name: fc.constantFrom("objectName", "name"),
      ns: fc.constantFrom(undefined, "namespaceName", "namespace"),
      kms: fc.nat(4),
      sse: fc.option(keyIndex, { freq: 3, nil: undefined }),
      src: sourceKey,
      dryRun: fc.option(fc.boolean(), { nil: undefined }),
      versionId: fc.option(fc.string({ minLength: 1, maxLength: 20 }), { freq: 6, nil: undefined }),
    })
    .chain((r) => objectName(r.bucket).map((object) => ({ ...r, object })))
    .map((r) => {
      const body: JsonObject = { bucketName: r.bucket };
      body[r.name] = r.object;
      if (r.ns) body[r.ns] = NS;
      const keys: string[] = [];
      if (r.sse !== undefined) {
        body["sseCustomerKey"] = { base64Key: inlineKey(r.sse) };
        keys.push(inlineKey(r.sse));
      } else if (r.kms === 0) body["kmsKeyId"] = ids.keys.k1;
      if (r.src) {
        body["sourceSseCustomerKey"] = r.src.json;
        keys.push(...r.src.keys);
      }
      if (r.dryRun !== undefined) body["dryRun"] = r.dryRun;
      if (r.versionId !== undefined) body["versionId"] = r.versionId;
      return { json: body as Json, valid: r.src?.valid ?? true, keys };
    });
  const shorthandCase = fc.tuple(withMutations(shorthand), fc.boolean()).map(([b, g]): FuzzCase => ({ kind: "shorthand", via: g ? "gateway" : "direct", method: "POST", url: "/reencrypt", body: { json: b.json }, valid: b.valid, mutations: b.mutations, keys: b.keys, deadlineMs: normalDeadline }));

  // ---- events -----------------------------------------------------------------------------------------
  const objectEvent = fc
    .record({
      bucket: fc.oneof({ weight: 4, arbitrary: fc.constant("gamma-1") }, { weight: 1, arbitrary: fc.constantFrom("alpha", "beta", "outside", "state", "nope") }),
      type: fc.oneof({ weight: 6, arbitrary: fc.constant("com.oraclecloud.objectstorage.createobject") }, { weight: 1, arbitrary: fc.constantFrom("com.oraclecloud.objectstorage.updateobject", "com.oraclecloud.objectstorage.deleteobject", "com.example.other") }),
      ce1: fc.nat(4),
      id: uuidish,
      versionId: fc.option(fc.string({ minLength: 1, maxLength: 20 }), { freq: 5, nil: undefined }),
    })
    .chain((r) => objectName(r.bucket).map((name) => ({ ...r, name })))
    .map((r) => {
      const data: JsonObject = {
        compartmentId: "ocid1.compartment.oc1..fuzz",
        resourceName: r.name,
        resourceId: `/n/${NS}/b/${r.bucket}/o/${encodeObject(r.name)}`,
        additionalDetails: { namespace: NS, bucketName: r.bucket, eTag: "e", ...(r.versionId ? { versionId: r.versionId } : {}) },
      };
      const json: Json =
        r.ce1 === 0
          ? { specversion: "1.0", type: r.type, source: "objectstorage", id: r.id, data }
          : { cloudEventsVersion: "0.1", eventID: r.id, eventType: r.type, source: "ObjectStorage", eventTypeVersion: "2.0", eventTime: "2026-01-01T00:00:00Z", contentType: "application/json", data };
      return { json, valid: true, keys: [] as string[] };
    });
  const rotationEvent = fc
    .record({
      key: fc.constantFrom("k1", "kr", "k2", "unknown"),
      vault: fc.constantFrom("real", "real", "unknown", "absent"),
      version: fc.constantFrom("rotate", "rotate", "random", "absent"),
      auto: fc.boolean(),
      id: uuidish,
    })
    .map((r) => {
      const keyId = r.key === "unknown" ? `ocid1.key.oc1.iad.${"u".repeat(60)}` : ids.keys[r.key as "k1" | "kr" | "k2"];
      const extra: JsonObject = { keyId };
      if (r.vault === "real") extra["vaultId"] = ids.vault;
      if (r.vault === "unknown") extra["vaultId"] = `ocid1.vault.oc1.iad.${"w".repeat(60)}`;
      if (r.version === "rotate") extra["keyVersionId"] = r.key === "unknown" ? `ocid1.keyversion.oc1.iad.${"v".repeat(60)}` : `@@ROTATE:${r.key}@@`;
      if (r.version === "random") extra["keyVersionId"] = `ocid1.keyversion.oc1.iad.${"r".repeat(60)}`;
      const json: Json = {
        cloudEventsVersion: "0.1",
        eventID: r.id,
        eventType: r.auto ? "com.oraclecloud.keymanagementservice.autokeyrotate.end" : "com.oraclecloud.keymanagementservice.createkeyversion.end",
        source: "KeyManagementService",
        eventTime: "2026-01-01T00:00:00Z",
        data: { compartmentId: "ocid1.compartment.oc1..fuzz", resourceId: keyId, resourceName: "k", additionalDetails: extra },
      };
      return { json, valid: true, keys: [] as string[] };
    });
  const eventCase = fc
    .tuple(fc.oneof({ weight: 4, arbitrary: withMutations(objectEvent) }, { weight: 1, arbitrary: withMutations(rotationEvent, 2) }), fc.nat(4), gatewayPost)
    .map(([b, g, url]): FuzzCase => ({ kind: "event", via: g === 0 ? "gateway" : "direct", method: "POST", url, body: { json: b.json }, valid: b.valid, mutations: b.mutations, keys: b.keys, deadlineMs: JSON.stringify(b.json).includes("keymanagement") ? shortDeadline : normalDeadline }));

  // ---- self-contained tokens --------------------------------------------------------------------------
  const jobKey = fc.oneof(
    fc.constant({ type: "bucket" } as Json),
    fc.constant({ type: "kms", kmsKeyId: ids.keys.k1 } as Json),
    fc.constant({ type: "kms", kmsKeyId: ids.keys.k2 } as Json),
    fc.constant({ type: "sse-c", secretId: ids.secrets.s1 } as Json),
    keyIndex.map((n) => ({ type: "sse-c", keySha256: sha(inlineKey(n)) }) as Json),
  );
  const unit = fc.record({
    namespace: fc.constantFrom(NS, "other"),
    bucket: fc.constantFrom(...SMALL_BUCKETS, "state", "outside"),
    scope: fc.oneof(
      fc.record({ kind: fc.constant("object"), object: fc.constantFrom("a/1", "b/1", "..", "in/new.csv") }),
      fc.record({ kind: fc.constant("prefix"), prefix: fc.constantFrom("", "a/", "in/"), allVersions: fc.boolean() }),
    ),
    key: jobKey,
  });
  const portableJob = fc
    .record({ id: uuidish, origin: fc.constantFrom("request", "request", "rotation", "object-event"), units: fc.array(unit, { minLength: 1, maxLength: 3 }), dryRun: fc.boolean(), seq: fc.nat(5), cursorUnit: fc.nat(3), after: fc.option(fc.constantFrom("a/1", "b/2", "in/"), { nil: undefined }) })
    .map((j) => ({
      json: {
        spec: { id: j.id, origin: j.origin, units: j.units as unknown as Json, dryRun: j.dryRun },
        work: { id: 0, units: [0, j.units.length], cursor: { unit: Math.min(j.cursorUnit, j.units.length - 1), redo: [], ...(j.after ? { after: { name: j.after } } : {}) } },
        totals: { matched: 0, reencrypted: 0, failed: 0, skipped: 0 },
        seq: j.seq,
      } as Json,
      valid: true,
      keys: [] as string[],
    }));
  const stringMutation = fc.record({ op: fc.constantFrom("none", "none", "flip", "truncate", "prefix", "append", "upper", "r1"), at: fc.nat(10_000) });
  const mutateToken = (t: string, m: { op: string; at: number }): string => {
    const i = 3 + (m.at % Math.max(1, t.length - 3));
    switch (m.op) {
      case "flip":
        return t.slice(0, i) + (t[i] === "A" ? "B" : "A") + t.slice(i + 1);
      case "truncate":
        return t.slice(0, i);
      case "prefix":
        return `j1.${t.slice(3)}`;
      case "append":
        return `${t}.${t.slice(3, 20)}`;
      case "upper":
        return t.toUpperCase();
      case "r1":
        return `r1.${t.slice(3)}`;
      default:
        return t;
    }
  };
  const portableCase = fc
    .tuple(withMutations(portableJob, 2), stringMutation, fc.nat(40), fc.boolean(), fc.option(keyIndex, { freq: 4, nil: undefined }))
    .map(([b, sm, special, g, withKey]): FuzzCase => {
      let token = `r2.${deflateRawSync(Buffer.from(JSON.stringify(b.json))).toString("base64url")}`;
      if (special === 0) token = "@@BOMB@@";
      else if (special === 1) token = "@@MANYUNITS@@";
      else token = mutateToken(token, sm);
      const body: JsonObject = { resume: token };
      const keys: string[] = [];
      if (withKey !== undefined) {
        body["key"] = { type: "sse-c", base64Key: inlineKey(withKey) };
        keys.push(inlineKey(withKey));
      }
      return { kind: "portable", via: g ? "gateway" : "direct", method: "POST", url: "/reencrypt", body: { json: body }, valid: false, mutations: [...b.mutations, ...(sm.op === "none" ? [] : [`token ${sm.op}`])], keys, deadlineMs: normalDeadline };
    });

  // ---- reference tokens -------------------------------------------------------------------------------
  const referenceRecipe = fc.constantFrom("latest", "latest", "captured", "shard", "forged-nonce", "unknown-job", "syntax");
  const referenceCase = fc
    .tuple(referenceRecipe, fc.nat(1000), fc.boolean(), fc.option(keyIndex, { freq: 5, nil: undefined }), fc.array(mutationArb, { maxLength: 2 }), fc.nat(3))
    .map(([recipe, i, g, withKey, ms, noMutation]): FuzzCase => {
      const body: JsonObject = { resume: `@@REF:${recipe}:${i}@@` };
      const keys: string[] = [];
      if (withKey !== undefined) {
        body["key"] = { type: "sse-c", base64Key: inlineKey(withKey) };
        keys.push(inlineKey(withKey));
      }
      const { value, applied } = applyMutations(body, noMutation === 0 ? ms : []);
      return { kind: "reference", via: g ? "gateway" : "direct", method: "POST", url: "/reencrypt", body: { json: value }, valid: false, mutations: applied, keys, deadlineMs: shortDeadline };
    });

  // ---- status -----------------------------------------------------------------------------------------
  const jobRef = fc.oneof(fc.nat(1000).map((i) => `@@JOB:${i}@@`), uuidish, fc.constantFrom("../../x", "ZZZZZZZZ", "a".repeat(65), "%2E%2E", "00000000-0000-0000-0000-000000000000"));
  const statusCase = fc.tuple(jobRef, fc.nat(2), fc.array(mutationArb, { maxLength: 2 }), fc.nat(2)).map(([job, how, ms, noMutation]): FuzzCase => {
    if (how === 0) {
      const id = job.startsWith("@@") ? job : encodeURIComponent(job);
      return { kind: "status", via: "gateway", method: "GET", url: `/reencrypt/jobs/${id}`, body: { raw: "" }, valid: false, mutations: [], keys: [], deadlineMs: normalDeadline };
    }
    const { value, applied } = applyMutations({ job }, noMutation === 0 ? [] : ms);
    return { kind: "status", via: how === 1 ? "gateway" : "direct", method: "POST", url: "/reencrypt", body: { json: value }, valid: false, mutations: applied, keys: [], deadlineMs: normalDeadline };
  });

  // ---- diagnose and sweep -----------------------------------------------------------------------------
  const adminCase = fc.tuple(fc.constantFrom("diagnose", "sweep"), fc.nat(3), fc.array(mutationArb, { maxLength: 2 }), fc.nat(2)).map(([which, g, ms, noMutation]): FuzzCase => {
    const { value, applied } = applyMutations({ [which]: true }, noMutation === 0 ? ms : []);
    return { kind: which as CaseKind, via: g === 0 ? "gateway" : "direct", method: "POST", url: "/reencrypt", body: { json: value }, valid: applied.length === 0, mutations: applied, keys: [], deadlineMs: shortDeadline };
  });

  // ---- raw bodies ---------------------------------------------------------------------------------------
  const rawCase = fc.tuple(fc.nat(14), fc.boolean(), fc.string({ maxLength: 40, unit: "binary" })).map(([n, g, s]): FuzzCase => {
    const valid = JSON.stringify({ targets: [{ bucket: "beta", object: "b/1" }] });
    const raws: Array<FuzzCase["body"]> = [
      { raw: "" },
      { raw: "{" },
      { raw: "null" },
      { raw: "[]" },
      { raw: '"targets"' },
      { raw: `${valid}garbage` },
      { raw: valid.slice(0, 20) },
      { raw: `\ufeff${valid}` },
      { raw: s },
      { raw: `{"targets":[{"bucket":"beta","object":"${"z".repeat(2_200_000)}"}]}` },
      { bytes: [...Buffer.from('{"targets":[{"bucket":"beta","object":"'), 0xed, 0xa0, 0x80, ...Buffer.from('"}]}')] },
      { bytes: [0xff, 0xfe, 0x7b, 0x00, 0x7d, 0x00] },
      { raw: `${"[".repeat(2_000)}${"]".repeat(2_000)}` },
      { raw: `{"targets":[{"bucket":"beta","object":"b/1"}],"targets":[{"bucket":"state"}]}` },
      { raw: `{"targets":[{"bucket":"beta","object":"b/1"}],"__proto__":{"targets":[{"bucket":"state"}]}}` },
    ];
    return { kind: "raw", via: g ? "gateway" : "direct", method: "POST", url: "/reencrypt", body: raws[n % raws.length] as FuzzCase["body"], valid: false, mutations: [], keys: [], deadlineMs: normalDeadline };
  });

  // ---- gateway routes -----------------------------------------------------------------------------------
  const routeCase = fc
    .tuple(
      fc.constantFrom("GET", "PUT", "DELETE", "PATCH", "POST", "OPTIONS", "HEAD", "get"),
      fc.constantFrom("/reencrypt", "/reencrypt/", "/x/reencrypt", "/reencrypt/jobs/@@JOB:0@@", "/reencrypt/jobs", "/", "/admin", "/reencrypt/../admin", "/reencrypt?x=1", "/REENCRYPT", "//reencrypt", "/reencrypt%2Fjobs%2Fx", "/reencrypt/jobs/a/b", "/reencrypt/sweep", "/reencrypt/jobs/%2E%2E", "/reencrypt;x"),
    )
    .map(([method, url]): FuzzCase => ({ kind: "route", via: "gateway", method, url, body: { json: { targets: [{ bucket: "beta", object: "b/2" }] } }, valid: false, mutations: [], keys: [], deadlineMs: normalDeadline }));

  return fc.oneof(
    { weight: 30, arbitrary: requestCase },
    { weight: 8, arbitrary: shorthandCase },
    { weight: 14, arbitrary: eventCase },
    { weight: 10, arbitrary: portableCase },
    { weight: 10, arbitrary: referenceCase },
    { weight: 9, arbitrary: statusCase },
    { weight: 2, arbitrary: adminCase },
    { weight: 6, arbitrary: rawCase },
    { weight: 5, arbitrary: routeCase },
  );
}

/** Built once: 100 MiB of spaces deflated (~100 KiB), and 78,000 units (inflates past the cap). */
export function specialTokens(): { bomb: string; manyUnits: string } {
  const bomb = `r2.${deflateRawSync(Buffer.alloc(100 * 1024 * 1024, 0x20), { level: 9 }).toString("base64url")}`;
  const unit = { namespace: NS, bucket: "beta", scope: { kind: "prefix", prefix: "", allVersions: true }, key: { type: "bucket" } };
  const job = { spec: { id: "8e0f5a40-5c7b-4c0e-9a39-000000000000", origin: "rotation", units: Array.from({ length: 78_000 }, () => unit), dryRun: false }, work: { id: 0, units: [0, 78_000], cursor: { unit: 0, redo: [] } }, totals: { matched: 0, reencrypted: 0, failed: 0, skipped: 0 }, seq: 0 };
  return { bomb, manyUnits: `r2.${deflateRawSync(Buffer.from(JSON.stringify(cloneJson(job as unknown as Json)))).toString("base64url")}` };
}
