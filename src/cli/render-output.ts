import Table from "cli-table3";
import type { FailureRecord } from "../model/failure.js";
import { queriedOutput } from "./query-output.js";

export type OutputFormat = "json" | "table";

const plain = { style: { head: [], border: [], compact: true } };

const cell = (v: unknown): string => (v === undefined || v === null ? "" : typeof v === "object" ? JSON.stringify(v) : String(v));

/** One record as a two-column table; nested objects flattened one level (counts.reencrypted …). */
export function keyValueTable(record: Record<string, unknown>, skip: readonly string[] = []): string {
  const t = new Table({ ...plain, head: ["field", "value"] });
  for (const [k, v] of Object.entries(record)) {
    if (skip.includes(k) || v === undefined) continue;
    if (v !== null && typeof v === "object" && !Array.isArray(v)) {
      for (const [k2, v2] of Object.entries(v as Record<string, unknown>)) if (v2 !== undefined) t.push([`${k}.${k2}`, cell(v2)]);
    } else {
      t.push([k, cell(v)]);
    }
  }
  return t.toString();
}

/** Rows of objects as a table with the given columns. */
export function rowsTable(rows: readonly Record<string, unknown>[], columns: readonly string[]): string {
  const t = new Table({ ...plain, head: [...columns] });
  for (const r of rows) t.push(columns.map((c) => cell(r[c])));
  return t.toString();
}

/**
 * The command's answer on stdout: pretty JSON (the default, like the `oci` CLI), or tables. Lists
 * (`failures`, `objects`) become their own tables under the record.
 */
export function printResult(result: Record<string, unknown>, format: OutputFormat): void {
  // --query (and --raw-output) shape the answer when given.
  const queried = queriedOutput(result, format);
  if (queried !== undefined) return void (queried.text !== undefined && process.stdout.write(queried.text));
  if (format === "json") {
    process.stdout.write(JSON.stringify(result, null, 2) + "\n");
    return;
  }
  const lists = ["failures", "objects", "problems", "units"];
  const parts = [keyValueTable(result, lists)];
  const failures = result["failures"];
  if (Array.isArray(failures) && failures.length > 0) parts.push("failures:\n" + rowsTable(failures as Record<string, unknown>[], ["bucket", "object", "versionId", "status", "code", "hint"]));
  const objects = result["objects"];
  if (Array.isArray(objects) && objects.length > 0) parts.push("objects:\n" + rowsTable(objects as Record<string, unknown>[], ["namespace", "bucket", "object", "versionId"]));
  const units = result["units"];
  if (Array.isArray(units) && units.length > 0) parts.push("scopes:\n" + rowsTable(units as Record<string, unknown>[], ["bucket", "prefix", "key"]));
  const problems = result["problems"];
  if (Array.isArray(problems) && problems.length > 0) parts.push("problems:\n" + problems.map((p) => `- ${cell(p)}`).join("\n"));
  process.stdout.write(parts.join("\n") + "\n");
}

const where = (f: FailureRecord): string => `${f.namespace}/${f.bucket}/${f.object}${f.versionId ? ` (version ${f.versionId})` : ""}`;

/** Failures on stderr, each with the function's hint, at most `max` of them. */
export function printFailures(failures: readonly FailureRecord[], failedTotal: number, max = 20): void {
  if (failedTotal === 0) return;
  const lines = [`${failedTotal} object version(s) failed${failedTotal > failures.length ? ` (the first ${failures.length} are kept)` : ""}:`];
  for (const f of failures.slice(0, max)) {
    lines.push(`  ${where(f)}: ${f.status} ${f.code}: ${f.message}${f.opcRequestId ? ` (opc-request-id ${f.opcRequestId})` : ""}`);
    lines.push(`    hint: ${f.hint}`);
  }
  if (failures.length > max) lines.push(`  … and ${failures.length - max} more in the output${failedTotal > failures.length ? " (every version is in --report)" : ""}`);
  process.stderr.write(lines.join("\n") + "\n");
}
