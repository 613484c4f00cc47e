/**
 * Orders object names by Unicode code point, which is the order of their UTF-8 bytes (how Object
 * Storage lists). Plain `<` on JS strings compares UTF-16 units and puts astral characters before
 * U+E000..U+FFFF.
 */
export function compareNames(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x !== y) return codePointRank(x) - codePointRank(y);
  }
  return a.length - b.length;
}

function codePointRank(unit: number): number {
  if (unit >= 0xd800 && unit <= 0xdfff) return unit + 0x2000;
  if (unit >= 0xe000) return unit - 0x800;
  return unit;
}

/** Index of the first element of sorted `names` that is >= `name` (or > when `exclusive`). */
export function lowerBound(names: readonly string[], name: string, exclusive = false): number {
  let lo = 0;
  let hi = names.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    const c = compareNames(names[mid] as string, name);
    if (c < 0 || (exclusive && c === 0)) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
