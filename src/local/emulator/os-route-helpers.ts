import { ApiError, notFound } from "./api-error.js";
import { bucketNotFoundMessage } from "./emulator-state.js";
import type { Bucket, ObjectVersion } from "./model.js";
import { READ_ONLY_BUCKET, refuse, RETENTION_RULE_ACTIVE } from "./refusals.js";
import { header, param, type RouteContext } from "./router.js";

// What the Object Storage route files share: namespace and bucket lookup, the query conventions,
// and the guards of the v3 model (read-only destinations, retention rules).

export function requireNamespace(ctx: RouteContext): void {
  const ns = param(ctx, "ns");
  if (ns !== ctx.state.namespace) {
    throw notFound("NamespaceNotFound", `You do not have authorization to perform this request, or the namespace '${ns}' does not exist`);
  }
}

export function requireBucket(ctx: RouteContext): Bucket {
  requireNamespace(ctx);
  const name = param(ctx, "bucket");
  const bucket = ctx.state.bucket(name);
  if (!bucket) throw notFound("BucketNotFound", bucketNotFoundMessage(name, ctx.state.namespace));
  return bucket;
}

/** The bucket of a state-changing call: a replication destination refuses it (READ_ONLY_BUCKET). */
export function requireWritableBucket(ctx: RouteContext, what: string): Bucket {
  const bucket = requireBucket(ctx);
  if (bucket.isReadOnly) {
    const source = ctx.state.replication.sourceOf(bucket.name);
    throw refuse(
      READ_ONLY_BUCKET,
      `The bucket '${bucket.name}' is read-only: it is the destination of a replication policy${source === undefined ? "" : ` of bucket '${source}'`}; ${what} is not allowed`,
    );
  }
  return bucket;
}

/** Refuses to modify or delete a version an active retention rule protects (RETENTION_RULE_ACTIVE). */
export function refuseIfRetained(ctx: RouteContext, v: ObjectVersion, what: string): void {
  const rule = ctx.state.retentionRules.activeFor(v.bucket, v);
  if (rule) {
    throw refuse(RETENTION_RULE_ACTIVE, `The object '${v.name}' is protected by the retention rule '${rule.displayName}' of bucket '${v.bucket}': ${what} is not allowed`);
  }
}

export function objectNotFound(bucket: string, name: string, versionId: string | undefined): ApiError {
  const which = versionId === undefined ? "" : ` with version id '${versionId}'`;
  return notFound("ObjectNotFound", `The object '${name}'${which} was not found in the bucket '${bucket}'`);
}

/** `versionId` from the query; present-but-empty counts as absent, as the SDK never sends it empty. */
export function versionIdOf(ctx: RouteContext): string | undefined {
  const v = ctx.query.get("versionId");
  return v === null || v === "" ? undefined : v;
}

/** The `fields` query parameter, lower-cased (OCI reads it case-insensitively). */
export function fieldsOf(ctx: RouteContext): Set<string> {
  return new Set(
    (ctx.query.get("fields") ?? "")
      .split(",")
      .map((f) => f.trim().toLowerCase())
      .filter(Boolean),
  );
}

/** 412 IfMatchFailed unless `if-match` is absent, `*`, or the resource's ETag. */
export function checkIfMatch(ctx: RouteContext, etag: string, what: string): void {
  const ifMatch = header(ctx, "if-match");
  if (ifMatch !== undefined && ifMatch !== "*" && ifMatch !== etag) {
    throw new ApiError(412, "IfMatchFailed", `The If-Match header does not match the ${what}'s ETag`);
  }
}

export function httpDate(iso: string): string {
  return new Date(iso).toUTCString();
}
