// Key material in text the function did not write (service messages, error codes, request ids,
// SDK lines). Two passes:
//
// 1. Keys this process knows (every SSE-C key it resolved, the token secret) are searched for in
//    normal forms of the text rather than in a list of encodings: escapes undone repeatedly
//    (percent, \uXXXX, \xXX), then everything that is not a base64 character dropped (the key's
//    base64 found however it was split: spaces, newlines, commas), and everything that is not a
//    hex digit dropped from the lower-cased text (colons, dashes, 8-digit groups, any case).
//    Any 24 consecutive characters of a key's base64 (144 bits) or hex (96 bits) count: a
//    service that cuts the key short, or a cut of ours, still cannot show part of it. A text
//    that holds a known key is replaced whole.
// 2. Unknown key-like runs are replaced where they stand: base64 runs of 40+ characters with
//    mixed case, base64url and percent-encoded base64, 64 hex digits in a row, and hex written in
//    groups (colon, dash, space or dot separated) adding up to 64 digits or more.

export const REDACTED = "[redacted]";
const WHOLE = "[redacted: the text held key material]";

/** The newest keys this process has used; a container serves one invocation at a time. */
const MAX_KNOWN = 64;
const WINDOW = 16;
const STEP = 8;
/** Text past this is not examined or kept: service text is cut to a few hundred characters anyway. */
const MAX_TEXT = 64 * 1024;

interface KnownKey {
  b64: string;
  hex: string;
}
const known: KnownKey[] = [];

/** Remembers key material so any later text holding it is redacted. Only its text forms are kept. */
export function rememberKeyMaterial(raw: Uint8Array): void {
  const buf = Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength);
  const b64 = buf.toString("base64").replace(/=+$/, "");
  if (b64.length < WINDOW || known.some((k) => k.b64 === b64)) return;
  known.push({ b64, hex: buf.toString("hex") });
  if (known.length > MAX_KNOWN) known.shift();
}

const PERCENT = /%([0-9A-Fa-f]{2})/g;
const UNICODE_ESCAPE = /\\u([0-9A-Fa-f]{4})/g;
const HEX_ESCAPE = /\\x([0-9A-Fa-f]{2})/g;

/** Undoes percent-encoding and \u / \x escapes until nothing changes (at most 6 rounds). */
function decodeEscapes(text: string): string {
  let current = text;
  for (let round = 0; round < 6; round++) {
    const next = current
      .replace(PERCENT, (_, h: string) => String.fromCharCode(parseInt(h, 16)))
      .replace(UNICODE_ESCAPE, (_, h: string) => String.fromCharCode(parseInt(h, 16)))
      .replace(HEX_ESCAPE, (_, h: string) => String.fromCharCode(parseInt(h, 16)));
    if (next === current) return current;
    current = next;
  }
  return current;
}

/** Whether `hay` holds a run of `form` at least WINDOW + STEP long (each such run holds one aligned window). */
function holdsPart(hay: string, form: string): boolean {
  for (let i = 0; i + WINDOW <= form.length; i += STEP) {
    if (hay.includes(form.slice(i, i + WINDOW))) return true;
  }
  // The tail, so a run ending at the form's last character is found too.
  return form.length >= WINDOW && hay.includes(form.slice(form.length - WINDOW));
}

/** Whether the text holds (part of) a key this process knows, in any encoding the normal forms undo. */
export function holdsKnownKey(text: string): boolean {
  if (known.length === 0 || text.length < WINDOW) return false;
  const decoded = decodeEscapes(text.length > MAX_TEXT ? text.slice(0, MAX_TEXT) : text);
  const base64 = decoded.replace(/[^A-Za-z0-9+/_-]/g, "");
  // base64url read as base64, and `-`/`_` read as separators: either may be what the text used.
  const asStandard = base64.replace(/-/g, "+").replace(/_/g, "/");
  const separatorsDropped = base64.replace(/[-_]/g, "");
  const hex = decoded.toLowerCase().replace(/[^0-9a-f]/g, "");
  return known.some((k) => holdsPart(asStandard, k.b64) || holdsPart(separatorsDropped, k.b64) || holdsPart(hex, k.hex));
}

/** Known keys only, with no guessing: for text of ours (log fields), where a long name is just a name. */
export function redactKnownKeys(text: string): string {
  return holdsKnownKey(text) ? WHOLE : text;
}

// Base64 runs of 40+ characters with mixed case are what SSE-C keys (44 chars) and PEM bodies
// look like; a run holding 64 hex digits in a row (either case) is a 32-byte key written in hex.
// OCIDs (lowercase base32, with letters past f) and ordinary names are left alone.
// Base64, base64url and percent-encoded base64 (%2B %2F %3D) runs: the forms a key takes in a
// body, a URL or a query string that a service might echo.
const LONG_RUN = /(?:[A-Za-z0-9+/_-]|%2[BbFf]|%3[Dd]){40,}(?:=|%3[Dd]){0,2}/g;
const HEX_KEY = /[0-9a-fA-F]{64}/;
const UPPER = /[A-Z]/;
const LOWER = /[a-z]/;
// Hex digits in groups of 1 to 8 joined by one separator each: every group must end at a
// separator, so a run splits one way only and the match stays linear; the run stands alone (a
// word after it is not its last group).
const GROUPED_HEX = /(?<![0-9A-Za-z])[0-9A-Fa-f]{1,8}(?:[:. -][0-9A-Fa-f]{1,8}){7,}(?![0-9A-Za-z])/g;
const hexDigits = (run: string): number => run.replace(/[^0-9A-Fa-f]/g, "").length;

/** Service text as it may be shown, logged or stored. */
export function redactText(text: string): string {
  const bounded = text.length > MAX_TEXT ? text.slice(0, MAX_TEXT) : text;
  if (holdsKnownKey(bounded)) return WHOLE;
  return bounded
    .replace(LONG_RUN, (run) => ((UPPER.test(run) && LOWER.test(run)) || HEX_KEY.test(run) ? REDACTED : run))
    .replace(GROUPED_HEX, (run) => (hexDigits(run) >= 64 ? REDACTED : run));
}
