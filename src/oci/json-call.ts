// One signed JSON call through the SDK's HttpClient interface (our NodeHttpClient): what a generated
// SDK client does for a simple operation, for the two services we call without loading their SDK
// packages (Notifications, Monitoring). One attempt, aborted after a timeout: these calls report on
// a job, and a job never waits for them or retries them.

import { randomUUID } from "node:crypto";
import * as common from "oci-common";
import { LightHeaders } from "./http/light-headers.js";
import { toOciFailure, OciCallError } from "./oci-failure.js";

export interface JsonCall {
  method: "GET" | "POST";
  /** Absolute URI, path parameters already encoded. */
  uri: string;
  body?: unknown;
  timeoutMs: number;
  /** Aborts the call early (its caller stopped waiting). */
  signal?: AbortSignal | undefined;
}

export interface JsonAnswer {
  status: number;
  json: unknown;
  opcRequestId: string | undefined;
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

/**
 * Sends the call, reads the JSON answer. A non-2xx answer throws OciCallError with the service's
 * code; a timeout throws one with status 0 and code "Timeout"; a transport failure status 0.
 */
export async function jsonCall(http: common.HttpClient, operation: string, call: JsonCall): Promise<JsonAnswer> {
  // As composeRequest builds them: JSON content type, a fresh opc-request-id, a user agent.
  const headers = new LightHeaders();
  headers.set("content-type", "application/json");
  headers.set("opc-request-id", randomUUID().replace(/-/g, "").toUpperCase());
  headers.set("user-agent", `oci-reencrypt (Node/${process.version})`);
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), Math.max(1, call.timeoutMs));
  const stop = (): void => controller.abort();
  call.signal?.addEventListener("abort", stop, { once: true });
  if (call.signal?.aborted) controller.abort();
  try {
    const request = { method: call.method, headers, uri: call.uri, ...(call.body === undefined ? {} : { body: JSON.stringify(call.body) }), signal: controller.signal };
    let response: Response;
    try {
      response = await http.send(request as unknown as common.HttpRequest);
    } catch (error) {
      if (controller.signal.aborted) {
        const code = call.signal?.aborted ? "Abandoned" : "Timeout";
        throw new OciCallError({ status: 0, code, message: code === "Timeout" ? `no answer within ${call.timeoutMs} ms` : "the caller stopped waiting", opcRequestId: undefined }, operation);
      }
      throw new OciCallError(toOciFailure(error), operation);
    }
    const opcRequestId = response.headers.get("opc-request-id") ?? undefined;
    let json: unknown;
    try {
      const text = await response.text();
      json = text.length > 0 ? JSON.parse(text) : undefined;
    } catch {
      json = undefined;
    }
    if (response.status < 200 || response.status > 299) {
      // The service's code and status only: its message may echo what we sent.
      const code = isRecord(json) && typeof json["code"] === "string" ? json["code"] : "Unknown";
      throw new OciCallError({ status: response.status, code, message: `HTTP ${response.status}`, opcRequestId }, operation);
    }
    return { status: response.status, json, opcRequestId };
  } finally {
    clearTimeout(timer);
    call.signal?.removeEventListener("abort", stop);
  }
}

/** A service's regional endpoint from the signing principal's region, as the SDK clients derive theirs. */
export function regionalEndpoint(provider: common.AuthenticationDetailsProvider, template: string): string | undefined {
  const getRegion = (provider as Partial<common.RegionProvider>).getRegion;
  if (typeof getRegion !== "function") return undefined;
  try {
    const region = getRegion.call(provider);
    return region ? common.EndpointBuilder.createEndpointFromRegion(template, region) : undefined;
  } catch {
    return undefined;
  }
}
