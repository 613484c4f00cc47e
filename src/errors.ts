// One error model. Every failure that reaches a caller is a ReencryptError; `expose` decides
// whether its message may be shown (client errors and configuration errors) or replaced.

export const ErrorCode = {
  InvalidPayload: "InvalidPayload",
  TargetNotAllowed: "TargetNotAllowed",
  PayloadTooLarge: "PayloadTooLarge",
  ConfigurationError: "ConfigurationError",
  InternalError: "InternalError",
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

export interface FieldIssue {
  path: string;
  message: string;
}

export class ReencryptError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly issues: readonly FieldIssue[];
  /** Whether the message is safe to show a caller. */
  readonly expose: boolean;

  constructor(
    code: ErrorCode,
    status: number,
    message: string,
    options: { issues?: readonly FieldIssue[]; cause?: unknown; expose?: boolean } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = "ReencryptError";
    this.code = code;
    this.status = status;
    this.issues = options.issues ?? [];
    this.expose = options.expose ?? (status < 500 || code === ErrorCode.ConfigurationError);
  }
}

export const invalidPayload = (message: string, issues: readonly FieldIssue[] = []): ReencryptError =>
  new ReencryptError(ErrorCode.InvalidPayload, 400, message, { issues });

export const targetNotAllowed = (message: string): ReencryptError =>
  new ReencryptError(ErrorCode.TargetNotAllowed, 403, message);

export const payloadTooLarge = (message: string): ReencryptError =>
  new ReencryptError(ErrorCode.PayloadTooLarge, 413, message);

export const configurationError = (key: string, problem: string): ReencryptError =>
  new ReencryptError(ErrorCode.ConfigurationError, 500, `${key}: ${problem}`, {
    issues: [{ path: key, message: problem }],
  });

export interface ErrorBody {
  error: { code: ErrorCode; message: string; issues?: FieldIssue[]; callId?: string };
}

/** The one place that decides what a caller may see of an error. */
export function toErrorBody(error: unknown, callId: string | null): { status: number; body: ErrorBody } {
  if (error instanceof ReencryptError && error.expose) {
    const body: ErrorBody = { error: { code: error.code, message: error.message } };
    if (error.issues.length > 0) body.error.issues = [...error.issues];
    return { status: error.status, body };
  }
  const body: ErrorBody = {
    error: { code: ErrorCode.InternalError, message: "internal error; see the function's logs for this call id" },
  };
  if (callId) body.error.callId = callId;
  return { status: 500, body };
}
