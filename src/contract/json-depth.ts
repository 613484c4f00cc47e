/**
 * The deepest nesting of arrays and objects in a JSON text, counted without parsing it: parsing
 * `[[[[…]]]]` a million deep builds a million arrays (hundreds of MB) before a schema could say no.
 * Brackets inside strings do not count. Stops counting once past `limit`.
 */
export function jsonDepthExceeds(text: string, limit: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
      continue;
    }
    if (c === 0x22) inString = true;
    else if (c === 0x5b || c === 0x7b) {
      if (++depth > limit) return true;
    } else if (c === 0x5d || c === 0x7d) depth--;
  }
  return false;
}

/** Deeper than any message of the contract can be (a request is 5 levels, a job record 7). */
export const MAX_JSON_DEPTH = 32;
