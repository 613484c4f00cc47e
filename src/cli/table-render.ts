// `--output table`: a record as a two-column table whose nested values are `key: value` lines, and
// its lists of objects as tables of their own, one line a row where the terminal is wide enough.
// Every string is escaped (terminal-text.ts); colour only where the caller's painter allows it.
import { displayWidth, escapeControls, statusColour, truncateText, type Colour, type Painter } from "./terminal-text.js";

export interface TableOptions {
  /** The terminal's width; undefined: no limit (a pipe gets every character). */
  width?: number | undefined;
  paint: Painter;
}

/** One cell: lines of escaped, colourless text, and how to paint them. */
export interface Cell {
  lines: string[];
  colour?: Colour | undefined;
}

const cellOf = (text: string, colour?: Colour): Cell => ({ lines: text.split("\n"), colour });

const isPlainObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

const isObjectList = (v: unknown): v is Record<string, unknown>[] => Array.isArray(v) && v.length > 0 && v.every(isPlainObject);

/** A scalar as text: strings escaped, numbers and booleans as they are. */
export const scalarText = (v: unknown): string => (v === undefined || v === null ? "" : typeof v === "string" ? escapeControls(v) : typeof v === "object" ? escapeControls(JSON.stringify(v)) : String(v));

/** Inside a `k: v` line an empty string would read as nothing at all. */
const innerText = (v: unknown): string => (v === "" ? '""' : scalarText(v));

/** A value on one line: `k: v · k: v` for objects, `a, b` for lists. */
export function inlineText(v: unknown): string {
  if (isPlainObject(v)) {
    return Object.entries(v)
      .filter(([, x]) => x !== undefined)
      .map(([k, x]) => `${escapeControls(k)}: ${isPlainObject(x) || Array.isArray(x) ? inlineText(x) : innerText(x)}`)
      .join(" · ");
  }
  if (Array.isArray(v)) return v.map((x) => (isPlainObject(x) || Array.isArray(x) ? `(${inlineText(x)})` : inlineText(x))).join(", ");
  return scalarText(v);
}

/** Nested values as indented `key: value` lines (one line when it is short enough). */
export function nestedLines(v: unknown, indent = ""): string[] {
  const one = inlineText(v);
  if (!isPlainObject(v) || displayWidth(one) <= 60) return [one];
  const out: string[] = [];
  for (const [k, x] of Object.entries(v)) {
    if (x === undefined) continue;
    const key = escapeControls(k);
    if (isPlainObject(x) && displayWidth(inlineText(x)) > 60) {
      out.push(`${indent}${key}:`);
      out.push(...nestedLines(x, `${indent}  `));
    } else {
      out.push(`${indent}${key}: ${inlineText(x)}`);
    }
  }
  return out;
}

/**
 * Column widths that fit `limit`: the widest columns give up columns first, none below the
 * smaller of its natural width and 6 (a cut is marked with "…").
 */
export function fitColumns(natural: number[], limit: number | undefined): number[] {
  const widths = [...natural];
  if (limit === undefined) return widths;
  const frame = 3 * widths.length + 1;
  const floor = natural.map((w) => Math.min(w, 6));
  let excess = widths.reduce((a, b) => a + b, 0) + frame - limit;
  while (excess > 0) {
    let widest = -1;
    for (let i = 0; i < widths.length; i++) if ((widths[i] as number) > (floor[i] as number) && (widest < 0 || (widths[i] as number) > (widths[widest] as number))) widest = i;
    if (widest < 0) break;
    widths[widest] = (widths[widest] as number) - 1;
    excess--;
  }
  return widths;
}

