import { closeSync, existsSync, openSync, statSync, writeSync } from "node:fs";
import type { ReportLine, ReportSink } from "../engine/report-writer.js";
import { usageError } from "./cli-error.js";
import { escapeControls } from "./terminal-text.js";

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

/**
 * A text cell as the CSV report holds it: control characters spelled out as on the terminal (`\e`,
 * `\x07`, `\u202e`: `cat report.csv` must not retitle the terminal either) and backslashes
 * doubled, so every cell reads back exactly (`csvUnguard`); then a cell a spreadsheet would run as
 * a formula (=, +, -, @) gets a leading `'`, as OWASP advises against CSV injection, and so does
 * one that starts with `'` already. The JSONL report stays exact.
 */
export const csvGuard = (s: string): string => {
  const text = escapeControls(s.replace(/\\/g, "\\\\"));
  return /^[=+\-@\t\r']/.test(text) ? `'${text}` : text;
};

const UNESCAPES: Record<string, string> = { e: "\u001b", n: "\n", r: "\r", t: "\t", "\\": "\\" };

export const csvUnguard = (cell: string): string =>
  (cell.startsWith("'") ? cell.slice(1) : cell).replace(/\\(x[0-9a-f]{2}|u[0-9a-f]{4}|[enrt\\])/g, (_m, e: string) => (e.length > 1 ? String.fromCharCode(parseInt(e.slice(1), 16)) : (UNESCAPES[e] as string)));

/** RFC 4180: quoted when it holds a comma, a quote or a line break (or starts/ends with a space); quotes doubled. Text is guarded (csvGuard). */
export function csvField(value: string | number | undefined): string {
  if (value === undefined) return "";
  const s = typeof value === "number" ? String(value) : csvGuard(value);
  return /[",\r\n]|^\s|\s$/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** The report's CSV back into records (RFC 4180, guarded cells unguarded): what `retry` reads. */
export function parseCsvReport(text: string): Record<string, string>[] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = "";
  let quoted = false;
  let i = 0;
  const endCell = (): void => {
    row.push(cell);
    cell = "";
  };
  while (i < text.length) {
    const c = text[i] as string;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        cell += '"';
        i += 2;
        continue;
      }
      if (c === '"') quoted = false;
      else cell += c;
      i++;
      continue;
    }
    if (c === '"' && cell === "") quoted = true;
    else if (c === ",") endCell();
    else if (c === "\r" && text[i + 1] === "\n") {
      endCell();
      rows.push(row);
      row = [];
      i++;
    } else if (c === "\n") {
      endCell();
      rows.push(row);
      row = [];
    } else cell += c;
    i++;
  }
  if (cell !== "" || row.length > 0) {
    endCell();
    rows.push(row);
  }
  const [head, ...body] = rows;
  if (!head) return [];
  return body.map((r) => Object.fromEntries(head.map((h, j) => [h, csvUnguard(r[j] ?? "")])));
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
