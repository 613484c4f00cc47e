import { randomUUID } from "node:crypto";
import http from "node:http";
import type { InvokeRequest, InvokeResult } from "./invoke-types.js";

const DEFAULT_DEADLINE_MS = 30_000;
// The Fn agent, not the FDK, enforces deadlines; we stop waiting shortly after one passes.
const DEADLINE_GRACE_MS = 1_000;

/** Builds the headers the Fn agent sends on POST /call. */
export function buildCallHeaders(r: InvokeRequest, body: Buffer, deadline: Date): Record<string, string> {
  const headers: Record<string, string> = {
    "Fn-Call-Id": r.callId ?? randomUUID(),
    "Fn-Deadline": deadline.toISOString(),
    "Content-Type": r.contentType ?? "application/json",
    "Content-Length": String(body.length),
  };
  const intent = r.intent ?? (r.gateway ? "httprequest" : undefined);
  if (intent) headers["Fn-Intent"] = intent;
  if (r.gateway) {
    headers["Fn-Http-Method"] = r.gateway.method;
    headers["Fn-Http-Request-Url"] = r.gateway.url;
    for (const [name, value] of Object.entries(r.gateway.headers ?? {})) {
      headers[`Fn-Http-H-${name}`] = value;
    }
  }
  return headers;
}

/** One POST /call to an FDK listening on `socketPath`. */
export function postCall(socketPath: string, r: InvokeRequest): Promise<InvokeResult> {
  const body = typeof r.body === "string" ? Buffer.from(r.body, "utf8") : r.body;
  const deadline = r.deadline ?? new Date(Date.now() + DEFAULT_DEADLINE_MS);
  const timeoutMs = r.timeoutMs ?? Math.max(deadline.getTime() - Date.now(), 0) + DEADLINE_GRACE_MS;
  const headers = buildCallHeaders(r, body, deadline);

  return new Promise<InvokeResult>((resolve, reject) => {
    // agent:false gives a fresh connection per call: the FDK sets keepAliveTimeout=0, and a
    // pooled socket to a container that has since died would only add confusing errors.
    const req = http.request({ socketPath, path: "/call", method: "POST", headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("error", fail);
      res.on("end", () => {
        clearTimeout(timer);
        const status = res.statusCode ?? 0;
        const out: Record<string, string> = {};
        for (const [k, v] of Object.entries(res.headers)) {
          if (v !== undefined) out[k] = Array.isArray(v) ? v.join(", ") : v;
        }
        const fnStatus = Number.parseInt(out["fn-http-status"] ?? "", 10);
        const text = Buffer.concat(chunks).toString("utf8");
        resolve({
          status,
          httpStatus: Number.isInteger(fnStatus) ? fnStatus : status,
          headers: out,
          body: text,
          json: () => JSON.parse(text) as unknown,
        });
      });
    });
    const timer = setTimeout(() => {
      req.destroy(new Error(`invoke timed out after ${timeoutMs} ms`));
    }, timeoutMs);
    function fail(err: Error): void {
      clearTimeout(timer);
      reject(err);
    }
    req.on("error", fail);
    req.end(body);
  });
}