/** A boxed table (the look of cli-table3's), rows as wide as the terminal allows, cells cut with "…". */
export function drawTable(head: string[], rows: Cell[][], o: TableOptions): string {
  const n = head.length;
  const natural = head.map((h, i) => Math.max(displayWidth(h), ...rows.map((r) => Math.max(0, ...(r[i]?.lines ?? [""]).map(displayWidth)))));
  const widths = fitColumns(natural, o.width);
  const rule = (l: string, m: string, r: string): string => o.paint("dim", l + widths.map((w) => "─".repeat(w + 2)).join(m) + r);
  const bar = o.paint("dim", "│");
  const line = (cells: Cell[]): string[] => {
    const height = Math.max(1, ...cells.map((c) => c.lines.length));
    const out: string[] = [];
    for (let y = 0; y < height; y++) {
      const parts = widths.map((w, i) => {
        const c = cells[i];
        const text = truncateText(c?.lines[y] ?? "", w);
        const pad = " ".repeat(Math.max(0, w - displayWidth(text)));
        return ` ${c?.colour ? o.paint(c.colour, text) : text}${pad} `;
      });
      out.push(bar + parts.join(bar) + bar);
    }
    return out;
  };
  const out = [rule("┌", "┬", "┐"), ...line(head.map((h) => ({ lines: [h], colour: "bold" as const }))), rule("├", "┼", "┤")];
  for (const r of rows) out.push(...line(Array.from({ length: n }, (_, i) => r[i] ?? { lines: [""] })));
  out.push(rule("└", "┴", "┘"));
  return out.join("\n");
}

/** How a column's values are painted: status words by what they mean, failure codes in red. */
function colourFor(column: string, value: unknown): Colour | undefined {
  if (typeof value === "string" && /^(status|state)$/.test(column)) return statusColour(value);
  if (typeof value === "boolean" && /^(ok|isEnabled|actionEnabled|objectEventsEnabled)$/.test(column)) return value ? undefined : "red";
  if (column === "code" && typeof value === "string") return "red";
  if (column === "failed" && typeof value === "number" && value > 0) return "red";
  return undefined;
}

export interface ListSection {
  /** The path of the list in the record, e.g. "failures" or "shards.list". */
  name: string;
  rows: Record<string, unknown>[];
  /** How many the whole job has when the record holds only the first ones (failures of counts.failed). */
  total?: number | undefined;
  /** Where the rest are, said after "… and N more". */
  restAt?: string | undefined;
}

/** Columns worth showing first for the lists the CLI prints; others follow in the order met. */
const PREFERRED: Record<string, string[]> = {
  failures: ["bucket", "object", "versionId", "status", "code", "hint"],
  objects: ["namespace", "bucket", "object", "versionId"],
  units: ["bucket", "prefix", "key"],
  checklist: ["status", "check", "detail", "fix"],
  "shards.list": ["id", "state", "units", "range", "counts", "invocations"],
};
/** Columns left out of a list's table: long, and in the JSON (`--output json`). */
const LEFT_OUT: Record<string, string[]> = { failures: ["namespace", "message", "opcRequestId"] };

/** At most this many rows of one list in a table; `--output json` has them all. */
export const MAX_TABLE_ROWS = 1000;

export function listTable(s: ListSection, o: TableOptions): string {
  const shown = s.rows.slice(0, MAX_TABLE_ROWS);
  const keys: string[] = [];
  const skip = new Set(LEFT_OUT[s.name] ?? []);
  for (const k of PREFERRED[s.name] ?? []) if (shown.some((r) => r[k] !== undefined && r[k] !== "")) keys.push(k);
  for (const r of shown) for (const [k, v] of Object.entries(r)) if (!keys.includes(k) && !skip.has(k) && v !== undefined && !PREFERRED[s.name]?.includes(k)) keys.push(k);
  const rows = shown.map((r) => keys.map((k) => cellOf(inlineText(r[k]).replace(/\n/g, " "), colourFor(k, r[k]))));
  const total = Math.max(s.total ?? 0, s.rows.length);
  const count = total > shown.length ? `${shown.length} of ${total}` : String(shown.length);
  const parts = [`${escapeControls(s.name)} (${count}):`, drawTable(keys, rows, o)];
  if (total > shown.length) {
    const inJson = s.rows.length - shown.length;
    const elsewhere = total - s.rows.length;
    const where = [inJson > 0 ? `${inJson} in --output json` : "", elsewhere > 0 ? `${elsewhere} ${s.restAt ?? "not in the answer"}` : ""].filter(Boolean).join("; ");
    parts.push(`… and ${total - shown.length} more (${where})`);
  }
  return parts.join("\n");
}

