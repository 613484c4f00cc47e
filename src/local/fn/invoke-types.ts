// Shapes shared by the function runner and the gateway, kept apart so the gateway can be
// pointed at anything that invokes (a real process, a fake, a wire emulator).

export interface GatewayCall {
  method: string;
  /** The path and query the client asked for, as API Gateway passes it on. */
  url: string;
  headers?: Record<string, string>;
}

export interface InvokeRequest {
  body: string | Buffer;
  /** Default: a random UUID. */
  callId?: string;
  /** Default: now + 30 s. */
  deadline?: Date;
  /** Default: application/json. */
  contentType?: string;
  /** Sent as Fn-Intent. A gateway call implies "httprequest". */
  intent?: "httprequest" | "cloudevent";
  /** API Gateway style call: adds Fn-Intent, Fn-Http-Method, Fn-Http-Request-Url, Fn-Http-H-<Name>. */
  gateway?: GatewayCall;
  /** Default: until the deadline plus one second. */
  timeoutMs?: number;
}

export interface InvokeResult {
  /** The container's own status: 200, or 502 when the function threw. */
  status: number;
  /** Fn-Http-Status when the function set one, else `status`. */
  httpStatus: number;
  /** Response headers, names lowercased, repeated values joined with ", ". */
  headers: Record<string, string>;
  body: string;
  /** Parses `body`; throws on invalid JSON. */
  json(): unknown;
}

export type Invoke = (r: InvokeRequest) => Promise<InvokeResult>;
