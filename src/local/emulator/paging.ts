import { ApiError } from "./api-error.js";

/** `limit` as OCI reads it: a positive integer, capped at `max`. */
export function parseLimit(query: URLSearchParams, fallback: number, max: number): number {
  const raw = query.get("limit");
  if (raw === null || raw === "") return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1) throw new ApiError(400, "InvalidParameter", `limit must be a positive integer, got '${raw}'`);
  return Math.min(n, max);
}

/** Page tokens are opaque base64url JSON: safe in a query string even when the caller forgets to encode them. */
export function encodePage(value: unknown): string {
  return Buffer.from(JSON.stringify(value), "utf8").toString("base64url");
}

export function decodePage(token: string): unknown {
  try {
    return JSON.parse(Buffer.from(token, "base64url").toString("utf8"));
  } catch {
    throw new ApiError(400, "InvalidParameter", "The page token is not valid");
  }
}

/** Offset paging for the small list APIs (buckets, vaults, key versions, functions, rules). */
export function pageByOffset<T>(
  items: readonly T[],
  query: URLSearchParams,
  fallbackLimit: number,
  maxLimit: number,
): { items: T[]; nextPage?: string } {
  const limit = parseLimit(query, fallbackLimit, maxLimit);
  const page = query.get("page");
  let offset = 0;
  if (page) {
    const decoded = decodePage(page);
    if (typeof decoded !== "object" || decoded === null || typeof (decoded as { o?: unknown }).o !== "number") {
      throw new ApiError(400, "InvalidParameter", "The page token is not valid");
    }
    offset = (decoded as { o: number }).o;
  }
  const slice = items.slice(offset, offset + limit);
  const next = offset + limit < items.length ? encodePage({ o: offset + limit }) : undefined;
  return next === undefined ? { items: slice } : { items: slice, nextPage: next };
}

/** `opc-next-page` header when there is a next page. */
export function nextPageHeader(nextPage: string | undefined): Record<string, string> {
  return nextPage === undefined ? {} : { "opc-next-page": nextPage };
}
