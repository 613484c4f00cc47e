export function parseCondition(condition: string): { eventTypes: string[]; buckets: string[]; resourceIds: string[] } {
  try {
    const c = JSON.parse(condition) as { eventType?: unknown; data?: { resourceId?: unknown; additionalDetails?: { bucketName?: unknown } } };
    const list = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === "string") : typeof v === "string" ? [v] : []);
    return { eventTypes: list(c.eventType), buckets: list(c.data?.additionalDetails?.bucketName), resourceIds: list(c.data?.resourceId) };
  } catch {
    return { eventTypes: [], buckets: [], resourceIds: [] };
  }
}

/** OCI Events condition values: `*` is the only wildcard. */
export function conditionMatches(pattern: string, value: string): boolean {
  if (!pattern.includes("*")) return pattern === value;
  const body = pattern.replace(/[.+?^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*");
  return new RegExp(`^${body}$`).test(value);
}

