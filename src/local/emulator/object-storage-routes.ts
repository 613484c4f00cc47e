import { ApiError, invalidParameter, missingParameter, notFound } from "./api-error.js";
import { compareNames, lowerBound } from "./compare-names.js";
import { bucketNotFoundMessage, type EmulatorState } from "./emulator-state.js";
import type { Bucket, ObjectVersion } from "./model.js";
import { decodePage, encodePage, nextPageHeader, pageByOffset, parseLimit } from "./paging.js";
import { reencryptObject } from "./reencrypt-object.js";
import { header, jsonBody, param, type Reply, type Route, type RouteContext } from "./router.js";
import { sseCKeyProblem, sseCKeySha256 } from "./sse-c.js";

const MAX_LIST = 1000;

function requireNamespace(ctx: RouteContext): void {
  const ns = param(ctx, "ns");
  if (ns !== ctx.state.namespace) {
    throw notFound("NamespaceNotFound", `You do not have authorization to perform this request, or the namespace '${ns}' does not exist`);
  }
}

function requireBucket(ctx: RouteContext): Bucket {
  requireNamespace(ctx);
  const name = param(ctx, "bucket");
  const bucket = ctx.state.bucket(name);
  if (!bucket) throw notFound("BucketNotFound", bucketNotFoundMessage(name, ctx.state.namespace));
  return bucket;
}

function objectNotFound(bucket: string, name: string, versionId: string | undefined): ApiError {
  const which = versionId === undefined ? "" : ` with version id '${versionId}'`;
  return notFound("ObjectNotFound", `The object '${name}'${which} was not found in the bucket '${bucket}'`);
}

/** `versionId` from the query; present-but-empty counts as absent, as the SDK never sends it empty. */
function versionIdOf(ctx: RouteContext): string | undefined {
  const v = ctx.query.get("versionId");
  return v === null || v === "" ? undefined : v;
}

function fieldsOf(ctx: RouteContext): Set<string> {
  return new Set(
    (ctx.query.get("fields") ?? "")
      .split(",")
      .map((f) => f.trim().toLowerCase())
      .filter(Boolean),
  );
}

function httpDate(iso: string): string {
  return new Date(iso).toUTCString();
}

// ---- namespace and buckets ----

const getNamespace = (ctx: RouteContext): Reply => ({ status: 200, json: ctx.state.namespace });

function bucketJson(state: EmulatorState, b: Bucket, fields: Set<string>): Record<string, unknown> {
  const json: Record<string, unknown> = {
    namespace: b.namespace,
    name: b.name,
    compartmentId: b.compartmentId,
    metadata: {},
    createdBy: b.createdBy,
    timeCreated: b.timeCreated,
    etag: b.etag,
    publicAccessType: "NoPublicAccess",
    storageTier: "Standard",
    objectEventsEnabled: b.objectEventsEnabled,
    freeformTags: {},
    definedTags: {},
    // OCI sends null for a bucket without a Vault key; callers must treat null and absent alike.
    kmsKeyId: b.kmsKeyId ?? null,
    isBucketKeyEnabled: b.isBucketKeyEnabled === true,
    objectLifecyclePolicyEtag: null,
    replicationEnabled: false,
    isReadOnly: false,
    id: b.id,
    versioning: b.versioning,
    autoTiering: "Disabled",
  };
  if (fields.has("approximatecount") || fields.has("approximatesize")) {
    let count = 0;
    let size = 0;
    for (const name of state.sortedNames(b.name)) {
      for (const v of state.versionsOf(b.name, name)) {
        if (v.isDeleteMarker) continue;
        count++;
        size += v.content.length;
      }
    }
    if (fields.has("approximatecount")) json["approximateCount"] = count;
    if (fields.has("approximatesize")) json["approximateSize"] = size;
  }
  return json;
}

function getBucket(ctx: RouteContext): Reply {
  const b = requireBucket(ctx);
  return { status: 200, headers: { etag: b.etag }, json: bucketJson(ctx.state, b, fieldsOf(ctx)) };
}

