// The OCI SDK clients' `httpClient`: signs each request with a cached key (request-signer.ts) and
// sends it with node:http / node:https over keep-alive agents. It receives what the SDK's own
// FetchHttpClient receives ({method, headers, uri, body} from composeRequest) and returns what the
// SDK reads of a fetch Response. Transport failures are thrown (the Node error, with its `code`),
// so the SDK and our retry layer see them as before: no response, status 0.

import { Agent as HttpAgent, request as httpRequest, type ClientRequest, type IncomingMessage, type OutgoingHttpHeaders } from "node:http";
import { Agent as HttpsAgent, request as httpsRequest } from "node:https";
import { Readable } from "node:stream";
import type * as common from "oci-common";
import { NodeResponse } from "./node-response.js";
import { destination } from "./request-target.js";
import { BODY_SIGNED_METHODS, EMPTY_BODY_SHA256, SigningKeys, authorizationHeader, sha256Base64, signingString } from "./request-signer.js";

/** Bodies up to this size are read before the SDK sees the response; larger binary ones stay streams. */
const BUFFER_LIMIT = 1024 * 1024;

// Idle sockets are closed after 4 s (undici's default keep-alive timeout), sooner when the server
// announces a shorter `Keep-Alive: timeout`; requests themselves have no timeout, as before.
const IDLE_SOCKET_MS = 4_000;
const agents = {
  "http:": new HttpAgent({ keepAlive: true, timeout: IDLE_SOCKET_MS, scheduling: "lifo" }),
  "https:": new HttpsAgent({ keepAlive: true, timeout: IDLE_SOCKET_MS, scheduling: "lifo" }),
};

let dateSecond = -1;
let dateText = "";
/** RFC 1123 date for x-date, rebuilt once per second. */
function httpDate(): string {
  const now = Date.now();
  const second = Math.floor(now / 1000);
  if (second !== dateSecond) {
    dateSecond = second;
    dateText = new Date(second * 1000).toUTCString();
  }
  return dateText;
}

type Body = string | Buffer | Readable | undefined;

function isEmptyBody(body: unknown): boolean {
  if (body === undefined || body === null) return true;
  if (typeof body === "string" || Buffer.isBuffer(body) || body instanceof Uint8Array) return body.length === 0;
  return false;
}

async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(typeof chunk === "string" ? Buffer.from(chunk) : (chunk as Buffer));
  return Buffer.concat(chunks);
}

export class NodeHttpClient implements common.HttpClient {
  readonly keys: SigningKeys;

  constructor(provider: common.AuthenticationDetailsProvider | SigningKeys) {
    this.keys = provider instanceof SigningKeys ? provider : new SigningKeys(provider);
  }

  async send(req: common.HttpRequest, forceExcludeBody = false): Promise<Response> {
    const { origin, target } = destination(req.uri);
    const method = req.method as string;
    const raw: unknown = req.body;
    let body: Body;
    if (isEmptyBody(raw)) body = undefined;
    else if (raw instanceof Uint8Array && !Buffer.isBuffer(raw)) body = Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength);
    else body = raw as Body;

    // Everything composeRequest set (lower-case names), then what signing adds.
    const headers: OutgoingHttpHeaders = {};
    req.headers.forEach((value, name) => {
      headers[name] = value;
    });
    const host = (headers["host"] as string | undefined) ?? origin.host;
    headers["host"] = host;
    const xDate = (headers["x-date"] as string | undefined) ?? httpDate();
    headers["x-date"] = xDate;
    // http-signature also sets Date (unsigned) when absent; kept so requests look as before.
    headers["date"] ??= xDate;

    let signedBody: { contentType: string; contentLength: string; sha256: string } | undefined;
    if (!forceExcludeBody && BODY_SIGNED_METHODS.has(method.toUpperCase())) {
      if (body instanceof Readable) body = await readAll(body);
      const contentType = (headers["content-type"] as string | undefined) ?? "application/json";
      const length = body === undefined ? 0 : typeof body === "string" ? Buffer.byteLength(body, "utf8") : body.length;
      const sha256 = body === undefined || length === 0 ? EMPTY_BODY_SHA256 : sha256Base64(body);
      const contentLength = (headers["content-length"] as string | undefined) ?? String(length);
      headers["content-type"] = contentType;
      headers["content-length"] = contentLength;
      headers["x-content-sha256"] = sha256;
      signedBody = { contentType, contentLength, sha256 };
    } else if (body !== undefined && !(body instanceof Readable) && headers["content-length"] === undefined) {
      headers["content-length"] = String(typeof body === "string" ? Buffer.byteLength(body, "utf8") : body.length);
    }

    const keyId = await this.keys.keyId();
    const k = this.keys.privateKey();
    const key = k instanceof Promise ? await k : k;
    const oboToken = this.keys.oboToken;
    if (oboToken !== undefined) headers["opc-obo-token"] = oboToken;
    const s = signingString({ method, target, host, xDate, body: signedBody, oboToken });
    headers["authorization"] = authorizationHeader(keyId, s.headers, this.keys.sign(s.text, key));

    return new Promise<Response>((resolve, reject) => {
      const options = {
        method,
        host: origin.hostname,
        port: origin.port,
        path: target,
        headers,
        agent: agents[origin.protocol],
        // The path is sent as given: Node must not insist on its own host header or path checks.
        setHost: false,
      };
      let out: ClientRequest;
      try {
        out = origin.protocol === "https:" ? httpsRequest(options) : httpRequest(options);
      } catch (error) {
        reject(error as Error);
        return;
      }
      out.once("error", reject);
      out.once("response", (res: IncomingMessage) => {
        const status = res.statusCode ?? 0;
        const length = res.headers["content-length"];
        const contentType = res.headers["content-type"] ?? "";
        const streamed =
          method !== "HEAD" &&
          status >= 200 &&
          status <= 299 &&
          status !== 204 &&
          !contentType.includes("json") &&
          (length === undefined || Number(length) > BUFFER_LIMIT);
        if (streamed) {
          resolve(new NodeResponse(res, req.uri, undefined) as unknown as Response);
          return;
        }
        const chunks: Buffer[] = [];
        let ended = false;
        res.on("data", (c: Buffer) => chunks.push(c));
        res.once("end", () => {
          ended = true;
          const data = chunks.length === 0 ? Buffer.alloc(0) : chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks);
          resolve(new NodeResponse(res, req.uri, data) as unknown as Response);
        });
        res.once("error", reject);
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
}
