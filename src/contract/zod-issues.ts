import type { z } from "zod";
import { invalidPayload, type FieldIssue, type ReencryptError } from "../errors.js";

const joinPath = (path: readonly PropertyKey[]): string => path.map(String).join(".");

/** Zod issues as the contract's `issues`: one per field, unknown fields named individually. */
export function toFieldIssues(error: z.ZodError, prefix: readonly PropertyKey[] = []): FieldIssue[] {
  const out: FieldIssue[] = [];
  for (const issue of error.issues) {
    const path = [...prefix, ...issue.path];
    if (issue.code === "unrecognized_keys") {
      for (const key of issue.keys) out.push({ path: joinPath([...path, key]), message: "unknown field" });
    } else {
      out.push({ path: joinPath(path), message: issue.message });
    }
  }
  return out;
}

export function zodToInvalidPayload(error: z.ZodError, what: string): ReencryptError {
  const issues = toFieldIssues(error);
  const first = issues[0];
  const summary = first ? `${first.path || what}: ${first.message}` : "invalid";
  return invalidPayload(`invalid ${what}: ${summary}${issues.length > 1 ? ` (and ${issues.length - 1} more)` : ""}`, issues);
}