/** At most this many bullets of one list; `--output json` has them all. */
const MAX_BULLETS = 20;

/** Words of `text` in lines of at most `width` columns, the first after `first`, the others after `rest`. */
export function wrapText(text: string, width: number | undefined, first: string, rest: string): string[] {
  if (width === undefined || displayWidth(first + text) <= width) return [first + text];
  const lines: string[] = [];
  let line = first;
  for (const word of text.split(" ")) {
    const prefix = line === first || line === rest ? "" : " ";
    if (displayWidth(line + prefix + word) > width && line !== first && line !== rest) {
      lines.push(line);
      line = rest + word;
    } else {
      line += prefix + word;
    }
  }
  lines.push(line);
  return lines;
}

/** Lists of strings that read better one a line (diagnose's problems, warnings): wrapped under their bullet. */
const bulletList = (name: string, items: unknown[], o: TableOptions, colour?: Colour): string => {
  const lines = [`${escapeControls(name)} (${items.length}):`];
  for (const x of items.slice(0, MAX_BULLETS)) {
    const wrapped = wrapText(scalarText(x), o.width, "  - ", "    ");
    lines.push(...(colour ? wrapped.map((l) => o.paint(colour, l)) : wrapped));
  }
  if (items.length > MAX_BULLETS) lines.push(`  … and ${items.length - MAX_BULLETS} more (--output json has them all)`);
  return lines.join("\n");
};

const BULLET_COLOURS: Record<string, Colour> = { problems: "red", warnings: "yellow" };

/**
 * A record as `--output table` prints it: its scalars and small nested values in a field/value
 * table, each list of objects (at the top level or one level down, e.g. status's shards.list) as
 * its own table below, long lists of strings as bullets. `totals` gives the whole job's count of a
 * list the record holds only the first of.
 */
export function renderRecord(record: Record<string, unknown>, o: TableOptions & { totals?: Record<string, { total: number; restAt?: string }> }): string {
  const rows: Cell[][] = [];
  const sections: string[] = [];
  const bullets: string[] = [];
  const section = (name: string, list: Record<string, unknown>[]): void => {
    const t = o.totals?.[name];
    sections.push(listTable({ name, rows: list, ...(t ? { total: t.total, restAt: t.restAt } : {}) }, o));
  };
  for (const [k, v] of Object.entries(record)) {
    if (v === undefined) continue;
    const key = escapeControls(k);
    if (isObjectList(v)) {
      section(k, v);
      continue;
    }
    if (Array.isArray(v) && v.length === 0) {
      // An empty list the reader expects (no failures, no problems) says nothing; others say "(none)".
      if (!(k in (o.totals ?? {})) && !(k in PREFERRED) && !(k in BULLET_COLOURS) && k !== "unconfirmed") rows.push([cellOf(key), cellOf("(none)", "dim")]);
      continue;
    }
    if (Array.isArray(v) && v.some((x) => typeof x === "string" && x.length > 40)) {
      bullets.push(bulletList(k, v, o, BULLET_COLOURS[k]));
      continue;
    }
    if (isPlainObject(v)) {
      // A list one level down (status: shards.list) is a table of its own; the rest stays here.
      const inner: Record<string, unknown> = {};
      for (const [k2, v2] of Object.entries(v)) {
        if (isObjectList(v2)) section(`${k}.${k2}`, v2);
        else inner[k2] = v2;
      }
      const failedRed = k === "counts" && typeof v["failed"] === "number" && v["failed"] > 0;
      rows.push([cellOf(key), { lines: nestedLines(inner), colour: failedRed ? "red" : undefined }]);
      continue;
    }
    rows.push([cellOf(key), cellOf(Array.isArray(v) ? inlineText(v) : scalarText(v), colourFor(k, v))]);
  }
  return [drawTable(["field", "value"], rows, o), ...bullets, ...sections].join("\n");
}
