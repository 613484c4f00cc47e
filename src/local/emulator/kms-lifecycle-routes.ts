import { ApiError, invalidParameter } from "./api-error.js";
import { keyJson, keyVersionJson, managedKey, managedKeyVersion, MGMT } from "./kms-routes.js";
import { jsonBody, type Reply, type Route, type RouteContext } from "./router.js";

const DAY_MS = 86_400_000;
// "between 7 and 30 days from when the request is received": a minute of slack for the time the request took.
const SLACK_MS = 60_000;

/** ScheduleKeyDeletionDetails / ScheduleKeyVersionDeletionDetails: `timeOfDeletion` 7-30 days ahead, default 30. */
function timeOfDeletion(ctx: RouteContext): Date {
  const body = jsonBody(ctx) ?? {};
  if (typeof body !== "object" || body === null || Array.isArray(body)) throw new ApiError(400, "CannotParseRequest", "The request body must be a JSON object");
  const raw = (body as Record<string, unknown>)["timeOfDeletion"];
  const now = Date.now();
  if (raw === undefined || raw === null) return new Date(now + 30 * DAY_MS);
  const at = typeof raw === "string" ? Date.parse(raw) : NaN;
  if (Number.isNaN(at)) throw invalidParameter("timeOfDeletion must be an RFC 3339 timestamp");
  if (at < now + 7 * DAY_MS - SLACK_MS || at > now + 30 * DAY_MS + SLACK_MS) {
    throw invalidParameter("timeOfDeletion must be between 7 and 30 days from the time of the request");
  }
  return new Date(at);
}

const keyReply = (json: Record<string, unknown>, etag: string): Reply => ({ status: 200, headers: { etag: etag.slice(-16) }, json });

function disableKey(ctx: RouteContext): Reply {
  const key = ctx.state.disableKey(managedKey(ctx).id);
  return keyReply(keyJson(key), key.currentKeyVersion);
}

function enableKey(ctx: RouteContext): Reply {
  const key = ctx.state.enableKey(managedKey(ctx).id);
  return keyReply(keyJson(key), key.currentKeyVersion);
}

function scheduleKeyDeletion(ctx: RouteContext): Reply {
  const id = managedKey(ctx).id;
  const key = ctx.state.scheduleKeyDeletion(id, { timeOfDeletion: timeOfDeletion(ctx) });
  return keyReply(keyJson(key), key.currentKeyVersion);
}

function cancelKeyDeletion(ctx: RouteContext): Reply {
  const key = ctx.state.cancelKeyDeletion(managedKey(ctx).id);
  return keyReply(keyJson(key), key.currentKeyVersion);
}

function scheduleKeyVersionDeletion(ctx: RouteContext): Reply {
  const { key, version } = managedKeyVersion(ctx);
  const kv = ctx.state.scheduleKeyVersionDeletion(key.id, version.id, { timeOfDeletion: timeOfDeletion(ctx) });
  return keyReply(keyVersionJson(kv), kv.id);
}

function cancelKeyVersionDeletion(ctx: RouteContext): Reply {
  const { key, version } = managedKeyVersion(ctx);
  const kv = ctx.state.cancelKeyVersionDeletion(key.id, version.id);
  return keyReply(keyVersionJson(kv), kv.id);
}

const VERSION = `${MGMT}/:keyId/keyVersions/:keyVersionId`;

/** Key Management lifecycle actions at each vault's management endpoint, as KmsManagementClient calls them. */
export const kmsLifecycleRoutes: readonly Route[] = [
  { method: "POST", pattern: `${MGMT}/:keyId/actions/enable`, operation: "EnableKey", handler: enableKey },
  { method: "POST", pattern: `${MGMT}/:keyId/actions/disable`, operation: "DisableKey", handler: disableKey },
  { method: "POST", pattern: `${MGMT}/:keyId/actions/scheduleDeletion`, operation: "ScheduleKeyDeletion", handler: scheduleKeyDeletion },
  { method: "POST", pattern: `${MGMT}/:keyId/actions/cancelDeletion`, operation: "CancelKeyDeletion", handler: cancelKeyDeletion },
  { method: "POST", pattern: `${VERSION}/actions/scheduleDeletion`, operation: "ScheduleKeyVersionDeletion", handler: scheduleKeyVersionDeletion },
  { method: "POST", pattern: `${VERSION}/actions/cancelDeletion`, operation: "CancelKeyVersionDeletion", handler: cancelKeyVersionDeletion },
];
