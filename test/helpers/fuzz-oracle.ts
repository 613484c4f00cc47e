import { jsonDepthExceeds, MAX_JSON_DEPTH } from "../../src/contract/json-depth.js";
// What the contract allows as an answer, written from the contract (sections 1, 3, 7, 8, 10), not
// from the implementation: how a body is classified, which gateway routes exist, which status a
// job answer must carry, and what an input that is certainly invalid must get.

import type { Json } from "./fuzz-json.js";
import { isObject } from "./fuzz-json.js";

export type BodyKind = "event" | "resume" | "diagnose" | "sweep" | "status" | "request";

/** Contract §1 (and §8 for status and sweep). */
export function classifyBody(v: Json): BodyKind {
  const b = v as Record<string, Json>;
  if (("eventType" in b && "cloudEventsVersion" in b) || ("specversion" in b && "type" in b)) return "event";
  if ("resume" in b) return "resume";
  if (b["diagnose"] === true) return "diagnose";
  if ("sweep" in b) return "sweep";
  if ("job" in b) return "status";
  return "request";
}

export type Route = { kind: "post" } | { kind: "status" } | { kind: "error"; status: 404 | 405 };

/** Contract §7: POST …/reencrypt and GET …/reencrypt/jobs/{jobId}; other methods 405, other paths 404. */
export function gatewayRoute(method: string, url: string): Route {
  let path: string;
  try {
    path = new URL(url, "http://gateway.invalid").pathname.replace(/\/+$/, "");
  } catch {
    return { kind: "error", status: 404 };
  }
  const m = method.toUpperCase();
  if (/\/reencrypt\/jobs\/[^/]+$/.test(path)) return m === "GET" ? { kind: "status" } : { kind: "error", status: 405 };
  if (path.endsWith("/reencrypt")) return m === "POST" ? { kind: "post" } : { kind: "error", status: 405 };
  return { kind: "error", status: 404 };
}

/** Contract §3: error codes and their statuses. */
export const ERROR_STATUS: Record<string, number> = {
  InvalidPayload: 400,
  TargetNotAllowed: 403,
  KeyNotAllowed: 403,
  EntranceNotAllowed: 403,
  JobNotFound: 404,
  NotFound: 404,
  MethodNotAllowed: 405,
  JobAdvanced: 409,
  // Contract §11: "method":"bucket" where a rule gives a scope to another key, or on a bucket without a Vault key.
  RulesInBucket: 409,
  BucketMethodNotPossible: 409,
  RetryRefused: 409,
  PayloadTooLarge: 413,
};

const JOB_STATUSES = new Set(["succeeded", "partial", "failed", "dry-run", "incomplete", "continuing", "skipped", "ignored"]);

interface Failure {
  status: number;
}
interface JobAnswer {
  jobId: string;
  status: string;
  counts: { matched: number; failed: number };
  failures: Failure[];
}

export const isJobAnswer = (b: unknown): b is JobAnswer =>
  isObject(b as Json) && typeof (b as JobAnswer).jobId === "string" && JOB_STATUSES.has((b as JobAnswer).status) && isObject((b as JobAnswer).counts as never) && Array.isArray((b as JobAnswer).failures) && !("origin" in (b as object));

/** Contract §3's status table (with v2's dry-run rows). */
export function expectedJobStatus(a: JobAnswer): number {
  const common = (): number => {
    const s = new Set(a.failures.map((f) => f.status));
    const only = s.size === 1 ? [...s][0] : undefined;
    return only !== undefined && only >= 400 && only < 600 ? only : 502;
  };
  switch (a.status) {
    case "succeeded":
    case "skipped":
    case "ignored":
      return 200;
    case "incomplete":
    case "continuing":
      return 202;
    case "partial":
      return 207;
    case "dry-run":
      return a.counts.failed === 0 ? 200 : a.counts.matched > 0 ? 207 : common();
    default:
      return common();
  }
}

const REQUEST_FIELDS = new Set(["targets", "key", "sourceKey", "allVersions", "dryRun", "method"]);
const SHORTHAND_FIELDS = new Set(["namespaceName", "namespace", "bucketName", "objectName", "name", "versionId", "kmsKeyId", "sseCustomerKey", "sourceSseCustomerKey", "dryRun"]);
const SHORTHAND_MARKERS = ["bucketName", "objectName", "namespaceName", "name", "sseCustomerKey", "sourceSseCustomerKey", "kmsKeyId"];
const RESUME_FIELDS = new Set(["resume", "key", "sourceKey"]);
const REFERENCE = /^j1\.[A-Za-z0-9-]{8,64}(\.(0|[1-9][0-9]{0,4}))?\.[A-Za-z0-9_-]{22,64}$/;

const badName = (v: Json | undefined, max = 1024): boolean => typeof v === "string" && (!v.isWellFormed() || Buffer.byteLength(v) > max);
const badBucket = (v: Json | undefined): boolean => typeof v === "string" && !/^[A-Za-z0-9_.-]{1,256}$/.test(v);

