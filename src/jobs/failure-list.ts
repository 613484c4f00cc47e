import { MAX_FAILURES } from "../engine/shard-outcomes.js";
import type { FailureRecord } from "../model/failure.js";

/** Appends failures to a record's list, which keeps the first MAX_FAILURES (100). */
export function mergeFailures(into: FailureRecord[], more: readonly FailureRecord[]): void {
  for (const f of more) {
    if (into.length >= MAX_FAILURES) return;
    into.push(f);
  }
}
