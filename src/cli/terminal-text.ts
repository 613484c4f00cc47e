// Text that reaches the operator's terminal. Object names, service messages and error text come
// from whoever may upload to a bucket or answer a request: printed raw, an ESC sequence could
// retitle the terminal, erase the line above or paint a failure as a success (issue 16 item 4).

/**
 * C0 controls, DEL, C1 controls (U+0080–U+009F: U+009B is a one-character CSI on terminals that
 * honour 8-bit controls), the bidi embeddings, overrides and isolates (U+202A–U+202E,
 * U+2066–U+2069, U+061C, U+200E/U+200F) that reorder what follows them, and the Unicode line and
 * paragraph separators.
 */
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

/** What JSON.stringify leaves raw of those (it escapes C0 itself); outside strings JSON has none of them. */
const UNSAFE_IN_JSON = /[\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

const NAMED: Record<string, string> = { "\n": "\\n", "\r": "\\r", "\t": "\\t", "\u001b": "\\e" };

const hex = (c: string, width: 2 | 4): string => c.charCodeAt(0).toString(16).padStart(width, "0");

/**
 * Every unsafe character spelled out (`\e`, `\n`, `\x07`, `\u202e`), so a name shows what it is
 * and nothing in it acts on the terminal. `--output json` stays exact; this is for what people read.
 */
export function escapeControls(text: string): string {
  return text.replace(UNSAFE, (c) => NAMED[c] ?? (c.charCodeAt(0) <= 0xff ? `\\x${hex(c, 2)}` : `\\u${hex(c, 4)}`));
}

/** Several lines (an error with its stack): each escaped, the line breaks kept. */
export const escapeLines = (text: string): string => text.split("\n").map(escapeControls).join("\n");

/** Anything as one line of text for a person: strings escaped, other values as JSON (then escaped). */
export function safeText(value: unknown): string {
  if (value === undefined || value === null) return "";
  return escapeControls(typeof value === "string" ? value : typeof value === "object" ? JSON.stringify(value) : String(value));
}

/**
 * JSON for stdout and stderr: exactly the value (JSON.parse gives it back unchanged), with the
 * characters JSON.stringify leaves raw but a terminal acts on (DEL, C1, bidi controls, line
 * separators) written as \u escapes. C0 controls JSON.stringify escapes already.
 */
export function terminalSafeJson(value: unknown, indent?: number): string {
  return JSON.stringify(value, null, indent).replace(UNSAFE_IN_JSON, (c) => `\\u${hex(c, 4)}`);
}

// ---- colour ----

export type Colour = "red" | "green" | "yellow" | "cyan" | "dim" | "bold";

const SGR: Record<Colour, [number, number]> = { red: [31, 39], green: [32, 39], yellow: [33, 39], cyan: [36, 39], dim: [2, 22], bold: [1, 22] };

/** Colour on a terminal, unless NO_COLOR is set to anything non-empty (no-color.org) or TERM is dumb. */
export function colourWanted(stream: { isTTY?: boolean }, env: Readonly<Record<string, string | undefined>> = process.env): boolean {
  if (env["NO_COLOR"] !== undefined && env["NO_COLOR"] !== "") return false;
  if (env["TERM"] === "dumb") return false;
  return stream.isTTY === true;
}

export type Painter = (colour: Colour, text: string) => string;

export const painter = (on: boolean): Painter => (on ? (c, t) => (t === "" ? t : `\u001b[${SGR[c][0]}m${t}\u001b[${SGR[c][1]}m`) : (_c, t) => t);

/** The colour of a status word: done well, done with failures, still going, broken. */
export function statusColour(word: string): Colour | undefined {
  if (/^(succeeded|ok|done|dry-run|true)$/.test(word)) return "green";
  if (/^(partial|incomplete|warning|unconfirmed|continuing|waiting)$/.test(word)) return "yellow";
  if (/^(failed|stalled|problem|false)$/.test(word)) return "red";
  if (/^(running|pending)$/.test(word)) return "cyan";
  return undefined;
}

// ---- width ----

/** East Asian wide and fullwidth ranges, and the emoji blocks terminals draw two columns wide. */
const WIDE: [number, number][] = [
  [0x1100, 0x115f],
  [0x2e80, 0x303e],
  [0x3041, 0x33ff],
  [0x3400, 0x4dbf],
  [0x4e00, 0x9fff],
  [0xa000, 0xa4cf],
  [0xac00, 0xd7a3],
  [0xf900, 0xfaff],
  [0xfe30, 0xfe4f],
  [0xff00, 0xff60],
  [0xffe0, 0xffe6],
  [0x1f300, 0x1f64f],
  [0x1f900, 0x1f9ff],
  [0x20000, 0x3fffd],
];

const ZERO_WIDTH = /^[\p{Mn}\p{Me}\u200b-\u200d\ufe00-\ufe0f]$/u;

const charWidth = (ch: string): number => {
  const cp = ch.codePointAt(0) as number;
  if (ZERO_WIDTH.test(ch)) return 0;
  return WIDE.some(([a, b]) => cp >= a && cp <= b) ? 2 : 1;
};

/** Columns a line of (escaped, colourless) text takes on a terminal. */
export function displayWidth(text: string): number {
  let w = 0;
  for (const ch of text) w += charWidth(ch);
  return w;
}

/** The text cut to `width` columns, ending in "…" when cut. */
export function truncateText(text: string, width: number): string {
  if (displayWidth(text) <= width) return text;
  if (width <= 0) return "";
  let out = "";
  let w = 0;
  for (const ch of text) {
    const cw = charWidth(ch);
    if (w + cw > width - 1) break;
    out += ch;
    w += cw;
  }
  return out + "…";
}

/** The terminal's width for stdout, or undefined when it is not a terminal (a pipe keeps every character). */
export function outputWidth(stream: { isTTY?: boolean; columns?: number } = process.stdout): number | undefined {
  return stream.isTTY && stream.columns && stream.columns > 20 ? stream.columns : undefined;
}
