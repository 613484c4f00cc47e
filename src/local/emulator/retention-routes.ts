import { ApiError } from "./api-error.js";
import type { RetentionRule } from "./model.js";
import { checkIfMatch, httpDate, requireBucket } from "./os-route-helpers.js";
import type { RetentionRuleInput } from "./retention-rules.js";
import { jsonBody, param, type Reply, type Route, type RouteContext } from "./router.js";

const invalidDetails = (message: string): ApiError => new ApiError(400, "InvalidRetentionRuleDetails", message);

/** The SDK's RetentionRule model; OCI sends null for an absent duration or lock (recorded answers). */
function ruleJson(r: RetentionRule): Record<string, unknown> {
  return {
    id: r.id,
    displayName: r.displayName,
    duration: r.duration ?? null,
    etag: r.etag,
    timeRuleLocked: r.timeRuleLocked ?? null,
    timeCreated: r.timeCreated,
    timeModified: r.timeModified,
  };
}

/** CreateRetentionRuleDetails / UpdateRetentionRuleDetails, shape-checked; the rules' own checks are RetentionRules'. */
function parseDetails(ctx: RouteContext): RetentionRuleInput {
  const body = jsonBody(ctx) ?? {};
  if (typeof body !== "object" || body === null || Array.isArray(body)) throw new ApiError(400, "CannotParseRequest", "The request body must be a JSON object");
  const d = body as Record<string, unknown>;
  const out: RetentionRuleInput = {};
  const name = d["displayName"];
  if (name !== undefined && name !== null) {
    if (typeof name !== "string" || name === "") throw invalidDetails("displayName must be a non-empty string");
    out.displayName = name;
  }
  const duration = d["duration"];
  if (duration !== undefined && duration !== null) {
    if (typeof duration !== "object" || Array.isArray(duration)) throw invalidDetails("duration must be an object with timeAmount and timeUnit");
    const { timeAmount, timeUnit } = duration as Record<string, unknown>;
    if (typeof timeAmount !== "number") throw invalidDetails("duration.timeAmount must be a number");
    if (timeUnit !== "DAYS" && timeUnit !== "YEARS") throw invalidDetails("duration.timeUnit must be DAYS or YEARS");
    out.duration = { timeAmount, timeUnit };
  }
  const locked = d["timeRuleLocked"];
  if (locked !== undefined && locked !== null) {
    if (typeof locked !== "string") throw invalidDetails("timeRuleLocked must be an RFC 3339 timestamp");
    out.timeRuleLocked = locked;
  }
  return out;
}

function requireRule(ctx: RouteContext, bucket: string): RetentionRule {
  const id = param(ctx, "ruleId");
  const rule = ctx.state.retentionRules.get(bucket, id);
  if (!rule) throw new ApiError(404, "NotFound", `The retention rule '${id}' does not exist in bucket '${bucket}'`);
  return rule;
}

function createRule(ctx: RouteContext): Reply {
  const bucket = requireBucket(ctx);
  const rule = ctx.state.retentionRules.create(bucket.name, parseDetails(ctx));
  return { status: 200, headers: { etag: rule.etag }, json: ruleJson(rule) };
}

function listRules(ctx: RouteContext): Reply {
  const bucket = requireBucket(ctx);
  return { status: 200, json: { items: ctx.state.retentionRules.list(bucket.name).map(ruleJson) } };
}

function getRule(ctx: RouteContext): Reply {
  const bucket = requireBucket(ctx);
  const rule = requireRule(ctx, bucket.name);
  return { status: 200, headers: { etag: rule.etag, "last-modified": httpDate(rule.timeModified) }, json: ruleJson(rule) };
}

function updateRule(ctx: RouteContext): Reply {
  const bucket = requireBucket(ctx);
  const rule = requireRule(ctx, bucket.name);
  checkIfMatch(ctx, rule.etag, "retention rule");
  const updated = ctx.state.retentionRules.update(bucket.name, rule.id, parseDetails(ctx));
  return { status: 200, headers: { etag: updated.etag }, json: ruleJson(updated) };
}

function deleteRule(ctx: RouteContext): Reply {
  const bucket = requireBucket(ctx);
  const rule = requireRule(ctx, bucket.name);
  checkIfMatch(ctx, rule.etag, "retention rule");
  ctx.state.retentionRules.delete(bucket.name, rule.id);
  return { status: 204 };
}

const RULES = "/n/:ns/b/:bucket/retentionRules";

export const retentionRoutes: readonly Route[] = [
  { method: "POST", pattern: RULES, operation: "CreateRetentionRule", handler: createRule },
  { method: "GET", pattern: RULES, operation: "ListRetentionRules", handler: listRules },
  { method: "GET", pattern: `${RULES}/:ruleId`, operation: "GetRetentionRule", handler: getRule },
  { method: "PUT", pattern: `${RULES}/:ruleId`, operation: "UpdateRetentionRule", handler: updateRule },
  { method: "DELETE", pattern: `${RULES}/:ruleId`, operation: "DeleteRetentionRule", handler: deleteRule },
];
