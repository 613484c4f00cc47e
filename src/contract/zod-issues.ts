import type { z } from "zod";
import { invalidPayload, MAX_ISSUES, type FieldIssue, type ReencryptError } from "../errors.js";

const joinPath = (path: readonly PropertyKey[]): string => path.map(String).join(".");

/**
 * Zod issues as the contract's `issues`: one per field, unknown fields named individually. At
 * most `max` are built: a body of 150,000 unknown keys is answered with 20 of them and a count,
 * not 150,000 objects of which 20 are shown (issue 16).
 */
export function toFieldIssues(error: z.ZodError, prefix: readonly PropertyKey[] = [], max = Number.POSITIVE_INFINITY): FieldIssue[] {
  const out: FieldIssue[] = [];
  for (const issue of error.issues) {
    if (out.length >= max) break;
    const path = [...prefix, ...issue.path];
    if (issue.code === "unrecognized_keys") {
      for (const key of issue.keys) {
        if (out.length >= max) break;
        out.push({ path: joinPath([...path, key]), message: "unknown field" });
      }
    } else {
      out.push({ path: joinPath(path), message: issue.message });
    }
  }
  return out;
}

/** How many field issues toFieldIssues would build without a bound, counted without building them. */
export function countFieldIssues(error: z.ZodError): number {
  let n = 0;
  for (const issue of error.issues) n += issue.code === "unrecognized_keys" ? issue.keys.length : 1;
  return n;
}

export function zodToInvalidPayload(error: z.ZodError, what: string): ReencryptError {
  const issues = toFieldIssues(error, [], MAX_ISSUES);
  const total = countFieldIssues(error);
  const first = issues[0];
  const summary = first ? `${first.path || what}: ${first.message}` : "invalid";
  return invalidPayload(`invalid ${what}: ${summary}${total > 1 ? ` (and ${total - 1} more)` : ""}`, issues, total - issues.length);
}

/**
 * A body with more unknown top-level fields than an answer lists is refused before its schema
 * runs: the schema would name every one of them (150,000 keys cost ~60 ms of CPU in zod alone).
 * Fewer go through the schema, which reports them together with every other problem.
 */
export function refuseManyUnknownFields(body: Record<string, unknown>, known: readonly string[], what: string): void {
  const knownSet = new Set(known);
  const issues: FieldIssue[] = [];
  let unknown = 0;
  for (const key of Object.keys(body)) {
    if (knownSet.has(key)) continue;
    unknown++;
    if (issues.length < MAX_ISSUES) issues.push({ path: key, message: "unknown field" });
  }
  if (unknown <= MAX_ISSUES) return;
  throw invalidPayload(`invalid ${what}: ${issues[0]?.path ?? ""}: unknown field (and ${unknown - 1} more)`, issues, unknown - issues.length);
}
