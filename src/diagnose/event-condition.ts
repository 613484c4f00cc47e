import { wildcardMatch } from "../glob.js";

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
  // Linear-time matching (no regex to backtrack): a rule's condition is another team's input.
  return wildcardMatch(pattern, value, false);
}

