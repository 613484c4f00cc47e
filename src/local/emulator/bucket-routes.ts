import { ApiError, invalidParameter, missingParameter } from "./api-error.js";
import type { EmulatorState } from "./emulator-state.js";
import type { Bucket, Versioning } from "./model.js";
import { checkIfMatch, fieldsOf, requireBucket, requireNamespace } from "./os-route-helpers.js";
import { nextPageHeader, pageByOffset } from "./paging.js";
import { KEY_NOT_USABLE, READ_ONLY_BUCKET, refuse } from "./refusals.js";
import { jsonBody, type Reply, type Route, type RouteContext } from "./router.js";

const MAX_LIST = 1000;

/** The SDK's Bucket model (GetBucket and UpdateBucket answer it). */
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
    storageTier: b.storageTier,
    objectEventsEnabled: b.objectEventsEnabled,
    freeformTags: {},
    definedTags: {},
    // OCI sends null for a bucket without a Vault key; callers must treat null and absent alike.
    kmsKeyId: b.kmsKeyId ?? null,
    isBucketKeyEnabled: b.isBucketKeyEnabled,
    objectLifecyclePolicyEtag: null,
    replicationEnabled: b.replicationEnabled,
    isReadOnly: b.isReadOnly,
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

/** ListBuckets answers BucketSummary: no key, tier or replication fields (OCI has none there either). */
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

interface BucketPatch {
  kmsKeyId?: string;
  versioning?: Versioning;
  objectEventsEnabled?: boolean;
  isBucketKeyEnabled?: boolean;
  compartmentId?: string;
}

/** The UpdateBucketDetails fields the emulator models, checked; the others (tags, metadata, ...) are accepted and ignored. */
function parsePatch(ctx: RouteContext, bucket: Bucket): BucketPatch {
  const body = jsonBody(ctx) ?? {};
  if (typeof body !== "object" || body === null || Array.isArray(body)) {
    throw new ApiError(400, "CannotParseRequest", "The request body must be an UpdateBucketDetails JSON object");
  }
  const d = body as Record<string, unknown>;
  const patch: BucketPatch = {};
  if (d["namespace"] !== undefined && d["namespace"] !== ctx.state.namespace) throw invalidParameter("namespace does not match the request's namespace");
  if (d["name"] !== undefined && d["name"] !== bucket.name) throw invalidParameter("The emulator does not rename buckets (name must be the bucket's own)");
  // An empty kmsKeyId removes the key (Oracle-managed); absent or null leaves it as it is.
  const kmsKeyId = d["kmsKeyId"];
  if (kmsKeyId !== undefined && kmsKeyId !== null) {
    if (typeof kmsKeyId !== "string") throw invalidParameter("kmsKeyId must be a string");
    patch.kmsKeyId = kmsKeyId;
  }
  for (const field of ["objectEventsEnabled", "isBucketKeyEnabled"] as const) {
    const v = d[field];
    if (v === undefined || v === null) continue;
    if (typeof v !== "boolean") throw invalidParameter(`${field} must be a boolean`);
    patch[field] = v;
  }
  const versioning = d["versioning"];
  if (versioning !== undefined && versioning !== null) {
    if (versioning !== "Enabled" && versioning !== "Suspended") {
      throw invalidParameter("versioning must be Enabled or Suspended: versioning cannot be disabled once enabled");
    }
    if (versioning === "Suspended" && bucket.versioning === "Disabled") throw invalidParameter("Versioning can only be suspended on a bucket where it is enabled");
    patch.versioning = versioning;
  }
  const compartmentId = d["compartmentId"];
  if (compartmentId !== undefined && compartmentId !== null) {
    if (typeof compartmentId !== "string" || compartmentId === "") throw invalidParameter("compartmentId must be a non-empty string");
    patch.compartmentId = compartmentId;
  }
  return patch;
}

/** The key rules of UpdateBucket: a new key must be usable; a key pending deletion "cannot be assigned or unassigned". */
function checkKeyChange(ctx: RouteContext, bucket: Bucket, kmsKeyId: string): void {
  if (kmsKeyId === (bucket.kmsKeyId ?? "")) return;
  if (kmsKeyId !== "") ctx.state.usableKey(kmsKeyId);
  const old = bucket.kmsKeyId === undefined ? undefined : ctx.state.key(bucket.kmsKeyId);
  if (old?.lifecycleState === "PENDING_DELETION") {
    throw refuse(KEY_NOT_USABLE, `The bucket's key '${old.id}' is PENDING_DELETION and cannot be unassigned`);
  }
}

/** POST /n/{ns}/b/{bucket}: UpdateBucket, a partial update; `if-match` on the bucket's ETag. */
function updateBucket(ctx: RouteContext): Reply {
  const bucket = requireBucket(ctx);
  checkIfMatch(ctx, bucket.etag, "bucket");
  const patch = parsePatch(ctx, bucket);
  const keyChange = patch.kmsKeyId !== undefined && patch.kmsKeyId !== (bucket.kmsKeyId ?? "");
  if (bucket.isReadOnly && (keyChange || (patch.versioning !== undefined && patch.versioning !== bucket.versioning))) {
    throw refuse(READ_ONLY_BUCKET, `The bucket '${bucket.name}' is a replication destination: its key and versioning cannot be changed`);
  }
  if (patch.kmsKeyId !== undefined) checkKeyChange(ctx, bucket, patch.kmsKeyId);
  const updated = ctx.state.updateBucket(bucket.name, patch);
  return { status: 200, headers: { etag: updated.etag }, json: bucketJson(ctx.state, updated, new Set()) };
}

export const bucketRoutes: readonly Route[] = [
  { method: "GET", pattern: "/n/:ns/b", operation: "ListBuckets", handler: listBuckets },
  { method: "GET", pattern: "/n/:ns/b/:bucket", operation: "GetBucket", handler: getBucket },
  { method: "POST", pattern: "/n/:ns/b/:bucket", operation: "UpdateBucket", handler: updateBucket },
];
