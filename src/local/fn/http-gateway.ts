import http from "node:http";
import type { AddressInfo } from "node:net";
import type { Invoke, InvokeRequest, InvokeResult } from "./invoke-types.js";

export interface HttpGatewayOptions {
  /** 0 picks a free port. */
  port: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** Default "/reencrypt". */
  route?: string;
  invoke: Invoke;
  /**
   * The Fn-Deadline of each call, from now. API Gateway invokes the function synchronously, so in
   * OCI this is the function's timeout (timeout_in_seconds). Default 300, the OCI Functions maximum.
   */
  deadlineSeconds?: number;
}

export interface HttpGateway {
  /** Full URL of the route, e.g. http://127.0.0.1:8080/reencrypt. */
  url: string;
  /** A job's status route: `${url}/jobs/${jobId}` (GET). */
  statusUrl(jobId: string): string;
  port: number;
  close(): Promise<void>;
}

/** OCI Functions rejects invoke bodies over 6 MB. */
export const MAX_BODY_BYTES = 6 * 1024 * 1024;
// Past this we stop draining an oversized body and just drop the connection.
const MAX_DRAIN_BYTES = 64 * 1024 * 1024;

const HOP_BY_HOP = new Set([
  "connection",
  "keep-alive",
  "proxy-authenticate",
  "proxy-authorization",
  "proxy-connection",
  "te",
  "trailer",
  "transfer-encoding",
  "upgrade",
]);

function sendJson(res: http.ServerResponse, status: number, code: string, message: string, extra?: Record<string, string>): void {
  const body = JSON.stringify({ error: { code, message } });
  res.writeHead(status, {
    "Content-Type": "application/json",
    "Content-Length": Buffer.byteLength(body),
    ...extra,
  });
  res.end(body);
}

/** Client headers as sent (original case), minus hop-by-hop ones and those named in Connection. */
export function forwardableHeaders(req: http.IncomingMessage): Record<string, string> {
  const drop = new Set(HOP_BY_HOP);
  for (const name of String(req.headers.connection ?? "").split(",")) {
    if (name.trim()) drop.add(name.trim().toLowerCase());
  }
  const out: Record<string, string> = {};
  const seen = new Map<string, string>();
  const raw = req.rawHeaders;
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i] as string;
    const value = raw[i + 1] as string;
    const lower = name.toLowerCase();
    if (drop.has(lower)) continue;
    const first = seen.get(lower);
    if (first === undefined) {
      seen.set(lower, name);
      out[name] = value;
    } else {
      out[first] = `${out[first]}, ${value}`;
    }
  }
  return out;
}

/** Response headers for the client: Content-Type plus each Fn-Http-H-* with its prefix removed. */
export function clientHeaders(result: InvokeResult): Record<string, string> {
  const out: Record<string, string> = {};
  const contentType = result.headers["content-type"];
  if (contentType !== undefined) out["Content-Type"] = contentType;
  const prefix = "fn-http-h-";
  for (const [k, v] of Object.entries(result.headers)) {
    if (!k.startsWith(prefix)) continue;
    const name = k.slice(prefix.length);
    // We frame the body ourselves, so the function has no say over length or encoding.
    if (!name || HOP_BY_HOP.has(name) || name === "content-length") continue;
    out[name === "content-type" ? "Content-Type" : name] = v;
  }
  return out;
}

type BodyOutcome = { kind: "ok"; body: Buffer } | { kind: "too-large" } | { kind: "aborted" };

function readBody(req: http.IncomingMessage): Promise<BodyOutcome> {
  return new Promise((resolve) => {
    const declared = Number(req.headers["content-length"] ?? "NaN");
    let tooLarge = Number.isFinite(declared) && declared > MAX_BODY_BYTES;
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY_BYTES) tooLarge = true;
      if (tooLarge) {
        chunks.length = 0;
        if (size > MAX_DRAIN_BYTES) {
          req.destroy();
          resolve({ kind: "aborted" });
        }
        return;
      }
      chunks.push(c);
    });
    // Draining before answering lets clients that are still sending read the 413 instead of an EPIPE.
    req.on("end", () => resolve(tooLarge ? { kind: "too-large" } : { kind: "ok", body: Buffer.concat(chunks) }));
    req.on("error", () => resolve({ kind: "aborted" }));
    req.on("aborted", () => resolve({ kind: "aborted" }));
  });
}

