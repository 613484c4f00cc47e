import type { IncomingHttpHeaders } from "node:http";
import { ApiError } from "./api-error.js";
import type { EmulatorState } from "./emulator-state.js";
import type { Caller } from "./verify-signature.js";

export interface RouteContext {
  state: EmulatorState;
  method: string;
  params: Record<string, string>;
  /** Parsed with URLSearchParams from the raw query, so an unencoded `+` is a space, as OCI would read it. */
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
  body: Buffer;
  /** Who signed the request. */
  caller: Caller;
}

export interface Reply {
  status: number;
  headers?: Record<string, string>;
  /** Serialised as JSON (a string becomes a JSON string, as GetNamespace answers). */
  json?: unknown;
  body?: Buffer;
}

export type Handler = (ctx: RouteContext) => Reply | Promise<Reply>;

export interface Route {
  method: string;
  /** Segments; `:name` captures one percent-decoded segment. */
  pattern: string;
  operation: string;
  handler: Handler;
  /** The SDK signs no body headers for this operation (PutObject). */
  bodyUnsigned?: boolean;
}

export interface RouteMatch {
  route: Route;
  params: Record<string, string>;
}

/**
 * Splits a raw path into percent-decoded segments. Decoding per segment keeps an object name
 * with `/` (sent as %2F) in one segment, as OCI does.
 */
export function decodeSegments(rawPath: string): string[] {
  const parts = rawPath.split("/").slice(1);
  try {
    return parts.map((p) => decodeURIComponent(p));
  } catch {
    throw new ApiError(400, "InvalidParameter", "The request path has malformed percent-encoding");
  }
}

export function matchRoute(routes: readonly Route[], method: string, segments: readonly string[]): RouteMatch | undefined {
  for (const route of routes) {
    if (route.method !== method) continue;
    const pattern = route.pattern.split("/").slice(1);
    if (pattern.length !== segments.length) continue;
    const params: Record<string, string> = {};
    let ok = true;
    for (let i = 0; i < pattern.length && ok; i++) {
      const p = pattern[i] as string;
      const s = segments[i] as string;
      if (p.startsWith(":")) {
        if (s === "") ok = false;
        else params[p.slice(1)] = s;
      } else if (p !== s) ok = false;
    }
    if (ok) return { route, params };
  }
  return undefined;
}

export function param(ctx: RouteContext, name: string): string {
  const v = ctx.params[name];
  if (v === undefined) throw new Error(`route has no :${name}`);
  return v;
}

export function header(ctx: RouteContext, name: string): string | undefined {
  const v = ctx.headers[name.toLowerCase()];
  return Array.isArray(v) ? v.join(", ") : v;
}

/** The request body as JSON; an empty body is undefined. */
export function jsonBody(ctx: RouteContext): unknown {
  if (ctx.body.length === 0) return undefined;
  try {
    return JSON.parse(ctx.body.toString("utf8"));
  } catch {
    throw new ApiError(400, "CannotParseRequest", "The request body is not valid JSON");
  }
}
