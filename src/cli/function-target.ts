import type { Readable } from "node:stream";
import type { FunctionsInvokeClient, FunctionsManagementClient } from "oci-functions";
import { clientConfiguration, type ClientParams } from "../oci/clients.js";
import { OciCallError, toOciFailure } from "../oci/oci-failure.js";
import { withRetry } from "../oci/retry.js";
import { CliError, ExitCode, usageError } from "./cli-error.js";

/** What the function answered: the HTTP status and the parsed JSON body. */
export interface FunctionAnswer {
  httpStatus: number;
  body: Record<string, unknown>;
}

/** The deployed function, reached by InvokeFunction (direct) or through its API Gateway route. */
export interface FunctionTarget {
  /** Direct invocations may send everything (sweep, diagnose); gateway callers only requests and status. */
  direct: boolean;
  send(body: unknown): Promise<FunctionAnswer>;
  status(jobId: string): Promise<FunctionAnswer>;
}

export interface TargetFlags {
  functionId?: string | undefined;
  gatewayUrl?: string | undefined;
  token?: string | undefined;
  insecure?: boolean | undefined;
}

/** 127.0.0.0/8, ::1 and localhost: the bearer token never leaves the machine there. */
export const isLoopback = (host: string): boolean => host === "localhost" || host.endsWith(".localhost") || /^127\.\d+\.\d+\.\d+$/.test(host) || host === "[::1]";

async function readBody(value: Readable | ReadableStream | null | undefined): Promise<string> {
  if (value === null || value === undefined) return "";
  if (typeof (value as ReadableStream).getReader === "function") return new Response(value as ReadableStream).text();
  const chunks: Buffer[] = [];
  for await (const c of value as AsyncIterable<Buffer | string>) chunks.push(typeof c === "string" ? Buffer.from(c) : c);
  return Buffer.concat(chunks).toString("utf8");
}

function parseAnswer(status: number, text: string, from: string): FunctionAnswer {
  if (text.trim() === "") return { httpStatus: status, body: {} };
  try {
    const body = JSON.parse(text) as unknown;
    if (typeof body === "object" && body !== null && !Array.isArray(body)) return { httpStatus: status, body: body as Record<string, unknown> };
  } catch {
    // Not JSON: said below.
  }
  throw new CliError(`${from} answered ${status} with a body that is not a JSON object: ${text.slice(0, 200)}`, ExitCode.failures);
}

const serviceFailure = (operation: string, error: unknown): CliError => {
  const f = error instanceof OciCallError ? error.failure : toOciFailure(error);
  return new CliError(`${operation} failed: ${f.status || "no response"} ${f.code}: ${f.message}${f.opcRequestId ? ` (opc-request-id ${f.opcRequestId})` : ""}`, ExitCode.failures, { cause: error });
};

/**
 * InvokeFunction (oci-functions FunctionsInvokeClient), synchronous, at the invoke endpoint that
 * GetFunction gives. `managementEndpoint` overrides the Functions API's (REENCRYPT_FUNCTIONS_ENDPOINT, --endpoint).
 */
export function invokeTarget(params: ClientParams, functionId: string, managementEndpoint: string | undefined): FunctionTarget {
  let client: Promise<FunctionsInvokeClient> | undefined;
  const invoker = (): Promise<FunctionsInvokeClient> =>
    (client ??= (async () => {
      const { FunctionsInvokeClient, FunctionsManagementClient } = await import("oci-functions");
      const mgmt: FunctionsManagementClient = new FunctionsManagementClient(params, clientConfiguration());
      if (managementEndpoint) mgmt.endpoint = managementEndpoint;
      let endpoint: string | undefined;
      try {
        endpoint = (await withRetry("GetFunction", () => mgmt.getFunction({ functionId }))).function.invokeEndpoint;
      } catch (error) {
        throw serviceFailure(`GetFunction ${functionId}`, error);
      }
      if (!endpoint) throw new CliError(`GetFunction ${functionId} returned no invokeEndpoint`, ExitCode.failures);
      const c = new FunctionsInvokeClient(params, clientConfiguration());
      c.endpoint = endpoint;
      return c;
    })());
  const send = async (body: unknown): Promise<FunctionAnswer> => {
    const c = await invoker();
    // No retry: a request that timed out may have run; sending it again is the caller's choice.
    let r;
    try {
      r = await c.invokeFunction({ functionId, invokeFunctionBody: JSON.stringify(body) });
    } catch (error) {
      throw serviceFailure(`InvokeFunction ${functionId}`, error);
    }
    return parseAnswer(200, await readBody(r.value as Readable | ReadableStream), `function ${functionId}`);
  };
  return { direct: true, send, status: (jobId) => send({ job: jobId }) };
}

/**
 * The API Gateway route (POST <url>, GET <url>/jobs/<id>) with a bearer token, as a caller. A
 * token goes over plain http only to a loopback address (the local demo's gateway) or with
 * --insecure, as curl-like tools refuse to leak credentials in clear (issue 16 item 9).
 */
export function gatewayTarget(url: string, token: string | undefined, o: { insecure?: boolean | undefined } = {}): FunctionTarget {
  let base: URL;
  try {
    base = new URL(url);
  } catch {
    throw usageError(`--gateway-url ${url}: not a URL`);
  }
  if (base.protocol !== "https:" && base.protocol !== "http:") throw usageError(`--gateway-url ${url}: must be http(s)`);
  if (token && base.protocol === "http:" && !isLoopback(base.hostname) && o.insecure !== true) {
    throw usageError(`--gateway-url ${base.origin}: a --token is sent over https only (over http:// anyone on the path reads it); use the gateway's https:// URL, or add --insecure to send it in clear anyway (loopback addresses, e.g. the local demo at 127.0.0.1, need no flag)`);
  }
  const headers = { "content-type": "application/json", ...(token ? { authorization: `Bearer ${token}` } : {}) };
  const call = async (method: string, target: string, body?: unknown): Promise<FunctionAnswer> => {
    let res: Response;
    try {
      res = await fetch(target, { method, headers, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
    } catch (error) {
      throw new CliError(`${method} ${target}: no answer (${error instanceof Error ? error.message : String(error)})`, ExitCode.failures, { cause: error });
    }
    return parseAnswer(res.status, await res.text(), `${method} ${target}`);
  };
  const route = base.href.replace(/\/+$/, "");
  return { direct: false, send: (body) => call("POST", route, body), status: (jobId) => call("GET", `${route}/jobs/${encodeURIComponent(jobId)}`) };
}