export function startHttpGateway(o: HttpGatewayOptions): Promise<HttpGateway> {
  const host = o.host ?? "127.0.0.1";
  const route = o.route ?? "/reencrypt";
  const deadlineSeconds = o.deadlineSeconds ?? 300;

  const handle = async (req: http.IncomingMessage, res: http.ServerResponse): Promise<void> => {
    const pathname = new URL(req.url ?? "/", "http://gateway.invalid").pathname;
    // Everything under the route goes to the function with its method and URL, as the deployment's
    // routes do (POST <route>, GET <route>/jobs/{jobId}): the function answers the status route,
    // and 404s other paths and 405s other methods itself. Outside the route nothing is deployed.
    if (pathname !== route && !pathname.startsWith(`${route}/`)) {
      req.resume();
      sendJson(res, 404, "NotFound", `no route for ${pathname}; try POST ${route} or GET ${route}/jobs/{jobId}`);
      return;
    }
    if (pathname === route && req.method !== "POST") {
      req.resume();
      sendJson(res, 405, "MethodNotAllowed", `${req.method ?? "?"} is not allowed on ${route}; use POST`, { Allow: "POST" });
      return;
    }
    const read = await readBody(req);
    if (read.kind === "aborted") return;
    if (read.kind === "too-large") {
      sendJson(res, 413, "PayloadTooLarge", `request body exceeds ${MAX_BODY_BYTES} bytes`);
      return;
    }

    const call: InvokeRequest = {
      body: read.body,
      deadline: new Date(Date.now() + deadlineSeconds * 1000),
      gateway: { method: req.method ?? "GET", url: req.url ?? route, headers: forwardableHeaders(req) },
    };
    const contentType = req.headers["content-type"];
    if (contentType !== undefined) call.contentType = contentType;

    let result: InvokeResult;
    try {
      result = await o.invoke(call);
    } catch (e) {
      const msg = e instanceof Error ? e.message : String(e);
      sendJson(res, 502, "FunctionInvokeExecutionFailed", `function invocation failed: ${msg}`);
      return;
    }
    if (result.status !== 200) {
      sendJson(res, 502, "FunctionInvokeExecutionFailed", "function failed; see the function's logs");
      return;
    }
    const status = result.httpStatus >= 100 && result.httpStatus <= 599 ? result.httpStatus : 502;
    const noBody = status === 204 || status === 304;
    const body = noBody ? Buffer.alloc(0) : Buffer.from(result.body, "utf8");
    res.writeHead(status, { ...clientHeaders(result), "Content-Length": body.length });
    res.end(body);
  };

  const server = http.createServer((req, res) => {
    handle(req, res).catch((e: unknown) => {
      if (res.headersSent) return void res.destroy();
      sendJson(res, 500, "InternalServerError", e instanceof Error ? e.message : String(e));
    });
  });

  return new Promise((resolve, reject) => {
    const onError = (e: NodeJS.ErrnoException): void => {
      if (e.code === "EADDRINUSE") {
        const inUse = new Error(`port ${o.port} on ${host} is already in use; pass another with --port or PORT=...`);
        Object.assign(inUse, { code: "EADDRINUSE" });
        reject(inUse);
      } else {
        reject(e);
      }
    };
    server.once("error", onError);
    server.listen(o.port, host, () => {
      server.off("error", onError);
      const port = (server.address() as AddressInfo).port;
      const hostInUrl = host.includes(":") ? `[${host}]` : host;
      const url = `http://${hostInUrl}:${port}${route}`;
      resolve({
        url,
        statusUrl: (jobId) => `${url}/jobs/${encodeURIComponent(jobId)}`,
        port,
        close: () =>
          new Promise<void>((done, fail) => {
            server.close((e) => (e ? fail(e) : done()));
            // fetch keeps connections alive; without this close() would wait for them to idle out.
            server.closeAllConnections();
          }),
      });
    });
  });
}
