import { closeSync, existsSync, openSync, statSync, writeSync } from "node:fs";
import type { ReportLine, ReportSink } from "../engine/report-writer.js";
import { usageError } from "./cli-error.js";

export const REPORT_FORMATS = ["jsonl", "csv"] as const;
export type ReportFormat = (typeof REPORT_FORMATS)[number];

const CSV_COLUMNS = ["namespace", "bucket", "object", "versionId", "outcome", "status", "code"] as const;

/** `--report-format`, else the file's extension (.csv → csv, anything else → jsonl). */
export function reportFormatOf(path: string, explicit: string | undefined): ReportFormat {
  if (explicit !== undefined) {
    if (!(REPORT_FORMATS as readonly string[]).includes(explicit)) throw usageError(`--report-format: must be jsonl or csv, got "${explicit}"`);
    return explicit as ReportFormat;
  }
  return /\.csv$/i.test(path) ? "csv" : "jsonl";
}

/** RFC 4180: quoted when it holds a comma, a quote or a line break (or starts/ends with a space); quotes doubled. */
export function csvField(value: string | number | undefined): string {
  if (value === undefined) return "";
  const s = String(value);
  return /[",\r\n]|^\s|\s$/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export const csvLine = (line: ReportLine): string => CSV_COLUMNS.map((c) => csvField(line[c])).join(",") + "\r\n";

/**
 * The engine's report (one line per object version, the same lines the function writes to the
 * state bucket) in a local file: JSON lines, or CSV with a header. A resumed job appends to it.
 * Lines are buffered and written in blocks, off the engine's path.
 */
export function openReportFile(path: string, format: ReportFormat, o: { append: boolean }): ReportSink {
  const fresh = !o.append || !existsSync(path) || statSync(path).size === 0;
  let fd: number;
  try {
    fd = openSync(path, o.append ? "a" : "w", 0o600);
  } catch (error) {
    throw usageError(`--report ${path}: cannot be written (${(error as NodeJS.ErrnoException).code ?? "error"})`);
  }
  let buffer: string[] = [];
  let size = 0;
  const flush = (): void => {
    if (buffer.length === 0) return;
    writeSync(fd, buffer.join(""));
    buffer = [];
    size = 0;
  };
  if (format === "csv" && fresh) buffer.push(CSV_COLUMNS.join(",") + "\r\n");
  const timer = setInterval(flush, 1000);
  timer.unref();
  const sink = {
    add(line: ReportLine): void {
      const text = format === "csv" ? csvLine(line) : JSON.stringify(line) + "\n";
      buffer.push(text);
      size += text.length;
      if (size >= 256 * 1024) flush();
    },
    /** Writes are synchronous and bounded (256 KiB): never behind. */
    backlog: (): Promise<void> | undefined => undefined,
    async cut(): Promise<string[]> {
      flush();
      return [path];
    },
    async close(): Promise<string[]> {
      clearInterval(timer);
      flush();
      closeSync(fd);
      return [path];
    },
  };
  return sink;
}
