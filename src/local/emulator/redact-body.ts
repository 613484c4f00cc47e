const REDACTED = "<redacted>";

/**
 * A request body as the request log may keep it: customer-provided keys replaced. In a
 * ReencryptObject body, or any body carrying an `sseCustomerKey`, every `key` value goes; a
 * `base64Key` (the product's own request format) goes everywhere.
 */
export function redactBody(operation: string, body: unknown): unknown {
  const keysAreSecret = operation === "ReencryptObject" || mentions(body, "sseCustomerKey");
  return walk(body, keysAreSecret);
}

function walk(value: unknown, keysAreSecret: boolean): unknown {
  if (Array.isArray(value)) return value.map((v) => walk(v, keysAreSecret));
  if (typeof value !== "object" || value === null) return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    out[k] = (keysAreSecret && k === "key") || k === "base64Key" ? REDACTED : walk(v, keysAreSecret);
  }
  return out;
}

function mentions(value: unknown, field: string): boolean {
  if (Array.isArray(value)) return value.some((v) => mentions(v, field));
  if (typeof value !== "object" || value === null) return false;
  return Object.entries(value).some(([k, v]) => k === field || mentions(v, field));
}
