import { invalidParameter, missingParameter, notFound } from "./api-error.js";
import type { WorkRequestRecord } from "./model.js";
import { requireWritableBucket } from "./os-route-helpers.js";
import { nextPageHeader, pageByOffset } from "./paging.js";
import { param, type Reply, type Route, type RouteContext } from "./router.js";
import { percentComplete } from "./work-requests.js";

const MAX_LIST = 100;

/** The WorkRequest model of the SDK (lib/model/work-request.js); WorkRequestSummary has the same fields. */
export function workRequestJson(r: WorkRequestRecord): Record<string, unknown> {
  const running = r.status === "ACCEPTED" || r.status === "IN_PROGRESS" || r.status === "CANCELING";
  return {
    operationType: r.operationType,
    status: r.status,
    id: r.id,
    compartmentId: r.compartmentId,
    resources: [
      {
        // Emulator choice (UNCONFIRMED): IN_PROGRESS while it runs, RELATED once finished.
        actionType: running ? "IN_PROGRESS" : "RELATED",
        entityType: "bucket",
        identifier: r.bucketId,
        entityUri: `/n/${r.namespace}/b/${encodeURIComponent(r.bucketName)}`,
        metadata: { namespace: r.namespace, bucketName: r.bucketName },
      },
    ],
    percentComplete: percentComplete(r),
    timeAccepted: r.timeAccepted,
    ...(r.timeStarted !== undefined ? { timeStarted: r.timeStarted } : {}),
    ...(r.timeFinished !== undefined ? { timeFinished: r.timeFinished } : {}),
  };
}

/** POST /n/{ns}/b/{bucket}/actions/reencrypt[?isReencryptBucketKeyOnly=]: 202 with opc-work-request-id. */
function reencryptBucket(ctx: RouteContext): Reply {
  const ns = param(ctx, "ns");
  if (ns !== ctx.state.namespace) {
    throw notFound("NamespaceNotFound", `You do not have authorization to perform this request, or the namespace '${ns}' does not exist`);
  }
  // An unknown bucket is the work request's 404; a known read-only one is refused here.
  if (ctx.state.bucket(param(ctx, "bucket"))) requireWritableBucket(ctx, "ReencryptBucket");
  const keyOnly = ctx.query.get("isReencryptBucketKeyOnly");
  if (keyOnly !== null && keyOnly !== "true" && keyOnly !== "false") throw invalidParameter("isReencryptBucketKeyOnly must be true or false");
  const wr = ctx.state.workRequests.reencryptBucket(param(ctx, "bucket"), { bucketKeyOnly: keyOnly === "true" });
  return { status: 202, headers: { "opc-work-request-id": wr.id } };
}

function getWorkRequest(ctx: RouteContext): Reply {
  const wr = ctx.state.workRequests.get(param(ctx, "workRequestId"));
  // OCI suggests when to poll again; the emulator's work requests move fast.
  return { status: 200, headers: { "retry-after": "1" }, json: workRequestJson(wr) };
}

function listWorkRequests(ctx: RouteContext): Reply {
  const compartmentId = ctx.query.get("compartmentId");
  if (!compartmentId) throw missingParameter("compartmentId");
  const all = [...ctx.state.workRequests.records.values()].filter((r) => r.compartmentId === compartmentId).reverse();
  const page = pageByOffset(all, ctx.query, MAX_LIST, MAX_LIST);
  return { status: 200, headers: nextPageHeader(page.nextPage), json: page.items.map(workRequestJson) };
}

function listWorkRequestErrors(ctx: RouteContext): Reply {
  const wr = ctx.state.workRequests.get(param(ctx, "workRequestId"));
  const page = pageByOffset(wr.errors, ctx.query, MAX_LIST, MAX_LIST);
  return { status: 200, headers: nextPageHeader(page.nextPage), json: page.items };
}

function listWorkRequestLogs(ctx: RouteContext): Reply {
  const wr = ctx.state.workRequests.get(param(ctx, "workRequestId"));
  const page = pageByOffset(wr.logs, ctx.query, MAX_LIST, MAX_LIST);
  return { status: 200, headers: nextPageHeader(page.nextPage), json: page.items };
}

function cancelWorkRequest(ctx: RouteContext): Reply {
  ctx.state.workRequests.cancel(param(ctx, "workRequestId"));
  return { status: 202 };
}

export const workRequestRoutes: readonly Route[] = [
  { method: "POST", pattern: "/n/:ns/b/:bucket/actions/reencrypt", operation: "ReencryptBucket", handler: reencryptBucket },
  { method: "GET", pattern: "/workRequests", operation: "ListWorkRequests", handler: listWorkRequests },
  { method: "GET", pattern: "/workRequests/:workRequestId", operation: "GetWorkRequest", handler: getWorkRequest },
  { method: "GET", pattern: "/workRequests/:workRequestId/errors", operation: "ListWorkRequestErrors", handler: listWorkRequestErrors },
  { method: "GET", pattern: "/workRequests/:workRequestId/logs", operation: "ListWorkRequestLogs", handler: listWorkRequestLogs },
  { method: "DELETE", pattern: "/workRequests/:workRequestId", operation: "CancelWorkRequest", handler: cancelWorkRequest },
];
