// One error model. Every failure that reaches a caller is a ReencryptError; `expose` decides
// whether its message may be shown (client errors and configuration errors) or replaced.

export const ErrorCode = {
  InvalidPayload: "InvalidPayload",
  TargetNotAllowed: "TargetNotAllowed",
  KeyNotAllowed: "KeyNotAllowed",
  EntranceNotAllowed: "EntranceNotAllowed",
  JobNotFound: "JobNotFound",
  JobAdvanced: "JobAdvanced",
  RulesInBucket: "RulesInBucket",
  BucketMethodNotPossible: "BucketMethodNotPossible",
  RetryRefused: "RetryRefused",
  NotFound: "NotFound",
  MethodNotAllowed: "MethodNotAllowed",
  ServiceError: "ServiceError",
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
  /** Issues found but not built (past MAX_ISSUES): counted only, so a huge bad body stays cheap to refuse. */
  readonly moreIssues: number;

  constructor(
    code: ErrorCode,
    status: number,
    message: string,
    options: { issues?: readonly FieldIssue[]; cause?: unknown; expose?: boolean; moreIssues?: number } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = "ReencryptError";
    this.code = code;
    this.status = status;
    this.issues = options.issues ?? [];
    this.moreIssues = options.moreIssues ?? 0;
    this.expose = options.expose ?? (status < 500 || code === ErrorCode.ConfigurationError);
  }
}

export const invalidPayload = (message: string, issues: readonly FieldIssue[] = [], moreIssues = 0): ReencryptError =>
  new ReencryptError(ErrorCode.InvalidPayload, 400, message, { issues, moreIssues });

export const targetNotAllowed = (message: string): ReencryptError =>
  new ReencryptError(ErrorCode.TargetNotAllowed, 403, message);

export const keyNotAllowed = (message: string): ReencryptError => new ReencryptError(ErrorCode.KeyNotAllowed, 403, message);

export const entranceNotAllowed = (message: string): ReencryptError => new ReencryptError(ErrorCode.EntranceNotAllowed, 403, message);

export const jobNotFound = (jobId: string): ReencryptError => new ReencryptError(ErrorCode.JobNotFound, 404, `no job ${jobId} in the state bucket`);

/** `{"retry": jobId}` of a job that is not finished, was retried already, or whose failures do not fit one job. */
export const retryRefused = (message: string): ReencryptError => new ReencryptError(ErrorCode.RetryRefused, 409, message);

export const jobAdvanced = (message: string): ReencryptError => new ReencryptError(ErrorCode.JobAdvanced, 409, message);

export const rulesInBucket = (message: string): ReencryptError => new ReencryptError(ErrorCode.RulesInBucket, 409, message);

export const bucketMethodNotPossible = (message: string): ReencryptError => new ReencryptError(ErrorCode.BucketMethodNotPossible, 409, message);

/**
 * A service call outside a job's own work failed (a namespace lookup, a job record): a 4xx is
 * said as the service's 4xx, anything else as 502; the message (already redacted) is shown.
 */
export const serviceError = (e: { failure: { status: number; code: string; message: string } }): ReencryptError => {
  const f = e.failure;
  const status = f.status >= 400 && f.status < 500 ? f.status : 502;
  return new ReencryptError(ErrorCode.ServiceError, status, `OCI answered ${f.status || "nothing"} ${f.code}: ${f.message}`, { expose: true });
};

export const payloadTooLarge = (message: string): ReencryptError =>
  new ReencryptError(ErrorCode.PayloadTooLarge, 413, message);

export const configurationError = (key: string, problem: string): ReencryptError =>
  new ReencryptError(ErrorCode.ConfigurationError, 500, `${key}: ${problem}`, {
    issues: [{ path: key, message: problem }],
  });

export interface ErrorBody {
  error: { code: ErrorCode; message: string; issues?: FieldIssue[]; moreIssues?: number; callId?: string };
}

/** A 400 lists at most this many issues; the message says how many more there were. */
export const MAX_ISSUES = 20;

/** The one place that decides what a caller may see of an error. */
export function toErrorBody(error: unknown, callId: string | null): { status: number; body: ErrorBody } {
  if (error instanceof ReencryptError && error.expose) {
    const body: ErrorBody = { error: { code: error.code, message: error.message } };
    if (error.issues.length > 0) body.error.issues = error.issues.slice(0, MAX_ISSUES);
    const more = Math.max(0, error.issues.length - MAX_ISSUES) + error.moreIssues;
    if (more > 0) body.error.moreIssues = more;
    return { status: error.status, body };
  }
  const body: ErrorBody = {
    error: { code: ErrorCode.InternalError, message: "internal error; see the function's logs for this call id" },
  };
  if (callId) body.error.callId = callId;
  return { status: 500, body };
}
