// The OCI SDK clients' `httpClient`: signs each request with a cached key (request-signer.ts) and
// sends it with node:http / node:https over keep-alive agents. It receives what the SDK's own
// FetchHttpClient receives ({method, headers, uri, body} from composeRequest) and returns what the
// SDK reads of a fetch Response. Transport failures are thrown (the Node error, with its `code`),
// so the SDK and our retry layer see them as before: no response, status 0.

import { Agent as HttpAgent, request as httpRequest, type ClientRequest, type IncomingMessage, type RequestOptions } from "node:http";
import type { Agent as HttpsAgent } from "node:https";
import { Readable } from "node:stream";
import type * as common from "oci-common";
import { NodeResponse } from "./node-response.js";
import { destination, type Origin } from "./request-target.js";
import { BODY_SIGNED_METHODS, EMPTY_BODY_SHA256, SigningKeys, authorizationHeader, sha256Base64, signingString } from "./request-signer.js";

/** Bodies up to this size are read before the SDK sees the response; larger binary ones stay streams. */
const BUFFER_LIMIT = 1024 * 1024;

// Idle sockets are closed after 4 s (undici's default keep-alive timeout), sooner when the server
// announces a shorter `Keep-Alive: timeout`; requests themselves have no timeout, as before.
const IDLE_SOCKET_MS = 4_000;
const httpAgent = new HttpAgent({ keepAlive: true, timeout: IDLE_SOCKET_MS, scheduling: "lifo" });

// node:https (and tls) load on the first https request: a cold start that calls nothing skips them.
let https: { agent: HttpsAgent; request: typeof httpRequest } | undefined;
async function loadHttps(): Promise<NonNullable<typeof https>> {
  const m = await import("node:https");
  https ??= { agent: new m.Agent({ keepAlive: true, timeout: IDLE_SOCKET_MS, scheduling: "lifo" }), request: m.request };
  return https;
}

let dateSecond = -1;
let dateText = "";
/** RFC 1123 date for x-date, rebuilt once per second. */
function httpDate(): string {
  const second = Math.floor(Date.now() / 1000);
  if (second !== dateSecond) {
    dateSecond = second;
    dateText = new Date(second * 1000).toUTCString();
  }
  return dateText;
}

type Body = string | Buffer | Readable | undefined;

function requestBody(raw: unknown): Body {
  if (raw === undefined || raw === null) return undefined;
  if (typeof raw === "string") return raw.length === 0 ? undefined : raw;
  if (Buffer.isBuffer(raw)) return raw.length === 0 ? undefined : raw;
  if (raw instanceof Uint8Array) return raw.length === 0 ? undefined : Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength);
  return raw as Readable;
}

async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(typeof chunk === "string" ? Buffer.from(chunk) : (chunk as Buffer));
  return Buffer.concat(chunks);
}

const EMPTY = Buffer.alloc(0);

/** Headers as Node's raw [name, value, name, value, …] list: no per-header map, names already lower case. */
class OutgoingHeaders {
  readonly list: string[] = [];
  host: string | undefined;
  xDate: string | undefined;
  contentType: string | undefined;
  contentLength: string | undefined;
  date = false;

  add(name: string, value: string): void {
    switch (name) {
      case "host":
        this.host = value;
        return;
      case "x-date":
        this.xDate = value;
        return;
      case "content-type":
        this.contentType = value;
        return;
      case "content-length":
        this.contentLength = value;
        return;
      case "date":
        this.date = true;
        this.list.push(name, value);
        return;
      default:
        this.list.push(name, value);
    }
  }
}

/** What an operator's CLI adds to every request: its `opc-client-request-id`, its own CA bundle. */
export interface NodeHttpClientOptions {
  /** Sent on every request that has none of its own (not signed, as the SDK does). */
  headers?: readonly (readonly [string, string])[] | undefined;
  /** PEM certificates that replace Node's default roots for https (the OCI CLI's --cert-bundle). */
  ca?: string | Buffer | undefined;
}

export class NodeHttpClient implements common.HttpClient {
  readonly keys: SigningKeys;
  private readonly extraHeaders: readonly (readonly [string, string])[];
  private readonly ca: string | Buffer | undefined;
  private ownHttps: NonNullable<typeof https> | undefined;

  constructor(provider: common.AuthenticationDetailsProvider | SigningKeys, o: NodeHttpClientOptions = {}) {
    this.keys = provider instanceof SigningKeys ? provider : new SigningKeys(provider);
    this.extraHeaders = (o.headers ?? []).map(([n, v]) => [n.toLowerCase(), v] as const);
    this.ca = o.ca;
  }

  /** The shared keep-alive agent, or one of this client's own that trusts only its CA bundle. */
  private async transport(): Promise<NonNullable<typeof https>> {
    const shared = https ?? (await loadHttps());
    if (this.ca === undefined) return shared;
    if (this.ownHttps === undefined) {
      const m = await import("node:https");
      this.ownHttps = { agent: new m.Agent({ keepAlive: true, timeout: IDLE_SOCKET_MS, scheduling: "lifo", ca: this.ca }), request: shared.request };
    }
    return this.ownHttps;
  }