function listBuckets(ctx: RouteContext): Reply {
  requireNamespace(ctx);
  const compartmentId = ctx.query.get("compartmentId");
  if (!compartmentId) throw missingParameter("compartmentId");
  const withTags = fieldsOf(ctx).has("tags");
  const all = [...ctx.state.buckets.values()]
    .filter((b) => b.compartmentId === compartmentId)
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const page = pageByOffset(all, ctx.query, MAX_LIST, MAX_LIST);
  const items = page.items.map((b) => ({
    namespace: b.namespace,
    name: b.name,
    compartmentId: b.compartmentId,
    createdBy: b.createdBy,
    timeCreated: b.timeCreated,
    etag: b.etag,
    ...(withTags ? { freeformTags: {}, definedTags: {} } : {}),
  }));
  return { status: 200, headers: nextPageHeader(page.nextPage), json: items };
}

// ---- listing ----

interface ListRange {
  prefix: string;
  from: number;
  end: string | null;
  delimiter: string | null;
}

function listRange(ctx: RouteContext, names: readonly string[]): ListRange {
  const prefix = ctx.query.get("prefix") ?? "";
  const start = ctx.query.get("start");
  const startAfter = ctx.query.get("startAfter");
  const delimiter = ctx.query.get("delimiter");
  if (delimiter !== null && delimiter !== "/") throw invalidParameter("Only '/' is a supported delimiter");
  let from = lowerBound(names, prefix);
  if (start) from = Math.max(from, lowerBound(names, start));
  if (startAfter) from = Math.max(from, lowerBound(names, startAfter, true));
  return { prefix, from, end: ctx.query.get("end"), delimiter };
}

/** The common-prefix a name collapses into under a delimiter, or undefined when it is listed itself. */
function collapsedPrefix(name: string, range: ListRange): string | undefined {
  if (range.delimiter === null) return undefined;
  const i = name.indexOf(range.delimiter, range.prefix.length);
  return i < 0 ? undefined : name.slice(0, i + range.delimiter.length);
}

/** Names are sorted and the scan starts inside the prefix, so the first name outside ends it. */
function inRange(name: string, range: ListRange): boolean {
  if (!name.startsWith(range.prefix)) return false;
  return !range.end || compareNames(name, range.end) < 0;
}

function summary(v: ObjectVersion, fields: Set<string>): Record<string, unknown> {
  const s: Record<string, unknown> = { name: v.name };
  if (fields.has("size")) s["size"] = v.content.length;
  if (fields.has("etag")) s["etag"] = v.etag;
  if (fields.has("md5")) s["md5"] = v.md5;
  if (fields.has("timecreated")) s["timeCreated"] = v.timeCreated;
  if (fields.has("timemodified")) s["timeModified"] = v.timeModified;
  if (fields.has("storagetier")) s["storageTier"] = "Standard";
  return s;
}

function listObjects(ctx: RouteContext): Reply {
  const bucket = requireBucket(ctx);
  const names = ctx.state.sortedNames(bucket.name);
  const range = listRange(ctx, names);
  const limit = parseLimit(ctx.query, MAX_LIST, MAX_LIST);
  const fields = fieldsOf(ctx);
  const objects: Record<string, unknown>[] = [];
  const prefixes: string[] = [];
  let nextStartWith: string | undefined;
  for (let i = range.from; i < names.length; i++) {
    const name = names[i] as string;
    if (!inRange(name, range)) break;
    const latest = ctx.state.versionsOf(bucket.name, name)[0];
    if (!latest || latest.isDeleteMarker) continue;
    const p = collapsedPrefix(name, range);
    if (p !== undefined && prefixes[prefixes.length - 1] === p) continue;
    if (objects.length + prefixes.length >= limit) {
      nextStartWith = name;
      break;
    }
    if (p !== undefined) prefixes.push(p);
    else objects.push(summary(latest, fields));
  }
  const json: Record<string, unknown> = { objects };
  if (range.delimiter !== null) json["prefixes"] = prefixes;
  if (nextStartWith !== undefined) json["nextStartWith"] = nextStartWith;
  return { status: 200, json };
}

interface VersionCursor {
  n: string;
  s: number;
}

