import { missingParameter, notFound } from "./api-error.js";
import type { Rule } from "./model.js";
import { nextPageHeader, pageByOffset } from "./paging.js";
import { param, type Reply, type Route, type RouteContext } from "./router.js";

function summary(r: Rule): Record<string, unknown> {
  return {
    id: r.id,
    displayName: r.displayName,
    ...(r.description !== undefined ? { description: r.description } : {}),
    lifecycleState: r.lifecycleState,
    condition: r.condition,
    compartmentId: r.compartmentId,
    isEnabled: r.isEnabled,
    timeCreated: r.timeCreated,
    freeformTags: {},
    definedTags: {},
  };
}

function listRules(ctx: RouteContext): Reply {
  const compartmentId = ctx.query.get("compartmentId");
  if (!compartmentId) throw missingParameter("compartmentId");
  const lifecycleState = ctx.query.get("lifecycleState");
  const displayName = ctx.query.get("displayName");
  const sortBy = ctx.query.get("sortBy") ?? "TIME_CREATED";
  const desc = (ctx.query.get("sortOrder") ?? (sortBy === "TIME_CREATED" ? "DESC" : "ASC")) === "DESC";
  const rules = [...ctx.state.rules.values()]
    .filter((r) => r.compartmentId === compartmentId)
    .filter((r) => !lifecycleState || r.lifecycleState === lifecycleState)
    .filter((r) => !displayName || r.displayName === displayName)
    .map((r, i) => ({ r, i, k: sortBy === "DISPLAY_NAME" ? r.displayName : sortBy === "ID" ? r.id : r.timeCreated }))
    .sort((a, b) => {
      const c = a.k < b.k ? -1 : a.k > b.k ? 1 : a.i - b.i;
      return desc ? -c : c;
    })
    .map((x) => x.r);
  const page = pageByOffset(rules, ctx.query, 100, 1000);
  return { status: 200, headers: nextPageHeader(page.nextPage), json: page.items.map(summary) };
}

function getRule(ctx: RouteContext): Reply {
  const id = param(ctx, "ruleId");
  const rule = ctx.state.rules.get(id);
  if (!rule) throw notFound("NotAuthorizedOrNotFound", `Rule ${id} does not exist or you are not authorized to access it`);
  return {
    status: 200,
    headers: { etag: rule.id.slice(-16) },
    json: {
      ...summary(rule),
      actions: { actions: rule.actions.map((a) => ({ ...a, lifecycleMessage: "" })) },
      lifecycleMessage: "",
    },
  };
}

export const eventsRoutes: readonly Route[] = [
  { method: "GET", pattern: "/20181201/rules", operation: "ListRules", handler: listRules },
  { method: "GET", pattern: "/20181201/rules/:ruleId", operation: "GetRule", handler: getRule },
];