  async send(req: common.HttpRequest, forceExcludeBody = false): Promise<Response> {
    const p = await this.prepare(req, forceExcludeBody);
    const transport = p.origin.protocol === "https:" ? await this.transport() : undefined;
    // An AbortSignal on the request (our own small clients' timeouts) ends the exchange and its socket.
    const signal = (req as { signal?: AbortSignal }).signal;
    return exchange(p.origin, transport, { method: p.method, path: p.target, headers: p.headers, setHost: false, ...(signal ? { signal } : {}) }, p.body, req.uri);
  }

  /** The request as it will go on the wire, signed: what send() sends (exposed for tests). */
  async prepare(req: common.HttpRequest, forceExcludeBody = false): Promise<PreparedRequest> {
    const { origin, target } = destination(req.uri);
    const method = req.method as string;
    let body = requestBody(req.body as unknown);

    // What composeRequest set (Headers iterates lower-case names), then what signing adds.
    const h = new OutgoingHeaders();
    req.headers.forEach((value, name) => h.add(name, value));
    for (const [name, value] of this.extraHeaders) if (!req.headers.has(name)) h.add(name, value);
    const host = h.host ?? origin.host;
    const xDate = h.xDate ?? httpDate();
    const list = h.list;
    list.push("host", host, "x-date", xDate);
    // http-signature also set an unsigned Date when absent; kept so requests look as before.
    if (!h.date) list.push("date", xDate);

    let signedBody: { contentType: string; contentLength: string; sha256: string } | undefined;
    if (!forceExcludeBody && BODY_SIGNED_METHODS.has(method.toUpperCase())) {
      if (body instanceof Readable) body = await readAll(body);
      const length = body === undefined ? 0 : typeof body === "string" ? Buffer.byteLength(body, "utf8") : body.length;
      signedBody = {
        contentType: h.contentType ?? "application/json",
        contentLength: h.contentLength ?? String(length),
        sha256: body === undefined || length === 0 ? EMPTY_BODY_SHA256 : sha256Base64(body),
      };
      list.push("content-type", signedBody.contentType, "content-length", signedBody.contentLength, "x-content-sha256", signedBody.sha256);
    } else {
      if (h.contentType !== undefined) list.push("content-type", h.contentType);
      const length = h.contentLength ?? (body === undefined || body instanceof Readable ? undefined : String(typeof body === "string" ? Buffer.byteLength(body, "utf8") : body.length));
      if (length !== undefined) list.push("content-length", length);
      // A stream without a length goes chunked.
      else if (body instanceof Readable) list.push("transfer-encoding", "chunked");
    }

    const { keyId, key } = await this.keys.credentials();
    const oboToken = this.keys.oboToken;
    if (oboToken !== undefined) list.push("opc-obo-token", oboToken);
    const s = signingString({ method, target, host, xDate, body: signedBody, oboToken });
    list.push("authorization", authorizationHeader(keyId, s.headers, this.keys.sign(s.text, key)));
    return { origin, method, target, headers: list, body };
  }
}

export interface PreparedRequest {
  origin: Origin;
  method: string;
  /** Path and query as signed and sent. */
  target: string;
  /** [name, value, name, value, …], lower-case names. */
  headers: string[];
  body: Body;
}

function exchange(origin: Origin, tls: { agent: HttpsAgent; request: typeof httpRequest } | undefined, o: RequestOptions & { headers: string[] }, body: Body, uri: string): Promise<Response> {
  return new Promise<Response>((resolve, reject) => {
    o.host = origin.hostname;
    o.port = origin.port;
    o.agent = tls ? tls.agent : httpAgent;
    let out: ClientRequest;
    try {
      // A raw header list is written as given: no per-header map, no re-validation per name.
      out = (tls ? tls.request : httpRequest)(o as RequestOptions);
    } catch (error) {
      reject(error as Error);
      return;
    }
    // `on`, not `once`: a second error (the socket failing after the response) must not go unhandled.
    out.on("error", reject);
    out.once("response", (res: IncomingMessage) => {
      const status = res.statusCode ?? 0;
      const headers = res.headers;
      const length = headers["content-length"];
      if (
        o.method !== "HEAD" &&
        status >= 200 &&
        status <= 299 &&
        status !== 204 &&
        !(headers["content-type"] ?? "").includes("json") &&
        (length === undefined || Number(length) > BUFFER_LIMIT)
      ) {
        // The reader sees a failure through the stream itself; unheard, it would crash the process.
        res.on("error", () => undefined);
        resolve(new NodeResponse(res, uri, undefined) as unknown as Response);
        return;
      }
      let first: Buffer | undefined;
      let more: Buffer[] | undefined;
      let ended = false;
      res.on("data", (c: Buffer) => {
        if (first === undefined) first = c;
        else (more ??= [first]).push(c);
      });
      res.once("end", () => {
        ended = true;
        const data = more !== undefined ? Buffer.concat(more) : (first ?? EMPTY);
        resolve(new NodeResponse(res, uri, data) as unknown as Response);
      });
      res.on("error", reject);
      res.once("close", () => {
        if (!ended) reject(Object.assign(new Error("the connection closed before the response was complete"), { code: "ECONNRESET" }));
      });
    });
    if (body instanceof Readable) {
      body.once("error", (e) => out.destroy(e));
      body.pipe(out);
    } else if (body !== undefined) {
      out.end(body);
    } else {
      out.end();
    }
  });
}