function listObjectVersions(ctx: RouteContext): Reply {
  const bucket = requireBucket(ctx);
  const names = ctx.state.sortedNames(bucket.name);
  const range = listRange(ctx, names);
  const limit = parseLimit(ctx.query, MAX_LIST, MAX_LIST);
  const fields = fieldsOf(ctx);
  let cursor: VersionCursor | undefined;
  const page = ctx.query.get("page");
  if (page) {
    const c = decodePage(page) as Partial<VersionCursor> | null;
    if (!c || typeof c.n !== "string" || typeof c.s !== "number") throw invalidParameter("The page token is not valid");
    cursor = { n: c.n, s: c.s };
    range.from = Math.max(range.from, lowerBound(names, c.n));
  }
  const items: Record<string, unknown>[] = [];
  const prefixes: string[] = [];
  let next: VersionCursor | undefined;
  outer: for (let i = range.from; i < names.length; i++) {
    const name = names[i] as string;
    if (!inRange(name, range)) break;
    const p = collapsedPrefix(name, range);
    if (p !== undefined) {
      if (prefixes[prefixes.length - 1] === p) continue;
      if (items.length + prefixes.length >= limit) {
        next = { n: name, s: Number.MAX_SAFE_INTEGER };
        break;
      }
      prefixes.push(p);
      continue;
    }
    for (const v of ctx.state.versionsOf(bucket.name, name)) {
      if (cursor && name === cursor.n && v.seq > cursor.s) continue;
      if (items.length + prefixes.length >= limit) {
        next = { n: name, s: v.seq };
        break outer;
      }
      items.push({ ...summary(v, fields), versionId: v.versionId, isDeleteMarker: v.isDeleteMarker, timeModified: v.timeModified });
    }
  }
  const json: Record<string, unknown> = { items };
  if (range.delimiter !== null) json["prefixes"] = prefixes;
  return { status: 200, headers: nextPageHeader(next && encodePage(next)), json };
}

// ---- objects ----

interface CustomerKeyHeaders {
  keySha256: string;
}

/** The `opc-sse-customer-*` headers: all three or none, and the hash must match the key. */
function customerKeyHeaders(ctx: RouteContext): CustomerKeyHeaders | undefined {
  const algorithm = header(ctx, "opc-sse-customer-algorithm");
  const key = header(ctx, "opc-sse-customer-key");
  const sha = header(ctx, "opc-sse-customer-key-sha256");
  if (algorithm === undefined && key === undefined && sha === undefined) return undefined;
  if (algorithm === undefined || key === undefined || sha === undefined) {
    throw invalidParameter(
      "opc-sse-customer-algorithm, opc-sse-customer-key and opc-sse-customer-key-sha256 must be given together",
    );
  }
  if (algorithm !== "AES256") throw invalidParameter("opc-sse-customer-algorithm must be AES256");
  const problem = sseCKeyProblem(key);
  if (problem) throw invalidParameter(`opc-sse-customer-key ${problem}`);
  if (sseCKeySha256(key) !== sha) throw invalidParameter("opc-sse-customer-key-sha256 does not match opc-sse-customer-key");
  return { keySha256: sha };
}

/** The version a HEAD or GET reads, with the SSE-C rules: no key 400, wrong key 403. */
function readableVersion(ctx: RouteContext): ObjectVersion {
  const bucket = requireBucket(ctx);
  const name = param(ctx, "object");
  const versionId = versionIdOf(ctx);
  const version = ctx.state.findVersion(bucket.name, name, versionId);
  if (!version || version.isDeleteMarker) throw objectNotFound(bucket.name, name, versionId);
  const given = customerKeyHeaders(ctx);
  if (version.wrapping.kind === "sse-c") {
    if (!given) {
      throw invalidParameter(
        `The object '${name}' is encrypted with a customer-provided encryption key; the opc-sse-customer-* headers are required`,
      );
    }
    if (given.keySha256 !== version.wrapping.keySha256) {
      throw new ApiError(403, "Forbidden", "The customer-provided encryption key does not match the key the object is encrypted with");
    }
  }
  return version;
}

function objectHeaders(v: ObjectVersion): Record<string, string> {
  return {
    etag: v.etag,
    "content-length": String(v.content.length),
    "content-md5": v.md5,
    "content-type": v.contentType,
    "last-modified": httpDate(v.timeModified),
    "version-id": v.versionId,
    "storage-tier": "Standard",
  };
}

/** 412 / 304 for if-match and if-none-match on reads. */
function preconditions(ctx: RouteContext, v: ObjectVersion): Reply | undefined {
  const ifMatch = header(ctx, "if-match");
  if (ifMatch !== undefined && ifMatch !== v.etag && ifMatch !== "*") {
    throw new ApiError(412, "IfMatchFailed", "The If-Match header does not match the object's ETag");
  }
  const ifNoneMatch = header(ctx, "if-none-match");
  if (ifNoneMatch !== undefined && (ifNoneMatch === v.etag || ifNoneMatch === "*")) {
    return { status: 304, headers: { etag: v.etag, "version-id": v.versionId } };
  }
  return undefined;
}