/** Contract §2 and §10: what makes a request invalid whatever else it says. */
function certainlyInvalidRequest(b: Record<string, Json>): string | undefined {
  const keys = Object.keys(b);
  if ("targets" in b) {
    const extra = keys.find((k) => !REQUEST_FIELDS.has(k));
    if (extra !== undefined) return `unknown field ${JSON.stringify(extra)}`;
    const t = b["targets"];
    if (!Array.isArray(t) || t.length === 0 || t.length > 1000) return "targets is not 1..1000 targets";
    for (const x of t) {
      if (!isObject(x)) return "a target is not an object";
      if (badBucket(x["bucket"])) return "a bucket name OCI cannot hold";
      if (badName(x["object"]) || badName(x["prefix"]) || badName(x["versionId"])) return "an object name, prefix or version OCI cannot hold";
      if (x["object"] === "" || x["bucket"] === "") return "an empty name";
    }
    return undefined;
  }
  if (!SHORTHAND_MARKERS.some((f) => f in b)) return "neither targets nor a single-object request";
  const extra = keys.find((k) => !SHORTHAND_FIELDS.has(k));
  if (extra !== undefined) return `unknown field ${JSON.stringify(extra)}`;
  if (badBucket(b["bucketName"]) || badName(b["objectName"]) || badName(b["name"]) || badName(b["versionId"])) return "a name OCI cannot hold";
  return undefined;
}

export interface Expectation {
  /** A 4xx error is required (an input that is invalid whatever else it holds). */
  mustFail?: string;
  /** This exact status is required. */
  status?: number[];
  /** Not a single call may reach OCI (gateway refusals, malformed bodies). */
  noCalls?: boolean;
  /** The answer must not be an error (a valid body naming only what is allowed). */
  mustServe?: boolean;
}

/** What the contract requires of the answer to `text` sent that way. */
export function expectationFor(o: { via: "gateway" | "direct"; method: string; url: string; bytes: number; text: string | undefined; valid: boolean }): Expectation {
  if (o.via === "gateway") {
    const r = gatewayRoute(o.method, o.url);
    if (r.kind === "error") return { status: [r.status], mustFail: "no such route", noCalls: true };
    if (r.kind === "status") return { status: [200, 404] };
  }
  if (o.bytes > 2 * 1024 * 1024) return { status: [413], mustFail: "body over 2 MiB", noCalls: true };
  // Refused before it is parsed (contract §10: bounded input), whatever it would have been.
  if (o.text !== undefined && jsonDepthExceeds(o.text, MAX_JSON_DEPTH)) return { status: [400], mustFail: "nested deeper than the contract's messages", noCalls: true };
  let v: Json;
  try {
    v = JSON.parse(o.text ?? "\u0000") as Json;
  } catch {
    return { status: [400], mustFail: "not JSON", noCalls: true };
  }
  if (!isObject(v)) return { status: [400], mustFail: "not a JSON object", noCalls: true };
  const kind = classifyBody(v);
  const gateway = o.via === "gateway";
  const b = v as Record<string, Json>;
  switch (kind) {
    case "event":
      return gateway ? { status: [403], mustFail: "an event from a caller", noCalls: true } : o.valid ? { mustServe: true } : {};
    case "diagnose":
      if (gateway) return { status: [403], mustFail: "diagnose from a caller", noCalls: true };
      return Object.keys(b).length === 1 ? { mustServe: true } : { status: [400], mustFail: "diagnose with other fields", noCalls: true };
    case "sweep":
      if (gateway) return { status: [400, 403], mustFail: "sweep from a caller", noCalls: true };
      return Object.keys(b).length === 1 && b["sweep"] === true ? { mustServe: true } : { status: [400], mustFail: "sweep with other fields", noCalls: true };
    case "status": {
      const ok = Object.keys(b).length === 1 && typeof b["job"] === "string" && /^[A-Za-z0-9-]{8,64}$/.test(b["job"]);
      return ok ? { status: [200, 404] } : { status: [400], mustFail: "a malformed status query", noCalls: true };
    }
    case "resume": {
      const extra = Object.keys(b).find((k) => !RESUME_FIELDS.has(k));
      const t = b["resume"];
      if (extra !== undefined) return { status: [400], mustFail: `resume with ${JSON.stringify(extra)}`, noCalls: true };
      if (typeof t !== "string" || !t.startsWith("j1.")) return { status: [400], mustFail: "not a reference token (this function keeps a state bucket)", noCalls: true };
      if (!REFERENCE.test(t)) return { status: [400], mustFail: "a malformed reference token", noCalls: true };
      const shard = t.split(".").length === 4;
      if (gateway && shard) return { status: [400, 403], mustFail: "a shard token from a caller", noCalls: true };
      return {};
    }
    case "request": {
      const why = certainlyInvalidRequest(b);
      if (why) return { status: [400], mustFail: why, noCalls: true };
      // ReencryptBucket depends on the buckets' keys and the rules (contract §11): a 409 is a valid answer then.
      if (b["method"] === "bucket") return { status: [200, 202, 207, 400, 403, 404, 409, 502] };
      return o.valid ? { mustServe: true } : {};
    }
  }
}
