import type { IncomingMessage, ServerResponse } from "node:http";
import { setTimeout as sleep } from "node:timers/promises";
import { ApiError } from "./api-error.js";
import type { EmulatorState } from "./emulator-state.js";
import type { FaultInjector, FaultRequest } from "./fault-injector.js";
import { randomRequestId } from "./random-ids.js";
import { redactBody } from "./redact-body.js";
import { decodeSegments, matchRoute, type Reply, type Route } from "./router.js";
import type { ApiKeyRegistry } from "./api-keys.js";
import type { RequestStats } from "./request-stats.js";
import type { TokenIssuer } from "./token-issuer.js";
import { verifySignature } from "./verify-signature.js";

export interface RequestRecord {
  method: string;
  /** Raw path as received (still percent-encoded). */
  path: string;
  /** Raw query string, without the `?`. */
  query: string;
  /** e.g. "ReencryptObject", "ListObjectVersions", "GetSecretBundle"; "Unknown" when no route matched. */
  operation: string;
  signatureValid: boolean;
  /** Why the signature was rejected. */
  signatureError?: string;
  /**
   * Who signed: a resource principal's compartment (its token's `res_compartment`), or the user
   * OCID of an API key or session token. See `principalType`.
   */
  principal?: string;
  /** "resource" (resource principal RPST), "user" (API key, keyId tenancy/user/fingerprint) or "session" (user session token). */
  principalType?: "resource" | "user" | "session";
  /** The `jti` of the security token that signed (resource principal or session), e.g. to tell rotated tokens apart. */
  tokenId?: string;
  /** Response status; 0 while in flight or when a fault reset the connection. */
  status: number;
  /** Error code of a non-2xx answer. */
  code?: string;
  /** Parsed JSON body, with customer keys redacted (see redactBody). */
  body?: unknown;
  /** The client's `opc-client-request-id` header (the OCI CLI sends one on every request). */
  clientRequestId?: string;
  at: number;
}

export interface RequestHandlerDeps {
  state: EmulatorState;
  issuer: TokenIssuer;
  faults: FaultInjector;
  requests: RequestRecord[];
  routes: readonly Route[];
  stats?: RequestStats | undefined;
  apiKeys?: ApiKeyRegistry | undefined;
}

const MAX_BODY = 64 * 1024 * 1024;

/**
 * One request: log it, verify its signature, apply base latency and faults, then route it. Every
 * answer carries an `opc-request-id`; every error is OCI's JSON `{code, message}`.
 */
export function createRequestHandler(deps: RequestHandlerDeps): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    handle(deps, req, res).catch((error: unknown) => {
      console.error("[oci-emulator] unexpected error", error);
      if (!res.headersSent && !res.destroyed) {
        res.writeHead(500, { "content-type": "application/json" });
        res.end(JSON.stringify({ code: "InternalServerError", message: "Emulator failure" }));
      }
    });
  };
}

