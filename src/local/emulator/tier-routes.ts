import { ApiError, invalidParameter } from "./api-error.js";
import type { ObjectVersion } from "./model.js";
import { objectNotFound, requireWritableBucket } from "./os-route-helpers.js";
import { jsonBody, type Reply, type Route, type RouteContext } from "./router.js";
import { parseStorageTier } from "./storage-tiers.js";

/** The body of RestoreObjects / UpdateObjectStorageTier: `objectName` and an optional `versionId`. */
function details(ctx: RouteContext): Record<string, unknown> {
  const body = jsonBody(ctx);
  if (typeof body !== "object" || body === null || Array.isArray(body)) throw new ApiError(400, "CannotParseRequest", "The request body must be a JSON object");
  return body as Record<string, unknown>;
}

function targetVersion(ctx: RouteContext, bucket: string, d: Record<string, unknown>): ObjectVersion {
  const name = d["objectName"];
  if (typeof name !== "string" || name === "") throw invalidParameter("objectName is required");
  const versionId = d["versionId"];
  if (versionId !== undefined && versionId !== null && typeof versionId !== "string") throw invalidParameter("versionId must be a string");
  const id = typeof versionId === "string" && versionId !== "" ? versionId : undefined;
  const v = ctx.state.findVersion(bucket, name, id);
  if (!v || v.isDeleteMarker) throw objectNotFound(bucket, name, id);
  return v;
}

/**
 * POST /n/{ns}/b/{bucket}/actions/restoreObjects: an Archived version starts restoring (202); one
 * restoring is left so (202); a Restored one has its hours extended (200). Status codes UNCONFIRMED.
 */
function restoreObjects(ctx: RouteContext): Reply {
  const bucket = requireWritableBucket(ctx, "RestoreObjects");
  const d = details(ctx);
  const v = targetVersion(ctx, bucket.name, d);
  const outcome = ctx.state.tiers.restore(v, d["hours"]);
  return { status: outcome === "restored" ? 200 : 202 };
}

/** POST /n/{ns}/b/{bucket}/actions/updateObjectStorageTier: an Archive version must be Restored to leave the tier. */
function updateObjectStorageTier(ctx: RouteContext): Reply {
  const bucket = requireWritableBucket(ctx, "UpdateObjectStorageTier");
  const d = details(ctx);
  const v = targetVersion(ctx, bucket.name, d);
  const tier = parseStorageTier(d["storageTier"], "storageTier");
  if (bucket.storageTier === "Archive" && tier !== "Archive") throw invalidParameter(`Objects in the Archive bucket '${bucket.name}' stay in the Archive tier`);
  ctx.state.tiers.setTier(v, tier);
  return { status: 200 };
}

export const tierRoutes: readonly Route[] = [
  { method: "POST", pattern: "/n/:ns/b/:bucket/actions/restoreObjects", operation: "RestoreObjects", handler: restoreObjects },
  {
    method: "POST",
    pattern: "/n/:ns/b/:bucket/actions/updateObjectStorageTier",
    operation: "UpdateObjectStorageTier",
    handler: updateObjectStorageTier,
  },
];
