import type { FailureRecord } from "../model/failure.js";
import { renderRecord } from "./table-render.js";
import { colourWanted, escapeControls, outputWidth, painter, terminalSafeJson } from "./terminal-text.js";
import { queriedOutput } from "./query-output.js";

export type OutputFormat = "json" | "table";

const count = (record: Record<string, unknown>, key: string): number | undefined => {
  const c = record["counts"];
  const v = typeof c === "object" && c !== null ? (c as Record<string, unknown>)[key] : undefined;
  return typeof v === "number" ? v : undefined;
};

/**
 * The command's answer on stdout: pretty JSON (the default, like the `oci` CLI; exact, with the
 * characters a terminal would act on \u-escaped), or tables: nested values as `key: value`
 * lines, lists as their own tables one line a row (cut to the terminal's width with "…"), a note
 * of the rows the answer does not hold (a dry run lists the first 1,000 versions, the failures the
 * first 100), colour on a terminal unless NO_COLOR.
 */
export function printResult(result: Record<string, unknown>, format: OutputFormat, stream: NodeJS.WriteStream = process.stdout): void {
  // --query (and --raw-output) shape the answer when given.
  const queried = queriedOutput(result, format);
  if (queried !== undefined) return void (queried.text !== undefined && stream.write(queried.text));
  if (format === "json") {
    stream.write(terminalSafeJson(result, 2) + "\n");
    return;
  }
  const totals: Record<string, { total: number; restAt?: string }> = {};
  const failed = count(result, "failed");
  const report = typeof result["report"] === "string" ? "every version is in the report" : "the answer holds the first 100 only";
  if (failed !== undefined && Array.isArray(result["failures"])) totals["failures"] = { total: failed, restAt: report };
  const matched = count(result, "matched");
  if (matched !== undefined && Array.isArray(result["objects"])) totals["objects"] = { total: matched, restAt: typeof result["report"] === "string" ? "every version is in the report" : "the answer holds the first 1,000 only: --report FILE has every version" };
  stream.write(renderRecord(result, { width: outputWidth(stream), paint: painter(colourWanted(stream)), totals }) + "\n");
}

const where = (f: FailureRecord): string => `${f.namespace}/${f.bucket}/${f.object}${f.versionId ? ` (version ${f.versionId})` : ""}`;

/** Failures on stderr, each with the function's hint, at most `max` of them; names and messages escaped. */
export function printFailures(failures: readonly FailureRecord[], failedTotal: number, max = 20, stream: NodeJS.WriteStream = process.stderr): void {
  if (failedTotal === 0) return;
  const paint = painter(colourWanted(stream));
  const lines = [paint("red", `${failedTotal} object version(s) failed${failedTotal > failures.length ? ` (the first ${failures.length} are kept)` : ""}:`)];
  for (const f of failures.slice(0, max)) {
    lines.push(`  ${escapeControls(where(f))}: ${paint("red", `${f.status} ${escapeControls(f.code)}`)}: ${escapeControls(f.message)}${f.opcRequestId ? ` (opc-request-id ${escapeControls(f.opcRequestId)})` : ""}`);
    lines.push(`    hint: ${escapeControls(f.hint)}`);
  }
  if (failures.length > max) lines.push(`  … and ${failures.length - max} more in the output${failedTotal > failures.length ? " (every version is in --report)" : ""}`);
  stream.write(lines.join("\n") + "\n");
}
