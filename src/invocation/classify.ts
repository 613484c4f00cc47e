import { jsonDepthExceeds, MAX_JSON_DEPTH } from "../contract/json-depth.js";
import { invalidPayload, payloadTooLarge } from "../errors.js";

export const MAX_BODY_BYTES = 2 * 1024 * 1024;

export type Invocation =
  | { kind: "event"; body: Record<string, unknown> }
  | { kind: "resume"; body: Record<string, unknown> }
  | { kind: "diagnose"; body: Record<string, unknown> }
  | { kind: "sweep"; body: Record<string, unknown> }
  | { kind: "status"; body: Record<string, unknown> }
  | { kind: "coverage"; body: Record<string, unknown> }
  | { kind: "retry"; body: Record<string, unknown> }
  | { kind: "request"; body: Record<string, unknown> };

/** Tells the entrances apart by the parsed body (contract §1, §8). */
export function classify(raw: string): Invocation {
  if (Buffer.byteLength(raw) > MAX_BODY_BYTES) throw payloadTooLarge(`the body is larger than ${MAX_BODY_BYTES} bytes`);
  if (jsonDepthExceeds(raw, MAX_JSON_DEPTH)) {
    throw invalidPayload(`the body nests deeper than ${MAX_JSON_DEPTH} levels`, [{ path: "", message: `nested deeper than ${MAX_JSON_DEPTH} levels` }]);
  }
  let body: unknown;
  try {
    body = JSON.parse(raw);
  } catch {
    throw invalidPayload("the body must be a JSON object", [{ path: "", message: "not valid JSON" }]);
  }
  if (typeof body !== "object" || body === null || Array.isArray(body)) {
    throw invalidPayload("the body must be a JSON object", [{ path: "", message: "must be a JSON object" }]);
  }
  const b = body as Record<string, unknown>;
  if (("eventType" in b && "cloudEventsVersion" in b) || ("specversion" in b && "type" in b)) return { kind: "event", body: b };
  if ("resume" in b) return { kind: "resume", body: b };
  if ("retry" in b) return { kind: "retry", body: b };
  if (b["diagnose"] === true) return { kind: "diagnose", body: b };
  if ("sweep" in b) return { kind: "sweep", body: b };
  if ("job" in b) return { kind: "status", body: b };
  if ("coverage" in b) return { kind: "coverage", body: b };
  return { kind: "request", body: b };
}
