/** A service error as OCI sends it: HTTP status plus a JSON `{code, message}` body. */
export class ApiError extends Error {
  readonly status: number;
  readonly code: string;

  constructor(status: number, code: string, message: string) {
    super(message);
    this.name = "ApiError";
    this.status = status;
    this.code = code;
  }
}

export const notFound = (code: string, message: string): ApiError => new ApiError(404, code, message);
export const invalidParameter = (message: string): ApiError => new ApiError(400, "InvalidParameter", message);
export const missingParameter = (name: string): ApiError =>
  new ApiError(400, "MissingParameter", `The required parameter '${name}' is missing`);