async function handle(deps: RequestHandlerDeps, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const raw = req.url ?? "/";
  const q = raw.indexOf("?");
  const path = q < 0 ? raw : raw.slice(0, q);
  const rawQuery = q < 0 ? "" : raw.slice(q + 1);
  const method = (req.method ?? "GET").toUpperCase();
  const record: RequestRecord = { method, path, query: rawQuery, operation: "Unknown", signatureValid: false, status: 0, at: Date.now() };
  const clientRequestId = req.headers["opc-client-request-id"];
  if (typeof clientRequestId === "string") record.clientRequestId = clientRequestId;
  deps.requests.push(record);

  // The route first: the operation is known on arrival, so in-flight counts cover the whole request.
  let segments: string[] | undefined;
  let decodeError: ApiError | undefined;
  try {
    segments = decodeSegments(path);
  } catch (error) {
    decodeError = error as ApiError;
  }
  const match = segments ? matchRoute(deps.routes, method, segments) : undefined;
  if (match) record.operation = match.route.operation;
  if (deps.stats) {
    // "close" follows the end of the response, and a reset connection too.
    res.once("close", deps.stats.begin(record.operation));
  }

  let body: Buffer;
  try {
    body = await readBody(req);
  } catch (error) {
    if (!(error instanceof ApiError)) throw error;
    send(req, res, record, { status: error.status, json: { code: error.code, message: error.message } });
    req.socket.destroy();
    return;
  }
  const bodyUnsigned = match?.route.bodyUnsigned ?? false;
  if (body.length > 0 && !bodyUnsigned) {
    const parsed = tryParseJson(body);
    if (parsed !== undefined) record.body = redactBody(record.operation, parsed);
  }

  const check = verifySignature({ method, rawTarget: raw, headers: req.headers, body, bodyUnsigned }, deps.issuer, Date.now(), deps.apiKeys);
  record.signatureValid = check.ok;
  if (check.ok) {
    const c = check.caller;
    record.principalType = c.type;
    record.principal = c.type === "resource" ? c.compartmentId : c.userId;
    if (c.type !== "user") record.tokenId = c.claims.jti;
  } else record.signatureError = check.reason;

  if (deps.faults.baseLatency > 0) await sleep(deps.faults.baseLatency);
  const reply = (r: Reply): void => send(req, res, record, r);
  const fail = (e: ApiError, extra: Record<string, string> = {}): void =>
    send(req, res, record, { status: e.status, headers: extra, json: { code: e.code, message: e.message } });

  if (!check.ok) {
    return fail(
      new ApiError(401, "NotAuthenticated", `The required information to complete authentication was not provided or was incorrect (${check.reason})`),
    );
  }
  if (decodeError) return fail(decodeError);

  const query = new URLSearchParams(rawQuery);
  const faultRequest: FaultRequest = { method, path, query, operation: record.operation };
  const objectName = match?.params["object"];
  if (objectName !== undefined) faultRequest.objectName = objectName;
  const versionId = query.get("versionId");
  if (versionId !== null) faultRequest.versionId = versionId;
  const fault = await deps.faults.apply(faultRequest);
  if (fault?.kind === "reset") {
    req.socket.destroy();
    return;
  }
  if (fault?.kind === "respond") {
    const extra = fault.retryAfterSeconds !== undefined ? { "retry-after": String(fault.retryAfterSeconds) } : {};
    return fail(new ApiError(fault.status, fault.code, fault.message), extra);
  }
  if (!match) return fail(new ApiError(404, "NotAuthorizedOrNotFound", `The emulator has no operation ${method} ${path}`));

  try {
    reply(
      await match.route.handler({
        state: deps.state,
        method,
        params: match.params,
        query,
        headers: req.headers,
        body,
        caller: check.caller,
      }),
    );
  } catch (error) {
    if (error instanceof ApiError) return fail(error);
    throw error;
  }
}

function send(req: IncomingMessage, res: ServerResponse, record: RequestRecord, reply: Reply): void {
  if (res.destroyed) return;
  const clientRequestId = req.headers["opc-request-id"];
  // Like OCI, fold the client's own opc-request-id into the one returned.
  const requestId = typeof clientRequestId === "string" && clientRequestId ? `${clientRequestId}/${randomRequestId()}` : randomRequestId();
  const headers: Record<string, string> = { ...reply.headers, "opc-request-id": requestId };
  const echo = req.headers["opc-client-request-id"];
  if (typeof echo === "string") headers["opc-client-request-id"] = echo;
  let payload: Buffer | undefined = reply.body;
  if (reply.json !== undefined) {
    payload = Buffer.from(JSON.stringify(reply.json), "utf8");
    headers["content-type"] = "application/json";
  }
  const bodyless = reply.status === 204 || reply.status === 304;
  if (!bodyless && headers["content-length"] === undefined) headers["content-length"] = String(payload?.length ?? 0);
  record.status = reply.status;
  if (reply.status >= 300 && isRecord(reply.json) && typeof reply.json["code"] === "string") record.code = reply.json["code"];
  res.writeHead(reply.status, headers);
  res.end(req.method === "HEAD" || bodyless ? undefined : payload);
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const b = chunk as Buffer;
    size += b.length;
    if (size > MAX_BODY) throw new ApiError(413, "PayloadTooLarge", "The request body is too large for the emulator");
    chunks.push(b);
  }
  return Buffer.concat(chunks);
}

function tryParseJson(body: Buffer): unknown {
  try {
    return JSON.parse(body.toString("utf8"));
  } catch {
    return undefined;
  }
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}
