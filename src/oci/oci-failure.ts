import { redactText } from "../log.js";

/** What a failed OCI call tells us, whether the SDK threw an OciError or a plain transport object. */
export interface OciFailure {
  /** HTTP status; 0 when no response arrived (connection refused, reset, timeout). */
  status: number;
  code: string;
  message: string;
  opcRequestId: string | undefined;
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null;

export function toOciFailure(error: unknown): OciFailure {
  if (isRecord(error)) {
    const status = typeof error["statusCode"] === "number" && error["statusCode"] > 0 ? error["statusCode"] : 0;
    const serviceCode = typeof error["serviceCode"] === "string" ? error["serviceCode"] : undefined;
    const rawCode = typeof error["code"] === "string" ? error["code"] : undefined;
    const message = typeof error["message"] === "string" ? error["message"] : String(error);
    const opc = error["opcRequestId"];
    // A transport failure carries a system code (ECONNRESET, ECONNREFUSED, …); an error without
    // status or code was thrown before anything was sent: a fault of ours, not the network's.
    // Every field that carries the service's text is redacted: an echoing service may put a key
    // in its message, its error code or the request id it answers with.
    const code = serviceCode ?? rawCode ?? (status === 0 ? (/fetch failed|socket|network|connect|reset|timed? ?out/i.test(message) ? "ConnectionFailed" : "ClientError") : "Unknown");
    return {
      status,
      code: redactText(code).slice(0, 200),
      message: redactText(message).slice(0, 500),
      opcRequestId: typeof opc === "string" && opc.length > 0 ? redactText(opc).slice(0, 500) : undefined,
    };
  }
  return { status: 0, code: "Unknown", message: redactText(String(error)).slice(0, 500), opcRequestId: undefined };
}

/** The SDK's own retryable set, which we apply ourselves so backoff respects the deadline. */
export function isRetryable(f: OciFailure): boolean {
  if (f.code === "ClientError") return false;
  if (f.status === 0) return true;
  if (f.status === 429) return true;
  if (f.status === 409) return f.code === "IncorrectState";
  return f.status >= 500;
}

export class OciCallError extends Error {
  readonly failure: OciFailure;
  constructor(failure: OciFailure, operation: string) {
    super(`${operation} failed: ${failure.status} ${failure.code}: ${failure.message}`);
    this.name = "OciCallError";
    this.failure = failure;
  }
}