function headObject(ctx: RouteContext): Reply {
  const v = readableVersion(ctx);
  return preconditions(ctx, v) ?? { status: 200, headers: objectHeaders(v) };
}

function getObject(ctx: RouteContext): Reply {
  const v = readableVersion(ctx);
  return preconditions(ctx, v) ?? { status: 200, headers: objectHeaders(v), body: v.content };
}

function putObject(ctx: RouteContext): Reply {
  const bucket = requireBucket(ctx);
  const name = param(ctx, "object");
  const latest = ctx.state.findVersion(bucket.name, name);
  const exists = latest !== undefined && !latest.isDeleteMarker;
  const ifNoneMatch = header(ctx, "if-none-match");
  if (ifNoneMatch !== undefined) {
    if (ifNoneMatch !== "*") throw invalidParameter("The only supported value of if-none-match is '*'");
    if (exists) throw new ApiError(412, "IfNoneMatchFailed", `The object '${name}' already exists`);
  }
  const ifMatch = header(ctx, "if-match");
  if (ifMatch !== undefined && (!exists || latest.etag !== ifMatch)) {
    throw new ApiError(412, "IfMatchFailed", "The If-Match header does not match the object's ETag");
  }
  const sseC = customerKeyHeaders(ctx);
  const kmsKeyId = header(ctx, "opc-sse-kms-key-id");
  if (sseC && kmsKeyId) throw invalidParameter("An object cannot have both an SSE-C key and a kmsKeyId");
  const { versionId } = ctx.state.putObject(bucket.name, name, {
    content: ctx.body,
    sseCustomerKey: header(ctx, "opc-sse-customer-key"),
    kmsKeyId: kmsKeyId || undefined,
    contentType: header(ctx, "content-type"),
  });
  const v = ctx.state.findVersion(bucket.name, name, versionId) as ObjectVersion;
  return {
    status: 200,
    headers: { etag: v.etag, "version-id": v.versionId, "last-modified": httpDate(v.timeModified), "opc-content-md5": v.md5 },
  };
}

function deleteObject(ctx: RouteContext): Reply {
  const bucket = requireBucket(ctx);
  const name = param(ctx, "object");
  const versionId = versionIdOf(ctx);
  const target = ctx.state.findVersion(bucket.name, name, versionId);
  if (!target || (versionId === undefined && target.isDeleteMarker)) throw objectNotFound(bucket.name, name, versionId);
  ctx.state.deleteObject(bucket.name, name, versionId);
  const latest = ctx.state.findVersion(bucket.name, name);
  const isDeleteMarker = versionId === undefined && latest?.isDeleteMarker === true;
  return {
    status: 204,
    headers: {
      "last-modified": new Date().toUTCString(),
      ...(isDeleteMarker && latest ? { "version-id": latest.versionId, "is-delete-marker": "true" } : {}),
    },
  };
}

function reencrypt(ctx: RouteContext): Reply {
  requireNamespace(ctx);
  reencryptObject(ctx.state, param(ctx, "bucket"), param(ctx, "object"), versionIdOf(ctx), jsonBody(ctx));
  return { status: 200 };
}

export const objectStorageRoutes: readonly Route[] = [
  { method: "GET", pattern: "/n", operation: "GetNamespace", handler: getNamespace },
  { method: "GET", pattern: "/n/:ns/b", operation: "ListBuckets", handler: listBuckets },
  { method: "GET", pattern: "/n/:ns/b/:bucket", operation: "GetBucket", handler: getBucket },
  { method: "GET", pattern: "/n/:ns/b/:bucket/o", operation: "ListObjects", handler: listObjects },
  { method: "GET", pattern: "/n/:ns/b/:bucket/objectversions", operation: "ListObjectVersions", handler: listObjectVersions },
  { method: "HEAD", pattern: "/n/:ns/b/:bucket/o/:object", operation: "HeadObject", handler: headObject },
  { method: "GET", pattern: "/n/:ns/b/:bucket/o/:object", operation: "GetObject", handler: getObject },
  { method: "PUT", pattern: "/n/:ns/b/:bucket/o/:object", operation: "PutObject", handler: putObject, bodyUnsigned: true },
  { method: "DELETE", pattern: "/n/:ns/b/:bucket/o/:object", operation: "DeleteObject", handler: deleteObject },
  { method: "POST", pattern: "/n/:ns/b/:bucket/actions/reencrypt/:object", operation: "ReencryptObject", handler: reencrypt },
];
