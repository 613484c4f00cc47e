import { ApiError, invalidParameter, missingParameter, notFound } from "./api-error.js";
import type { InvokeRequest } from "./function-invokers.js";
import type { FunctionRecord } from "./model.js";
import { nextPageHeader, pageByOffset } from "./paging.js";
import { header, param, type Reply, type Route, type RouteContext } from "./router.js";

const MAX_INVOKE_BODY = 6 * 1024 * 1024;
const INVOKE_TYPES = new Set(["sync", "detached"]);
const INTENTS = new Set(["httprequest", "cloudevent"]);
// Framing headers of the invoker's response: the emulator's server sets its own.
const HOP_BY_HOP = new Set(["content-length", "transfer-encoding", "connection", "keep-alive", "date"]);

function requireFunction(ctx: RouteContext): FunctionRecord {
  const id = param(ctx, "functionId");
  const fn = ctx.state.functionRecords.get(id);
  if (!fn) throw notFound("NotAuthorizedOrNotFound", `Function ${id} does not exist or you are not authorized to access it`);
  return fn;
}

function functionJson(fn: FunctionRecord): Record<string, unknown> {
  return { ...fn, shape: "GENERIC_X86", freeformTags: {}, definedTags: {}, timeUpdated: fn.timeCreated };
}

function getFunction(ctx: RouteContext): Reply {
  const fn = requireFunction(ctx);
  return { status: 200, headers: { etag: fn.id.slice(-16) }, json: functionJson(fn) };
}

function listFunctions(ctx: RouteContext): Reply {
  const applicationId = ctx.query.get("applicationId");
  if (!applicationId) throw missingParameter("applicationId");
  const fns = [...ctx.state.functionRecords.values()].filter((f) => f.applicationId === applicationId);
  const page = pageByOffset(fns, ctx.query, 50, 50);
  const items = page.items.map((f) => {
    const { config: _config, ...summary } = functionJson(f);
    return summary;
  });
  return { status: 200, headers: nextPageHeader(page.nextPage), json: items };
}

function getApplication(ctx: RouteContext): Reply {
  const id = param(ctx, "applicationId");
  const app = ctx.state.applications.get(id);
  if (!app) throw notFound("NotAuthorizedOrNotFound", `Application ${id} does not exist or you are not authorized to access it`);
  return {
    status: 200,
    headers: { etag: app.id.slice(-16) },
    json: { ...app, config: {}, subnetIds: [], shape: "GENERIC_X86", freeformTags: {}, definedTags: {}, timeUpdated: app.timeCreated },
  };
}

/**
 * InvokeFunction: hands the call to the invoker registered for the function. `sync` answers with
 * the invoker's result; `detached` answers 202 at once and runs it in the background.
 */
async function invokeFunction(ctx: RouteContext): Promise<Reply> {
  const fn = requireFunction(ctx);
  const invokeType = (header(ctx, "fn-invoke-type") ?? "sync").toLowerCase();
  if (!INVOKE_TYPES.has(invokeType)) throw invalidParameter("fn-invoke-type must be sync or detached");
  const intent = header(ctx, "fn-intent");
  if (intent !== undefined && !INTENTS.has(intent.toLowerCase())) {
    throw invalidParameter("fn-intent must be httprequest or cloudevent");
  }
  if (ctx.body.length > MAX_INVOKE_BODY) throw new ApiError(413, "PayloadTooLarge", "The invoke body exceeds 6 MB");
  if (header(ctx, "is-dry-run") === "true") return { status: 200 };

  const invoker = ctx.state.functions.getInvoker(fn.id);
  if (!invoker) {
    throw new ApiError(502, "FunctionInvokeExecutionFailed", `No invoker is registered for function ${fn.id} in the emulator`);
  }
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(ctx.headers)) {
    if (name === "authorization" || value === undefined) continue;
    headers[name] = Array.isArray(value) ? value.join(", ") : value;
  }
  const detached = invokeType === "detached";
  const req: InvokeRequest = {
    body: ctx.body,
    headers,
    invokeType: detached ? "detached" : "sync",
    functionId: fn.id,
    timeoutSeconds: detached ? fn.detachedModeTimeoutInSeconds : fn.timeoutInSeconds,
  };
  if (!ctx.state.functions.admit(fn.id, req)) {
    throw new ApiError(429, "TooManyRequests", `Too many concurrent invocations of function ${fn.id}: every container is busy at the limit`);
  }
  if (detached) {
    ctx.state.functions.runDetached(fn.id, invoker, req);
    return { status: 202 };
  }
  let result;
  try {
    result = await invoker(req);
  } catch (error) {
    throw new ApiError(502, "FunctionInvokeExecutionFailed", `The function failed: ${String(error)}`);
  }
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(result.headers)) {
    if (!HOP_BY_HOP.has(name.toLowerCase())) out[name.toLowerCase()] = value;
  }
  return { status: result.status, headers: out, body: result.body };
}

export const functionsRoutes: readonly Route[] = [
  { method: "GET", pattern: "/20181201/functions", operation: "ListFunctions", handler: listFunctions },
  { method: "GET", pattern: "/20181201/functions/:functionId", operation: "GetFunction", handler: getFunction },
  { method: "GET", pattern: "/20181201/applications/:applicationId", operation: "GetApplication", handler: getApplication },
  { method: "POST", pattern: "/20181201/functions/:functionId/actions/invoke", operation: "InvokeFunction", handler: invokeFunction },
];
